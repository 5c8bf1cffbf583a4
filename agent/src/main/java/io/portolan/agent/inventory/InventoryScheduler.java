package io.portolan.agent.inventory;

import com.google.protobuf.InvalidProtocolBufferException;
import io.portolan.agent.cache.AgentState;
import io.portolan.agent.cache.Supersedes;
import io.portolan.agent.transport.CollectorLink;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.image.LayerFindings;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.ImageInventory;
import io.portolan.proto.agent.v1.LayerInventory;
import io.portolan.proto.agent.v1.LayerOffer;
import io.portolan.proto.agent.v1.LayerRef;
import io.portolan.proto.agent.v1.LayerWant;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inventories images layer by layer and trades the results with the collector. A (layer,
 * analyzer, version) unit is computed once per host and kept in the RocksDB layer cache; an image
 * whose units are all cached is inventoried without reading any layer. The collector is offered
 * each image's units and asks only for those it lacks, so a layer crosses the network once per
 * fleet.
 *
 * <p>Work runs on a small pool of minimum-priority threads, so a busy production host keeps its
 * CPU for its containers.
 */
public final class InventoryScheduler implements CollectorLink.InventoryExchange, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InventoryScheduler.class);

  /**
   * How much inventory work a host does, whether new images are inventoried unasked, and whether
   * it waits for a busy host to calm down before reading layers (up to a bound per image).
   */
  public record Settings(int concurrency, boolean automatic, boolean polite) {
    public Settings {
      if (concurrency < 1) throw new IllegalArgumentException("inventory concurrency must be at least 1");
    }
  }

  private final AgentState state;
  private final LayerReader reader;
  private final List<Analyzer> analyzers;
  private final Settings settings;
  private final Function<AgentMessage, Boolean> sendNow;
  private final Runnable outboxChanged;
  private final ExecutorService workers;
  private final ExecutorService exchange;
  private final Map<String, List<String>> known = new ConcurrentHashMap<>();
  private final Map<String, List<LayerRef>> inventoried = new ConcurrentHashMap<>();
  private final Map<String, List<String>> imageErrors = new ConcurrentHashMap<>();
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  private final AtomicInteger layersAnalyzed = new AtomicInteger();
  private final BusyHostGate gate;

  public InventoryScheduler(AgentState state, LayerReader reader, List<Analyzer> analyzers, Settings settings,
      Function<AgentMessage, Boolean> sendNow, Runnable outboxChanged) {
    this(state, reader, analyzers, settings, sendNow, outboxChanged,
        settings.polite() ? BusyHostGate.forThisHost(java.time.Duration.ofSeconds(30)) : BusyHostGate.open());
  }

  public InventoryScheduler(AgentState state, LayerReader reader, List<Analyzer> analyzers, Settings settings,
      Function<AgentMessage, Boolean> sendNow, Runnable outboxChanged, BusyHostGate gate) {
    this.gate = gate;
    this.state = state;
    this.reader = reader;
    this.analyzers = List.copyOf(analyzers);
    this.settings = settings;
    this.sendNow = sendNow;
    this.outboxChanged = outboxChanged;
    AtomicInteger n = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(settings.concurrency(), r -> {
      Thread t = new Thread(r, "portolan-inventory-" + n.incrementAndGet());
      t.setDaemon(true);
      t.setPriority(Thread.MIN_PRIORITY);
      return t;
    });
    this.exchange = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "portolan-inventory-exchange");
      t.setDaemon(true);
      return t;
    });
  }

  /** An image exists on the host (from a snapshot or a delta). */
  public void imageSeen(String imageId, List<String> diffIds) {
    List<String> previous = known.put(imageId, List.copyOf(diffIds));
    if (previous != null && previous.equals(diffIds) && inventoried.containsKey(imageId)) return;
    if (settings.automatic()) schedule(imageId);
  }

  /** The image left the host. */
  public void imageGone(String imageId) {
    known.remove(imageId);
    inventoried.remove(imageId);
    imageErrors.remove(imageId);
  }

  /** Forgets images a full snapshot no longer lists. */
  public void retainOnly(Set<String> present) {
    for (String id : List.copyOf(known.keySet())) if (!present.contains(id)) imageGone(id);
  }

  /** Queues an image for inventory (a collector's scan, or automatic inventory of a new image). */
  public boolean schedule(String imageId) {
    List<String> diffIds = known.get(imageId);
    if (diffIds == null || !queued.add(imageId)) return false;
    workers.execute(() -> {
      boolean readLayers = false;
      try {
        readLayers = inventory(imageId, diffIds);
      } finally {
        queued.remove(imageId);
        // Reading layers grows the heap; once the queue is empty, give that memory back to the
        // host (the agent runs with MaxHeapFreeRatio so a full collection shrinks the heap).
        if (readLayers && queued.isEmpty()) System.gc();
      }
    });
    return true;
  }

  /** Units analyzed since start, for tests and metrics. */
  public int layersAnalyzed() {
    return layersAnalyzed.get();
  }

  /** Whether an image's inventory is complete and offered. */
  public boolean isInventoried(String imageId) {
    return inventoried.containsKey(imageId);
  }

  /** Returns whether any layer content was read (the cache did not hold every unit). */
  private boolean inventory(String imageId, List<String> diffIds) {
    List<LayerRef> units = new ArrayList<>();
    Map<String, Set<Analyzer>> needed = new LinkedHashMap<>();
    for (String diffId : diffIds) {
      for (Analyzer a : analyzers) {
        LayerRef ref = InventoryWire.ref(diffId, a.name(), a.version());
        units.add(ref);
        if (state.cachedLayer(InventoryWire.cacheKey(ref)).isEmpty()) {
          needed.computeIfAbsent(diffId, d -> new LinkedHashSet<>()).add(a);
        }
      }
    }
    List<String> errors = new ArrayList<>();
    if (!needed.isEmpty()) {
      try {
        gate.awaitQuiet();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      try {
        LayerReader.Analysis analysis = reader.analyze(imageId, diffIds, needed, () -> !known.containsKey(imageId));
        for (LayerFindings f : analysis.findings()) {
          LayerInventory wire = InventoryWire.toWire(f, 0);
          state.cacheLayer(InventoryWire.cacheKey(wire.getRef()), wire.toByteArray());
          layersAnalyzed.incrementAndGet();
        }
        errors.addAll(analysis.failures());
      } catch (IOException | RuntimeException e) {
        errors.add("cannot read the layers of " + imageId + ": " + e.getMessage());
        log.warn("inventory of image {} failed: {}", imageId, e.getMessage());
      }
    }
    // Units the reader could not produce stay out of the offer; the errors say why.
    List<LayerRef> complete = units.stream()
        .filter(u -> state.cachedLayer(InventoryWire.cacheKey(u)).isPresent()).toList();
    if (complete.size() < units.size() && errors.isEmpty()) {
      errors.add((units.size() - complete.size()) + " layer analyses of " + imageId + " produced no result");
    }
    if (!known.containsKey(imageId)) return !needed.isEmpty(); // removed meanwhile
    inventoried.put(imageId, complete);
    if (errors.isEmpty()) imageErrors.remove(imageId);
    else imageErrors.put(imageId, errors);
    exchange.execute(() -> offer(imageId));
    return !needed.isEmpty();
  }

  private void offer(String imageId) {
    List<LayerRef> units = inventoried.get(imageId);
    if (units == null) return;
    sendNow.apply(AgentMessage.newBuilder().setLayerOffer(LayerOffer.newBuilder()
        .setImageId(imageId).addAllLayers(units).addAllErrors(imageErrors.getOrDefault(imageId, List.of())))
        .build());
  }

  @Override
  public void connected() {
    exchange.execute(() -> inventoried.keySet().forEach(this::offer));
  }

  /** After a snapshot replaced the outbox, inventory messages that had not left are gone: offer again. */
  public void outboxReplaced() {
    connected();
  }

  @Override
  public void wanted(LayerWant want) {
    exchange.execute(() -> answer(want));
  }

  private void answer(LayerWant want) {
    String imageId = want.getImageId();
    List<LayerRef> units = inventoried.get(imageId);
    if (units == null) return; // gone, or not inventoried here (yet)
    if (want.getImageCurrent() && want.getWantedCount() == 0) return;
    Set<String> sent = new HashSet<>();
    for (LayerRef ref : want.getWantedList()) {
      String key = InventoryWire.cacheKey(ref);
      if (!sent.add(key)) continue;
      Optional<byte[]> cached = state.cachedLayer(key);
      if (cached.isEmpty()) {
        // Evicted since the offer: inventory again, which offers again.
        inventoried.remove(imageId);
        schedule(imageId);
        return;
      }
      try {
        state.append(AgentMessage.newBuilder().setLayerInventory(LayerInventory.parseFrom(cached.get())),
            Supersedes.object("l:" + key));
      } catch (InvalidProtocolBufferException e) {
        log.warn("layer cache entry {} is corrupt; inventorying {} again", key, imageId);
        state.pruneLayers(k -> !k.equals(key));
        inventoried.remove(imageId);
        schedule(imageId);
        return;
      }
    }
    state.append(AgentMessage.newBuilder().setImageInventory(ImageInventory.newBuilder()
        .setImageId(imageId).addAllLayers(units).addAllErrors(imageErrors.getOrDefault(imageId, List.of()))),
        Supersedes.object("ii:" + imageId));
    outboxChanged.run();
  }

  /** Drops cached units of layers no image on this host uses any more. */
  public int collectGarbage() {
    Set<String> live = new HashSet<>();
    known.values().forEach(live::addAll);
    int removed = state.pruneLayers(key -> live.contains(InventoryWire.diffIdOfCacheKey(key)));
    if (removed > 0) log.info("layer cache: dropped {} entries of layers gone from this host", removed);
    return removed;
  }

  @Override
  public void close() {
    workers.shutdownNow();
    exchange.shutdownNow();
  }
}
