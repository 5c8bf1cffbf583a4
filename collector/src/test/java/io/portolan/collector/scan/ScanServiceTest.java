package io.portolan.collector.scan;

import static io.portolan.collector.store.Fixtures.host;
import static io.portolan.collector.store.Fixtures.image;
import static io.portolan.collector.store.Fixtures.imageId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.collector.ingest.AgentEvents;
import io.portolan.collector.store.HostChange;
import io.portolan.collector.store.IngestBatch;
import io.portolan.collector.store.InventoryChange;
import io.portolan.collector.store.PageRequest;
import io.portolan.collector.store.ScanStore.AgentResult;
import io.portolan.collector.store.ScanStore.ItemRow;
import io.portolan.collector.store.Store;
import io.portolan.collector.store.jdbc.DatabaseSettings;
import io.portolan.collector.store.jdbc.JdbcStore;
import io.portolan.proto.agent.v1.Command;
import io.portolan.proto.agent.v1.CommandStatus;
import io.portolan.proto.agent.v1.CommandUpdate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The scan service's decisions, driven tick by tick with a fake clock over an in-memory database:
 * placement, waiting for offline hosts, results, cancel, pause, hosts lost mid-scan, reconnects,
 * timeouts, expiry, auto-assess pacing, and two collectors sharing the database.
 */
class ScanServiceTest {
  static final Instant T0 = Instant.parse("2025-06-01T10:00:00Z");
  static final String A = imageId("a1");
  static final String B = imageId("b2");
  static final String C = imageId("c3");

  /** A clock the test moves. */
  static final class FakeClock extends Clock {
    volatile Instant now = T0;

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }
  }

  /** The agent streams of one collector: records what is sent, runs "after matching" at once. */
  static final class FakeLink implements AgentLink {
    final Set<String> connected = ConcurrentHashMap.newKeySet();
    final List<Map.Entry<String, Command>> sent = new CopyOnWriteArrayList<>();

    @Override
    public boolean send(String agentId, Command command) {
      if (!connected.contains(agentId)) return false;
      sent.add(Map.entry(agentId, command));
      return true;
    }

    @Override
    public Set<String> connectedAgents() {
      return Set.copyOf(connected);
    }

    @Override
    public void afterMatching(Runnable task) {
      task.run();
    }

    @Override
    public boolean matchPending(String imageId) {
      return false;
    }

    List<Command> to(String agent) {
      return sent.stream().filter(e -> e.getKey().equals(agent)).map(Map.Entry::getValue).toList();
    }

    Command lastScan(String agent) {
      List<Command> scans = to(agent).stream().filter(Command::hasScanImages).toList();
      return scans.get(scans.size() - 1);
    }
  }

  final FakeClock clock = new FakeClock();
  final FakeLink link = new FakeLink();
  Store store;
  ScanService scans;
  AgentEvents events;

  @BeforeEach
  void open() {
    store = JdbcStore.open(new DatabaseSettings("jdbc:h2:mem:scan-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa",
        "", 4));
    scans = service("collector-1", link);
    events = scans.agentEvents();
  }

  ScanService service(String id, AgentLink l) {
    return new ScanService(store, l, clock, ScanService.Settings.defaults(Duration.ofSeconds(60)), id);
  }

  @AfterEach
  void close() {
    scans.close();
    store.close();
  }

  /** A host whose agent is connected to {@code l} and heard from now. */
  void agent(String id, FakeLink l, String... imagePrefixes) {
    store.registerHost(id, "0.1.0", host(id + "-name"), clock.instant());
    List<HostChange> changes = new ArrayList<>();
    for (String p : imagePrefixes) changes.add(new HostChange.ImageUpserted(image(p, "repo-" + p + ":1")));
    store.apply(id, changes, 1, clock.instant());
    l.connected.add(id);
  }

  void seen(String... hosts) {
    store.touchHosts(List.of(hosts), clock.instant());
  }

  String submit(ScanScope scope) {
    return scans.submit(new ScanRequest(ScanTrigger.API, scope, Set.of(ScanCategory.VULNERABILITIES), "alice", false,
        Optional.empty()));
  }

  Map<String, ItemRow> items(String job) {
    Map<String, ItemRow> out = new java.util.TreeMap<>();
    store.jobItems(job, Optional.empty(), new PageRequest(1, 500)).items().forEach(i -> out.put(i.imageId(), i));
    return out;
  }

  /** The agent reports an image done, with its (complete) inventory, in one commit. */
  void done(String agent, String request, String image) {
    var os = new InventoryChange.Os("debian", "Debian", "12", "bookworm", "Debian 12", Optional.empty());
    var inv = new InventoryChange.ImageInventoried(image, "fp", Optional.of(os), List.of(),
        List.of(new InventoryChange.LayerChangeRow(0, "sha256:" + "1".repeat(64), 0, 0, 0)), List.of());
    List<AgentResult> results = List.of(new AgentResult(request, image, "DONE", ""));
    store.ingest(List.of(new IngestBatch(agent, Optional.empty(), List.of(), List.of(inv), results, 0)),
        clock.instant());
    events.scanResults(results);
  }

  void running(String request, String image, int percent) {
    events.commandUpdate("agent", CommandUpdate.newBuilder().setRequestId(request).setImageId(image)
        .setStatus(CommandStatus.COMMAND_STATUS_RUNNING).setProgressPercent(percent).build());
  }

  @Test
  void anImageOnTwoHostsIsScannedOnceOnTheLeastBusyOnlineOneAndAnOfflineHostIsWaitedFor() {
    agent("h1", link, "a1", "c3");
    agent("h2", link, "a1");
    agent("h3", link, "b2");
    clock.advance(Duration.ofSeconds(120));
    seen("h1", "h2"); // h3 has been silent for two minutes: offline
    String busy = submit(new ScanScope(ScanScope.Kind.IMAGES, List.of(C)));
    scans.tick(); // c3 goes to h1, the only host that has it: h1 is now the busier one
    String job = submit(ScanScope.allImages());
    scans.tick();

    Map<String, ItemRow> items = items(job);
    assertThat(items.get(A).state()).isEqualTo("DISPATCHED");
    assertThat(items.get(A).hostId()).isEqualTo("h2");
    assertThat(items.get(B).state()).isEqualTo("WAITING");
    assertThat(items.get(B).reason()).startsWith("waiting for host h3-name (offline since ").endsWith("to come online");
    assertThat(items.get(C).state()).as("scanned by the other job right now: waits for it").isEqualTo("QUEUED");
    assertThat(store.imageScanStatus(B).orElseThrow().reason()).contains("h3-name");
    Command sent = link.lastScan("h2");
    assertThat(sent.getScanImages().getImageIdsList()).containsExactly(A);
    assertThat(sent.getScanImages().getCategoriesList()).containsExactly("vulnerabilities");
    assertThat(store.job(job).orElseThrow().state()).isEqualTo("RUNNING");

    // h3 comes back: its image is scanned.
    clock.advance(Duration.ofSeconds(5));
    seen("h1", "h2", "h3");
    done("h1", link.lastScan("h1").getRequestId(), C);
    scans.tick();
    assertThat(items(job).get(B).state()).isEqualTo("DISPATCHED");
    assertThat(items(job).get(C).state()).as("after the other job's scan of it ended").isEqualTo("DISPATCHED");
    assertThat(store.job(busy).orElseThrow().items()).containsEntry("SCANNED", 1);
  }

  @Test
  void resultsEndEachImageWithARecordAndTheJobSucceeds() {
    agent("h1", link, "a1", "b2");
    String job = submit(ScanScope.allImages());
    scans.tick();
    Command sent = link.lastScan("h1");
    assertThat(sent.getScanImages().getImageIdsList()).containsExactly(A, B);
    String request = sent.getRequestId();

    running(request, A, 50);
    clock.advance(Duration.ofSeconds(1));
    scans.tick();
    assertThat(items(job).get(A)).satisfies(i -> {
      assertThat(i.state()).isEqualTo("SCANNING");
      assertThat(i.progress()).isEqualTo(50);
    });
    assertThat(store.job(job).orElseThrow().progressSum()).isEqualTo(50);

    done("h1", request, A);
    List<AgentResult> failed = List.of(new AgentResult(request, B, "FAILED", "docker save failed: no such image"));
    store.ingest(List.of(new IngestBatch("h1", Optional.empty(), List.of(), List.of(), failed, 0)), clock.instant());
    events.scanResults(failed);
    clock.advance(Duration.ofSeconds(3));
    scans.tick();
    assertThat(items(job).get(A).state()).isEqualTo("SCANNED");
    assertThat(items(job).get(B).reason()).contains("docker save failed");
    assertThat(store.scanHistory(A, PageRequest.FIRST).items().get(0).durationMillis()).isEqualTo(1_000L);
    scans.tick();
    assertThat(store.job(job).orElseThrow().state()).isEqualTo("FAILED");
    assertThat(store.job(job).orElseThrow().stateReason()).isEqualTo("1 scanned, 1 failed, 0 cancelled");
    assertThat(scans.state(job)).contains(JobState.FAILED);
  }

  @Test
  void cancelEndsTheImagesAtOnceAndTellsTheirAgentsToStop() {
    agent("h1", link, "a1");
    agent("h2", link, "b2");
    link.connected.remove("h2"); // h2 is heard from but its stream is on no collector: b2 stays queued
    String job = submit(ScanScope.allImages());
    scans.tick();
    String request = link.lastScan("h1").getRequestId();
    scans.cancel(job, "cancelled by bob");
    assertThat(store.job(job).orElseThrow().state()).isEqualTo("CANCELLED");
    assertThat(items(job).values()).extracting(ItemRow::state).containsOnly("CANCELLED");
    Command stop = link.to("h1").get(link.to("h1").size() - 1);
    assertThat(stop.hasCancelScan()).isTrue();
    assertThat(stop.getCancelScan().getScanRequestId()).isEqualTo(request);
    assertThat(stop.getCancelScan().getImageIdsList()).containsExactly(A);
    // A result that arrives after the cancel changes nothing.
    done("h1", request, A);
    scans.tick();
    assertThat(items(job).get(A).state()).isEqualTo("CANCELLED");
    assertThat(store.imageScanStatus(A).orElseThrow().status()).isEqualTo("CANCELLED");

    // Cancelling single images of a running job, in whatever job holds them.
    link.connected.add("h2");
    String second = submit(ScanScope.allImages());
    scans.tick();
    assertThat(scans.cancelImages(List.of(B), "cancelled by carol")).hasSize(1);
    assertThat(items(second).get(B).state()).isEqualTo("CANCELLED");
    assertThat(items(second).get(A).state()).isEqualTo("DISPATCHED");
    assertThat(link.to("h2").get(link.to("h2").size() - 1).hasCancelScan()).isTrue();
  }

  @Test
  void aHostLostDuringAScanHandsItsImageToAnotherHostOrFailsIt() {
    agent("h1", link, "a1", "c3");
    agent("h2", link, "a1");
    link.connected.remove("h2");
    String job = submit(ScanScope.allImages());
    scans.tick();
    assertThat(items(job).get(A).hostId()).isEqualTo("h1");
    link.connected.add("h2");
    clock.advance(Duration.ofSeconds(90));
    seen("h2"); // h1 went silent mid-scan
    scans.tick(); // requeued
    scans.tick(); // placed again
    Map<String, ItemRow> items = items(job);
    assertThat(items.get(A).state()).isEqualTo("DISPATCHED");
    assertThat(items.get(A).hostId()).isEqualTo("h2");
    assertThat(items.get(A).attempts()).isEqualTo(2);
    assertThat(items.get(C).state()).isEqualTo("SCAN_EXCEPTION");
    assertThat(items.get(C).reason()).startsWith("the agent on host h1-name went offline during the scan");
  }

  @Test
  void aReconnectingAgentGetsItsWorkAgainUntilTheAttemptsRunOut() {
    agent("h1", link, "a1");
    String job = submit(ScanScope.allImages());
    scans.tick();
    String first = link.lastScan("h1").getRequestId();
    for (int i = 2; i <= 3; i++) {
      clock.advance(Duration.ofSeconds(5));
      seen("h1");
      events.connected("h1"); // the agent restarted and said Hello again
      scans.tick();
      scans.tick();
      assertThat(items(job).get(A).attempts()).isEqualTo(i);
      assertThat(link.lastScan("h1").getRequestId()).isNotEqualTo(first);
    }
    // The old request's late result is ignored; the new one counts.
    done("h1", first, A);
    assertThat(items(job).get(A).state()).isEqualTo("DISPATCHED");
    clock.advance(Duration.ofSeconds(5));
    seen("h1");
    events.connected("h1");
    scans.tick();
    scans.tick();
    assertThat(items(job).get(A).state()).isEqualTo("SCAN_EXCEPTION");
    assertThat(items(job).get(A).reason()).startsWith("gave up after 3 attempts: the agent on host h1-name reconnected");
  }

  @Test
  void scansOnAHostThatMakesNoProgressTimeOutButABusyHostDoesNot() {
    agent("h1", link, "a1", "b2");
    String job = submit(ScanScope.allImages());
    scans.tick();
    String request = link.lastScan("h1").getRequestId();
    for (int minute = 0; minute < 12; minute++) {
      clock.advance(Duration.ofMinutes(1));
      seen("h1");
      running(request, A, 10 + minute); // the agent works on a1; b2 waits behind it in its queue
      scans.tick();
    }
    assertThat(items(job).values()).extracting(ItemRow::state).containsOnly("SCANNING", "DISPATCHED");
    clock.advance(Duration.ofMinutes(11));
    seen("h1"); // heartbeats go on, but nothing moves
    scans.tick();
    assertThat(items(job).values()).extracting(ItemRow::state).containsOnly("SCAN_EXCEPTION");
    assertThat(items(job).get(B).reason()).isEqualTo("timed out: the agent on host h1-name made no progress for 10"
        + " minutes");
  }

  @Test
  void aJobThatWaitsPastItsExpiryExpires() {
    agent("h1", link, "a1");
    clock.advance(Duration.ofMinutes(5)); // h1 offline
    String job = submit(ScanScope.allImages());
    scans.tick();
    assertThat(items(job).get(A).state()).isEqualTo("WAITING");
    clock.advance(Duration.ofHours(25));
    scans.tick();
    assertThat(store.job(job).orElseThrow().state()).isEqualTo("EXPIRED");
    assertThat(items(job).get(A).state()).isEqualTo("SCAN_EXCEPTION");
    assertThat(items(job).get(A).reason()).startsWith("not scanned before the job expired").contains("h1-name");
  }

  @Test
  void pauseStopsTheAgentsAndHoldsTheWorkUntilResume() {
    agent("h1", link, "a1");
    String job = submit(ScanScope.allImages());
    scans.tick();
    String request = link.lastScan("h1").getRequestId();
    scans.pause(job);
    assertThat(scans.state(job)).contains(JobState.PAUSED);
    assertThat(link.to("h1").get(link.to("h1").size() - 1).getCancelScan().getScanRequestId()).isEqualTo(request);
    assertThat(items(job).get(A).state()).isEqualTo("QUEUED");
    scans.tick();
    assertThat(items(job).get(A).state()).as("held while paused").isEqualTo("QUEUED");
    scans.resume(job);
    scans.tick();
    assertThat(items(job).get(A).state()).isEqualTo("DISPATCHED");
    assertThat(link.lastScan("h1").getRequestId()).isNotEqualTo(request);
  }

  @Test
  void anAgentThatRefusesScansFailsItsImages() {
    agent("h1", link, "a1");
    String job = submit(ScanScope.allImages());
    scans.tick();
    events.commandUpdate("h1", CommandUpdate.newBuilder().setRequestId(link.lastScan("h1").getRequestId())
        .setStatus(CommandStatus.COMMAND_STATUS_REJECTED).setMessage("command not supported by agent 0.0.9").build());
    scans.tick();
    assertThat(items(job).get(A).state()).isEqualTo("SCAN_EXCEPTION");
    assertThat(items(job).get(A).reason()).contains("refused the scan: command not supported by agent 0.0.9");
  }

  @Test
  void unsupportedCategoriesAndEmptyScopesAreHandled() {
    assertThatThrownBy(() -> scans.submit(new ScanRequest(ScanTrigger.API, ScanScope.allImages(),
        Set.of(ScanCategory.MALWARE), "alice", false, Optional.empty())))
        .hasMessage("scan category 'malware' is not supported by this collector; supported: vulnerabilities");
    String job = submit(ScanScope.allImages());
    assertThat(scans.state(job)).contains(JobState.SUCCEEDED);
    assertThat(scans.state("nope")).isEmpty();
  }

  @Test
  void autoAssessScansNewImagesAtTheHostsPace() {
    agent("h1", link, "a1");
    scans.autoAssess(new AutoAssess(true, 2, 2));
    scans.tick();
    assertThat(store.jobs(new io.portolan.collector.store.ScanStore.JobQuery(Optional.empty(), Optional.empty(),
        Optional.empty(), PageRequest.FIRST)).total()).as("images already there are not new").isZero();

    clock.advance(Duration.ofSeconds(3));
    List<HostChange> pulled = new ArrayList<>();
    for (int i = 0; i < 6; i++) pulled.add(new HostChange.ImageUpserted(image("e" + i, "pulled:" + i)));
    store.apply("h1", pulled, 2, clock.instant());
    clock.advance(Duration.ofSeconds(3));
    seen("h1");
    scans.tick();
    var job = store.jobs(new io.portolan.collector.store.ScanStore.JobQuery(Optional.empty(),
        Optional.of("AUTO_ASSESS"), Optional.empty(), PageRequest.FIRST)).items();
    assertThat(job).singleElement().satisfies(j -> {
      assertThat(j.imageCount()).isEqualTo(6);
      assertThat(j.requestedBy()).isEqualTo("auto-assess");
    });
    String id = job.get(0).id();
    scans.tick();
    assertThat(link.lastScan("h1").getScanImages().getImageIdsCount()).isEqualTo(2);
    // Both done: two more would fit, but the host's two a minute are spent.
    Command first = link.lastScan("h1");
    first.getScanImages().getImageIdsList().forEach(img -> done("h1", first.getRequestId(), img));
    clock.advance(Duration.ofSeconds(5));
    seen("h1");
    scans.tick();
    assertThat(store.job(id).orElseThrow().items()).containsEntry("SCANNED", 2).containsEntry("QUEUED", 4);
    clock.advance(Duration.ofSeconds(30));
    seen("h1");
    scans.tick();
    assertThat(store.job(id).orElseThrow().items()).containsEntry("DISPATCHED", 1).containsEntry("QUEUED", 3);
    // Later images are a new job, not a repeat of these.
    scans.tick();
    assertThat(store.jobs(new io.portolan.collector.store.ScanStore.JobQuery(Optional.empty(),
        Optional.of("AUTO_ASSESS"), Optional.empty(), PageRequest.FIRST)).total()).isEqualTo(1);
  }

  @Test
  void aCommandForAnAgentOnAnotherCollectorGoesThroughTheDatabaseAndALostOwnerIsReplaced() {
    FakeLink otherLink = new FakeLink();
    ScanService other = service("collector-2", otherLink);
    try {
      agent("h1", otherLink, "a1");
      AgentEvents otherEvents = other.agentEvents();
      otherEvents.connected("h1");
      other.tick(); // records that collector-2 holds h1's stream
      String job = submit(ScanScope.allImages()); // on collector-1, which owns the job
      scans.tick();
      assertThat(link.sent).isEmpty();
      assertThat(items(job).get(A).state()).isEqualTo("DISPATCHED");
      other.tick();
      assertThat(otherLink.lastScan("h1").getScanImages().getImageIdsList()).containsExactly(A);

      // collector-1 dies: after its lease, collector-2 takes the job over and finishes it.
      String request = otherLink.lastScan("h1").getRequestId();
      ScanService survivor = other;
      events = otherEvents;
      done("h1", request, A);
      clock.advance(Duration.ofSeconds(25));
      seen("h1");
      survivor.tick();
      survivor.tick();
      assertThat(store.job(job).orElseThrow().owner()).isEqualTo("collector-2");
      assertThat(store.job(job).orElseThrow().state()).isEqualTo("SUCCEEDED");
    } finally {
      other.close();
    }
  }
}
