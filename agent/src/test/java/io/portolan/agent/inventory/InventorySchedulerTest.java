package io.portolan.agent.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.portolan.agent.cache.AgentState;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.image.LayerFindings;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.LayerRef;
import io.portolan.proto.agent.v1.LayerWant;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InventorySchedulerTest {
  @TempDir Path dir;
  AgentState state;
  InventoryScheduler scheduler;
  final List<AgentMessage> sent = new CopyOnWriteArrayList<>();
  final List<String> reads = new CopyOnWriteArrayList<>();

  record FakeAnalyzer(String name, int version) implements Analyzer {
    @Override
    public boolean wants(String path) {
      return false;
    }

    @Override
    public List<FileFindings> analyze(String path, InputStream content, long size) {
      return List.of();
    }
  }

  /** Records which (layer, analyzer) pairs were read, as a real reader would analyze them. */
  final LayerReader reader = (imageId, diffIds, needed, cancel) -> {
    List<LayerFindings> out = new ArrayList<>();
    needed.forEach((diffId, analyzers) -> analyzers.forEach(a -> {
      reads.add(diffId + "/" + a.name() + "@" + a.version());
      out.add(new LayerFindings(diffId, a.name(), a.version(), List.of(), List.of(), List.of(), List.of()));
    }));
    return new LayerReader.Analysis(out, List.of());
  };

  InventoryScheduler start(List<Analyzer> analyzers) {
    if (state == null) state = AgentState.open(dir);
    scheduler = new InventoryScheduler(state, reader, analyzers, new InventoryScheduler.Settings(1, true, false),
        m -> sent.add(m), () -> {});
    return scheduler;
  }

  @AfterEach
  void stop() {
    if (scheduler != null) scheduler.close();
    if (state != null) state.close();
  }

  static final String IMAGE = "sha256:" + "a".repeat(64);
  static final List<String> LAYERS = List.of("sha256:" + "1".repeat(64), "sha256:" + "2".repeat(64));

  @Test
  void aLayerIsAnalyzedOncePerHostAndACachedImageReadsNothing() {
    start(List.of(new FakeAnalyzer("dpkg", 1), new FakeAnalyzer("os-release", 1)));
    scheduler.imageSeen(IMAGE, LAYERS);
    await().until(() -> sent.size() == 1);
    assertThat(reads).hasSize(4);
    assertThat(sent.get(0).getLayerOffer().getLayersList()).hasSize(4);

    // Another image sharing the base layer reads only its own new layer.
    String other = "sha256:" + "b".repeat(64);
    scheduler.imageSeen(other, List.of(LAYERS.get(0), "sha256:" + "3".repeat(64)));
    await().until(() -> sent.size() == 2);
    assertThat(reads).hasSize(6).noneMatch(r -> r.startsWith(LAYERS.get(0)) && reads.indexOf(r) >= 4);

    // A restarted agent (new scheduler, same state) inventories from the cache alone.
    scheduler.close();
    reads.clear();
    start(List.of(new FakeAnalyzer("dpkg", 1), new FakeAnalyzer("os-release", 1)));
    scheduler.imageSeen(IMAGE, LAYERS);
    await().until(() -> scheduler.isInventoried(IMAGE));
    assertThat(reads).isEmpty();
  }

  @Test
  void bumpingOneAnalyzerReRunsOnlyThatAnalyzer() {
    start(List.of(new FakeAnalyzer("dpkg", 1), new FakeAnalyzer("os-release", 1)));
    scheduler.imageSeen(IMAGE, LAYERS);
    await().until(() -> scheduler.isInventoried(IMAGE));
    scheduler.close();
    reads.clear();
    start(List.of(new FakeAnalyzer("dpkg", 2), new FakeAnalyzer("os-release", 1)));
    scheduler.imageSeen(IMAGE, LAYERS);
    await().until(() -> scheduler.isInventoried(IMAGE));
    assertThat(reads).containsExactlyInAnyOrder(LAYERS.get(0) + "/dpkg@2", LAYERS.get(1) + "/dpkg@2");
  }

  @Test
  void theCollectorGetsExactlyTheUnitsItWantsThenTheImage() {
    start(List.of(new FakeAnalyzer("dpkg", 1)));
    scheduler.imageSeen(IMAGE, LAYERS);
    await().until(() -> scheduler.isInventoried(IMAGE));
    LayerRef wanted = LayerRef.newBuilder().setDiffId(LAYERS.get(1)).setAnalyzer("dpkg").setAnalyzerVersion(1).build();
    long before = state.outboxDepth();
    scheduler.wanted(LayerWant.newBuilder().setImageId(IMAGE).addWanted(wanted).build());
    await().until(() -> state.outboxDepth() == before + 2);
    List<AgentMessage> outbox = state.pending(0);
    assertThat(outbox.get(outbox.size() - 2).getLayerInventory().getRef()).isEqualTo(wanted);
    assertThat(outbox.get(outbox.size() - 1).getImageInventory().getLayersList()).hasSize(2);

    // An image the collector already holds costs nothing more.
    scheduler.wanted(LayerWant.newBuilder().setImageId(IMAGE).setImageCurrent(true).build());
    scheduler.connected(); // re-offers, and is the exchange thread's next task: the want was handled before
    await().until(() -> sent.size() == 2);
    assertThat(state.outboxDepth()).isEqualTo(before + 2);
  }

  @Test
  void cacheEntriesOfLayersGoneFromTheHostAreCollected() {
    start(List.of(new FakeAnalyzer("dpkg", 1)));
    scheduler.imageSeen(IMAGE, LAYERS);
    await().until(() -> scheduler.isInventoried(IMAGE));
    assertThat(scheduler.collectGarbage()).isZero();
    scheduler.imageGone(IMAGE);
    assertThat(scheduler.collectGarbage()).isEqualTo(2);
    assertThat(state.cachedLayer(LAYERS.get(0) + "|dpkg|1")).isEmpty();
  }

  @Test
  void aFailedReadIsReportedAndNotCached() {
    state = AgentState.open(dir);
    scheduler = new InventoryScheduler(state, (imageId, diffIds, needed, cancel) -> {
      throw new IOException("docker save failed: connection reset");
    }, List.of(new FakeAnalyzer("dpkg", 1)), new InventoryScheduler.Settings(1, true, false), m -> sent.add(m), () -> {});
    scheduler.imageSeen(IMAGE, LAYERS);
    await().until(() -> sent.size() == 1);
    assertThat(sent.get(0).getLayerOffer().getErrorsList()).singleElement().asString()
        .contains("docker save failed: connection reset");
    assertThat(sent.get(0).getLayerOffer().getLayersList()).isEmpty();
    assertThat(state.cachedLayer(LAYERS.get(0) + "|dpkg|1")).isEqualTo(Optional.empty());
  }

}
