package io.portolan.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench ingest}: how fast one collector process takes in the initial snapshots of many
 * simulated agents, and what their heartbeats cost it afterwards.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = "Initial sync of N simulated agents over real gRPC, then steady-state heartbeats.")
final class IngestBench implements Callable<Integer> {
  private static final double TARGET_SYNC_S_5000 = 60;

  @Option(names = "--agents", required = true, description = "Simulated agents")
  int agents;

  @Option(names = "--images", defaultValue = "50", description = "Images per host (default: ${DEFAULT-VALUE})")
  int images;

  @Option(names = "--containers", defaultValue = "20", description = "Containers per host (default: ${DEFAULT-VALUE})")
  int containers;

  @Option(names = "--image-pool", defaultValue = "2000", description = "Distinct images in the fleet (default: ${DEFAULT-VALUE})")
  int imagePool;

  @Option(names = "--max-concurrent", defaultValue = "0",
      description = "Agents syncing at the same time; 0 = all at once (default: ${DEFAULT-VALUE})")
  int maxConcurrent;

  @Mixin BenchDatabase database;

  @Option(names = "--heartbeat-seconds", defaultValue = "10", description = "Heartbeat interval (default: ${DEFAULT-VALUE})")
  int heartbeatSeconds;

  @Option(names = "--steady-seconds", defaultValue = "30", description = "Steady-state window (default: ${DEFAULT-VALUE})")
  int steadySeconds;

  @Option(names = "--sync-timeout-seconds", defaultValue = "540", description = "Give up on the sync after (default: ${DEFAULT-VALUE})")
  int syncTimeoutSeconds;

  @Option(names = "--keep", description = "Keep the PostgreSQL schema and the H2 data directory")
  boolean keep;

  @Override
  public Integer call() throws Exception {
    boolean postgres = database.postgres();
    String dbName = postgres ? "postgres" : "h2";
    Path work = BenchProcess.workDir("ingest");
    String schema = postgres ? database.createSchema("bench") : null;
    BenchProcess.Database db = postgres
        ? new BenchProcess.Database(database.urlIn(schema, true), database.user, database.password) : null;
    int httpPort = BenchProcess.freePort();
    int grpcPort = BenchProcess.freePort();
    try (BenchProcess collector = BenchProcess.collector(work, httpPort, grpcPort, db,
        Duration.ofSeconds(heartbeatSeconds)).start()) {
      CollectorApi api = new CollectorApi(httpPort);
      api.awaitHealthy(collector, Duration.ofSeconds(90));
      long pid = collector.pid();
      System.out.printf("collector pid %d (log %s); building the fleet of %d images%n", pid, collector.log(), imagePool);
      Fleet fleet = new Fleet(42, imagePool);

      try (AgentSimulator sim = new AgentSimulator(grpcPort, fleet, agents, images, containers, maxConcurrent)) {
        System.out.printf("syncing %d agents (%d images, %d containers each)...%n", agents, images, containers);
        double cpu0 = ProcStats.cpuSeconds(pid);
        AgentSimulator.SyncResult sync = sim.sync(Duration.ofSeconds(syncTimeoutSeconds));
        double syncCpu = ProcStats.cpuSeconds(pid) - cpu0;
        double peakRss = ProcStats.peakRssMb(pid);
        collector.requireAlive();
        if (sync.failed() > 0) {
          throw new IllegalStateException(sync.failed() + " of " + agents + " agents did not sync: "
              + sync.firstError() + "\ncollector log " + collector.log() + ":\n" + collector.logTail(30));
        }
        double syncS = sync.seconds();
        long rows = (long) agents * (1 + images + containers);

        System.out.printf("synced; steady state: heartbeats every %d s for %d s...%n", heartbeatSeconds, steadySeconds);
        double steadyCpu0 = ProcStats.cpuSeconds(pid);
        long wall0 = System.nanoTime();
        long heartbeats = sim.heartbeats(Duration.ofSeconds(heartbeatSeconds), Duration.ofSeconds(steadySeconds));
        double steadyWall = (System.nanoTime() - wall0) / 1e9;
        double steadyCpuPct = (ProcStats.cpuSeconds(pid) - steadyCpu0) / steadyWall * 100;
        double steadyRss = ProcStats.rssMb(pid);

        long hosts = api.total("/api/v1/hosts?size=1");
        long containerRows = api.total("/api/v1/containers?size=1");
        long online = api.total("/api/v1/hosts?size=1&status=online");

        long[] ms = sync.agentMillis();
        System.out.println();
        System.out.println("=== ingest: " + agents + " agents on " + dbName + " ===");
        System.out.printf("  fleet                 %d images/host, %d containers/host, pool %d images, %s%n",
            images, containers, imagePool, maxConcurrent <= 0 ? "all agents at once" : maxConcurrent + " syncing at once");
        System.out.printf("  initial sync          %.2f s (first Hello -> last Ack)%s%n", syncS,
            agents >= 5000 && postgres ? String.format("   target <= %.0f s: %s (%.2fx target)", TARGET_SYNC_S_5000,
                syncS <= TARGET_SYNC_S_5000 ? "MET" : "MISSED", syncS / TARGET_SYNC_S_5000) : "");
        System.out.printf("  throughput            %.1f agents/s, %.0f rows/s (host + host-image + container rows)%n",
            agents / syncS, rows / syncS);
        System.out.printf("  per-agent sync        p50 %d ms, p99 %d ms, max %d ms; reconnects %d%n",
            Stats.percentile(ms, 50), Stats.percentile(ms, 99), ms.length == 0 ? 0 : ms[ms.length - 1], sync.reconnects());
        System.out.printf("  collector CPU (sync)  %.1f s (%.0f%% of one core on average)%n", syncCpu, syncCpu / syncS * 100);
        System.out.printf("  collector peak RSS    %.0f MB (VmHWM)%n", peakRss);
        System.out.printf("  steady state          %.1f%% of one core over %.0f s, %d heartbeats (%.0f/s), RSS %.0f MB%n",
            steadyCpuPct, steadyWall, heartbeats, heartbeats / steadyWall, steadyRss);
        System.out.printf("  check                 hosts %d (expected %d), online %d, containers %d (expected %d), "
            + "stream errors after sync %d%n", hosts, agents, online, containerRows, (long) agents * containers,
            sim.streamErrorsAfterSync());
        System.out.printf("RESULT ingest agents=%d db=%s sync_s=%.2f agents_per_s=%.1f rows_per_s=%.0f sync_cpu_s=%.1f "
            + "peak_rss_mb=%.0f steady_cpu_pct=%.2f%n", agents, dbName, syncS, agents / syncS, rows / syncS, syncCpu,
            peakRss, steadyCpuPct);
        if (hosts != agents || containerRows != (long) agents * containers) {
          System.err.println("FAILED: the collector does not list what the agents sent; log " + collector.log());
          return 1;
        }
        return 0;
      }
    } finally {
      if (postgres && !keep) {
        try {
          database.dropSchema(schema);
        } catch (SQLException e) {
          System.err.println("could not drop schema " + schema + ": " + e.getMessage());
        }
      }
      if (!keep) deleteTree(work.resolve("collector-data"));
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e.getMessage());
    }
  }
}
