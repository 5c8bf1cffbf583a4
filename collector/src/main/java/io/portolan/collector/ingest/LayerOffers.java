package io.portolan.collector.ingest;

import io.portolan.collector.inventory.InventoryComputer;
import io.portolan.collector.store.InventoryChange.LayerUnit;
import io.portolan.collector.store.InventoryStore;
import io.portolan.proto.agent.v1.LayerOffer;
import io.portolan.proto.agent.v1.LayerRef;
import io.portolan.proto.agent.v1.LayerWant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * Answers agents' layer offers with what the collector lacks, the way Trivy's cache and Clair's
 * index avoid repeated work: a layer any host already sent is never sent again. Lookups run off
 * the gRPC threads, a few at a time, so a fleet reconnecting at once cannot exhaust the pool.
 */
final class LayerOffers implements AutoCloseable {
  private final InventoryStore store;
  private final IngestMetrics metrics;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final Semaphore lookups = new Semaphore(4);

  LayerOffers(InventoryStore store, IngestMetrics metrics) {
    this.store = store;
    this.metrics = metrics;
  }

  void answer(AgentSession session, LayerOffer offer) {
    executor.execute(() -> {
      try {
        lookups.acquire();
        try {
          session.sendWant(want(offer));
        } finally {
          lookups.release();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        // The agent offers again on its next connection; nothing is lost by not answering now.
        metrics.storeFailure();
      }
    });
  }

  LayerWant want(LayerOffer offer) {
    List<LayerUnit> units = offer.getLayersList().stream().map(InventoryComputer::unit).toList();
    Set<String> missing = store.missingUnits(units);
    List<LayerRef> wanted = offer.getLayersList().stream()
        .filter(ref -> missing.contains(InventoryComputer.unit(ref).key())).distinct().toList();
    boolean current = wanted.isEmpty() && offer.getErrorsCount() == 0
        && store.inventoryFingerprint(offer.getImageId())
            .map(f -> f.equals(InventoryComputer.fingerprint(offer.getLayersList()))).orElse(false);
    return LayerWant.newBuilder().setImageId(offer.getImageId()).addAllWanted(wanted).setImageCurrent(current).build();
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
