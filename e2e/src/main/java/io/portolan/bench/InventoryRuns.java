package io.portolan.bench;

import io.portolan.agent.inventory.InventoryScheduler;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.image.FindingsCache;
import io.portolan.inventory.image.LayerAnalysis;
import io.portolan.inventory.layer.Overlay2LayerSource;
import io.portolan.proto.agent.v1.LayerOffer;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

  /** A layer offer the agent sent, and when. */
  record Offer(long nanos, LayerOffer offer) {}

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
