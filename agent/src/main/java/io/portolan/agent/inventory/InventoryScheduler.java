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
import java.util.HashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
  private final ThreadPoolExecutor workers;
  private final ExecutorService exchange;
  private final Map<String, List<String>> known = new ConcurrentHashMap<>();
  private final Map<String, List<LayerRef>> inventoried = new ConcurrentHashMap<>();
  private final Map<String, List<String>> imageErrors = new ConcurrentHashMap<>();
  private final AtomicInteger layersAnalyzed = new AtomicInteger();
  private final BusyHostGate gate;
  /** Guards {@link #pending}, {@link #running} and {@link #awaiting}. */
  private final Object lock = new Object();
  /** Work queued and not started, one per image: a later request joins it. */
  private final Map<String, Work> pending = new HashMap<>();
  private final Set<String> running = new HashSet<>();
  /** Scan tickets whose image was inventoried and offered, until the collector's answer is handled. */
  private final Map<String, List<ScanTicket>> awaiting = new HashMap<>();
  private final AtomicLong order = new AtomicLong();
  private volatile Runnable outboxReplacedListener = () -> { };

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
    // A priority queue: scans the collector asked for run before automatic work already queued.
    this.workers = new ThreadPoolExecutor(settings.concurrency(), settings.concurrency(), 0, TimeUnit.MILLISECONDS,
        new PriorityBlockingQueue<>(), r -> {
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
    List<ScanTicket> orphaned;
    synchronized (lock) {
      orphaned = awaiting.remove(imageId);
    }
    if (orphaned != null) orphaned.forEach(t -> t.failed("the image was removed from the host during the scan"));
  }

  /** Forgets images a full snapshot no longer lists. */
  public void retainOnly(Set<String> present) {
    for (String id : List.copyOf(known.keySet())) if (!present.contains(id)) imageGone(id);
  }

  /** Queues an image for automatic inventory, unless it is queued or being inventoried already. */
  public boolean schedule(String imageId) {
    synchronized (lock) {
      if (!known.containsKey(imageId) || running.contains(imageId)) return false;
      Work queued = pending.get(imageId);
      if (queued != null) {
        queued.automatic = true;
        return false;
      }
      Work w = new Work(imageId, AUTOMATIC);
      w.automatic = true;
      pending.put(imageId, w);
      workers.execute(w);
      return true;
    }
  }

  /**
   * Inventories an image for a collector's scan, ahead of automatic work. {@code force} reads every
   * layer again instead of trusting the cache. The ticket is ended exactly once: delivered when the
   * collector holds the inventory, stopped when cancelled (between files), or failed.
   */
  public void scan(String imageId, boolean force, ScanTicket ticket) {
    synchronized (lock) {
      if (!known.containsKey(imageId)) {
        ticket.failed("image " + imageId + " is not on this host");
        return;
      }
      Work queued = pending.get(imageId);
      if (queued != null) {
        queued.tickets.add(ticket);
        queued.force |= force;
        if (queued.priority != SCAN && workers.getQueue().remove(queued)) {
          queued.priority = SCAN;
          workers.execute(queued);
        }
        return;
      }
      // Work already running may be past the point this request needs: run again (from the cache).
      Work w = new Work(imageId, SCAN);
      w.tickets.add(ticket);
      w.force = force;
      pending.put(imageId, w);
      workers.execute(w);
    }
  }

  /** Called after a snapshot replaced the outbox; results that were in it must be sent again. */
  public void onOutboxReplaced(Runnable listener) {
    this.outboxReplacedListener = listener;
  }

  /** Hands {@code ticket} the next answer for {@code imageId}: its result was lost with the outbox. */
  public void awaitDelivery(String imageId, ScanTicket ticket) {
    synchronized (lock) {
      if (inventoried.containsKey(imageId)) {
        awaiting.computeIfAbsent(imageId, k -> new ArrayList<>()).add(ticket);
        return;
      }
    }
    scan(imageId, false, ticket);
  }

  private static final int SCAN = 0;
  private static final int AUTOMATIC = 1;

  /** One queued inventory of one image: automatic, for scan tickets, or both. */
  private final class Work implements Runnable, Comparable<Work> {
    final String imageId;
    final long seq = order.incrementAndGet();
    final List<ScanTicket> tickets = new ArrayList<>();
    volatile int priority;
    boolean automatic;
    boolean force;

    Work(String imageId, int priority) {
      this.imageId = imageId;
      this.priority = priority;
    }

    @Override
    public int compareTo(Work o) {
      int c = Integer.compare(priority, o.priority);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }

    @Override
    public void run() {
      List<ScanTicket> mine;
      boolean auto;
      boolean forced;
      synchronized (lock) {
        if (pending.get(imageId) != this) return; // re-queued at a higher priority: that copy runs
        pending.remove(imageId);
        running.add(imageId);
        mine = List.copyOf(tickets);
        auto = automatic;
        forced = force;
      }
      boolean readLayers = false;
      try {
        readLayers = execute(imageId, auto, forced, mine);
      } finally {
        boolean idle;
        synchronized (lock) {
          running.remove(imageId);
          idle = pending.isEmpty() && running.isEmpty();
        }
        // Reading layers grows the heap; once the queue is empty, give that memory back to the
        // host (the agent runs with MaxHeapFreeRatio so a full collection shrinks the heap).
        if (readLayers && idle) System.gc();
      }
    }
  }

  /** Runs one piece of work and ends its tickets; returns whether layer content was read. */
  private boolean execute(String imageId, boolean automatic, boolean force, List<ScanTicket> tickets) {
    List<ScanTicket> live = new ArrayList<>();
    for (ScanTicket t : tickets) {
      if (t.cancelRequested()) t.stopped("cancelled before it started");
      else live.add(t);
    }
    if (!automatic && live.isEmpty()) return false;
    List<String> diffIds = known.get(imageId);
    if (diffIds == null) {
      live.forEach(t -> t.failed("the image was removed from the host before it was read"));
      return false;
    }
    int[] toRead = {1};
    LayerReader.CancelSignal signal = new LayerReader.CancelSignal() {
      @Override
      public boolean cancelled() {
        if (!known.containsKey(imageId)) return true;
        return !automatic && live.stream().allMatch(ScanTicket::cancelRequested);
      }

      @Override
      public void layersRead(int read) {
        int percent = Math.min(99, read * 100 / Math.max(1, toRead[0]));
        live.forEach(t -> t.progress(percent));
      }
    };
    live.forEach(t -> t.progress(0));
    Outcome outcome = inventory(imageId, diffIds, force, live.isEmpty(), signal, n -> toRead[0] = n);
    switch (outcome.kind) {
      case CANCELLED -> {
        for (ScanTicket t : live) {
          if (t.cancelRequested() || known.containsKey(imageId)) t.stopped(outcome.detail);
          else t.failed("the image was removed from the host during the scan");
        }
      }
      case GONE -> live.forEach(t -> t.failed("the image was removed from the host during the scan"));
      case OFFERED -> {
        List<ScanTicket> wanting = new ArrayList<>();
        for (ScanTicket t : live) {
          // Asked to stop after the last file was read: the inventory stands, the request does not.
          if (t.cancelRequested()) t.stopped("cancelled after the image was read");
          else wanting.add(t);
        }
        if (!wanting.isEmpty()) {
          synchronized (lock) {
            awaiting.computeIfAbsent(imageId, k -> new ArrayList<>()).addAll(wanting);
          }
        }
        exchange.execute(() -> offer(imageId));
      }
    }
    return outcome.readLayers;
  }

  private enum OutcomeKind { OFFERED, CANCELLED, GONE }

  private record Outcome(OutcomeKind kind, String detail, boolean readLayers) {}

  /** Units analyzed since start, for tests and metrics. */
  public int layersAnalyzed() {
    return layersAnalyzed.get();
  }

  /** Whether an image's inventory is complete and offered. */
  public boolean isInventoried(String imageId) {
    return inventoried.containsKey(imageId);
  }

  /**
   * Inventories one image from the cache and, for what it lacks (everything when {@code force}),
   * from its layers; records the result and reports whether it is ready to offer. {@code polite}
   * work waits for a busy host to calm down first; a scan the collector asked for does not.
   */
  private Outcome inventory(String imageId, List<String> diffIds, boolean force, boolean polite,
      LayerReader.CancelSignal cancel, java.util.function.IntConsumer layersToRead) {
    List<LayerRef> units = new ArrayList<>();
    Map<String, Set<Analyzer>> needed = new LinkedHashMap<>();
    for (String diffId : diffIds) {
      for (Analyzer a : analyzers) {
        LayerRef ref = InventoryWire.ref(diffId, a.name(), a.version());
        units.add(ref);
        if (force || state.cachedLayer(InventoryWire.cacheKey(ref)).isEmpty()) {
          needed.computeIfAbsent(diffId, d -> new LinkedHashSet<>()).add(a);
        }
      }
    }
    layersToRead.accept(needed.size());
    List<String> errors = new ArrayList<>();
    if (!needed.isEmpty()) {
      if (polite) {
        try {
          gate.awaitQuiet();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return new Outcome(OutcomeKind.CANCELLED, "the agent is shutting down", false);
        }
      }
      try {
        LayerReader.Analysis analysis = reader.analyze(imageId, diffIds, needed, cancel);
        for (LayerFindings f : analysis.findings()) {
          LayerInventory wire = InventoryWire.toWire(f, 0);
          state.cacheLayer(InventoryWire.cacheKey(wire.getRef()), wire.toByteArray());
          layersAnalyzed.incrementAndGet();
        }
        if (analysis.cancelled().isPresent()) {
          if (!known.containsKey(imageId)) return new Outcome(OutcomeKind.GONE, "", true);
          log.info("inventory of image {} stopped on request: {}", imageId, analysis.cancelled().get());
          return new Outcome(OutcomeKind.CANCELLED, analysis.cancelled().get(), true);
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
    if (!known.containsKey(imageId)) return new Outcome(OutcomeKind.GONE, "", !needed.isEmpty());
    inventoried.put(imageId, complete);
    if (errors.isEmpty()) imageErrors.remove(imageId);
    else imageErrors.put(imageId, errors);
    return new Outcome(OutcomeKind.OFFERED, "", !needed.isEmpty());
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
    outboxReplacedListener.run();
  }

  @Override
  public void wanted(LayerWant want) {
    exchange.execute(() -> answer(want));
  }

  private void answer(LayerWant want) {
    String imageId = want.getImageId();
    List<LayerRef> units = inventoried.get(imageId);
    if (units == null) return; // gone, or not inventoried here (yet)
    if (want.getImageCurrent() && want.getWantedCount() == 0) {
      delivered(imageId);
      return;
    }
    Set<String> sent = new HashSet<>();
    for (LayerRef ref : want.getWantedList()) {
      String key = InventoryWire.cacheKey(ref);
      if (!sent.add(key)) continue;
      Optional<byte[]> cached = state.cachedLayer(key);
      if (cached.isEmpty()) {
        // Evicted since the offer: inventory again, which offers again.
        inventoryAgain(imageId);
        return;
      }
      try {
        state.append(AgentMessage.newBuilder().setLayerInventory(LayerInventory.parseFrom(cached.get())),
            Supersedes.object("l:" + key));
      } catch (InvalidProtocolBufferException e) {
        log.warn("layer cache entry {} is corrupt; inventorying {} again", key, imageId);
        state.pruneLayers(k -> !k.equals(key));
        inventoryAgain(imageId);
        return;
      }
    }
    state.append(AgentMessage.newBuilder().setImageInventory(ImageInventory.newBuilder()
        .setImageId(imageId).addAllLayers(units).addAllErrors(imageErrors.getOrDefault(imageId, List.of()))),
        Supersedes.object("ii:" + imageId));
    delivered(imageId);
    outboxChanged.run();
  }

  /** The collector holds the image's inventory now: scans waiting for that are done. */
  private void delivered(String imageId) {
    List<ScanTicket> done;
    synchronized (lock) {
      done = awaiting.remove(imageId);
    }
    if (done != null) done.forEach(ScanTicket::delivered);
  }

  /** The cache lost a unit the collector wants: the image is read again, its waiting scans with it. */
  private void inventoryAgain(String imageId) {
    inventoried.remove(imageId);
    List<ScanTicket> waiting;
    synchronized (lock) {
      waiting = awaiting.remove(imageId);
    }
    if (waiting == null || waiting.isEmpty()) {
      schedule(imageId);
    } else {
      waiting.forEach(t -> scan(imageId, false, t));
    }
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
