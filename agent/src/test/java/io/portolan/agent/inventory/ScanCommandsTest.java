package io.portolan.agent.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.portolan.agent.cache.AgentState;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.image.LayerFindings;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.CancelScan;
import io.portolan.proto.agent.v1.Command;
import io.portolan.proto.agent.v1.CommandStatus;
import io.portolan.proto.agent.v1.CommandUpdate;
import io.portolan.proto.agent.v1.LayerRef;
import io.portolan.proto.agent.v1.LayerWant;
import io.portolan.proto.agent.v1.ScanImages;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's side of scans: results follow the inventory through the outbox, cancels stop the
 * read between files, scans jump the queue, force reads again, and a resent command runs once.
 */
class ScanCommandsTest {
  static final String A = "sha256:" + "a".repeat(64);
  static final String B = "sha256:" + "b".repeat(64);
  static final String C = "sha256:" + "c".repeat(64);
  static final String D = "sha256:" + "d".repeat(64);
  static final List<String> LAYERS = List.of("sha256:" + "1".repeat(64), "sha256:" + "2".repeat(64));

  @TempDir Path dir;
  AgentState state;
  InventoryScheduler scheduler;
  ScanCommands scans;
  final List<AgentMessage> sent = new CopyOnWriteArrayList<>();
  final List<String> reads = new CopyOnWriteArrayList<>();
  /** Files the fake reader "reads" per layer, checking the cancel signal before each, as the real walk does. */
  volatile int filesPerLayer = 1;
  volatile CountDownLatch gate = new CountDownLatch(0);

  final LayerReader reader = (imageId, diffIds, needed, cancel) -> {
    List<LayerFindings> out = new ArrayList<>();
    int layer = 0;
    for (Map.Entry<String, Set<Analyzer>> e : needed.entrySet()) {
      for (int f = 0; f < filesPerLayer; f++) {
        if (cancel.cancelled()) {
          return new LayerReader.Analysis(out, List.of(), Optional.of("cancelled in layer " + e.getKey()
              + " after " + f + " entries"));
        }
        try {
          gate.await(10, TimeUnit.SECONDS);
          // Stands for reading one file: a 10,000-file layer then takes ~20 s, so a cancel sent
          // once the scan runs lands between files, which is what the cancel test checks.
          Thread.sleep(2);
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
        }
      }
      for (Analyzer a : e.getValue()) {
        reads.add(imageId.substring(7, 8) + ":" + e.getKey().substring(7, 8));
        out.add(new LayerFindings(e.getKey(), a.name(), a.version(), List.of(), List.of(), List.of(), List.of()));
      }
      cancel.layersRead(++layer);
    }
    return new LayerReader.Analysis(out, List.of());
  };

  void start(int concurrency) {
    state = AgentState.open(dir);
    scheduler = new InventoryScheduler(state, reader, List.of(new InventorySchedulerTest.FakeAnalyzer("dpkg", 1)),
        new InventoryScheduler.Settings(concurrency, false, false), m -> sent.add(m), () -> {});
    scans = new ScanCommands(scheduler, state, m -> sent.add(m), () -> {}, Clock.systemUTC());
    scheduler.onOutboxReplaced(scans::outboxReplaced);
  }

  @AfterEach
  void stop() {
    if (scans != null) scans.close();
    if (scheduler != null) scheduler.close();
    if (state != null) state.close();
  }

  static Command scan(String requestId, boolean force, String... images) {
    return Command.newBuilder().setRequestId(requestId).setScanImages(ScanImages.newBuilder()
        .addAllImageIds(List.of(images)).addCategories("vulnerabilities").setForce(force)).build();
  }

  List<CommandUpdate> results() {
    return state.pending(0).stream().filter(AgentMessage::hasCommandUpdate).map(AgentMessage::getCommandUpdate)
        .toList();
  }

  List<String> outboxKinds() {
    return state.pending(0).stream().map(m -> m.getBodyCase().name()).toList();
  }

  void answerOffers(boolean current) {
    for (AgentMessage m : List.copyOf(sent)) {
      if (!m.hasLayerOffer()) continue;
      sent.remove(m);
      LayerWant.Builder want = LayerWant.newBuilder().setImageId(m.getLayerOffer().getImageId());
      if (current) want.setImageCurrent(true);
      else want.addAllWanted(m.getLayerOffer().getLayersList());
      scheduler.wanted(want.build());
    }
  }

  @Test
  void theResultFollowsTheImageInventoryThroughTheOutbox() {
    start(1);
    scheduler.imageSeen(A, LAYERS);
    assertThat(scans.handle(scan("r1", false, A))).isTrue();
    await().until(() -> sent.stream().anyMatch(AgentMessage::hasLayerOffer));
    assertThat(sent).anyMatch(m -> m.hasCommandUpdate()
        && m.getCommandUpdate().getStatus() == CommandStatus.COMMAND_STATUS_ACCEPTED);
    assertThat(results()).as("no result before the collector answered the offer").isEmpty();

    answerOffers(false);
    await().until(() -> results().size() == 1);
    assertThat(outboxKinds()).containsExactly("LAYER_INVENTORY", "LAYER_INVENTORY", "IMAGE_INVENTORY",
        "COMMAND_UPDATE");
    CommandUpdate done = results().get(0);
    assertThat(done.getRequestId()).isEqualTo("r1");
    assertThat(done.getImageId()).isEqualTo(A);
    assertThat(done.getStatus()).isEqualTo(CommandStatus.COMMAND_STATUS_DONE);
    assertThat(done.getProgressPercent()).isEqualTo(100);
    assertThat(sent).anyMatch(m -> m.hasCommandUpdate()
        && m.getCommandUpdate().getStatus() == CommandStatus.COMMAND_STATUS_RUNNING
        && m.getCommandUpdate().getImageId().equals(A));

    // The collector resends the command after a reconnect: it does not run again.
    int before = reads.size();
    scans.handle(scan("r1", false, A));
    scans.handle(scan("r2", false, A));
    await().until(() -> sent.stream().anyMatch(AgentMessage::hasLayerOffer));
    answerOffers(true);
    await().until(() -> results().size() == 2);
    assertThat(results().get(1).getRequestId()).isEqualTo("r2");
    assertThat(reads).as("the second scan came from the cache").hasSize(before);
  }

  @Test
  void forceReadsEveryLayerAgain() {
    start(1);
    scheduler.imageSeen(A, LAYERS);
    scans.handle(scan("r1", false, A));
    await().until(() -> reads.size() == 2);
    scans.handle(scan("r2", true, A));
    await().until(() -> reads.size() == 4);
    assertThat(reads).containsExactly("a:1", "a:2", "a:1", "a:2");
  }

  @Test
  void aCancelStopsTheReadBetweenFilesAndNothingIsOffered() {
    filesPerLayer = 10_000;
    start(1);
    scheduler.imageSeen(A, LAYERS);
    scans.handle(scan("r1", false, A));
    await().until(() -> sent.stream().anyMatch(m -> m.hasCommandUpdate()
        && m.getCommandUpdate().getStatus() == CommandStatus.COMMAND_STATUS_RUNNING));
    scans.handle(Command.newBuilder().setRequestId("c1").setCancelScan(CancelScan.newBuilder()
        .setScanRequestId("r1")).build());
    await().atMost(5, TimeUnit.SECONDS).until(() -> results().size() == 1);
    CommandUpdate r = results().get(0);
    assertThat(r.getStatus()).isEqualTo(CommandStatus.COMMAND_STATUS_CANCELLED);
    assertThat(r.getMessage()).startsWith("cancelled in layer " + LAYERS.get(0)).contains("entries");
    assertThat(sent).noneMatch(AgentMessage::hasLayerOffer);
    assertThat(scheduler.isInventoried(A)).isFalse();
    assertThat(state.cachedLayer(LAYERS.get(0) + "|dpkg|1")).isEmpty();
  }

  @Test
  void scansJumpAheadOfAutomaticWork() {
    start(1);
    gate = new CountDownLatch(1);
    for (String image : List.of(A, B, C, D)) {
      scheduler.imageSeen(image, List.of("sha256:" + image.charAt(7) + "1".repeat(63)));
    }
    scheduler.schedule(A);
    scheduler.schedule(B);
    scheduler.schedule(C);
    List<String> ended = new CopyOnWriteArrayList<>();
    scheduler.scan(D, false, new ScanTicket() {
      @Override
      public boolean cancelRequested() {
        return false;
      }

      @Override
      public void progress(int percent) {}

      @Override
      public void stopped(String where) {
        ended.add("stopped");
      }

      @Override
      public void failed(String reason) {
        ended.add("failed");
      }

      @Override
      public void delivered() {
        ended.add("delivered");
      }
    });
    gate.countDown();
    await().until(() -> reads.size() == 4);
    // A was already being read; D was asked for last but goes before the automatic B and C.
    assertThat(reads).extracting(r -> r.substring(0, 1)).containsExactly("a", "d", "b", "c");
    assertThat(ended).isEmpty();
  }

  @Test
  void unknownImagesAndUnsupportedCategoriesFailPerImage() {
    start(1);
    scheduler.imageSeen(A, LAYERS);
    scans.handle(scan("r1", false, B));
    scans.handle(Command.newBuilder().setRequestId("r2").setScanImages(ScanImages.newBuilder().addImageIds(A)
        .addCategories("malware")).build());
    await().until(() -> results().size() == 2);
    assertThat(results()).extracting(CommandUpdate::getStatus).containsOnly(CommandStatus.COMMAND_STATUS_FAILED);
    assertThat(results().get(0).getMessage()).contains("not on this host");
    assertThat(results().get(1).getMessage()).contains("cannot scan for malware");
    assertThat(scans.handle(Command.newBuilder().setRequestId("x").build())).isFalse();
  }

  @Test
  void aSnapshotThatDropsAnUnackedResultSendsItAgainAfterTheInventory() {
    start(1);
    scheduler.imageSeen(A, LAYERS);
    scans.handle(scan("r1", false, A));
    await().until(() -> sent.stream().anyMatch(AgentMessage::hasLayerOffer));
    answerOffers(false);
    await().until(() -> results().size() == 1);

    // A snapshot supersedes everything unacked, the result among it.
    state.append(AgentMessage.newBuilder().setSnapshot(io.portolan.proto.agent.v1.SnapshotChunk.newBuilder()
        .setSnapshotId("s").setLast(true)), io.portolan.agent.cache.Supersedes.everything());
    sent.clear();
    scheduler.outboxReplaced();
    assertThat(results()).isEmpty();
    await().until(() -> sent.stream().anyMatch(AgentMessage::hasLayerOffer));
    answerOffers(false);
    await().until(() -> results().size() == 1);
    assertThat(outboxKinds()).containsExactly("SNAPSHOT", "LAYER_INVENTORY", "LAYER_INVENTORY", "IMAGE_INVENTORY",
        "COMMAND_UPDATE");
    assertThat(results().get(0).getStatus()).isEqualTo(CommandStatus.COMMAND_STATUS_DONE);
  }
}
