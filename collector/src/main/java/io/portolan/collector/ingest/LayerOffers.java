package io.portolan.collector.ingest;

import io.portolan.collector.inventory.InventoryComputer;
import io.portolan.collector.store.InventoryChange.LayerUnit;
import io.portolan.collector.store.InventoryStore;
import io.portolan.proto.agent.v1.LayerOffer;
import io.portolan.proto.agent.v1.LayerRef;
import io.portolan.proto.agent.v1.LayerWant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Answers agents' layer offers with what the collector lacks, the way Trivy's cache and Clair's
 * index avoid repeated work: a layer any host already sent is never sent again. Offers are
 * answered off the gRPC threads by two workers, each taking every offer waiting (up to a bound)
 * and answering them with two queries in all; a fleet that reconnects at once, or a scan that
 * makes thousands of agents offer together, costs a few queries a batch, not two per image.
 */
final class LayerOffers implements AutoCloseable {
  private static final int WORKERS = 2;
  private static final int BATCH = 500;

  private record Pending(AgentSession session, LayerOffer offer) {}

  private final InventoryStore store;
  private final IngestMetrics metrics;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean closed;

  LayerOffers(InventoryStore store, IngestMetrics metrics) {
    this.store = store;
    this.metrics = metrics;
    for (int i = 0; i < WORKERS; i++) workers.add(Thread.ofVirtual().name("layer-offers-" + i).start(this::run));
  }

  void answer(AgentSession session, LayerOffer offer) {
    if (!closed) queue.add(new Pending(session, offer));
  }

  private void run() {
    List<Pending> batch = new ArrayList<>();
    while (!closed) {
      try {
        Pending first = queue.poll(500, TimeUnit.MILLISECONDS);
        if (first == null) continue;
        batch.clear();
        batch.add(first);
        queue.drainTo(batch, BATCH - 1);
        List<LayerWant> wants = wants(batch.stream().map(Pending::offer).toList());
        for (int i = 0; i < batch.size(); i++) batch.get(i).session().sendWant(wants.get(i));
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // The agents offer again on their next connection; nothing is lost by not answering now.
        metrics.storeFailure();
      }
    }
  }

  /**
   * The answers to these offers, in order, from one lookup of fingerprints and one of units. An
   * image whose stored inventory was built from exactly the offered units is current without
   * looking its units up: units are stored before any inventory is built from them, and never
   * deleted. A scan of images the collector holds (the common case) thus reads one row per image.
   */
  List<LayerWant> wants(List<LayerOffer> offers) {
    Map<String, String> fingerprints = store.inventoryFingerprints(offers.stream().map(LayerOffer::getImageId)
        .toList());
    List<Boolean> current = new ArrayList<>(offers.size());
    List<LayerUnit> units = new ArrayList<>();
    for (LayerOffer o : offers) {
      boolean same = o.getErrorsCount() == 0
          && InventoryComputer.fingerprint(o.getLayersList()).equals(fingerprints.get(o.getImageId()));
      current.add(same);
      if (!same) o.getLayersList().forEach(ref -> units.add(InventoryComputer.unit(ref)));
    }
    Set<String> missing = units.isEmpty() ? Set.of() : store.missingUnits(units);
    List<LayerWant> out = new ArrayList<>(offers.size());
    for (int i = 0; i < offers.size(); i++) {
      LayerOffer offer = offers.get(i);
      if (current.get(i)) {
        out.add(LayerWant.newBuilder().setImageId(offer.getImageId()).setImageCurrent(true).build());
        continue;
      }
      List<LayerRef> wanted = offer.getLayersList().stream()
          .filter(ref -> missing.contains(InventoryComputer.unit(ref).key())).distinct().toList();
      out.add(LayerWant.newBuilder().setImageId(offer.getImageId()).addAllWanted(wanted).build());
    }
    return out;
  }

  @Override
  public void close() {
    closed = true;
    workers.forEach(Thread::interrupt);
  }
}
