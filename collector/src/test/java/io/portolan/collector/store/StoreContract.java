package io.portolan.collector.store;

import static io.portolan.collector.store.Fixtures.T0;
import static io.portolan.collector.store.Fixtures.at;
import static io.portolan.collector.store.Fixtures.container;
import static io.portolan.collector.store.Fixtures.containerId;
import static io.portolan.collector.store.Fixtures.host;
import static io.portolan.collector.store.Fixtures.image;
import static io.portolan.collector.store.Fixtures.imageId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.collector.store.HostChange.ContainerRemoved;
import io.portolan.collector.store.HostChange.ContainerUpserted;
import io.portolan.collector.store.HostChange.ImageRemoved;
import io.portolan.collector.store.HostChange.ImageUpserted;
import io.portolan.collector.store.HostChange.SnapshotChunk;
import io.portolan.collector.store.Queries.ContainerQuery;
import io.portolan.collector.store.Queries.ContainerState;
import io.portolan.collector.store.Queries.ContainerSummary;
import io.portolan.collector.store.Queries.Direction;
import io.portolan.collector.store.Queries.HostQuery;
import io.portolan.collector.store.Queries.HostStatus;
import io.portolan.collector.store.Queries.HostSummary;
import io.portolan.collector.store.Queries.ImageDetail;
import io.portolan.collector.store.Queries.ImageHost;
import io.portolan.collector.store.Queries.ImageQuery;
import io.portolan.collector.store.Queries.ImageSort;
import io.portolan.collector.store.Queries.ImageSummary;
import io.portolan.collector.store.Queries.RepositoryQuery;
import io.portolan.collector.store.Queries.RepositorySummary;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Store} must have. Each backend's test extends this class unchanged
 * and supplies a fresh, empty store per test.
 */
public abstract class StoreContract implements ScanStoreContract {

  /** A new store over an empty database, owned by the test. */
  protected abstract Store newStore();

  /**
   * Every persisted row as text, leaving out columns a replay may legitimately move (last_seen, and
   * the membership version that tells caches to look again); equal dumps mean equal stores.
   */
  protected abstract List<String> dumpWithoutLastSeen();

  protected Store store;

  @Override
  public Store scanStore() {
    return store;
  }

  @BeforeEach
  void openStore() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  // ---- helpers

  private void register(String agentId) {
    store.registerHost(agentId, "0.1.0", host(agentId + "-name"), T0);
  }

  private static ImageQuery images() {
    return new ImageQuery(Optional.empty(), Optional.empty(), Optional.empty(), false, ImageSort.ID, Direction.ASC,
        PageRequest.FIRST);
  }

  private static ImageQuery withSearch(ImageQuery q, String search) {
    return new ImageQuery(Optional.of(search), q.repository(), q.hostId(), q.includeRemoved(), q.sort(),
        q.direction(), q.page());
  }

  private static ImageQuery sorted(ImageSort sort, Direction direction, PageRequest page) {
    return new ImageQuery(Optional.empty(), Optional.empty(), Optional.empty(), false, sort, direction, page);
  }

  private List<String> imageIds(ImageQuery q) {
    return store.images(q).items().stream().map(ImageSummary::id).toList();
  }

  private static ContainerQuery containers(ContainerState state) {
    return new ContainerQuery(Optional.empty(), Optional.empty(), Optional.empty(), state, PageRequest.FIRST);
  }

  private List<String> containerNames(ContainerQuery q) {
    return store.containers(q).items().stream().map(ContainerSummary::name).toList();
  }

  private ImageSummary onlyImage(String id) {
    return store.images(withSearch(images(), id)).items().stream().filter(i -> i.id().equals(id)).findFirst()
        .orElseThrow();
  }

  private ContainerSummary onlyContainer(String hostId, String name) {
    return store.containers(new ContainerQuery(Optional.of(hostId), Optional.empty(), Optional.of(name),
        ContainerState.ANY, PageRequest.FIRST)).items().get(0);
  }

  // ---- hosts

  @Test
  void registerHostReturnsTheLastCommittedSeq() {
    assertThat(store.registerHost("agent-1", "0.1.0", host("alpha"), T0)).isZero();
    store.apply("agent-1", List.of(new ImageUpserted(image("aa", "nginx:1.27"))), 7, at(1));
    assertThat(store.registerHost("agent-1", "0.2.0", host("alpha-renamed"), at(2))).isEqualTo(7);

    // A replay of an older batch never moves the committed seq backwards.
    store.apply("agent-1", List.of(new ImageUpserted(image("aa", "nginx:1.27"))), 5, at(3));
    assertThat(store.registerHost("agent-1", "0.2.0", host("alpha-renamed"), at(4))).isEqualTo(7);

    HostSummary h = store.host("agent-1", at(4)).orElseThrow();
    assertThat(h.name()).isEqualTo("alpha-renamed");
    assertThat(h.agentVersion()).isEqualTo("0.2.0");
    assertThat(h.firstSeen()).isEqualTo(T0);
    assertThat(h.lastSeen()).isEqualTo(at(4));
    assertThat(h.ips()).containsExactly("10.0.0.1", "fd00::1");
    assertThat(h.labels()).isEqualTo(Map.of("env", "prod", "team", "core"));
    assertThat(h.memoryBytes()).isEqualTo(8L << 30);
    assertThat(h.online()).isTrue();
    assertThat(h.imageCount()).isEqualTo(1);
    assertThat(store.host("nobody", T0)).isEmpty();
  }

  @Test
  void applyForAnUnregisteredAgentIsRefused() {
    assertThatThrownBy(() -> store.apply("ghost", List.of(), 1, T0)).hasMessageContaining("not registered");
  }

  @Test
  void hostsAreListedWithStatusSearchCountsAndPaging() {
    register("a1");
    register("a2");
    register("a3");
    store.apply("a1", List.of(new ImageUpserted(image("aa", "nginx:1")),
        new ContainerUpserted(container("c1", "web", "aa", "running")),
        new ContainerUpserted(container("c2", "job", "aa", "exited"))), 1, at(10));
    store.touchHosts(List.of("a2"), at(20));

    Page<HostSummary> online = store.hosts(new HostQuery(Optional.empty(), HostStatus.ONLINE, at(5), PageRequest.FIRST));
    assertThat(online.items()).extracting(HostSummary::id).containsExactly("a1", "a2");
    assertThat(online.total()).isEqualTo(2);
    assertThat(store.hosts(new HostQuery(Optional.empty(), HostStatus.OFFLINE, at(5), PageRequest.FIRST)).items())
        .extracting(HostSummary::id).containsExactly("a3");
    assertThat(store.hosts(new HostQuery(Optional.of("A2-NA"), HostStatus.ANY, at(5), PageRequest.FIRST)).items())
        .extracting(HostSummary::id).containsExactly("a2");

    Page<HostSummary> second = store.hosts(new HostQuery(Optional.empty(), HostStatus.ANY, at(5), new PageRequest(2, 2)));
    assertThat(second.items()).extracting(HostSummary::id).containsExactly("a3");
    assertThat(second.total()).isEqualTo(3);

    assertThat(store.overview(at(5))).isEqualTo(new Queries.FleetOverview(2, 1, 1, 0, 0, 0, 0, 0, 0, 1, 2, 1));

    HostSummary a1 = store.host("a1", at(5)).orElseThrow();
    assertThat(a1.imageCount()).isEqualTo(1);
    assertThat(a1.containerCount()).isEqualTo(2);
    assertThat(a1.runningContainerCount()).isEqualTo(1);
  }

  // ---- idempotence

  @Test
  void replayingChangesChangesNothingButLastSeen() {
    register("agent-1");
    List<HostChange> upserts = List.of(
        new ImageUpserted(image("aa", "nginx:1.27", "nginx:latest")),
        new ImageUpserted(image("bb", "redis:7")),
        new ContainerUpserted(container("c1", "web", "aa", "running")),
        new ContainerUpserted(container("c2", "cache", "bb", "exited")));
    List<HostChange> removals = List.of(new ImageRemoved(imageId("bb")), new ContainerRemoved(containerId("c2")));
    store.apply("agent-1", upserts, 3, at(1));
    store.apply("agent-1", removals, 4, at(1));
    List<String> before = dumpWithoutLastSeen();
    Instant updated = onlyContainer("agent-1", "web").updated();

    // The last batch again, then both as one batch (an ack lost before a reconnect).
    store.apply("agent-1", removals, 4, at(2));
    assertThat(dumpWithoutLastSeen()).isEqualTo(before);
    List<HostChange> both = new ArrayList<>(upserts);
    both.addAll(removals);
    store.apply("agent-1", both, 4, at(2));
    assertThat(dumpWithoutLastSeen()).isEqualTo(before);
    assertThat(onlyContainer("agent-1", "web").updated()).isEqualTo(updated).isEqualTo(at(1));

    // A real change of a fact moves updated.
    ContainerFacts restarted = container("c1", "web", "aa", "exited");
    store.apply("agent-1", List.of(new ContainerUpserted(restarted)), 5, at(3));
    assertThat(onlyContainer("agent-1", "web").updated()).isEqualTo(at(3));
    assertThat(onlyContainer("agent-1", "web").state()).isEqualTo("exited");
  }

  @Test
  void replayingASnapshotChangesNothingButLastSeen() {
    register("agent-1");
    List<HostChange> snapshot = List.of(
        new SnapshotChunk("s1", false, List.of(image("aa", "nginx:1")), List.of(container("c1", "web", "aa", "running"))),
        new SnapshotChunk("s1", true, List.of(image("bb", "redis:7")), List.of()));
    store.apply("agent-1", snapshot, 2, at(1));
    List<String> before = dumpWithoutLastSeen();
    store.apply("agent-1", snapshot, 2, at(2));
    assertThat(dumpWithoutLastSeen()).isEqualTo(before);
  }

  @Test
  void imageFactsAreNotRewrittenForAKnownId() {
    register("agent-1");
    ImageFacts original = image("aa", "nginx:1");
    store.apply("agent-1", List.of(new ImageUpserted(original)), 1, at(1));
    ImageFacts changed = new ImageFacts(original.id(), List.of("nginx:2"), List.of(), T0, 1, "windows", "arm64", "v8",
        List.of("sha256:" + "9".repeat(64)), List.of(), ImageFacts.Config.EMPTY, "other", "1.0");
    store.apply("agent-1", List.of(new ImageUpserted(changed)), 2, at(2));

    ImageDetail d = store.image(original.id()).orElseThrow();
    assertThat(d.layerDiffIds()).isEqualTo(original.layerDiffIds());
    assertThat(d.history()).isEqualTo(original.history());
    assertThat(d.summary().os()).isEqualTo("linux");
    assertThat(d.summary().firstSeen()).isEqualTo(at(1));
    // Tags are per host facts, not intrinsic: they follow the latest report.
    assertThat(d.summary().repoTags()).containsExactly("nginx:2");
  }

  // ---- snapshots

  @Test
  void aSnapshotMarksWhatItDidNotMentionAsRemoved() {
    register("agent-1");
    store.apply("agent-1", List.of(
        new ImageUpserted(image("aa", "nginx:1")),
        new ImageUpserted(image("bb", "redis:7")),
        new ImageUpserted(image("cc", "postgres:16")),
        new ContainerUpserted(container("c1", "web", "aa", "running")),
        new ContainerUpserted(container("c2", "cache", "bb", "running"))), 1, at(1));

    // Two chunks of one snapshot in separate transactions: nothing is removed until the last.
    store.apply("agent-1", List.of(new SnapshotChunk("s1", false, List.of(image("aa", "nginx:1")),
        List.of(container("c1", "web", "aa", "running")))), 2, at(2));
    assertThat(imageIds(images())).containsExactly(imageId("aa"), imageId("bb"), imageId("cc"));

    store.apply("agent-1", List.of(new SnapshotChunk("s1", true, List.of(image("cc", "postgres:16")),
        List.of(container("c3", "db", "cc", "running")))), 3, at(3));
    assertThat(imageIds(images())).containsExactly(imageId("aa"), imageId("cc"));
    assertThat(containerNames(containers(ContainerState.ANY))).containsExactly("db", "web");
    ContainerSummary cache = store.containers(containers(ContainerState.REMOVED)).items().get(0);
    assertThat(cache.name()).isEqualTo("cache");
    assertThat(cache.present()).isFalse();
    assertThat(cache.updated()).isEqualTo(at(3));

    ImageHost bb = store.imageHosts(imageId("bb"), HostStatus.ANY, T0, PageRequest.FIRST).items().get(0);
    assertThat(bb.present()).isFalse();
    assertThat(bb.repoTags()).isEmpty();

    // Re-sent chunks (an unacked batch replayed after reconnect) change nothing.
    List<String> before = dumpWithoutLastSeen();
    store.apply("agent-1", List.of(new SnapshotChunk("s1", false, List.of(image("aa", "nginx:1")),
        List.of(container("c1", "web", "aa", "running")))), 2, at(4));
    store.apply("agent-1", List.of(new SnapshotChunk("s1", true, List.of(image("cc", "postgres:16")),
        List.of(container("c3", "db", "cc", "running")))), 3, at(5));
    assertThat(dumpWithoutLastSeen()).isEqualTo(before);

    // The next snapshot brings a removed image back.
    store.apply("agent-1", List.of(new SnapshotChunk("s2", true, List.of(image("bb", "redis:7")), List.of())), 4, at(6));
    assertThat(imageIds(images())).containsExactly(imageId("bb"));
    assertThat(store.containers(containers(ContainerState.ANY)).total()).isZero();
    assertThat(store.images(withSearch(images(), "redis")).items().get(0).repoTags()).containsExactly("redis:7");
  }

  @Test
  void aSnapshotOnOneHostLeavesOtherHostsAlone() {
    register("h1");
    register("h2");
    store.apply("h1", List.of(new ImageUpserted(image("aa", "nginx:1"))), 1, at(1));
    store.apply("h2", List.of(new ImageUpserted(image("aa", "nginx:1")),
        new ContainerUpserted(container("c9", "web", "aa", "running"))), 1, at(1));
    store.apply("h1", List.of(new SnapshotChunk("s1", true, List.of(), List.of())), 2, at(2));
    ImageSummary aa = onlyImage(imageId("aa"));
    assertThat(aa.hostCount()).isEqualTo(1);
    assertThat(aa.containerCount()).isEqualTo(1);
  }

  // ---- tags, hosts of an image

  @Test
  void tagsArePerHostAndAMovedTagLeavesTheOldImage() {
    register("h1");
    register("h2");
    store.apply("h1", List.of(new ImageUpserted(image("aa", "app:1", "app:latest"))), 1, at(1));
    store.apply("h2", List.of(new ImageUpserted(image("aa", "app:stable"))), 1, at(1));

    assertThat(onlyImage(imageId("aa")).repoTags()).containsExactly("app:1", "app:latest", "app:stable");
    assertThat(onlyImage(imageId("aa")).repositories()).containsExactly("app");
    Map<String, List<String>> tagsByHost = new java.util.TreeMap<>();
    store.imageHosts(imageId("aa"), HostStatus.ANY, T0, PageRequest.FIRST).items()
        .forEach(h -> tagsByHost.put(h.hostId(), h.repoTags()));
    assertThat(tagsByHost).isEqualTo(Map.of("h1", List.of("app:1", "app:latest"), "h2", List.of("app:stable")));

    // On h1, "latest" moves to a new image; the engine does not re-report the old one.
    store.apply("h1", List.of(new ImageUpserted(image("bb", "app:2", "app:latest"))), 2, at(2));
    assertThat(onlyImage(imageId("aa")).repoTags()).containsExactly("app:1", "app:stable");
    assertThat(onlyImage(imageId("bb")).repoTags()).containsExactly("app:2", "app:latest");

    // Within one batch the later claim wins.
    store.apply("h1", List.of(new ImageUpserted(image("aa", "app:1", "app:latest")),
        new ImageUpserted(image("bb", "app:2", "app:latest"))), 3, at(3));
    assertThat(onlyImage(imageId("aa")).repoTags()).containsExactly("app:1", "app:stable");
    assertThat(onlyImage(imageId("bb")).repoTags()).containsExactly("app:2", "app:latest");
  }

  @Test
  void imageHostsShowsEveryHostWithItsOnlineStatus() {
    register("h1");
    register("h2");
    store.apply("h1", List.of(new ImageUpserted(image("aa", "nginx:1"))), 1, at(1));
    store.apply("h2", List.of(new ImageUpserted(image("aa", "nginx:1"))), 1, at(1));
    store.touchHosts(List.of("h1"), at(100));
    Instant onlineSince = at(50);

    Page<ImageHost> all = store.imageHosts(imageId("aa"), HostStatus.ANY, onlineSince, PageRequest.FIRST);
    assertThat(all.total()).isEqualTo(2);
    assertThat(all.items()).extracting(ImageHost::hostId, ImageHost::hostName, ImageHost::online)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("h1", "h1-name", true),
            org.assertj.core.groups.Tuple.tuple("h2", "h2-name", false));
    assertThat(all.items().get(0).ips()).containsExactly("10.0.0.1", "fd00::1");
    assertThat(all.items().get(0).dockerVersion()).isEqualTo("27.3.1");
    assertThat(all.items().get(0).firstSeen()).isEqualTo(at(1));
    assertThat(store.imageHosts(imageId("aa"), HostStatus.ONLINE, onlineSince, PageRequest.FIRST).items())
        .extracting(ImageHost::hostId).containsExactly("h1");
    assertThat(store.imageHosts(imageId("aa"), HostStatus.OFFLINE, onlineSince, PageRequest.FIRST).items())
        .extracting(ImageHost::hostId).containsExactly("h2");
    Page<ImageHost> second = store.imageHosts(imageId("aa"), HostStatus.ANY, onlineSince, new PageRequest(2, 1));
    assertThat(second.items()).extracting(ImageHost::hostId).containsExactly("h2");
    assertThat(second.total()).isEqualTo(2);
  }

  @Test
  void removingAnImageFromOneHostKeepsItOnTheOther() {
    register("h1");
    register("h2");
    store.apply("h1", List.of(new ImageUpserted(image("aa", "nginx:1"))), 1, at(1));
    store.apply("h2", List.of(new ImageUpserted(image("aa", "nginx:1"))), 1, at(1));
    store.apply("h1", List.of(new ImageRemoved(imageId("aa"))), 2, at(2));

    ImageSummary aa = onlyImage(imageId("aa"));
    assertThat(aa.hostCount()).isEqualTo(1);
    assertThat(aa.repoTags()).containsExactly("nginx:1");
    List<ImageHost> hosts = store.imageHosts(imageId("aa"), HostStatus.ANY, T0, PageRequest.FIRST).items();
    assertThat(hosts).extracting(ImageHost::hostId, ImageHost::present)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("h1", false), org.assertj.core.groups.Tuple.tuple("h2", true));
    assertThat(store.images(new ImageQuery(Optional.empty(), Optional.empty(), Optional.of("h1"), false, ImageSort.ID,
        Direction.ASC, PageRequest.FIRST)).total()).isZero();

    store.apply("h2", List.of(new ImageRemoved(imageId("aa"))), 2, at(3));
    assertThat(store.images(images()).total()).isZero();
    ImageQuery includeRemoved = new ImageQuery(Optional.empty(), Optional.empty(), Optional.empty(), true,
        ImageSort.ID, Direction.ASC, PageRequest.FIRST);
    Page<ImageSummary> removed = store.images(includeRemoved);
    assertThat(removed.total()).isEqualTo(1);
    assertThat(removed.items().get(0).hostCount()).isZero();
    assertThat(removed.items().get(0).repoTags()).isEmpty();
    assertThat(store.images(new ImageQuery(Optional.empty(), Optional.empty(), Optional.of("h1"), true, ImageSort.ID,
        Direction.ASC, PageRequest.FIRST)).total()).isEqualTo(1);
    // The image's own facts survive for history.
    assertThat(store.image(imageId("aa")).orElseThrow().layerDiffIds()).hasSize(2);
  }

  // ---- containers

  @Test
  void containersFilterByStateHostImageAndSearch() {
    register("h1");
    register("h2");
    store.apply("h1", List.of(new ImageUpserted(image("aa", "nginx:1")), new ImageUpserted(image("bb", "redis:7")),
        new ContainerUpserted(container("a1", "web", "aa", "running")),
        new ContainerUpserted(container("a2", "worker", "bb", "exited")),
        new ContainerUpserted(container("a3", "gone", "aa", "running"))), 1, at(1));
    store.apply("h2", List.of(new ImageUpserted(image("aa", "nginx:1")),
        new ContainerUpserted(container("b1", "web2", "aa", "created"))), 1, at(1));
    store.apply("h1", List.of(new ContainerRemoved(containerId("a3"))), 2, at(2));

    assertThat(containerNames(containers(ContainerState.ANY))).containsExactly("web", "web2", "worker");
    assertThat(containerNames(containers(ContainerState.RUNNING))).containsExactly("web");
    assertThat(containerNames(containers(ContainerState.STOPPED))).containsExactly("web2", "worker");
    assertThat(containerNames(containers(ContainerState.REMOVED))).containsExactly("gone");
    assertThat(containerNames(new ContainerQuery(Optional.of("h2"), Optional.empty(), Optional.empty(),
        ContainerState.ANY, PageRequest.FIRST))).containsExactly("web2");
    assertThat(containerNames(new ContainerQuery(Optional.empty(), Optional.of(imageId("aa")), Optional.empty(),
        ContainerState.ANY, PageRequest.FIRST))).containsExactly("web", "web2");
    assertThat(containerNames(new ContainerQuery(Optional.empty(), Optional.empty(), Optional.of("WOR"),
        ContainerState.ANY, PageRequest.FIRST))).containsExactly("worker");
    assertThat(containerNames(new ContainerQuery(Optional.empty(), Optional.empty(), Optional.of("b1"),
        ContainerState.ANY, PageRequest.FIRST))).containsExactly("web2");
    assertThat(store.containers(new ContainerQuery(Optional.empty(), Optional.empty(), Optional.of("registry.example"),
        ContainerState.ANY, PageRequest.FIRST)).total()).isEqualTo(3);
    assertThat(store.containers(new ContainerQuery(Optional.empty(), Optional.empty(), Optional.of("%"),
        ContainerState.ANY, PageRequest.FIRST)).total()).isZero();

    Page<ContainerSummary> page2 = store.containers(new ContainerQuery(Optional.empty(), Optional.empty(),
        Optional.empty(), ContainerState.ANY, new PageRequest(2, 2)));
    assertThat(page2.items()).extracting(ContainerSummary::name).containsExactly("worker");
    assertThat(page2.total()).isEqualTo(3);

    ContainerSummary web = onlyContainer("h1", "web");
    ContainerFacts expected = container("a1", "web", "aa", "running");
    assertThat(web.hostName()).isEqualTo("h1-name");
    assertThat(web.id()).isEqualTo(expected.id());
    assertThat(web.imageId()).isEqualTo(imageId("aa"));
    assertThat(web.imageRef()).isEqualTo(expected.imageRef());
    assertThat(web.status()).isEqualTo("Up 5 minutes");
    assertThat(web.command()).isEqualTo(expected.command());
    assertThat(web.created()).isEqualTo(expected.created());
    assertThat(web.started()).isEqualTo(expected.started());
    assertThat(web.finished()).isNull();
    assertThat(web.ports()).isEqualTo(expected.ports());
    assertThat(web.labels()).isEqualTo(expected.labels());
    assertThat(web.present()).isTrue();

    ImageSummary aa = onlyImage(imageId("aa"));
    assertThat(aa.hostCount()).isEqualTo(2);
    assertThat(aa.containerCount()).isEqualTo(2);
    assertThat(aa.runningContainerCount()).isEqualTo(1);
  }

  // ---- group commit: many agents in one ingest call

  private static IngestBatch batch(String agentId, List<HostChange> changes, long lastSeq) {
    return new IngestBatch(agentId, Optional.empty(), changes, lastSeq);
  }

  private static IngestBatch registering(String agentId, String version, List<HostChange> changes, long lastSeq) {
    return new IngestBatch(agentId, Optional.of(new IngestBatch.Registration(version, host(agentId + "-name"))),
        changes, lastSeq);
  }

  private Map<String, List<String>> tagsByHost(String imageIdPrefix) {
    Map<String, List<String>> tags = new java.util.TreeMap<>();
    store.imageHosts(imageId(imageIdPrefix), HostStatus.ANY, T0, PageRequest.FIRST).items()
        .forEach(h -> tags.put(h.hostId(), h.repoTags()));
    return tags;
  }

  private Map<String, Boolean> presenceByHost(String imageIdPrefix) {
    Map<String, Boolean> present = new java.util.TreeMap<>();
    store.imageHosts(imageId(imageIdPrefix), HostStatus.ANY, T0, PageRequest.FIRST).items()
        .forEach(h -> present.put(h.hostId(), h.present()));
    return present;
  }

  @Test
  void ingestWritesRegistrationsAndChangesOfManyAgentsInOneCall() {
    register("b");
    store.apply("b", List.of(new ImageUpserted(image("bb", "redis:7"))), 4, at(1));
    List<IngestBatch> call = List.of(
        registering("c", "0.3.0", List.of(), 0),
        // A new agent's Hello and its first changes in the same call: registration comes first.
        registering("a", "0.3.0", List.of(new ImageUpserted(image("aa", "nginx:1")),
            new ContainerUpserted(container("c1", "web", "aa", "running"))), 3),
        batch("b", List.of(new ImageUpserted(image("aa", "nginx:1", "nginx:latest")),
            new ImageRemoved(imageId("bb"))), 5));

    assertThat(store.ingest(call, at(2))).isEqualTo(Map.of("a", 3L, "b", 5L, "c", 0L));
    HostSummary a = store.host("a", at(2)).orElseThrow();
    assertThat(a.agentVersion()).isEqualTo("0.3.0");
    assertThat(a.firstSeen()).isEqualTo(at(2));
    assertThat(a.lastSeen()).isEqualTo(at(2));
    assertThat(a.imageCount()).isEqualTo(1);
    assertThat(a.runningContainerCount()).isEqualTo(1);
    assertThat(store.host("b", at(2)).orElseThrow().lastSeen()).isEqualTo(at(2));
    assertThat(store.host("c", at(2)).orElseThrow().imageCount()).isZero();
    assertThat(imageIds(images())).containsExactly(imageId("aa"));
    assertThat(tagsByHost("aa")).isEqualTo(Map.of("a", List.of("nginx:1"), "b", List.of("nginx:1", "nginx:latest")));
    assertThat(presenceByHost("bb")).isEqualTo(Map.of("b", false));

    // The call replayed (its ack was lost) changes nothing but last-seen times.
    List<String> before = dumpWithoutLastSeen();
    assertThat(store.ingest(call, at(3))).isEqualTo(Map.of("a", 3L, "b", 5L, "c", 0L));
    assertThat(dumpWithoutLastSeen()).isEqualTo(before);
    assertThat(store.registerHost("a", "0.3.0", host("a-name"), at(4))).isEqualTo(3);
    assertThat(store.registerHost("b", "0.3.0", host("b-name"), at(4))).isEqualTo(5);
  }

  @Test
  void ingestRefusesTheWholeCallIfOneAgentIsNotRegistered() {
    register("h1");
    assertThatThrownBy(() -> store.ingest(List.of(batch("h1", List.of(new ImageUpserted(image("aa", "nginx:1"))), 1),
        batch("ghost", List.of(new ImageUpserted(image("bb", "redis:7"))), 1)), at(1)))
        .hasMessageContaining("not registered");
    assertThat(store.images(images()).total()).isZero();
    assertThat(store.registerHost("h1", "0.1.0", host("h1-name"), at(2))).isZero();
  }

  @Test
  void ingestMovesATagOnOneHostWhileAnotherHostKeepsIt() {
    register("h1");
    register("h2");
    store.ingest(List.of(
        batch("h1", List.of(new ImageUpserted(image("aa", "app:1", "app:latest"))), 1),
        batch("h2", List.of(new ImageUpserted(image("aa", "app:latest"))), 1)), at(1));
    assertThat(tagsByHost("aa")).isEqualTo(Map.of("h1", List.of("app:1", "app:latest"), "h2", List.of("app:latest")));

    // "latest" moves to a new image on h1 only; h2, in the same call, keeps it on the old image.
    store.ingest(List.of(
        batch("h2", List.of(new ImageUpserted(image("cc", "other:1"))), 2),
        batch("h1", List.of(new ImageUpserted(image("bb", "app:2", "app:latest"))), 2)), at(2));
    assertThat(tagsByHost("aa")).isEqualTo(Map.of("h1", List.of("app:1"), "h2", List.of("app:latest")));
    assertThat(tagsByHost("bb")).isEqualTo(Map.of("h1", List.of("app:2", "app:latest")));

    // Both hosts move it in one call, each within its own batch: the later claim of each host wins.
    store.ingest(List.of(
        batch("h1", List.of(new ImageUpserted(image("bb", "app:2")), new ImageUpserted(image("aa", "app:1",
            "app:latest"))), 3),
        batch("h2", List.of(new ImageUpserted(image("aa", "app:latest")), new ImageUpserted(image("cc", "other:1",
            "app:latest"))), 3)), at(3));
    assertThat(tagsByHost("aa")).isEqualTo(Map.of("h1", List.of("app:1", "app:latest"), "h2", List.of()));
    assertThat(tagsByHost("bb")).isEqualTo(Map.of("h1", List.of("app:2")));
    assertThat(tagsByHost("cc")).isEqualTo(Map.of("h2", List.of("app:latest", "other:1")));
  }

  @Test
  void ingestSweepsOneHostsSnapshotWithoutTouchingAnotherHost() {
    register("h1");
    register("h2");
    store.ingest(List.of(
        batch("h1", List.of(new ImageUpserted(image("aa", "nginx:1")), new ImageUpserted(image("bb", "redis:7")),
            new ContainerUpserted(container("c1", "web", "aa", "running"))), 1),
        batch("h2", List.of(new ImageUpserted(image("aa", "nginx:1")), new ImageUpserted(image("bb", "redis:7")),
            new ContainerUpserted(container("c9", "web2", "bb", "running"))), 1)), at(1));

    // h1 ends a snapshot that lists only aa; h2, in the same call, sends a delta and no snapshot.
    store.ingest(List.of(
        batch("h1", List.of(new SnapshotChunk("s1", true, List.of(image("aa", "nginx:1")), List.of())), 2),
        batch("h2", List.of(new ContainerUpserted(container("c8", "job", "aa", "exited"))), 2)), at(2));
    assertThat(presenceByHost("aa")).isEqualTo(Map.of("h1", true, "h2", true));
    assertThat(presenceByHost("bb")).isEqualTo(Map.of("h1", false, "h2", true));
    assertThat(tagsByHost("bb")).isEqualTo(Map.of("h1", List.of(), "h2", List.of("redis:7")));
    assertThat(containerNames(containers(ContainerState.REMOVED))).containsExactly("web");
    assertThat(containerNames(containers(ContainerState.ANY))).containsExactly("job", "web2");
    assertThat(onlyContainer("h2", "web2").updated()).isEqualTo(at(1));
    assertThat(store.containers(containers(ContainerState.REMOVED)).items().get(0).updated()).isEqualTo(at(2));
  }

  @Test
  void ingestTakesTwoSnapshotsAndTwoBatchesOfOneAgentInOrder() {
    register("h1");
    register("h2");
    store.ingest(List.of(
        // Two snapshots in one batch: the second sweeps what the first brought and it did not list.
        batch("h1", List.of(
            new SnapshotChunk("s1", true, List.of(image("aa", "app:1"), image("bb", "db:1")), List.of()),
            new ImageRemoved(imageId("bb")),
            new SnapshotChunk("s2", false, List.of(image("cc", "app:1")), List.of()),
            new SnapshotChunk("s2", true, List.of(), List.of(container("c1", "web", "cc", "running")))), 1),
        batch("h2", List.of(new SnapshotChunk("t1", true, List.of(image("aa", "app:1")), List.of())), 1),
        // The same agent again (a reconnect racing its old session): applied after its first batch.
        batch("h1", List.of(new ImageUpserted(image("dd", "app:1"))), 2)), at(1));

    assertThat(presenceByHost("aa")).isEqualTo(Map.of("h1", false, "h2", true));
    assertThat(presenceByHost("bb")).isEqualTo(Map.of("h1", false));
    assertThat(presenceByHost("cc")).isEqualTo(Map.of("h1", true));
    assertThat(tagsByHost("cc")).isEqualTo(Map.of("h1", List.of()));
    assertThat(tagsByHost("dd")).isEqualTo(Map.of("h1", List.of("app:1")));
    assertThat(tagsByHost("aa")).isEqualTo(Map.of("h1", List.of(), "h2", List.of("app:1")));
    assertThat(containerNames(containers(ContainerState.RUNNING))).containsExactly("web");
    assertThat(store.registerHost("h1", "0.1.0", host("h1-name"), at(2))).isEqualTo(2);
  }

  // ---- images list

  /** Five images on two hosts with distinct sizes, creation times, tags and usage. */
  private void fiveImages() {
    register("h1");
    register("h2");
    store.apply("h1", List.of(
        new ImageUpserted(image("a1", 500, at(-500), "library/nginx:1.27")),
        new ImageUpserted(image("b2", 100, at(-100), "redis:7")),
        new ImageUpserted(image("c3", 300, null, "ghcr.io/acme/api:2")),
        new ImageUpserted(image("d4", 300, at(-300))),
        new ContainerUpserted(container("c1", "web", "a1", "running")),
        new ContainerUpserted(container("c2", "api", "c3", "running")),
        new ContainerUpserted(container("c3", "api2", "c3", "exited"))), 1, at(1));
    store.apply("h2", List.of(
        new ImageUpserted(image("b2", 100, at(-100), "redis:7-alpine")),
        new ImageUpserted(image("e5", 200, at(-200), "busybox:1")),
        new ImageUpserted(image("a1", 500, at(-500), "library/nginx:1.27"))), 1, at(5));
  }

  @Test
  void imagesSearchAndFilter() {
    fiveImages();
    assertThat(store.images(images()).total()).isEqualTo(5);
    assertThat(imageIds(withSearch(images(), "nginx"))).containsExactly(imageId("a1"));
    assertThat(imageIds(withSearch(images(), "REDIS:7"))).containsExactly(imageId("b2"));
    assertThat(imageIds(withSearch(images(), "d4"))).containsExactly(imageId("d4"));
    assertThat(imageIds(withSearch(images(), "sha256:E5"))).containsExactly(imageId("e5"));
    assertThat(imageIds(withSearch(images(), "_"))).isEmpty();
    assertThat(imageIds(new ImageQuery(Optional.empty(), Optional.of("redis"), Optional.empty(), false, ImageSort.ID,
        Direction.ASC, PageRequest.FIRST))).containsExactly(imageId("b2"));
    assertThat(imageIds(new ImageQuery(Optional.empty(), Optional.empty(), Optional.of("h2"), false, ImageSort.ID,
        Direction.ASC, PageRequest.FIRST))).containsExactly(imageId("a1"), imageId("b2"), imageId("e5"));

    ImageSummary redis = onlyImage(imageId("b2"));
    assertThat(redis.repoTags()).containsExactly("redis:7", "redis:7-alpine");
    assertThat(redis.repositories()).containsExactly("redis");
    assertThat(redis.hostCount()).isEqualTo(2);
    assertThat(redis.created()).isEqualTo(at(-100));
    assertThat(redis.firstSeen()).isEqualTo(at(1));
    assertThat(redis.lastSeen()).isEqualTo(at(5));
    assertThat(onlyImage(imageId("d4")).repoTags()).isEmpty();
  }

  @Test
  void imagesSortEveryWayWithIdAsTieBreakerAndPageInTheDatabase() {
    fiveImages();
    // Scan statuses to sort by: c3 still scanning, a1 failed, d4 cancelled; b2 and e5 never scanned.
    store.createJob(new ScanStore.NewJob("sort-job", "API", "IMAGES", List.of(imageId("a1"), imageId("c3"),
        imageId("d4")), List.of("vulnerabilities"), "contract", false, Optional.empty(), at(10), at(1000), "c-1",
        at(40)), List.of(imageId("a1"), imageId("c3"), imageId("d4")));
    store.endItems(List.of(new ScanStore.ItemNote("sort-job", imageId("a1"), "corrupt layer")), "SCAN_EXCEPTION",
        at(11));
    store.endItems(List.of(new ScanStore.ItemNote("sort-job", imageId("d4"), "cancelled by contract")), "CANCELLED",
        at(12));
    Map<ImageSort, Comparator<ImageSummary>> keys = Map.ofEntries(
        Map.entry(ImageSort.ID, Comparator.comparing(ImageSummary::id)),
        Map.entry(ImageSort.REPOSITORY, nullsLast(s -> s.repositories().isEmpty() ? null : s.repositories().get(0))),
        Map.entry(ImageSort.CREATED, nullsLast(ImageSummary::created)),
        Map.entry(ImageSort.SIZE, Comparator.comparing(ImageSummary::sizeBytes)),
        Map.entry(ImageSort.HOSTS, Comparator.comparing(ImageSummary::hostCount)),
        Map.entry(ImageSort.CONTAINERS, Comparator.comparing(ImageSummary::containerCount)),
        Map.entry(ImageSort.LAST_SEEN, nullsLast(ImageSummary::lastSeen)),
        // Images nobody inventoried yet have no package count: they sort last.
        Map.entry(ImageSort.PACKAGES,
            nullsLast(s -> s.inventory().status().equals("PENDING") ? null : s.inventory().packageCount())),
        // Images never assessed have no vulnerability figures: they sort last too.
        Map.entry(ImageSort.RISK, nullsLast(s -> assessed(s, s.vulnerabilities().riskScore()))),
        Map.entry(ImageSort.CRITICAL, nullsLast(s -> assessed(s, s.vulnerabilities().critical()))),
        Map.entry(ImageSort.HIGH, nullsLast(s -> assessed(s, s.vulnerabilities().high()))),
        Map.entry(ImageSort.MEDIUM, nullsLast(s -> assessed(s, s.vulnerabilities().medium()))),
        Map.entry(ImageSort.LOW, nullsLast(s -> assessed(s, s.vulnerabilities().low()))),
        Map.entry(ImageSort.VULNERABILITIES, nullsLast(s -> assessed(s, s.vulnerabilities().total()))),
        Map.entry(ImageSort.LAST_SCANNED, nullsLast(s -> s.scan().lastScannedAt())),
        // The first tag name (not repository) of the image; untagged images last.
        Map.entry(ImageSort.TAGS, nullsLast(s -> s.repoTags().stream().map(t -> t.substring(t.lastIndexOf(':') + 1))
            .min(Comparator.naturalOrder()).orElse(null))),
        Map.entry(ImageSort.OS, nullsLast(s -> s.inventory().status().equals("PENDING") ? null
            : s.inventory().osName())),
        // From never scanned to failed: what needs a look comes first when descending.
        Map.entry(ImageSort.SCAN_STATUS, nullsLast(s -> List.of("NOT_SCANNED", "SCANNED", "CANCELLED", "SCANNING",
            "SCAN_EXCEPTION").indexOf(s.scan().status()))));
    List<ImageSummary> all = store.images(images()).items();
    for (ImageSort sort : ImageSort.values()) {
      for (Direction direction : Direction.values()) {
        List<String> paged = new ArrayList<>();
        for (int page = 1; page <= 3; page++) {
          Page<ImageSummary> p = store.images(sorted(sort, direction, new PageRequest(page, 2)));
          assertThat(p.total()).as("%s %s total", sort, direction).isEqualTo(5);
          paged.addAll(p.items().stream().map(ImageSummary::id).toList());
        }
        assertThat(paged).as("%s %s", sort, direction).isEqualTo(expectedOrder(all, keys.get(sort), direction));
      }
    }
    assertThat(imageIds(sorted(ImageSort.SIZE, Direction.DESC, PageRequest.FIRST)))
        .containsExactly(imageId("a1"), imageId("d4"), imageId("c3"), imageId("e5"), imageId("b2"));
    assertThat(imageIds(sorted(ImageSort.SCAN_STATUS, Direction.DESC, PageRequest.FIRST)))
        .containsExactly(imageId("a1"), imageId("c3"), imageId("d4"), imageId("e5"), imageId("b2"));
    assertThat(imageIds(sorted(ImageSort.CREATED, Direction.ASC, PageRequest.FIRST)))
        .containsExactly(imageId("a1"), imageId("d4"), imageId("e5"), imageId("b2"), imageId("c3"));
  }

  private static <T> T assessed(ImageSummary s, T value) {
    return s.vulnerabilities().assessed() ? value : null;
  }

  /** Values compare in the requested direction, missing values last either way, then ID likewise. */
  private static List<String> expectedOrder(List<ImageSummary> all, Comparator<ImageSummary> key, Direction direction) {
    Comparator<ImageSummary> byValue = direction == Direction.ASC ? key : nullsLastReversed(key);
    Comparator<ImageSummary> byId = Comparator.comparing(ImageSummary::id);
    return all.stream().sorted(byValue.thenComparing(direction == Direction.ASC ? byId : byId.reversed()))
        .map(ImageSummary::id).toList();
  }

  private static <T extends Comparable<T>> Comparator<ImageSummary> nullsLast(Function<ImageSummary, T> f) {
    return new NullsLast<>(f, false);
  }

  private static Comparator<ImageSummary> nullsLastReversed(Comparator<ImageSummary> key) {
    return key instanceof NullsLast<?> n ? n.reversed(true) : key.reversed();
  }

  private record NullsLast<T extends Comparable<T>>(Function<ImageSummary, T> f, boolean desc)
      implements Comparator<ImageSummary> {
    NullsLast<T> reversed(boolean d) {
      return new NullsLast<>(f, d);
    }

    @Override
    public int compare(ImageSummary a, ImageSummary b) {
      T x = f.apply(a);
      T y = f.apply(b);
      if (x == null || y == null) return x == null ? (y == null ? 0 : 1) : -1;
      return desc ? y.compareTo(x) : x.compareTo(y);
    }
  }

  // ---- image detail, repositories, resolution

  @Test
  void imageDetailCarriesIntrinsicFactsAndTheUnionOfHostFacts() {
    register("h1");
    register("h2");
    ImageFacts facts = image("ab", "ghcr.io/acme/api:2");
    store.apply("h1", List.of(new ImageUpserted(facts)), 1, at(1));
    store.apply("h2", List.of(new ImageUpserted(image("ab", "localhost:5000/api:3"))), 1, at(1));

    ImageDetail d = store.image(facts.id()).orElseThrow();
    assertThat(d.registry()).isEqualTo("ghcr.io");
    assertThat(d.format()).isEqualTo("docker");
    assertThat(d.repoDigests()).hasSize(2).allMatch(x -> x.contains("@sha256:"));
    assertThat(d.layerDiffIds()).isEqualTo(facts.layerDiffIds());
    assertThat(d.history()).isEqualTo(facts.history());
    assertThat(d.config()).isEqualTo(facts.config());
    assertThat(d.author()).isEqualTo("someone");
    assertThat(d.dockerVersion()).isEqualTo("24.0.7");
    assertThat(d.variant()).isEmpty();
    assertThat(d.summary().created()).isEqualTo(facts.created());
    assertThat(d.summary().repoTags()).containsExactly("ghcr.io/acme/api:2", "localhost:5000/api:3");
    assertThat(store.image(imageId("ff"))).isEmpty();

    store.apply("h1", List.of(new ImageUpserted(image("ac", "library/redis:7"))), 2, at(2));
    assertThat(store.image(imageId("ac")).orElseThrow().registry()).isEqualTo("docker.io");
    store.apply("h1", List.of(new ImageUpserted(image("ad"))), 3, at(3));
    assertThat(store.image(imageId("ad")).orElseThrow().registry()).isEmpty();
  }

  @Test
  void repositoriesCountTagsImagesAndHosts() {
    fiveImages();
    Page<RepositorySummary> all = store.repositories(new RepositoryQuery(Optional.empty(), PageRequest.FIRST));
    assertThat(all.total()).isEqualTo(4);
    assertThat(all.items()).containsExactly(
        new RepositorySummary("busybox", 1, 1, 1, -1),
        new RepositorySummary("ghcr.io/acme/api", 1, 1, 1, -1),
        new RepositorySummary("library/nginx", 1, 1, 2, -1),
        new RepositorySummary("redis", 2, 1, 2, -1));
    assertThat(store.repositories(new RepositoryQuery(Optional.of("NGINX"), PageRequest.FIRST)).items())
        .extracting(RepositorySummary::repository).containsExactly("library/nginx");
    Page<RepositorySummary> second = store.repositories(new RepositoryQuery(Optional.empty(), new PageRequest(2, 3)));
    assertThat(second.items()).extracting(RepositorySummary::repository).containsExactly("redis");
    assertThat(second.total()).isEqualTo(4);

    store.apply("h1", List.of(new ImageRemoved(imageId("c3"))), 2, at(9));
    assertThat(store.repositories(new RepositoryQuery(Optional.of("acme"), PageRequest.FIRST)).total()).isZero();
  }

  @Test
  void resolveImageIdAcceptsFullIdsBareIdsAndUniquePrefixes() {
    register("h1");
    store.apply("h1", List.of(new ImageUpserted(image("abcd1")), new ImageUpserted(image("abcd2")),
        new ImageUpserted(image("ef01"))), 1, at(1));
    assertThat(store.resolveImageId(imageId("ef01"))).contains(imageId("ef01"));
    assertThat(store.resolveImageId(imageId("ef01").substring(7))).contains(imageId("ef01"));
    assertThat(store.resolveImageId("EF01")).contains(imageId("ef01"));
    assertThat(store.resolveImageId("sha256:ef01")).contains(imageId("ef01"));
    assertThat(store.resolveImageId("abcd1")).contains(imageId("abcd1"));
    assertThat(store.resolveImageId("ef0")).isEmpty();
    assertThat(store.resolveImageId("9999")).isEmpty();
    assertThat(store.resolveImageId("zzzz")).isEmpty();
    assertThatThrownBy(() -> store.resolveImageId("abcd"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ambiguous image ID prefix");
  }

  // ---- layer inventory

  private static InventoryChange.LayerStored unit(String diffId, String analyzer, String bytes) {
    return new InventoryChange.LayerStored(new InventoryChange.LayerUnit(diffId, analyzer, 1), 1234, 2, 0,
        bytes.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static InventoryChange.PackageRow pkg(String name, String version, String diffId) {
    return new InventoryChange.PackageRow("deb", name, version, "amd64", name, version, "debian-12", "GPL-2",
        "pkg:deb/debian/" + name + "@" + version + "?arch=amd64&distro=debian-12", "var/lib/dpkg/status", diffId);
  }

  private static InventoryChange.ImageInventoried inventoryOf(ImageFacts image, String fingerprint,
      List<InventoryChange.PackageRow> packages) {
    var os = new InventoryChange.Os("debian", "Debian GNU/Linux", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)",
        Optional.of(java.time.LocalDate.of(2028, 6, 30)));
    return new InventoryChange.ImageInventoried(image.id(), fingerprint, Optional.of(os), packages,
        List.of(new InventoryChange.LayerChangeRow(0, image.layerDiffIds().get(0), 1, 0, 0),
            new InventoryChange.LayerChangeRow(1, image.layerDiffIds().get(1), 1, 0, 0)),
        List.of());
  }

  @Test
  void layerUnitsAreStoredOnceForTheFleetAndImageInventoriesAreReplacedWhole() {
    register("agent-1");
    register("agent-2");
    ImageFacts a = image("a1", "app:1");
    ImageFacts b = image("b2", "other:1");
    String shared = a.layerDiffIds().get(0);
    assertThat(b.layerDiffIds().get(0)).isEqualTo(shared);
    var aInventory = inventoryOf(a, "fp-a", List.of(pkg("libc6", "2.36-9", shared),
        pkg("curl", "7.88.1-10", a.layerDiffIds().get(1))));
    store.ingest(List.of(new IngestBatch("agent-1", Optional.empty(), List.of(new HostChange.ImageUpserted(a)),
        List.of(unit(shared, "dpkg", "first"), unit(a.layerDiffIds().get(1), "dpkg", "a-top"), aInventory), 1)), T0);
    // The second host sends the shared unit again (a race with the first): the first copy stays.
    store.ingest(List.of(new IngestBatch("agent-2", Optional.empty(), List.of(new HostChange.ImageUpserted(b)),
        List.of(unit(shared, "dpkg", "second"), unit(b.layerDiffIds().get(1), "dpkg", "b-top"),
            inventoryOf(b, "fp-b", List.of(pkg("libc6", "2.36-9", shared)))), 1)), at(10));

    var sharedUnit = new InventoryChange.LayerUnit(shared, "dpkg", 1);
    var unknown = new InventoryChange.LayerUnit("sha256:" + "9".repeat(64), "dpkg", 1);
    assertThat(store.missingUnits(List.of(sharedUnit, unknown))).containsExactly(unknown.key());
    assertThat(new String(store.layerFindings(List.of(sharedUnit)).get(sharedUnit.key()),
        java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("first");
    assertThat(store.inventoryFingerprint(a.id())).contains("fp-a");
    assertThat(store.inventoryFingerprints(List.of(a.id(), b.id(), imageId("ff"))))
        .containsOnly(Map.entry(a.id(), "fp-a"), Map.entry(b.id(), "fp-b"));

    var summary = store.imageInventory(a.id()).orElseThrow();
    assertThat(summary.status()).isEqualTo("COMPLETE");
    assertThat(summary.packageCount()).isEqualTo(2);
    assertThat(summary.os().orElseThrow().endOfLife()).contains(java.time.LocalDate.of(2028, 6, 30));
    var listed = store.images(images()).items().stream().filter(i -> i.id().equals(a.id())).findFirst().orElseThrow();
    assertThat(listed.inventory().osName()).isEqualTo("Debian GNU/Linux 12 (bookworm)");
    assertThat(listed.inventory().packageCount()).isEqualTo(2);

    var packages = store.imagePackages(a.id(), new InventoryStore.PackageQuery(Optional.empty(), Optional.empty(),
        Optional.empty(), PageRequest.FIRST));
    assertThat(packages.total()).isEqualTo(2);
    assertThat(packages.items()).extracting(p -> p.name() + "@" + p.layerIndex()).containsExactly("curl@1", "libc6@0");
    assertThat(store.imagePackages(a.id(), new InventoryStore.PackageQuery(Optional.of("LIB"), Optional.of("deb"),
        Optional.of("0"), PageRequest.FIRST)).items()).extracting(InventoryStore.PackageView::name).containsExactly("libc6");
    assertThat(store.allImagePackages(b.id())).extracting(InventoryStore.PackageView::purl)
        .containsExactly("pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12");

    var layers = store.imageLayers(a.id());
    assertThat(layers).extracting(InventoryStore.LayerView::index).containsExactly(0, -1, 1);
    assertThat(layers.get(0).createdBy()).contains("ADD file:abc");
    assertThat(layers.get(0).added()).isEqualTo(1);
    assertThat(layers.get(1).emptyLayer()).isTrue();

    // A new inventory of the image replaces the old one whole; a replay of it changes nothing.
    var upgraded = inventoryOf(a, "fp-a2", List.of(pkg("libc6", "2.36-9", shared)));
    for (int i = 0; i < 2; i++) {
      store.ingest(List.of(new IngestBatch("agent-1", Optional.empty(), List.of(), List.of(upgraded), 2 + i)), at(20));
    }
    assertThat(store.allImagePackages(a.id())).extracting(InventoryStore.PackageView::name).containsExactly("libc6");
    assertThat(store.inventoryFingerprint(a.id())).contains("fp-a2");
    assertThat(store.imageInventory(a.id()).orElseThrow().packageCount()).isEqualTo(1);
  }

  // ---- vulnerabilities

  private static io.portolan.vuln.advisory.Advisory cve(String id, String source, String fixed,
      io.portolan.vuln.advisory.AffectedState state, String urgency, String... aliases) {
    var affected = new io.portolan.vuln.advisory.Affected("deb", "debian:12", source, true, state,
        fixed.isEmpty() ? List.of() : List.of(io.portolan.vuln.advisory.VersionRange.fixedIn(fixed)), List.of(),
        urgency, "");
    return new io.portolan.vuln.advisory.Advisory(id, java.util.Set.of(aliases), id + " summary", "", null, T0,
        false, List.of(new io.portolan.vuln.advisory.SeverityRating("nvd", "CVSS_V3",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")), List.of(), List.of(affected));
  }

  private void writeFeed(List<io.portolan.vuln.advisory.Advisory> advisories, List<String> deletes) {
    writeFeed("debian", "DEBIAN_TRACKER", advisories, deletes);
  }

  private void writeFeed(String feed, String kind, List<io.portolan.vuln.advisory.Advisory> advisories,
      List<String> deletes) {
    List<VulnerabilityStore.StoredAdvisory> rows = new ArrayList<>();
    for (var a : advisories) {
      byte[] body = io.portolan.collector.advisory.AdvisoryCodec.encode(a);
      rows.add(new VulnerabilityStore.StoredAdvisory(feed, a.id(),
          io.portolan.vuln.match.AdvisoryIndex.canonicalId(a), io.portolan.collector.advisory.AdvisoryCodec.hash(body),
          a.withdrawn(), a.modified(), body, io.portolan.collector.advisory.AdvisoryCodec.ids(a)));
    }
    store.writeAdvisories(feed, rows, deletes, new VulnerabilityStore.FeedStatus(feed, kind,
        "test", "", "", T0, T0, T0, advisories.size(), ""));
  }

  /** The real GHSA records copied into src/test/resources/vulndata (see its PROVENANCE.tsv). */
  private static List<io.portolan.vuln.advisory.Advisory> ghsa(String... ids) throws java.io.IOException {
    List<io.portolan.vuln.advisory.Advisory> out = new ArrayList<>();
    var parser = new io.portolan.vuln.advisory.OsvParser();
    for (String id : ids) {
      try (var in = StoreContract.class.getResourceAsStream("/vulndata/osv/ghsa/" + id + ".json")) {
        assertThat(in).as("test resource vulndata/osv/ghsa/" + id + ".json").isNotNull();
        parser.parse(io.portolan.vuln.advisory.FeedSnapshots.ofBytes(id + ".json", in.readAllBytes()), out::add,
            problem -> { throw new AssertionError(problem); });
      }
    }
    return out;
  }

  private static InventoryChange.PackageRow language(String type, String name, String version, String purl,
      String path, String diffId, Map<String, String> properties) {
    return new InventoryChange.PackageRow(type, name, version, "", "", "", "", "", purl, path, diffId, properties,
        List.of());
  }

  @Test
  void languagePackagesAreStoredFilteredAndMatchedThroughOsvWithTheirEcosystemsOrder() throws Exception {
    register("agent-1");
    ImageFacts app = image("c3", "app:2");
    String base = app.layerDiffIds().get(0);
    String top = app.layerDiffIds().get(1);
    String fat = "app/app.jar";
    var requestsDeb = new InventoryChange.PackageRow("deb", "python3-requests", "2.28.1+dfsg-1", "all", "requests",
        "2.28.1+dfsg-1", "debian-12", "", "pkg:deb/debian/python3-requests@2.28.1%2Bdfsg-1?arch=all&distro=debian-12",
        "var/lib/dpkg/status", base, Map.of(), List.of("pkg:pypi/requests@2.28.1"));
    List<InventoryChange.PackageRow> packages = List.of(requestsDeb,
        language("maven", "org.apache.logging.log4j:log4j-core", "2.14.1",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", fat + "!/BOOT-INF/lib/log4j-core-2.14.1.jar", top,
            Map.of("identity", "pom.properties", "sha1", "9141212b8507ab50a45525b545b39d224614528b")),
        language("maven", "com.fasterxml.jackson.core:jackson-databind", "2.13.0",
            "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.0", fat + "!/BOOT-INF/lib/jackson-databind.jar",
            top, Map.of("identity", "pom.properties")),
        language("maven", "org.apache.commons:commons-text", "1.9", "pkg:maven/org.apache.commons/commons-text@1.9",
            "opt/lib/commons-text-1.9.jar", top, Map.of("identity", "manifest", "confidence", "medium")),
        // Named by its file name only: no group, no purl, so it cannot match log4j's advisories.
        language("maven", "log4j-core", "2.14.1", "", "opt/legacy/log4j-core-2.14.1.jar", top,
            Map.of("identity", "filename", "confidence", "low")),
        // Nothing identifies it: a file, no version.
        language("maven", "mystery.jar", "", "", "opt/legacy/mystery.jar", top, Map.of("identity", "unidentified")),
        language("npm", "lodash", "4.17.20", "pkg:npm/lodash@4.17.20", "app/node_modules/lodash/package.json", top,
            Map.of()),
        language("npm", "lodash", "4.17.21", "pkg:npm/lodash@4.17.21", "tool/node_modules/lodash/package.json", top,
            Map.of()),
        language("pypi", "requests", "2.31.0", "pkg:pypi/requests@2.31.0",
            "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA", top, Map.of()));
    store.ingest(List.of(new IngestBatch("agent-1", Optional.empty(), List.of(new HostChange.ImageUpserted(app)),
        List.of(inventoryOf(app, "fp-lang", packages)), 1)), T0);

    // The packages view: type filters, nested locations, properties and the OS package's language identity.
    var maven = store.imagePackages(app.id(), new InventoryStore.PackageQuery(Optional.empty(), Optional.of("maven"),
        Optional.empty(), PageRequest.FIRST));
    assertThat(maven.total()).isEqualTo(5);
    assertThat(maven.items()).filteredOn(p -> p.name().endsWith("log4j-core") && !p.purl().isEmpty()).singleElement()
        .satisfies(p -> {
          assertThat(p.path()).isEqualTo(fat + "!/BOOT-INF/lib/log4j-core-2.14.1.jar");
          assertThat(p.layerIndex()).isEqualTo(1);
          assertThat(p.properties()).containsEntry("sha1", "9141212b8507ab50a45525b545b39d224614528b");
        });
    assertThat(store.imagePackages(app.id(), new InventoryStore.PackageQuery(Optional.empty(), Optional.of("language"),
        Optional.empty(), PageRequest.FIRST)).total()).isEqualTo(8);
    assertThat(store.imagePackages(app.id(), new InventoryStore.PackageQuery(Optional.empty(), Optional.of("os"),
        Optional.empty(), PageRequest.FIRST)).items()).singleElement().satisfies(p -> {
          assertThat(p.name()).isEqualTo("python3-requests");
          assertThat(p.languagePurls()).containsExactly("pkg:pypi/requests@2.28.1");
          assertThat(p.properties()).isEmpty();
        });

    writeFeed("osv-ghsa", "OSV", ghsa("GHSA-jfh8-c2jp-5v3q", "GHSA-7rjr-3q55-vv33", "GHSA-57j2-w4cx-62h2",
        "GHSA-599f-7c49-w659", "GHSA-35jh-r3h4-6jhm", "GHSA-j8r2-6x86-q33q"), List.of());
    try (var match = new io.portolan.collector.match.MatchService(store, java.time.Clock.systemUTC(),
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
      match.start(Map.of("osv-ghsa", false)).get();
      match.inventoriesChanged(List.of(app.id()));
      match.awaitIdle();

      var findings = store.imageFindings(app.id());
      assertThat(findings).extracting(f -> f.packageName() + "@" + f.version() + " " + f.finding().vulnId()
              + " fixed in " + f.finding().fixedVersion() + " layer " + f.layerIndex())
          .containsExactlyInAnyOrder(
              "org.apache.logging.log4j:log4j-core@2.14.1 CVE-2021-44228 fixed in 2.15.0 layer 1",
              "org.apache.logging.log4j:log4j-core@2.14.1 CVE-2021-45046 fixed in 2.16.0 layer 1",
              "com.fasterxml.jackson.core:jackson-databind@2.13.0 CVE-2020-36518 fixed in 2.13.2.1 layer 1",
              "org.apache.commons:commons-text@1.9 CVE-2022-42889 fixed in 1.10.0 layer 1",
              "lodash@4.17.20 CVE-2021-23337 fixed in 4.17.21 layer 1");
      var log4shell = findings.stream().filter(f -> f.finding().vulnId().equals("CVE-2021-44228")).findFirst()
          .orElseThrow().finding();
      assertThat(log4shell.aliases()).contains("GHSA-jfh8-c2jp-5v3q");
      assertThat(log4shell.severity()).isEqualTo("CRITICAL");
      assertThat(store.impact("CVE-2021-44228", T0.minusSeconds(60), 10).imageCount()).isEqualTo(1);
    }
  }

  private static InventoryChange.PackageRow deb(String name, String version, String source, String sourceVersion,
      String diffId) {
    return new InventoryChange.PackageRow("deb", name, version, "amd64", source, sourceVersion, "debian-12", "",
        "pkg:deb/debian/" + name + "@" + version + "?arch=amd64&distro=debian-12", "var/lib/dpkg/status", diffId);
  }

  @Test
  void vulnerabilitiesAreMatchedCountedScoredRematchedAndLocated() throws Exception {
    vulnerabilityScenario(1_000);
  }

  /** The same scenario where every change takes the whole-fleet path (one pass over all images). */
  @Test
  void wholeFleetRecountsAgreeWithIncrementalOnes() throws Exception {
    vulnerabilityScenario(0);
  }

  private void vulnerabilityScenario(int recountAllAbove) throws Exception {
    register("agent-1");
    register("agent-2");
    ImageFacts a = image("a1", "app:1");
    ImageFacts b = image("b2", "base:1");
    String base = a.layerDiffIds().get(0);
    String top = a.layerDiffIds().get(1);
    var aInventory = inventoryOf(a, "fp-a", List.of(deb("libc6", "2.36-9+deb12u1", "glibc", "2.36-9+deb12u1", base),
        deb("libc-bin", "2.36-9+deb12u1", "glibc", "2.36-9+deb12u1", base),
        deb("libcurl4", "7.88.1-10+deb12u3", "curl", "7.88.1-10+deb12u3", top),
        deb("zlib1g", "1:1.2.13.dfsg-1", "zlib", "1:1.2.13.dfsg-1", top)));
    store.ingest(List.of(new IngestBatch("agent-1", Optional.empty(), List.of(new HostChange.ImageUpserted(a),
        new HostChange.ImageUpserted(b), new ContainerUpserted(container("c1", "web", "a1", "running"))),
        List.of(aInventory), 1)), T0);
    store.ingest(List.of(new IngestBatch("agent-2", Optional.empty(), List.of(new HostChange.ImageUpserted(b)),
        List.of(inventoryOf(b, "fp-b", List.of(deb("libc6", "2.36-9+deb12u1", "glibc", "2.36-9+deb12u1",
            b.layerDiffIds().get(0))))), 1)), T0);

    var ranges = io.portolan.vuln.advisory.AffectedState.RANGES;
    writeFeed(List.of(
        cve("CVE-2023-4911", "glibc", "2.36-9+deb12u3", ranges, "high", "DSA-5514-1"),
        cve("CVE-2023-38545", "curl", "7.88.1-10+deb12u4", ranges, "high", "DSA-5523-1"),
        cve("CVE-2023-45853", "zlib", "", io.portolan.vuln.advisory.AffectedState.UNFIXED, "low"),
        cve("CVE-2024-3094", "xz-utils", "", io.portolan.vuln.advisory.AffectedState.NOT_AFFECTED, "")), List.of());

    try (var match = new io.portolan.collector.match.MatchService(store, java.time.Clock.systemUTC(),
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), recountAllAbove)) {
      match.start(Map.of("debian", true)).get();
      match.inventoriesChanged(List.of(a.id(), b.id()));
      match.awaitIdle();

      // (package, vulnerability) pairs: glibc's CVE counts for libc6 and libc-bin alike.
      var va = store.imageVulnerabilities(a.id()).orElseThrow();
      assertThat(List.of(va.critical(), va.high(), va.medium(), va.low(), va.total(), va.fixable()))
          .containsExactly(0, 3, 0, 1, 4, 3);
      assertThat(va.highPriority()).isTrue();
      var vb = store.imageVulnerabilities(b.id()).orElseThrow();
      assertThat(List.of(vb.high(), vb.total())).containsExactly(1, 1);

      // Risk: 3 fixable Highs (5 each) + an unfixable Low (0.5 / 2), doubled for the running container.
      ImageSummary listedA = onlyImage(a.id());
      assertThat(listedA.vulnerabilities().riskScore()).isEqualTo(2 * (3 * 5 + 0.25));
      assertThat(onlyImage(b.id()).vulnerabilities().riskScore()).isEqualTo(5.0);
      assertThat(imageIds(new ImageQuery(Optional.empty(), Optional.empty(), Optional.empty(), false,
          ImageSort.RISK, Direction.DESC, PageRequest.FIRST))).startsWith(a.id(), b.id());
      // Both images' worst finding is High; one container runs on two online hosts.
      assertThat(store.overview(T0.minusSeconds(60)))
          .isEqualTo(new Queries.FleetOverview(2, 0, 2, 0, 2, 0, 0, 0, 0, 0, 1, 1));
      assertThat(store.repositories(new RepositoryQuery(Optional.empty(), PageRequest.FIRST)).items())
          .extracting(RepositorySummary::repository, RepositorySummary::worstRank)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("app", 4), org.assertj.core.groups.Tuple.tuple("base", 4));
      var highPriority = new ImageQuery.Filters(Queries.SeverityFilter.HIGH, true, true, Queries.Assessment.ASSESSED,
          Optional.of("debian-12"));
      assertThat(imageIds(new ImageQuery(Optional.empty(), Optional.empty(), Optional.empty(), false, ImageSort.ID,
          Direction.ASC, PageRequest.FIRST, highPriority))).contains(a.id(), b.id());
      assertThat(imageIds(new ImageQuery(Optional.empty(), Optional.empty(), Optional.empty(), false, ImageSort.ID,
          Direction.ASC, PageRequest.FIRST, new ImageQuery.Filters(Queries.SeverityFilter.CRITICAL, false, false,
              Queries.Assessment.ANY, Optional.empty())))).isEmpty();

      var findings = store.imageFindings(a.id());
      assertThat(findings).extracting(f -> f.packageName() + " " + f.finding().vulnId() + " " + f.layerIndex())
          .containsExactlyInAnyOrder("libc-bin CVE-2023-4911 0", "libc6 CVE-2023-4911 0",
              "libcurl4 CVE-2023-38545 1", "zlib1g CVE-2023-45853 1");
      var glibc = findings.stream().filter(f -> f.packageName().equals("libc6")).findFirst().orElseThrow().finding();
      assertThat(glibc.fixedVersion()).isEqualTo("2.36-9+deb12u3");
      assertThat(glibc.severity()).isEqualTo("HIGH");
      assertThat(glibc.severitySource()).isEqualTo("debian");
      assertThat(glibc.aliases()).isEqualTo("DSA-5514-1");
      assertThat(glibc.cvssScore()).isEqualTo(9.8);

      var impact = store.impact("CVE-2023-4911", T0.minusSeconds(60), 100);
      assertThat(List.of(impact.imageCount(), impact.hostCount(), impact.runningContainerCount()))
          .containsExactly(2, 2, 1);
      assertThat(store.impact("CVE-2023-4911", T0.minusSeconds(60), 1).images()).hasSize(1);
      assertThat(impact.images()).extracting(VulnerabilityStore.AffectedImage::imageId)
          .containsExactlyInAnyOrder(a.id(), b.id());
      assertThat(impact.images()).extracting(VulnerabilityStore.AffectedImage::repoTags)
          .containsExactlyInAnyOrder(List.of("app:1"), List.of("base:1"));
      assertThat(impact.hosts()).extracting(VulnerabilityStore.AffectedHost::hostId)
          .containsExactlyInAnyOrder("agent-1", "agent-2");
      assertThat(impact.containers()).extracting(VulnerabilityStore.AffectedContainer::name).containsExactly("web");
      assertThat(store.resolveVulnerabilityId("dsa-5514-1")).contains("CVE-2023-4911");
      // The fleet's memberships are cached between questions: a container that stops and an image
      // that leaves a host show in the very next answer.
      store.ingest(List.of(new IngestBatch("agent-1", Optional.empty(),
          List.of(new ContainerUpserted(container("c1", "web", "a1", "exited"))), List.of(), 2),
          new IngestBatch("agent-2", Optional.empty(), List.of(new HostChange.ImageRemoved(b.id())), List.of(), 2)),
          T0.plusSeconds(1));
      var after = store.impact("CVE-2023-4911", T0.minusSeconds(60), 100);
      assertThat(List.of(after.imageCount(), after.hostCount(), after.runningContainerCount()))
          .containsExactly(2, 1, 0);
      assertThat(after.hosts()).extracting(VulnerabilityStore.AffectedHost::hostId).containsExactly("agent-1");
      assertThat(after.images()).extracting(VulnerabilityStore.AffectedImage::hostCount).containsExactly(1, 1);
      assertThat(after.containers()).isEmpty();
      store.ingest(List.of(new IngestBatch("agent-1", Optional.empty(),
          List.of(new ContainerUpserted(container("c1", "web", "a1", "running"))), List.of(), 3),
          new IngestBatch("agent-2", Optional.empty(), List.of(new HostChange.ImageUpserted(b)), List.of(), 3)),
          T0.plusSeconds(2));
      assertThat(store.impact("CVE-2023-4911", T0.minusSeconds(60), 100).hostCount()).isEqualTo(2);
      assertThat(store.searchVulnerabilityIds("CVE-2023-4", 10)).contains("CVE-2023-4911", "CVE-2023-45853");

      // The glibc fix moves down to the installed version: only glibc's packages are rematched, both
      // images lose the finding, and each records what disappeared.
      var result = match.feedChanged("debian", true, Map.of("CVE-2023-4911",
          cve("CVE-2023-4911", "glibc", "2.36-9+deb12u1", ranges, "high", "DSA-5514-1")), List.of(),
          "test: glibc fix").get();
      assertThat(result.packagesChanged()).isEqualTo(2);
      assertThat(result.imagesUpdated()).isEqualTo(2);
      assertThat(store.imageVulnerabilities(a.id()).orElseThrow().total()).isEqualTo(2);
      assertThat(store.imageVulnerabilities(b.id()).orElseThrow().total()).isZero();
      var changes = store.vulnerabilityChanges(Optional.of(a.id()), PageRequest.FIRST).items();
      assertThat(changes).hasSize(1);
      assertThat(changes.get(0).disappeared()).isEqualTo(2);
      assertThat(changes.get(0).cause()).isEqualTo("test: glibc fix");
      assertThat(changes.get(0).details()).contains("CVE-2023-4911", "disappeared");

      // A full rematch from scratch agrees with the incremental state.
      match.rematchAll("test: full");
      assertThat(store.imageVulnerabilities(a.id()).orElseThrow().total()).isEqualTo(2);
      assertThat(store.imageVulnerabilities(b.id()).orElseThrow().riskBase()).isZero();
      // Image b is inventoried again, now with zlib too: counts follow, on either path.
      store.ingest(List.of(new IngestBatch("agent-2", Optional.empty(), List.of(),
          List.of(inventoryOf(b, "fp-b2", List.of(deb("libc6", "2.36-9+deb12u1", "glibc", "2.36-9+deb12u1",
              b.layerDiffIds().get(0)), deb("zlib1g", "1:1.2.13.dfsg-1", "zlib", "1:1.2.13.dfsg-1",
              b.layerDiffIds().get(0))))), 2)), at(30));
      match.inventoriesChanged(List.of(b.id()));
      match.awaitIdle();
      assertThat(store.imageVulnerabilities(b.id()).orElseThrow().total()).isEqualTo(1);
      match.feedChanged("debian", true, Map.of("CVE-2023-45853",
          cve("CVE-2023-45853", "zlib", "", io.portolan.vuln.advisory.AffectedState.UNFIXED, "high")), List.of(),
          "test: zlib rated high").get();
      assertThat(store.imageVulnerabilities(b.id()).orElseThrow().high()).isEqualTo(1);
      assertThat(store.imageVulnerabilities(a.id()).orElseThrow().high()).isEqualTo(2);
      // A removed advisory takes its findings with it.
      match.feedChanged("debian", true, Map.of(), List.of("CVE-2023-38545"), "test: removal").get();
      assertThat(store.imageFindings(a.id())).extracting(f -> f.finding().vulnId()).containsExactly("CVE-2023-45853");
    }
  }

  // ---- schedules

  private static ScheduleStore.ScheduleDefinition scheduleDef(String name, boolean enabled) {
    return new ScheduleStore.ScheduleDefinition(name, enabled, "HOSTS", List.of("host-1", "host two"),
        List.of("vulnerabilities"), true,
        new ScheduleStore.RecurrenceColumns("WEEKLY", Optional.of(java.time.LocalTime.of(2, 30)), Optional.empty(),
            Optional.empty(), List.of(java.time.DayOfWeek.MONDAY, java.time.DayOfWeek.FRIDAY), Optional.empty()),
        "Europe/Berlin", Optional.of(new ScheduleStore.WindowColumns(java.time.LocalTime.of(22, 0),
            java.time.LocalTime.of(4, 0), "PAUSE")));
  }

  /** A firing that starts job {@code job} and moves the next run a day on. */
  private static ScheduleStore.Fired started(ScheduleStore.StoredSchedule s, String job, Instant at) {
    var st = s.state();
    return new ScheduleStore.Fired(new ScheduleStore.RunState(st.nextRunAt().map(t -> t.plusSeconds(86_400)),
        Optional.of(at.plusSeconds(3_600)), false, Optional.of(job), Optional.of(at), Optional.of("SUBMITTED"),
        "late", Optional.of(at)), List.of(new ScheduleStore.NewEvent(at, "SUBMITTED", Optional.of(job), "")));
  }

  @Test
  void schedulesAreStoredListedUpdatedAndDeleted() {
    var def = scheduleDef("nightly", true);
    store.createSchedule("s1", def, Optional.of(at(100)), T0);
    store.createSchedule("s0", scheduleDef("another", false), Optional.empty(), T0);
    var s = store.schedule("s1").orElseThrow();
    assertThat(s.definition()).isEqualTo(def);
    assertThat(s.state()).isEqualTo(ScheduleStore.RunState.initial(Optional.of(at(100))));
    assertThat(s.created()).isEqualTo(T0);
    assertThat(store.schedules(PageRequest.FIRST).items()).extracting(ScheduleStore.StoredSchedule::id)
        .containsExactly("s0", "s1");
    assertThat(store.schedules(new PageRequest(2, 1)).items()).extracting(ScheduleStore.StoredSchedule::id)
        .containsExactly("s1");
    assertThat(store.schedules(new PageRequest(2, 1)).total()).isEqualTo(2);
    assertThat(store.schedule("nope")).isEmpty();

    assertThatThrownBy(() -> store.createSchedule("s2", scheduleDef("nightly", true), Optional.empty(), T0))
        .isInstanceOf(ScheduleStore.NameTaken.class).hasMessage("a schedule named 'nightly' already exists");
    assertThatThrownBy(() -> store.updateSchedule("s0", scheduleDef("nightly", true), Optional.empty(), T0))
        .isInstanceOf(ScheduleStore.NameTaken.class);

    var cron = new ScheduleStore.ScheduleDefinition("nightly", true, "ALL_IMAGES", List.of(), List.of("vulnerabilities"),
        false, new ScheduleStore.RecurrenceColumns("CRON", Optional.empty(), Optional.empty(), Optional.empty(),
            List.of(), Optional.of("0 3 * * 1-5")), "UTC", Optional.empty());
    assertThat(store.updateSchedule("s1", cron, Optional.of(at(200)), at(5))).isTrue();
    s = store.schedule("s1").orElseThrow();
    assertThat(s.definition()).isEqualTo(cron);
    assertThat(s.state().nextRunAt()).contains(at(200));
    assertThat(s.updated()).isEqualTo(at(5));
    assertThat(s.created()).isEqualTo(T0);
    var every = new ScheduleStore.ScheduleDefinition("every", true, "IMAGES", List.of("sha256:aa"),
        List.of("vulnerabilities"), false, new ScheduleStore.RecurrenceColumns("EVERY_DAYS",
            Optional.of(java.time.LocalTime.of(23, 59)), Optional.of(15), Optional.of(java.time.LocalDate.of(2024, 2, 29)),
            List.of(), Optional.empty()), "America/New_York", Optional.empty());
    assertThat(store.updateSchedule("s0", every, Optional.empty(), at(6))).isTrue();
    assertThat(store.schedule("s0").orElseThrow().definition()).isEqualTo(every);
    assertThat(store.updateSchedule("nope", cron, Optional.empty(), at(5))).isFalse();

    assertThat(store.deleteSchedule("s1")).isTrue();
    assertThat(store.deleteSchedule("s1")).isFalse();
    assertThat(store.schedule("s1")).isEmpty();
  }

  @Test
  void aDueScheduleIsClaimedOnceAndItsStateAndEventsWritten() {
    store.createSchedule("due", scheduleDef("due", true), Optional.of(at(10)), T0);
    store.createSchedule("later", scheduleDef("later", true), Optional.of(at(1_000)), T0);
    store.createSchedule("off", scheduleDef("off", false), Optional.of(at(5)), T0);
    assertThat(store.nextScheduleWake()).contains(at(10));
    assertThat(store.fireDueSchedule(at(9), "c1", s -> { throw new AssertionError("nothing is due"); })).isFalse();

    List<String> seen = new ArrayList<>();
    assertThat(store.fireDueSchedule(at(10), "c1", s -> {
      seen.add(s.id());
      return started(s, "job-1", at(10));
    })).isTrue();
    assertThat(seen).containsExactly("due");
    assertThat(store.fireDueSchedule(at(10), "c1", s -> { throw new AssertionError("already fired"); })).isFalse();
    var st = store.schedule("due").orElseThrow().state();
    assertThat(st.nextRunAt()).contains(at(10 + 86_400));
    assertThat(st.windowDueAt()).contains(at(10 + 3_600));
    assertThat(st.lastJobId()).contains("job-1");
    assertThat(st.lastOutcome()).contains("SUBMITTED");
    assertThat(st.lastDetail()).isEqualTo("late");
    assertThat(store.nextScheduleWake()).contains(at(1_000));

    // The window decision is due on its own, even for a schedule that is disabled meanwhile.
    store.updateSchedule("due", scheduleDef("due", false), Optional.of(at(10 + 86_400)), at(11));
    var after = store.schedule("due").orElseThrow().state();
    assertThat(after.windowDueAt()).contains(at(11));
    assertThat(after.lastJobId()).contains("job-1");
    assertThat(store.fireDueSchedule(at(12), "c2", s -> new ScheduleStore.Fired(
        new ScheduleStore.RunState(s.state().nextRunAt(), Optional.empty(), true, s.state().lastJobId(),
            s.state().lastStartedAt(), Optional.of("PAUSED"), "", Optional.of(at(12))),
        List.of(new ScheduleStore.NewEvent(at(12), "PAUSED", s.state().lastJobId(), "window ended"))))).isTrue();
    var events = store.scheduleEvents("due", PageRequest.FIRST);
    assertThat(events.total()).isEqualTo(2);
    assertThat(events.items()).extracting(ScheduleStore.ScheduleEvent::seq).containsExactly(2L, 1L);
    assertThat(events.items().get(0)).isEqualTo(new ScheduleStore.ScheduleEvent("due", 2, at(12), "PAUSED",
        Optional.of("job-1"), "window ended", "c2"));
    assertThat(events.items().get(1).collectorId()).isEqualTo("c1");
    assertThat(store.schedule("due").orElseThrow().state().jobPaused()).isTrue();
  }

  @Test
  void aScheduleHeldByOneClaimIsSkippedByAnotherWhichTakesTheNextDueOne() throws Exception {
    store.createSchedule("a", scheduleDef("a", true), Optional.of(at(1)), T0);
    store.createSchedule("b", scheduleDef("b", true), Optional.of(at(2)), T0);
    var holding = new java.util.concurrent.CountDownLatch(1);
    var release = new java.util.concurrent.CountDownLatch(1);
    var fired = java.util.Collections.synchronizedList(new ArrayList<String>());
    var first = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      var slow = first.submit(() -> store.fireDueSchedule(at(10), "c1", s -> {
        fired.add("c1:" + s.id());
        holding.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        return started(s, "job-a", at(10));
      }));
      assertThat(holding.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      // Another collector, meanwhile: "a" is locked, so it takes "b"; then nothing is left for it.
      assertThat(store.fireDueSchedule(at(10), "c2", s -> {
        fired.add("c2:" + s.id());
        return started(s, "job-b", at(10));
      })).isTrue();
      assertThat(store.fireDueSchedule(at(10), "c2", s -> {
        fired.add("c2 again:" + s.id());
        return started(s, "job-x", at(10));
      })).isFalse();
      release.countDown();
      assertThat(slow.get(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    } finally {
      release.countDown();
      first.shutdownNow();
    }
    assertThat(fired).containsExactly("c1:a", "c2:b");
    // Once "a" is released its slot has moved on: nobody fires it again.
    assertThat(store.fireDueSchedule(at(10), "c2", s -> { throw new AssertionError("fired twice: " + s.id()); }))
        .isFalse();
    assertThat(store.schedule("a").orElseThrow().state().lastJobId()).contains("job-a");
  }

  @Test
  void aFiringThatFailsLeavesTheScheduleAsItWas() {
    store.createSchedule("s", scheduleDef("s", true), Optional.of(at(1)), T0);
    assertThatThrownBy(() -> store.fireDueSchedule(at(10), "c1", s -> { throw new IllegalStateException("boom"); }))
        .hasMessage("boom");
    assertThat(store.schedule("s").orElseThrow().state()).isEqualTo(ScheduleStore.RunState.initial(Optional.of(at(1))));
    assertThat(store.scheduleEvents("s", PageRequest.FIRST).total()).isZero();
  }

  @Test
  void scheduleEventsAreTrimmedToTheNewest() {
    store.createSchedule("s", scheduleDef("s", true), Optional.of(at(0)), T0);
    for (int i = 0; i < 210; i++) {
      int n = i;
      assertThat(store.fireDueSchedule(at(n), "c1", s -> new ScheduleStore.Fired(
          new ScheduleStore.RunState(Optional.of(at(n + 1)), Optional.empty(), false, Optional.empty(),
              Optional.empty(), Optional.of("SKIPPED"), "", Optional.of(at(n))),
          List.of(new ScheduleStore.NewEvent(at(n), "SKIPPED", Optional.empty(), "#" + n))))).isTrue();
    }
    var page = store.scheduleEvents("s", new PageRequest(1, 500));
    assertThat(page.total()).isEqualTo(200);
    assertThat(page.items().get(0).detail()).isEqualTo("#209");
    assertThat(page.items().get(199).detail()).isEqualTo("#10");
  }

  @Test
  void checkAnswers() {
    store.check();
  }
}
