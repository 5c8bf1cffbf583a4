package io.portolan.collector.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;

/** The ingest path's meters, named as Prometheus expects. */
final class IngestMetrics {
  private final MeterRegistry registry;
  private final Timer commit;
  private final Counter storeFailures;
  private final ConcurrentHashMap<String, Counter> messages = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> rejected = new ConcurrentHashMap<>();

  IngestMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.commit = Timer.builder("portolan_collector_ingest_seconds")
        .description("Time to commit one batch of agent messages")
        .register(registry);
    this.storeFailures = Counter.builder("portolan_collector_store_failures_total")
        .description("Batches the database refused; the agent resends them")
        .register(registry);
  }

  Timer commit() {
    return commit;
  }

  void message(String type) {
    messages.computeIfAbsent(type, t -> Counter.builder("portolan_collector_messages_total")
        .tag("type", t).description("Agent messages received").register(registry)).increment();
  }

  void rejected(String reason) {
    rejected.computeIfAbsent(reason, r -> Counter.builder("portolan_collector_rejected_total")
        .tag("reason", r).description("Agent messages or streams refused").register(registry)).increment();
  }

  void storeFailure() {
    storeFailures.increment();
  }
}
