package io.portolan.bench;

import io.portolan.agent.inventory.InventoryScheduler;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.image.FindingsCache;
import io.portolan.inventory.image.LayerAnalysis;
import io.portolan.inventory.layer.Overlay2LayerSource;
import io.portolan.proto.agent.v1.LayerOffer;
import io.portolan.cli.JvmOptions;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * What {@code bench inventory} and {@code bench lang} measure alike: the launcher's class path for
 * cold processes, the debootstrap base their images build on, a warm re-inventory through the
 * agent's scheduler, and the analysis alone in this process.
 */
final class InventoryRuns {
  private InventoryRuns() {}

  private static final Path TIME = Path.of("/usr/bin/time");

  /** A layer offer the agent sent, and when. */
  record Offer(long nanos, LayerOffer offer) {}

  /** One measured {@code portolan} process: wall seconds, peak RSS, and where its stdout went. */
  record CliRun(double seconds, double peakRssMb, Path out) {}

  /** How {@link #cli} measures peak RSS here, for the report. */
  static String rssMethod() {
    return Files.isExecutable(TIME) ? "/usr/bin/time %M" : "VmHWM sampled every 5 ms";
  }

  /**
   * Runs {@code portolan ARGS} as {@code ./portolan} would (same JVM flags and class-data archive)
   * and measures it. The peak RSS comes from {@code /usr/bin/time} where there is one (the
   * kernel's own count, at no cost to the measured process), else from VmHWM polled every 5 ms.
   * First waits until this JVM's JIT has gone quiet: on two cores its background compiles of the
   * previous step would otherwise run beside the measured process and count against it.
   */
  static CliRun cli(Path work, String label, String classpath, List<String> args) {
    Path out = work.resolve(label + ".out");
    Path err = work.resolve(label + ".err");
    Path rss = work.resolve(label + ".rss");
    boolean time = Files.isExecutable(TIME);
    List<String> cmd = new ArrayList<>();
    if (time) cmd.addAll(List.of(TIME.toString(), "-f", "%M", "-o", rss.toString()));
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(JvmOptions.forCommand("inventory", classpath, args));
    cmd.addAll(List.of("-cp", classpath, "io.portolan.cli.Main"));
    cmd.addAll(args);
    Process p = null;
    try {
      awaitQuietJit();
      long t0 = System.nanoTime();
      p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      double hwmMb = 0;
      while (!p.waitFor(5, TimeUnit.MILLISECONDS)) {
        if (!time) hwmMb = Math.max(hwmMb, sampleHwm(p.pid()));
        if (System.nanoTime() - t0 > TimeUnit.MINUTES.toNanos(30)) {
          throw new IllegalStateException("portolan " + String.join(" ", args) + " did not finish in 30 min");
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (p.exitValue() != 0) {
        throw new IllegalStateException("portolan " + String.join(" ", args) + " exited with " + p.exitValue()
            + ":\n" + tail(err, 30));
      }
      if (time) {
        List<String> lines = Files.readAllLines(rss).stream().filter(l -> !l.isBlank()).toList();
        hwmMb = Long.parseLong(lines.get(lines.size() - 1).trim()) / 1024.0;
      }
      return new CliRun(seconds, hwmMb, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } finally {
      if (p != null && p.isAlive()) p.destroyForcibly();
    }
  }

  /** Waits (at most 5 s) until this JVM has compiled nothing for 200 ms. */
  private static void awaitQuietJit() throws InterruptedException {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    if (jit == null || !jit.isCompilationTimeMonitoringSupported()) return;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    long last = jit.getTotalCompilationTime();
    int quiet = 0;
    while (quiet < 4 && System.nanoTime() < deadline) {
      Thread.sleep(50);
      long now = jit.getTotalCompilationTime();
      quiet = now == last ? quiet + 1 : 0;
      last = now;
    }
  }

  private static double sampleHwm(long pid) {
    try {
      return ProcStats.peakRssMb(pid);
    } catch (RuntimeException e) {
      return 0; // exited between the check and the read, or already a zombie without memory
    }
  }

  /** The last {@code lines} lines of {@code file}, for error messages. */
  static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  /** The class path {@code ./portolan} runs with: the CLI jar and its libraries, not the bench's classes. */
  static String launcherClasspath() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("cli/target/portolan-cli.jar"))) {
        return dir.resolve("cli/target/portolan-cli.jar") + File.pathSeparator + dir.resolve("cli/target/lib") + "/*";
      }
    }
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> !e.isEmpty() && !Files.isDirectory(Path.of(e)))
        .collect(Collectors.joining(File.pathSeparator));
  }

  static int exitCode(List<String> cmd) throws IOException, InterruptedException {
    return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD).start().waitFor();
  }

  /** Builds {@code image} with scripts/build-test-base.sh unless the engine has it already. */
  static void ensureBase(String image) throws IOException, InterruptedException {
    if (exitCode(List.of("docker", "image", "inspect", image)) == 0) return;
    Path script = null;
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isExecutable(dir.resolve("scripts/build-test-base.sh"))) {
        script = dir.resolve("scripts/build-test-base.sh");
        break;
      }
    }
    if (script == null) {
      throw new IllegalStateException("base image " + image + " is missing; run scripts/build-test-base.sh " + image
          + " from the repository (or run this benchmark from there)");
    }
    Process p = new ProcessBuilder(script.toString(), image).inheritIO().start();
    if (p.waitFor() != 0) throw new IllegalStateException(script + " failed (exit " + p.exitValue() + ")");
  }

  static String verdict(boolean met) {
    return met ? "met" : "MISSED";
  }

  /**
   * Milliseconds from asking the scheduler for an inventory of {@code imageId} until its offer of
   * {@code units} units; fails if any layer was read or analyzed, since then the cache did not hold.
   */
  static double warm(InventoryScheduler scheduler, String imageId, AtomicReference<CompletableFuture<Offer>> next,
      AtomicInteger layerReads, int units) {
    CompletableFuture<Offer> offer = new CompletableFuture<>();
    next.set(offer);
    int readsBefore = layerReads.get();
    int analyzedBefore = scheduler.layersAnalyzed();
    long t0 = System.nanoTime();
    if (!scheduler.schedule(imageId)) throw new IllegalStateException("the scheduler refused to inventory " + imageId);
    Offer o = awaitOffer(offer, units, "the warm re-inventory of " + imageId);
    if (layerReads.get() != readsBefore || scheduler.layersAnalyzed() != analyzedBefore) {
      throw new IllegalStateException("the warm re-inventory of " + imageId + " read layers ("
          + (layerReads.get() - readsBefore) + " reads, " + (scheduler.layersAnalyzed() - analyzedBefore)
          + " units analyzed): the cache did not hold");
    }
    return (o.nanos() - t0) / 1e6;
  }

  /** The offer {@code future} brings, which must carry {@code units} units and no error. */
  static Offer awaitOffer(CompletableFuture<Offer> future, int units, String what) {
    Offer o;
    try {
      o = future.get(10, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException(what + " sent no layer offer: " + e, e);
    }
    if (o.offer().getLayersCount() != units || o.offer().getErrorsCount() > 0) {
      throw new IllegalStateException(what + " offered " + o.offer().getLayersCount() + " of " + units
          + " units, errors " + o.offer().getErrorsList());
    }
    return o;
  }

  /** Seconds the CLI's analysis takes in this process (warm JIT), without JVM start, Docker API or output. */
  static double analysis(Path root, List<String> diffIds, List<Analyzer> analyzers) {
    long t0 = System.nanoTime();
    LayerAnalysis.Result result = new LayerAnalysis(analyzers, FindingsCache.NONE)
        .run(new Overlay2LayerSource(root, diffIds));
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (result.imageError().isPresent() || !result.failures().isEmpty()) {
      throw new IllegalStateException("in-process analysis failed: " + result.imageError().orElse("")
          + result.failures());
    }
    return seconds;
  }
}
