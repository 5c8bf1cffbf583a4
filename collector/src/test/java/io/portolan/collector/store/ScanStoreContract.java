package io.portolan.collector.store;

import static io.portolan.collector.store.Fixtures.T0;
import static io.portolan.collector.store.Fixtures.at;
import static io.portolan.collector.store.Fixtures.host;
import static io.portolan.collector.store.Fixtures.image;
import static org.assertj.core.api.Assertions.assertThat;

import io.portolan.collector.store.Queries.Direction;
import io.portolan.collector.store.Queries.ImageQuery;
import io.portolan.collector.store.Queries.ImageSort;
import io.portolan.collector.store.Queries.ScanStatusFilter;
import io.portolan.collector.store.ScanStore.AgentResult;
import io.portolan.collector.store.ScanStore.Dispatch;
import io.portolan.collector.store.ScanStore.InFlight;
import io.portolan.collector.store.ScanStore.ItemNote;
import io.portolan.collector.store.ScanStore.JobQuery;
import io.portolan.collector.store.ScanStore.JobRow;
import io.portolan.collector.store.ScanStore.NewJob;
import io.portolan.collector.store.ScanStore.Progress;
import io.portolan.collector.store.ScanStore.QueuedCommand;
import io.portolan.collector.store.ScanStore.RequestImage;
import io.portolan.collector.store.ScanStore.ScanRecord;
import io.portolan.collector.store.VulnerabilityStore.ImageVulnerabilities;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The scan part of the store contract, mixed into {@link StoreContract} so every backend runs it:
 * jobs and items through every transition, records with counts before and after, leases that pass
 * to another collector, agent sessions and queued commands, settings.
 */
interface ScanStoreContract {

  /** The store under test, fresh and empty for each test. */
  Store scanStore();

  String A = Fixtures.imageId("a1");
  String B = Fixtures.imageId("b2");
  String C = Fixtures.imageId("c3");

  /** Two hosts: a1 on both, b2 on host-1 only, c3 on host-2 only; host-2 silent since T0. */
  private void fleet(Store s) {
    s.registerHost("host-1", "0.1.0", host("one"), T0);
    s.registerHost("host-2", "0.1.0", host("two"), T0);
    s.apply("host-1", List.of(new HostChange.ImageUpserted(image("a1", "app:1")),
        new HostChange.ImageUpserted(image("b2", "web:2"))), 1, T0);
    s.apply("host-2", List.of(new HostChange.ImageUpserted(image("a1", "app:1")),
        new HostChange.ImageUpserted(image("c3", "db:3"))), 1, T0);
    s.touchHosts(List.of("host-1"), at(100));
  }

  private static NewJob job(String id, Instant created, String owner) {
    return new NewJob(id, "API", "ALL_IMAGES", List.of(), List.of("vulnerabilities"), "alice", false,
        Optional.empty(), created, created.plusSeconds(3600), owner, created.plusSeconds(30));
  }

  private static ImageVulnerabilities counts(String image, int critical, int high, int total) {
    return new ImageVulnerabilities(image, critical, high, 0, 0, 0, 0, total, 0, 0, 1.0, 5, T0);
  }

  private static InventoryChange.ImageInventoried inventory(String imageId, List<String> errors) {
    var os = new InventoryChange.Os("debian", "Debian GNU/Linux", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)",
        Optional.empty());
    return new InventoryChange.ImageInventoried(imageId, "fp", Optional.of(os), List.of(),
        List.of(new InventoryChange.LayerChangeRow(0, "sha256:" + "1".repeat(64), 0, 0, 0)), errors);
  }

  private static ImageQuery withScanStatus(ScanStatusFilter status) {
    return new ImageQuery(Optional.empty(), Optional.empty(), Optional.empty(), false, ImageSort.ID, Direction.ASC,
        PageRequest.FIRST, new ImageQuery.Filters(Queries.SeverityFilter.ANY, false, false, Queries.Assessment.ANY,
            Optional.empty(), status));
  }

  private static List<String> ids(Page<Queries.ImageSummary> page) {
    return page.items().stream().map(Queries.ImageSummary::id).toList();
  }

  @Test
  default void scopesResolveToPresentImages() {
    Store s = scanStore();
    fleet(s);
    assertThat(s.scopeImages("ALL_IMAGES", List.of())).containsExactly(A, B, C);
    assertThat(s.scopeImages("IMAGES", List.of(B, Fixtures.imageId("ff")))).containsExactly(B);
    assertThat(s.scopeImages("HOSTS", List.of("host-2"))).containsExactly(A, C);
    assertThat(s.scopeImages("REPOSITORIES", List.of("web", "nothing"))).containsExactly(B);
  }

  @Test
  default void aJobGoesFromQueuedToScannedWithARecordOfItsCountsBeforeAndAfter() {
    Store s = scanStore();
    fleet(s);
    s.createJob(job("job-1", at(10), "collector-a"), List.of(A, B, C));
    JobRow created = s.job("job-1").orElseThrow();
    assertThat(created.state()).isEqualTo("QUEUED");
    assertThat(created.imageCount()).isEqualTo(3);
    assertThat(created.items()).containsEntry("QUEUED", 3);
    assertThat(created.categories()).containsExactly("vulnerabilities");
    assertThat(created.scheduleId()).isEmpty();
    assertThat(s.imageScanStatus(A).orElseThrow()).satisfies(st -> {
      assertThat(st.status()).isEqualTo("SCANNING");
      assertThat(st.phase()).isEqualTo("QUEUED");
    });
    assertThat(ids(s.images(withScanStatus(ScanStatusFilter.SCANNING)))).containsExactly(A, B, C);
    assertThat(ids(s.images(withScanStatus(ScanStatusFilter.NOT_SCANNED)))).isEmpty();

    // Pending work names every host of each image with its last message.
    var pending = s.pendingItems("job-1", 100);
    assertThat(pending).extracting(ScanStore.PendingItem::imageId).containsExactly(A, B, C);
    assertThat(pending.get(0).hosts()).extracting(ScanStore.Candidate::hostId)
        .containsExactlyInAnyOrder("host-1", "host-2");
    assertThat(pending.get(0).hosts()).filteredOn(h -> h.hostId().equals("host-1")).singleElement()
        .satisfies(h -> assertThat(h.lastSeen()).isEqualTo(at(100)));

    s.writeImageVulnerabilities(List.of(counts(A, 2, 3, 9)), List.of());
    s.markDispatched(List.of(new Dispatch("job-1", A, "host-1", "req-1"), new Dispatch("job-1", B, "host-1", "req-1")),
        at(20));
    s.markWaiting(List.of(new ItemNote("job-1", C, "waiting for host two (offline)")), at(20));
    assertThat(s.hostLoad()).containsExactly(Map.entry("host-1", 2));
    assertThat(s.job("job-1").orElseThrow().items()).containsEntry("DISPATCHED", 2).containsEntry("WAITING", 1);
    assertThat(s.imageScanStatus(C).orElseThrow().reason()).isEqualTo("waiting for host two (offline)");
    assertThat(s.pendingItems("job-1", 100)).extracting(ScanStore.PendingItem::imageId).containsExactly(C);

    s.recordProgress(List.of(new Progress("req-1", A, 40), new Progress("req-old", B, 70)), at(25));
    assertThat(s.imageScanStatus(A).orElseThrow()).satisfies(st -> {
      assertThat(st.phase()).isEqualTo("RUNNING");
      assertThat(st.progress()).isEqualTo(40);
    });
    assertThat(s.jobItems("job-1", Optional.of("SCANNING"), PageRequest.FIRST).items()).singleElement()
        .satisfies(i -> {
          assertThat(i.imageId()).isEqualTo(A);
          assertThat(i.progress()).isEqualTo(40);
          assertThat(i.hostName()).isEqualTo("one");
          assertThat(i.repoTags()).containsExactly("app:1");
        });

    // The agent's results arrive with its inventory, in the same commit; a result of a request
    // the item no longer belongs to changes nothing.
    s.ingest(List.of(new IngestBatch("host-1", Optional.empty(), List.of(), List.of(inventory(A, List.of())),
        List.of(new AgentResult("req-1", A, "DONE", ""), new AgentResult("req-1", B, "FAILED", "layer unreadable"),
            new AgentResult("req-stale", C, "DONE", "")), 2)), at(30));
    assertThat(s.job("job-1").orElseThrow().items()).containsEntry("COMPLETING", 1)
        .containsEntry("SCAN_EXCEPTION", 1).containsEntry("WAITING", 1);
    assertThat(s.imageScanStatus(B).orElseThrow()).satisfies(st -> {
      assertThat(st.status()).isEqualTo("SCAN_EXCEPTION");
      assertThat(st.reason()).isEqualTo("the agent on host one could not scan the image: layer unreadable");
    });

    s.writeImageVulnerabilities(List.of(counts(A, 1, 3, 7)), List.of());
    assertThat(s.finishCompleted(List.of(new RequestImage("req-1", A)), Optional.empty(), at(31))).isEqualTo(1);
    assertThat(s.finishCompleted(List.of(new RequestImage("req-1", A)), Optional.empty(), at(32))).isZero();
    assertThat(s.imageScanStatus(A).orElseThrow()).satisfies(st -> {
      assertThat(st.status()).isEqualTo("SCANNED");
      assertThat(st.lastScannedAt()).isEqualTo(at(30));
    });
    ScanRecord record = s.scanHistory(A, PageRequest.FIRST).items().get(0);
    assertThat(record.outcome()).isEqualTo("SCANNED");
    assertThat(record.hostId()).isEqualTo("host-1");
    assertThat(record.hostName()).isEqualTo("one");
    assertThat(record.trigger()).isEqualTo("API");
    // From the dispatch to the agent's result, not to the end of matching.
    assertThat(record.durationMillis()).isEqualTo(10_000L);
    assertThat(record.finished()).isEqualTo(at(30));
    assertThat(record.before()).isEqualTo(new ScanStore.Counts(true, 2, 3, 0, 0, 0, 0, 9));
    assertThat(record.after()).isEqualTo(new ScanStore.Counts(true, 1, 3, 0, 0, 0, 0, 7));
    assertThat(s.scanHistory(B, PageRequest.FIRST).items().get(0).before().assessed()).isFalse();

    var listed = s.images(withScanStatus(ScanStatusFilter.SCANNED)).items();
    assertThat(listed).singleElement().satisfies(i -> {
      assertThat(i.id()).isEqualTo(A);
      assertThat(i.scan().lastScannedAt()).isEqualTo(at(30));
    });
    assertThat(ids(s.images(withScanStatus(ScanStatusFilter.SCAN_EXCEPTION)))).containsExactly(B);

    // The job's last item expires while it waits for its host; the waiting reason stays in it.
    assertThat(s.expireItems("job-1", "the job expired", at(40))).isEqualTo(1);
    assertThat(s.imageScanStatus(C).orElseThrow().reason()).isEqualTo("the job expired (waiting for host two (offline))");
    assertThat(s.setJobState("job-1", List.of("QUEUED", "RUNNING"), "EXPIRED", "time ran out", at(41))).isTrue();
    assertThat(s.setJobState("job-1", List.of("QUEUED", "RUNNING"), "SUCCEEDED", "", at(42))).isFalse();
    JobRow done = s.job("job-1").orElseThrow();
    assertThat(done.state()).isEqualTo("EXPIRED");
    assertThat(done.finished()).isEqualTo(at(41));
    assertThat(s.itemStates("job-1")).containsOnlyKeys("SCANNED", "SCAN_EXCEPTION");
  }

  @Test
  default void anInventoryWithErrorsMakesTheScanAnExceptionAndOrphansAreFinishedLater() {
    Store s = scanStore();
    fleet(s);
    s.createJob(job("job-1", at(10), "c"), List.of(A, B));
    s.markDispatched(List.of(new Dispatch("job-1", A, "host-1", "r"), new Dispatch("job-1", B, "host-1", "r")),
        at(20));
    s.ingest(List.of(new IngestBatch("host-1", Optional.empty(), List.of(),
        List.of(inventory(A, List.of("var/lib/dpkg/status: no Package field at line 1"))),
        List.of(new AgentResult("r", A, "DONE", ""), new AgentResult("r", B, "DONE", "")), 2)), at(30));
    // Nobody finished them (the collector died between commit and matching): a sweep does.
    assertThat(s.finishCompleted(List.of(), Optional.of(at(30)), at(31))).isZero();
    assertThat(s.finishCompleted(List.of(), Optional.of(at(60)), at(61))).isEqualTo(2);
    assertThat(s.imageScanStatus(A).orElseThrow().reason())
        .isEqualTo("inventory partial: var/lib/dpkg/status: no Package field at line 1");
    assertThat(s.imageScanStatus(B).orElseThrow().reason()).contains("no inventory of the image arrived");
    assertThat(s.scanHistory(A, PageRequest.FIRST).items()).extracting(ScanRecord::outcome)
        .containsExactly("SCAN_EXCEPTION");
  }

  @Test
  default void cancellingEndsUnfinishedItemsAndReturnsThoseInFlight() {
    Store s = scanStore();
    fleet(s);
    s.createJob(job("job-1", at(10), "c"), List.of(A, B, C));
    s.markDispatched(List.of(new Dispatch("job-1", A, "host-1", "r1")), at(20));
    s.createJob(job("job-2", at(11), "c"), List.of(B));

    // One image, in whichever job holds it.
    List<InFlight> cancelled = s.cancelItems(Optional.empty(), List.of(B), "cancelled by bob", at(30));
    assertThat(cancelled).extracting(InFlight::jobId).containsExactly("job-1", "job-2");
    assertThat(cancelled).extracting(InFlight::state).containsOnly("QUEUED");
    assertThat(s.itemStates("job-1")).containsEntry("CANCELLED", 1);
    assertThat(s.itemStates("job-2")).containsOnly(Map.entry("CANCELLED", 1));
    assertThat(s.imageScanStatus(B).orElseThrow().status()).isEqualTo("CANCELLED");

    // The whole job: the in-flight item comes back with its host and request, so its agent can be told.
    cancelled = s.cancelItems(Optional.of("job-1"), List.of(), "cancelled by alice", at(31));
    assertThat(cancelled).extracting(InFlight::imageId).containsExactly(A, C);
    assertThat(cancelled).filteredOn(f -> f.state().equals("DISPATCHED")).singleElement().satisfies(f -> {
      assertThat(f.imageId()).isEqualTo(A);
      assertThat(f.hostId()).isEqualTo("host-1");
      assertThat(f.requestId()).isEqualTo("r1");
    });
    assertThat(s.itemStates("job-1")).containsOnly(Map.entry("CANCELLED", 3));
    assertThat(s.cancelItems(Optional.of("job-1"), List.of(), "again", at(32))).isEmpty();
    assertThat(s.scanHistory(A, PageRequest.FIRST).items()).hasSize(1);

    // The agent confirms later where it stopped: the reason keeps both.
    s.ingest(List.of(new IngestBatch("host-1", Optional.empty(), List.of(), List.of(),
        List.of(new AgentResult("r1", A, "CANCELLED", "cancelled in layer x after 12 entries")), 2)), at(33));
    assertThat(s.imageScanStatus(A).orElseThrow().reason()).startsWith("cancelled by alice")
        .contains("after 12 entries");
    assertThat(s.scanHistory(A, PageRequest.FIRST).items().get(0).reason()).contains("after 12 entries");
  }

  @Test
  default void pausingRequeuesWorkInFlightAndEndedItemsKeepTheirReasons() {
    Store s = scanStore();
    fleet(s);
    s.createJob(job("job-1", at(10), "c"), List.of(A, B));
    s.markDispatched(List.of(new Dispatch("job-1", A, "host-1", "r1")), at(20));
    List<InFlight> paused = s.pauseItems("job-1", "paused: outside the allowed window", at(30));
    assertThat(paused).extracting(InFlight::imageId).containsExactly(A);
    assertThat(s.itemStates("job-1")).containsOnly(Map.entry("QUEUED", 2));
    assertThat(s.imageScanStatus(A).orElseThrow().reason()).isEqualTo("paused: outside the allowed window");
    // The paused request's late progress is ignored.
    s.recordProgress(List.of(new Progress("r1", A, 50)), at(31));
    assertThat(s.itemStates("job-1")).containsOnly(Map.entry("QUEUED", 2));

    s.markDispatched(List.of(new Dispatch("job-1", A, "host-2", "r2")), at(40));
    s.requeue(List.of(new ItemNote("job-1", A, "host-2 went offline; retrying elsewhere")), at(41));
    assertThat(s.inFlight(Optional.of("job-1"), Optional.empty())).isEmpty();
    s.markDispatched(List.of(new Dispatch("job-1", A, "host-1", "r3")), at(42));
    assertThat(s.jobItems("job-1", Optional.of("DISPATCHED"), PageRequest.FIRST).items().get(0).attempts())
        .isEqualTo(3);
    s.endItems(List.of(new ItemNote("job-1", A, "no progress for 10 minutes")), "SCAN_EXCEPTION", at(50));
    assertThat(s.scanHistory(A, PageRequest.FIRST).items().get(0).reason()).isEqualTo("no progress for 10 minutes");
    assertThat(s.itemsOfRequest("r3")).isEmpty();
  }

  @Test
  default void anExpiredLeasePassesAJobToAnotherCollector() {
    Store s = scanStore();
    fleet(s);
    s.createJob(job("job-1", T0, "collector-a"), List.of(A));
    assertThat(s.claimJobs("collector-a", at(10), at(40))).extracting(JobRow::id).containsExactly("job-1");
    assertThat(s.claimJobs("collector-b", at(20), at(50))).isEmpty();
    // collector-a stopped renewing: after its lease, collector-b takes over, and keeps it.
    assertThat(s.claimJobs("collector-b", at(41), at(71))).extracting(JobRow::owner).containsExactly("collector-b");
    assertThat(s.claimJobs("collector-a", at(42), at(72))).isEmpty();
    assertThat(s.setJobState("job-1", List.of("QUEUED"), "RUNNING", "", at(43))).isTrue();
    assertThat(s.job("job-1").orElseThrow().started()).isEqualTo(at(43));
    assertThat(s.setJobState("job-1", List.of("RUNNING"), "SUCCEEDED", "", at(44))).isTrue();
    assertThat(s.claimJobs("collector-b", at(45), at(75))).isEmpty();

    s.createJob(job("job-2", at(50), "collector-a"), List.of(B));
    var page = s.jobs(new JobQuery(Optional.empty(), Optional.empty(), Optional.empty(), PageRequest.FIRST));
    assertThat(page.total()).isEqualTo(2);
    assertThat(page.items()).extracting(JobRow::id).containsExactly("job-2", "job-1");
    assertThat(s.jobs(new JobQuery(Optional.of("SUCCEEDED"), Optional.of("API"), Optional.empty(),
        PageRequest.FIRST)).items()).extracting(JobRow::id).containsExactly("job-1");
  }

  @Test
  default void commandsForAnAgentOnAnotherCollectorAreQueuedTakenOnceAndExpire() {
    Store s = scanStore();
    s.heartbeatCollector("collector-a", T0, at(10));
    s.heartbeatCollector("collector-b", T0, at(10));
    s.recordSessions("collector-b", List.of("agent-1", "agent-2"), List.of(), at(10));
    s.recordSessions("collector-a", List.of("agent-3"), List.of(), at(10));
    assertThat(s.liveSessions(List.of("agent-1", "agent-3", "agent-9"), at(5)))
        .containsOnly(Map.entry("agent-1", "collector-b"), Map.entry("agent-3", "collector-a"));
    // A collector that stopped beating holds no live session; a move to another collector wins.
    s.heartbeatCollector("collector-a", T0, at(60));
    assertThat(s.liveSessions(List.of("agent-1", "agent-3"), at(30))).containsOnly(Map.entry("agent-3", "collector-a"));
    s.recordSessions("collector-a", List.of("agent-2"), List.of(), at(61));
    s.recordSessions("collector-b", List.of(), List.of("agent-2"), at(62)); // its late disconnect changes nothing
    assertThat(s.liveSessions(List.of("agent-2"), at(30))).containsOnly(Map.entry("agent-2", "collector-a"));

    s.queueCommands(List.of(new QueuedCommand(0, "collector-b", "agent-1", "one".getBytes(StandardCharsets.UTF_8)),
        new QueuedCommand(0, "collector-b", "agent-1", "two".getBytes(StandardCharsets.UTF_8))), at(70), at(100));
    s.queueCommands(List.of(new QueuedCommand(0, "collector-b", "agent-1", "late".getBytes(StandardCharsets.UTF_8))),
        at(70), at(80));
    assertThat(s.takeCommands("collector-a", at(71), 10)).isEmpty();
    List<QueuedCommand> taken = s.takeCommands("collector-b", at(90), 10);
    assertThat(taken).extracting(q -> new String(q.command(), StandardCharsets.UTF_8)).containsExactly("one", "two");
    assertThat(taken).allSatisfy(q -> assertThat(q.agentId()).isEqualTo("agent-1"));
    assertThat(s.takeCommands("collector-b", at(91), 10)).isEmpty();
  }

  @Test
  default void leasesAndSettings() {
    Store s = scanStore();
    assertThat(s.holdLease("auto-assess", "a", T0, at(30))).isTrue();
    assertThat(s.holdLease("auto-assess", "b", at(10), at(40))).isFalse();
    assertThat(s.holdLease("auto-assess", "a", at(20), at(50))).isTrue();
    assertThat(s.holdLease("auto-assess", "b", at(51), at(80))).isTrue();
    assertThat(s.setting("auto-assess")).isEmpty();
    s.putSetting("auto-assess", "{\"enabled\":true}", T0);
    s.putSetting("auto-assess", "{\"enabled\":false}", at(1));
    assertThat(s.setting("auto-assess")).contains("{\"enabled\":false}");

    s.registerHost("host-1", "0.1.0", host("one"), T0);
    s.apply("host-1", List.of(new HostChange.ImageUpserted(image("a1", "app:1"))), 1, at(5));
    s.apply("host-1", List.of(new HostChange.ImageUpserted(image("b2", "app:2"))), 2, at(9));
    assertThat(s.imagesFirstSeenAfter(at(5), 10)).extracting(ScanStore.NewImage::imageId).containsExactly(B);
    assertThat(s.imagesFirstSeenAfter(T0, 1)).extracting(ScanStore.NewImage::imageId).containsExactly(A);
  }
}
