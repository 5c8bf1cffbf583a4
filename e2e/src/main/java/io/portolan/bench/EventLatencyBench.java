package io.portolan.bench;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.LongPredicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench event-latency}: how long a container created or removed on a Docker host takes to show
 * up in (or vanish from) the collector's API, through a real agent following the event stream.
 */
@Command(name = "event-latency", mixinStandardHelpOptions = true,
    description = "Docker event -> API latency through a real agent and collector.")
final class EventLatencyBench implements Callable<Integer> {
  private static final long TARGET_P50_MS = 200;
  private static final long TARGET_P99_MS = 2000;
  private static final long TIMEOUT_MS = 30_000;
  private static final Path BUSYBOX = Path.of("/bin/busybox");

  @Option(names = "--events", defaultValue = "100", description = "Containers to create (default: ${DEFAULT-VALUE})")
  int events;

  @Option(names = "--warmup", defaultValue = "3", description = "Uncounted first events (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--docker-host", defaultValue = "unix:///var/run/docker.sock", description = "Docker engine (default: ${DEFAULT-VALUE})")
  String dockerHost;

  @Override
  public Integer call() throws Exception {
    requireStaticBusybox();
    Path work = BenchProcess.workDir("event-latency");
    DockerClient docker = docker(dockerHost);
    String tag = "portolan-bench-busybox:" + ProcessHandle.current().pid();
    String prefix = "portolan-bench-" + System.currentTimeMillis() + "-";
    List<String> created = new ArrayList<>();
    int httpPort = BenchProcess.freePort();
    int grpcPort = BenchProcess.freePort();
    try (BenchProcess collector = BenchProcess.collector(work, httpPort, grpcPort, null, Duration.ofSeconds(10)).start();
        BenchProcess agent = BenchProcess.agent(work, grpcPort, "bench-host")) {
      CollectorApi api = new CollectorApi(httpPort);
      api.awaitHealthy(collector, Duration.ofSeconds(90));
      agent.start();
      api.awaitHost("bench-host", agent, collector, Duration.ofSeconds(120));
      System.out.printf("collector pid %d, agent pid %d; building %s FROM scratch with %s%n",
          collector.pid(), agent.pid(), tag, BUSYBOX);
      buildImage(docker, work, tag);
      Thread.sleep(2000); // let the agent report the image's build before measuring

      List<Long> appear = new ArrayList<>();
      List<Long> vanish = new ArrayList<>();
      int timeouts = 0;
      for (int i = 0; i < warmup + events; i++) {
        String name = prefix + String.format("%05d", i);
        String id = docker.createContainerCmd(tag).withName(name).withCmd("/bin/busybox", "sleep", "3600")
            .withLabels(Map.of("portolan-bench", "1")).exec().getId();
        long t0 = System.nanoTime();
        created.add(id);
        long a = await(api, name, total -> total >= 1, t0);
        long r = -1;
        if (i % 2 == 1) {
          docker.removeContainerCmd(id).withForce(true).exec();
          long t1 = System.nanoTime();
          created.remove(id);
          r = await(api, name, total -> total == 0, t1);
        }
        if (a >= TIMEOUT_MS || r >= TIMEOUT_MS) timeouts++;
        if (i >= warmup) {
          appear.add(a);
          if (r >= 0) vanish.add(r);
        }
        agent.requireAlive();
        collector.requireAlive();
      }

      long[] ap = Stats.sorted(appear.stream().mapToLong(Long::longValue).toArray());
      long[] rm = Stats.sorted(vanish.stream().mapToLong(Long::longValue).toArray());
      System.out.println();
      System.out.println("=== event-latency: " + events + " containers created, " + rm.length + " removed ===");
      report("appearance (create -> API)", ap);
      report("removal (rm -> gone from API)", rm);
      System.out.printf("  timeouts (> %d s)               %d%n", TIMEOUT_MS / 1000, timeouts);
      System.out.printf("RESULT event-latency p50_ms=%d p99_ms=%d max_ms=%d rm_p50_ms=%d rm_p99_ms=%d%n",
          Stats.percentile(ap, 50), Stats.percentile(ap, 99), ap.length == 0 ? 0 : ap[ap.length - 1],
          Stats.percentile(rm, 50), Stats.percentile(rm, 99));
      return timeouts == 0 ? 0 : 1;
    } finally {
      for (String id : created) {
        try {
          docker.removeContainerCmd(id).withForce(true).exec();
        } catch (RuntimeException e) {
          System.err.println("could not remove container " + id + ": " + e.getMessage());
        }
      }
      try {
        docker.removeImageCmd(tag).withForce(true).exec();
      } catch (RuntimeException e) {
        // never built
      }
      docker.close();
    }
  }

  private static void report(String what, long[] sorted) {
    long p50 = Stats.percentile(sorted, 50);
    long p99 = Stats.percentile(sorted, 99);
    System.out.printf("  %-31s p50 %5d ms  p90 %5d ms  p99 %5d ms  max %5d ms%n", what, p50,
        Stats.percentile(sorted, 90), p99, sorted.length == 0 ? 0 : sorted[sorted.length - 1]);
    System.out.printf("  %-31s p50 %.2fx of %d ms target (%s), p99 %.2fx of %d ms target (%s)%n", "",
        p50 / (double) TARGET_P50_MS, TARGET_P50_MS, p50 <= TARGET_P50_MS ? "met" : "MISSED",
        p99 / (double) TARGET_P99_MS, TARGET_P99_MS, p99 <= TARGET_P99_MS ? "met" : "MISSED");
  }

  /** Polls the container listing every 10 ms; returns the elapsed ms since {@code since}. */
  private static long await(CollectorApi api, String name, LongPredicate done, long since) throws InterruptedException {
    String path = "/api/v1/containers?size=1&search=" + CollectorApi.encode(name);
    while (true) {
      long elapsed = (System.nanoTime() - since) / 1_000_000;
      if (elapsed >= TIMEOUT_MS) return elapsed;
      var page = api.getOrNull(path);
      if (page != null && done.test(page.path("total").asLong(-1))) return (System.nanoTime() - since) / 1_000_000;
      Thread.sleep(10);
    }
  }

  private static void requireStaticBusybox() throws IOException, InterruptedException {
    if (!Files.isExecutable(BUSYBOX)) {
      throw new IllegalStateException(BUSYBOX + " is missing: install Debian's package busybox-static"
          + " (apt-get install busybox-static); the test image is built FROM scratch around it");
    }
    Process p = new ProcessBuilder("file", "-L", BUSYBOX.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    if (out.contains("dynamically linked")) {
      throw new IllegalStateException(BUSYBOX + " is dynamically linked and cannot run FROM scratch: install"
          + " Debian's package busybox-static");
    }
  }

  private static void buildImage(DockerClient docker, Path work, String tag) throws IOException {
    Path context = Files.createDirectories(work.resolve("image"));
    Files.copy(BUSYBOX, context.resolve("busybox"));
    Files.writeString(context.resolve("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nLABEL portolan-bench=1\nCMD [\"/bin/busybox\", \"sleep\", \"3600\"]\n");
    docker.buildImageCmd(context.toFile()).withTags(Set.of(tag)).withPull(false)
        .exec(new BuildImageResultCallback()).awaitImageId();
  }

  static DockerClient docker(String host) {
    DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
        .withDockerHost(host).withApiVersion("1.41").build();
    ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder().dockerHost(config.getDockerHost())
        .maxConnections(10).connectionTimeout(Duration.ofSeconds(5)).responseTimeout(Duration.ofSeconds(120)).build();
    return DockerClientImpl.getInstance(config, http);
  }
}
