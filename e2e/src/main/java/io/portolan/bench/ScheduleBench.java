package io.portolan.bench;

import io.portolan.collector.scan.JobState;
import io.portolan.collector.scan.ScanCategory;
import io.portolan.collector.scan.ScanJobs;
import io.portolan.collector.scan.ScanRequest;
import io.portolan.collector.scan.ScanScope;
import io.portolan.collector.schedule.AllowedWindow;
import io.portolan.collector.schedule.Recurrence;
import io.portolan.collector.schedule.ScheduleService;
import io.portolan.collector.schedule.ScheduleSpec;
import io.portolan.collector.schedule.Scheduler;
import io.portolan.collector.store.jdbc.DatabaseSettings;
import io.portolan.collector.store.jdbc.JdbcStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code portolan bench schedules}: the schedule side of scheduled scans, in the collector's own
 * classes against a real database. Several "collectors" (each its own connection pool and firing
 * loop) race to fire thousands of schedules that all come due at the same instant, twice; every
 * slot must start exactly one job. Also measures the idle pass each loop makes while nothing is due,
 * and the cost of computing fire times.
 */
@Command(name = "schedules", mixinStandardHelpOptions = true,
    description = "N schedules due at once, fired by C racing collectors on one database; idle pass; fire-time"
        + " computation.")
final class ScheduleBench implements Callable<Integer> {
  @Option(names = "--schedules", defaultValue = "5000", description = "Schedules (default: ${DEFAULT-VALUE})")
  int schedules;

  @Option(names = "--collectors", defaultValue = "2", description = "Racing collectors (default: ${DEFAULT-VALUE})")
  int collectors;

  @Mixin BenchDatabase database;

  /** A moveable clock shared by every loop, so all slots come due at one instant. */
  static final class BenchClock extends Clock {
    volatile Instant now;

    BenchClock(Instant now) {
      this.now = now;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }

  /** Counts submits per schedule; jobs finish at once so no slot is skipped as an overlap. */
  record CountingJobs(Map<String, AtomicInteger> perSchedule, AtomicInteger total) implements ScanJobs {
    @Override
    public String submit(ScanRequest request) {
      perSchedule.computeIfAbsent(request.scheduleId().orElseThrow(), k -> new AtomicInteger()).incrementAndGet();
      total.incrementAndGet();
      return UUID.randomUUID().toString();
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

  @Override
  public Integer call() throws Exception {
    double[] fireTimeMicros = fireTimes();

    Path dir = Files.createTempDirectory("portolan-schedule-bench");
    String schema = null;
    DatabaseSettings db;
    if (!database.postgres()) {
      db = DatabaseSettings.h2File(dir);
      if (collectors > 1) System.out.println("embedded H2 serves one collector: --collectors set to 1");
      collectors = 1;
    } else {
      schema = database.createSchema("bench_sched");
      db = new DatabaseSettings(database.urlIn(schema, false), database.user, database.password, 4);
    }
    BenchClock clock = new BenchClock(Instant.parse("2025-01-01T00:00:00Z"));
    Map<String, AtomicInteger> perSchedule = new ConcurrentHashMap<>();
    AtomicInteger total = new AtomicInteger();
    List<JdbcStore> stores = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(collectors);
    try {
      for (int i = 0; i < collectors; i++) stores.add(JdbcStore.open(db));
      List<Scheduler> loops = new ArrayList<>();
      for (int i = 0; i < collectors; i++) {
        loops.add(new Scheduler(stores.get(i), new CountingJobs(perSchedule, total), clock, "bench-" + i,
            Duration.ofSeconds(30)));
      }
      ScheduleService service = new ScheduleService(stores.get(0), new CountingJobs(perSchedule, total), clock,
          () -> {});
      long c0 = System.nanoTime();
      for (int i = 0; i < schedules; i++) {
        service.create(new ScheduleSpec("bench-" + i, true, ScanScope.allImages(), Set.of(ScanCategory.VULNERABILITIES),
            false, new Recurrence.Daily(LocalTime.of(1, 0)), ZoneOffset.UTC, Optional.empty()));
      }
      long createMs = (System.nanoTime() - c0) / 1_000_000;
      if (database.postgres()) vacuum(db);

      long[] idle = new long[21];
      for (int i = 0; i < idle.length; i++) {
        long s = System.nanoTime();
        loops.get(0).runDue();
        stores.get(0).nextScheduleWake();
        idle[i] = System.nanoTime() - s;
      }
      Arrays.sort(idle);

      long[] fireMs = new long[2];
      int[] fired = new int[collectors * fireMs.length];
      for (int round = 0; round < fireMs.length; round++) {
        clock.now = Instant.parse("2025-01-0" + (round + 1) + "T01:00:00Z");
        List<Future<Integer>> passes = new ArrayList<>();
        long s = System.nanoTime();
        for (Scheduler loop : loops) {
          // As the firing thread does: passes until nothing is left that another collector does not hold.
          passes.add(pool.submit(() -> {
            int n = 0;
            for (int k; (k = loop.runDue()) > 0; ) n += k;
            return n;
          }));
        }
        for (int i = 0; i < collectors; i++) fired[round * collectors + i] = passes.get(i).get();
        fireMs[round] = (System.nanoTime() - s) / 1_000_000;
        int expected = (round + 1) * schedules;
        if (total.get() != expected)
          throw new IllegalStateException("round " + (round + 1) + ": " + total.get() + " jobs started, expected "
              + expected);
      }
      long twice = perSchedule.values().stream().filter(n -> n.get() != fireMs.length).count();
      if (perSchedule.size() != schedules || twice > 0)
        throw new IllegalStateException(twice + " schedules did not start exactly one job per slot");

      System.out.printf("fire times: daily %.1f us, every-days %.1f us, weekly %.1f us, cron %.1f us per next run"
          + " (Europe/Berlin, through DST changes)%n", fireTimeMicros[0], fireTimeMicros[1], fireTimeMicros[2],
          fireTimeMicros[3]);
      System.out.printf("%s, %d collectors: created %,d schedules in %,d ms; idle pass (nothing due) p50 %.2f ms"
          + "%n", database.name(), collectors, schedules, createMs, idle[idle.length / 2] / 1e6);
      for (int round = 0; round < fireMs.length; round++) {
        StringBuilder split = new StringBuilder();
        for (int i = 0; i < collectors; i++)
          split.append(i == 0 ? "" : " + ").append(fired[round * collectors + i]);
        System.out.printf("slot %d: %,d schedules due at once fired in %,d ms (%.0f/s; by collector: %s), each once%n",
            round + 1, schedules, fireMs[round], schedules * 1000.0 / Math.max(1, fireMs[round]), split);
      }
      System.out.printf("RESULT schedules db=%s collectors=%d schedules=%d fire_ms=%d refire_ms=%d per_schedule_ms=%.2f"
          + " idle_pass_ms=%.2f next_run_us=%.1f%n", database.name(), collectors, schedules, fireMs[0], fireMs[1],
          fireMs[1] / (double) schedules, idle[idle.length / 2] / 1e6, fireTimeMicros[3]);
    } finally {
      pool.shutdownNow();
      for (JdbcStore s : stores) s.close();
      if (schema != null) database.dropSchema(schema);
    }
    return 0;
  }

  /** Microseconds per next fire time, for daily, every-days, weekly and cron, over a year with both DST changes. */
  private static double[] fireTimes() {
    ZoneId berlin = ZoneId.of("Europe/Berlin");
    Optional<AllowedWindow> none = Optional.empty();
    List<Recurrence> kinds = List.of(new Recurrence.Daily(LocalTime.of(2, 30)),
        new Recurrence.EveryDays(7, LocalDate.of(2024, 1, 1), LocalTime.of(2, 30)),
        new Recurrence.Weekly(EnumSet.of(DayOfWeek.MONDAY, DayOfWeek.SUNDAY), LocalTime.of(2, 30)),
        Recurrence.Cron.parse("*/30 * * * 1-5"));
    double[] out = new double[kinds.size()];
    for (int k = 0; k < kinds.size(); k++) {
      ScheduleSpec spec = new ScheduleSpec("x", true, ScanScope.allImages(), Set.of(ScanCategory.VULNERABILITIES),
          false, kinds.get(k), berlin, none);
      int n = 0;
      long best = Long.MAX_VALUE;
      for (int rep = 0; rep < 5; rep++) {
        Instant t = Instant.parse("2024-01-01T00:00:00Z");
        long s = System.nanoTime();
        n = 0;
        while (t.isBefore(Instant.parse("2025-01-01T00:00:00Z")) && n < 20_000) {
          t = spec.nextRun(t).orElseThrow();
          n++;
        }
        best = Math.min(best, System.nanoTime() - s);
      }
      out[k] = best / 1e3 / n;
    }
    return out;
  }

  private static void vacuum(DatabaseSettings db) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement()) {
      s.execute("VACUUM ANALYZE schedules");
    }
  }
}
