package io.portolan.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench agent-idle}: what a synced agent with nothing to report costs its host. */
@Command(name = "agent-idle", mixinStandardHelpOptions = true,
    description = "Agent RSS and CPU while idle, after its initial sync.")
final class AgentIdleBench implements Callable<Integer> {
  private static final double TARGET_RSS_MB = 150;
  private static final double TARGET_CPU_PCT = 1;

  @Option(names = "--seconds", defaultValue = "60", description = "Sampling window (default: ${DEFAULT-VALUE})")
  int seconds;

  @Option(names = "--warmup-seconds", defaultValue = "10", description = "Wait after the initial sync (default: ${DEFAULT-VALUE})")
  int warmupSeconds;

  @Override
  public Integer call() throws Exception {
    Path work = BenchProcess.workDir("agent-idle");
    int httpPort = BenchProcess.freePort();
    int grpcPort = BenchProcess.freePort();
    try (BenchProcess collector = BenchProcess.collector(work, httpPort, grpcPort, null, Duration.ofSeconds(10)).start();
        BenchProcess agent = BenchProcess.agent(work, grpcPort, "bench-host")) {
      CollectorApi api = new CollectorApi(httpPort);
      api.awaitHealthy(collector, Duration.ofSeconds(90));
      agent.start();
      api.awaitHost("bench-host", agent, collector, Duration.ofSeconds(120));
      System.out.printf("agent pid %d synced; warming up %d s, then sampling for %d s...%n",
          agent.pid(), warmupSeconds, seconds);
      Thread.sleep(warmupSeconds * 1000L);

      long pid = agent.pid();
      double[] rss = new double[seconds];
      double cpu0 = ProcStats.cpuSeconds(pid);
      long wall0 = System.nanoTime();
      for (int i = 0; i < seconds; i++) {
        Thread.sleep(1000);
        agent.requireAlive();
        rss[i] = ProcStats.rssMb(pid);
      }
      double wall = (System.nanoTime() - wall0) / 1e9;
      double cpuPct = (ProcStats.cpuSeconds(pid) - cpu0) / wall * 100;
      double avg = Stats.mean(rss);
      double max = Stats.max(rss);

      System.out.println();
      System.out.println("=== agent-idle: " + seconds + " s after sync ===");
      System.out.printf("  RSS   avg %.1f MB, max %.1f MB, peak ever %.1f MB   target < %.0f MB: %s (%.2fx target)%n",
          avg, max, ProcStats.peakRssMb(pid), TARGET_RSS_MB, max < TARGET_RSS_MB ? "met" : "MISSED", max / TARGET_RSS_MB);
      System.out.printf("  CPU   %.2f%% of one core                      target < %.0f%%: %s (%.2fx target)%n",
          cpuPct, TARGET_CPU_PCT, cpuPct < TARGET_CPU_PCT ? "met" : "MISSED", cpuPct / TARGET_CPU_PCT);
      System.out.printf("  JVM   %s%n", String.join(" ", io.portolan.cli.JvmOptions.forCommand("agent")));
      System.out.printf("RESULT agent-idle rss_mb=%.1f rss_max_mb=%.1f cpu_pct=%.2f%n", avg, max, cpuPct);
      return 0;
    }
  }
}
