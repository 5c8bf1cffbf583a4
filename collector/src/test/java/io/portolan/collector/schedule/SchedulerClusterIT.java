package io.portolan.collector.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.portolan.collector.CollectorConfig;
import io.portolan.collector.TestCollector;
import io.portolan.collector.scan.JobState;
import io.portolan.collector.scan.ScanJobs;
import io.portolan.collector.scan.ScanRequest;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two whole collectors, each with its own firing thread and its own scan service, on one real
 * PostgreSQL schema: every due slot of every schedule is started exactly once, whichever collector
 * gets it. Fails, never skips, without PostgreSQL (scripts/ensure-postgres.sh).
 */
class SchedulerClusterIT {
  static final String BASE_URL = System.getenv().getOrDefault("PORTOLAN_TEST_PG_URL",
      "jdbc:postgresql://127.0.0.1:5432/portolan_test");
  static final String USER = System.getenv().getOrDefault("PORTOLAN_TEST_PG_USER", "portolan");
  static final String PASSWORD = System.getenv().getOrDefault("PORTOLAN_TEST_PG_PASSWORD", "portolan");
  static final int SCHEDULES = 20;
  static final int ROUNDS = 3;

  @TempDir Path dirA;
  @TempDir Path dirB;
  String schema;
  TestCollector a;
  TestCollector b;

  /** The scan service of one collector: records who started what, slowly enough for the two to overlap. */
  static final class Ledger {
    final Map<String, List<String>> startsBySchedule = new ConcurrentHashMap<>();
    final AtomicInteger submits = new AtomicInteger();
  }

  record CountingJobs(String collector, Ledger ledger, Map<String, AtomicInteger> perCollector) implements ScanJobs {
    @Override
    public String submit(ScanRequest request) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      String id = collector + "-" + UUID.randomUUID();
      ledger.startsBySchedule.computeIfAbsent(request.scheduleId().orElseThrow(),
          k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(id);
      ledger.submits.incrementAndGet();
      perCollector.computeIfAbsent(collector, k -> new AtomicInteger()).incrementAndGet();
      return id;
    }

    @Override
    public Optional<JobState> state(String jobId) {
      return Optional.of(JobState.SUCCEEDED);
    }

    @Override
    public void pause(String jobId) {}

    @Override
    public void resume(String jobId) {}

    @Override
    public void cancel(String jobId, String reason) {}
  }

  @BeforeEach
  void schema() {
    schema = "sched_it_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c = DriverManager.getConnection(BASE_URL, USER, PASSWORD); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + schema);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL for integration tests is not reachable at " + BASE_URL
          + " (run scripts/ensure-postgres.sh or set PORTOLAN_TEST_PG_URL): " + e.getMessage(), e);
    }
  }

  @AfterEach
  void drop() throws SQLException {
    if (a != null) a.close();
    if (b != null) b.close();
    try (Connection c = DriverManager.getConnection(BASE_URL, USER, PASSWORD); Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }

  @Test
  void twoCollectorsOnOneDatabaseStartEachDueSlotOnce() throws Exception {
    String url = BASE_URL + (BASE_URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    TestClock clock = new TestClock("2024-06-01T00:00:00Z");
    Ledger ledger = new Ledger();
    Map<String, AtomicInteger> perCollector = new ConcurrentHashMap<>();
    a = new TestCollector(CollectorConfig.defaults(dirA).withPorts(0, 0).withDatabase(url, USER, PASSWORD), clock,
        new CountingJobs("a", ledger, perCollector));
    b = new TestCollector(CollectorConfig.defaults(dirB).withPorts(0, 0).withDatabase(url, USER, PASSWORD), clock,
        new CountingJobs("b", ledger, perCollector));

    // Created through either collector's API: every day at 01:00 UTC.
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < SCHEDULES; i++) {
      TestCollector via = i % 2 == 0 ? a : b;
      var r = via.send("POST", "/api/v1/schedules", "{\"name\": \"s" + i + "\", \"timeZone\": \"UTC\","
          + " \"recurrence\": {\"type\": \"daily\", \"at\": \"01:00\"}}");
      assertThat(r.status()).as(r.body()).isEqualTo(201);
      ids.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).get("id").asText());
    }

    for (int round = 1; round <= ROUNDS; round++) {
      // Both loops see the same slots come due at the same moment and race for them.
      clock.set("2024-06-0" + round + "T01:00:00Z");
      a.collector.scheduler().wake();
      b.collector.scheduler().wake();
      int expected = round * SCHEDULES;
      await("round " + round).atMost(Duration.ofSeconds(30)).until(() -> ledger.submits.get() >= expected);
      // Give a double firing the time to show up before counting.
      Thread.sleep(300);
      assertThat(ledger.submits.get()).isEqualTo(expected);
    }
    assertThat(ledger.startsBySchedule.keySet()).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(ledger.startsBySchedule.values()).allSatisfy(starts -> assertThat(starts).hasSize(ROUNDS));
    // Each collector's record of the firings agrees: one SUBMITTED event per slot, by whoever fired it.
    for (String id : ids) {
      var events = a.collector.store().scheduleEvents(id, io.portolan.collector.store.PageRequest.FIRST).items();
      assertThat(events).extracting(e -> e.kind()).containsOnly("SUBMITTED").hasSize(ROUNDS);
      assertThat(events.stream().map(e -> e.jobId().orElseThrow()).collect(Collectors.toSet()))
          .containsExactlyInAnyOrderElementsOf(ledger.startsBySchedule.get(id));
    }
    System.out.println("slots started by collector: " + perCollector);
  }
}
