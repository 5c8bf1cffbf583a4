package io.portolan.collector.ingest;

import io.portolan.collector.store.Store;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits the work of many agent sessions together. A few writer threads (one for H2, which locks
 * tables, a handful for PostgreSQL) each take every session that has work, commit all of it in one
 * transaction and then acknowledge each agent. Thousands of agents thus cost a few transactions a
 * second instead of thousands of competing connections, and the database is never asked for more
 * connections than it has.
 */
final class IngestWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IngestWriter.class);
  /** Bounds one transaction: sessions and messages. */
  static final int MAX_SESSIONS_PER_COMMIT = 256;
  static final int MAX_MESSAGES_PER_COMMIT = 2_000;

  private final Store store;
  private final Clock clock;
  private final IngestMetrics metrics;
  private final LinkedBlockingQueue<AgentSession> ready = new LinkedBlockingQueue<>();
  private final List<Thread> writers = new ArrayList<>();
  private volatile boolean closed;
  private volatile java.util.function.Consumer<java.util.Collection<String>> inventoryListener = ids -> { };
  private volatile java.util.function.Consumer<List<io.portolan.collector.store.ScanStore.AgentResult>> scanListener =
      results -> { };

  IngestWriter(Store store, Clock clock, IngestMetrics metrics, int writerCount) {
    this.store = store;
    this.clock = clock;
    this.metrics = metrics;
    for (int i = 0; i < writerCount; i++) {
      Thread t = Thread.ofPlatform().daemon().name("ingest-writer-" + i).start(this::run);
      writers.add(t);
    }
  }

  /** Told the images whose inventory a commit stored, after the commit. */
  void onInventories(java.util.function.Consumer<java.util.Collection<String>> listener) {
    this.inventoryListener = listener;
  }

  /** Told the agents' scan results a commit stored, after the inventory listener heard of the same commit. */
  void onScanResults(java.util.function.Consumer<List<io.portolan.collector.store.ScanStore.AgentResult>> listener) {
    this.scanListener = listener;
  }

  private void committed(List<AgentSession.Work> works) {
    java.util.Set<String> images = new java.util.TreeSet<>();
    List<io.portolan.collector.store.ScanStore.AgentResult> results = new ArrayList<>();
    for (AgentSession.Work w : works) {
      for (var change : w.batch().inventory()) {
        if (change instanceof io.portolan.collector.store.InventoryChange.ImageInventoried i) images.add(i.imageId());
      }
      results.addAll(w.batch().scanResults());
    }
    if (!images.isEmpty()) {
      try {
        inventoryListener.accept(images);
      } catch (RuntimeException e) {
        log.warn("inventory listener failed: {}", e.getMessage());
      }
    }
    // Scan results second: whoever finishes them must see the matching the inventories started.
    if (!results.isEmpty()) {
      try {
        scanListener.accept(results);
      } catch (RuntimeException e) {
        log.warn("scan result listener failed: {}", e.getMessage());
      }
    }
  }

  /** Queues a session that has work; a session waits in the queue at most once. */
  void schedule(AgentSession session) {
    if (session.markScheduled()) ready.add(session);
  }

  private void run() {
    List<AgentSession> taken = new ArrayList<>();
    while (!closed) {
      try {
        taken.clear();
        AgentSession first = ready.poll(500, TimeUnit.MILLISECONDS);
        if (first == null) continue;
        taken.add(first);
        ready.drainTo(taken, MAX_SESSIONS_PER_COMMIT - 1);
        commit(taken);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        log.error("ingest writer failed unexpectedly; it goes on", e);
      }
    }
  }

  private void commit(List<AgentSession> sessions) {
    List<AgentSession.Work> work = new ArrayList<>();
    int messages = 0;
    for (AgentSession s : sessions) {
      s.clearScheduled();
      if (messages >= MAX_MESSAGES_PER_COMMIT) {
        schedule(s); // the next transaction takes it
        continue;
      }
      AgentSession.Work w = s.takeWork(MAX_MESSAGES_PER_COMMIT - messages);
      if (w == null) continue; // another writer has it in flight, or nothing to do
      messages += w.messageCount();
      work.add(w);
    }
    if (work.isEmpty()) return;
    try {
      Map<String, Long> committed = metrics.commit().recordCallable(
          () -> store.ingest(work.stream().map(AgentSession.Work::batch).toList(), clock.instant()));
      for (AgentSession.Work w : work) w.committed(committed.getOrDefault(w.batch().agentId(), -1L));
      committed(work);
    } catch (Exception e) {
      if (work.size() == 1) {
        metrics.storeFailure();
        work.get(0).failed(e);
        return;
      }
      // Isolate the agent whose batch the database refuses, so it cannot hold back the others.
      for (AgentSession.Work w : work) {
        try {
          Map<String, Long> committed = store.ingest(List.of(w.batch()), clock.instant());
          w.committed(committed.getOrDefault(w.batch().agentId(), -1L));
          committed(List.of(w));
        } catch (RuntimeException single) {
          metrics.storeFailure();
          w.failed(single);
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    writers.forEach(Thread::interrupt);
    for (Thread t : writers) {
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
