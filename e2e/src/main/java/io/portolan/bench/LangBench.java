package io.portolan.bench;

import static io.portolan.bench.InventoryRuns.analysis;
import static io.portolan.bench.InventoryRuns.awaitOffer;
import static io.portolan.bench.InventoryRuns.ensureBase;
import static io.portolan.bench.InventoryRuns.exitCode;
import static io.portolan.bench.InventoryRuns.launcherClasspath;
import static io.portolan.bench.InventoryRuns.verdict;
import static io.portolan.bench.InventoryRuns.warm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.portolan.bench.InventoryRuns.Offer;
import io.portolan.agent.AgentConfig;
import io.portolan.agent.cache.AgentState;
import io.portolan.agent.docker.DockerImages;
import io.portolan.agent.docker.DockerLayerReader;
import io.portolan.agent.inventory.InventoryScheduler;
import io.portolan.agent.inventory.LayerReader;
import io.portolan.inventory.Analyzers;
import io.portolan.inventory.analyzer.Analyzer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench lang}: what a language inventory costs, on two images built from real packages:
 * 300 jars from Maven Central (~160 MB) and ~1,500 npm packages installed by {@code npm ci} of a
 * committed lock file, each on the debootstrap bookworm base. Measures, in interleaved rounds, a
 * cold {@code portolan inventory} process through overlay2 (JVM start included) and a warm
 * re-inventory through the agent's layer cache, and checks first that the inventory finds exactly
 * what was installed: every {@code pom.properties} identity of every jar, and every installed
 * {@code package.json} of the npm tree with its path.
 */
@Command(name = "lang", mixinStandardHelpOptions = true,
    description = "Language inventory of a 300-jar image and a 1,500-npm-package image: cold process and warm"
        + " agent-cache times against their targets.")
final class LangBench implements Callable<Integer> {
  private static final double TARGET_COLD_S = 1.5;
  private static final double TARGET_WARM_MS = 50;
  private static final String BASE_IMAGE = "portolan-test/debian:bookworm";
  private static final String JARS_DIR = "opt/app/lib";
  private static final String NPM_DIR = "srv/app";
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--jars-image", defaultValue = "portolan-bench/lang-jars:1", description = "(default: ${DEFAULT-VALUE})")
  String jarsImage;

  @Option(names = "--npm-image", defaultValue = "portolan-bench/lang-npm:1", description = "(default: ${DEFAULT-VALUE})")
  String npmImage;

  @Option(names = "--rounds", defaultValue = "5", description = "Interleaved rounds (default: ${DEFAULT-VALUE})")
  int rounds;

  @Option(names = "--rebuild", description = "Fetch the packages and build both images again")
  boolean rebuild;

  @Option(names = "--docker-host", defaultValue = AgentConfig.DEFAULT_DOCKER_HOST, description = "Docker engine socket")
  String dockerHost;

  @Option(names = "--cli-classpath",
      description = "Class path of the measured 'portolan inventory' processes (default: the launcher's)")
  String cliClasspath;

  /** One image under test, with what the cold checks need. */
  private record Subject(String label, String image, String id, List<String> diffIds) {}

  private final Rounds results = new Rounds();

  @Override
  public Integer call() throws Exception {
    if (rounds < 1) throw new IllegalStateException("--rounds must be at least 1");
    if (cliClasspath == null || cliClasspath.isBlank()) cliClasspath = launcherClasspath();
    Path work = BenchProcess.workDir("lang");
    // Fetched packages are kept between runs (npm ci of 1,500 packages takes minutes); --rebuild fetches anew.
    Path cache = Path.of(System.getProperty("user.home"), ".cache", "portolan", "bench-lang");
    if (rebuild) deleteTree(cache);
    Path jarsContext = Files.createDirectories(cache.resolve("jars-image"));
    Path npmContext = Files.createDirectories(cache.resolve("npm-image"));
    ensureBase(BASE_IMAGE);
    buildJarsImage(work, jarsContext);
    buildNpmImage(work, npmContext);

    try (DockerImages docker = DockerImages.open(dockerHost, AgentConfig.DEFAULT_DOCKER_API_VERSION)) {
      List<Subject> subjects = new ArrayList<>();
      for (String[] s : new String[][] {{"jars", jarsImage}, {"npm", npmImage}}) {
        var ref = docker.resolve(s[1]).orElseThrow(() -> new IllegalStateException("image " + s[1] + " is missing"));
        subjects.add(new Subject(s[0], s[1], ref.id(), ref.diffIds()));
        System.out.printf("image %s: %s, %.0f MB, %d layers%n", s[1], ref.id(), ref.sizeBytes() / 1e6,
            ref.diffIds().size());
      }
      Path root = docker.overlay2Root().orElseThrow(() -> new IllegalStateException(
          "overlay2 layers are not readable here (storage driver not overlay2, or not root)"));

      // Correctness first: what was installed, exactly, and nothing else.
      for (Subject s : subjects) {
        cli(work, s.label() + "-archive", List.of("inventory", s.image(), "--source", "overlay2", "--format", "json"));
        JsonNode report = JSON.readTree(work.resolve(s.label() + "-archive.out").toFile());
        if (s.label().equals("jars")) checkJars(report, jarsContext.resolve("lib"));
        else checkNpm(report, npmContext.resolve("app"));
      }
      cli(work, "help", List.of("inventory", "--help"));

      List<Analyzer> analyzers = Analyzers.all();
      AtomicReference<CompletableFuture<Offer>> nextOffer = new AtomicReference<>(new CompletableFuture<>());
      AtomicInteger layerReads = new AtomicInteger();
      LayerReader overlay2 = new DockerLayerReader(
          () -> DockerImages.open(dockerHost, AgentConfig.DEFAULT_DOCKER_API_VERSION), DockerLayerReader.Mode.OVERLAY2);
      LayerReader counted = (imageId, diffIds, needed, cancel) -> {
        layerReads.incrementAndGet();
        return overlay2.analyze(imageId, diffIds, needed, cancel);
      };
      try (AgentState state = AgentState.open(work.resolve("agent-state"));
          InventoryScheduler scheduler = new InventoryScheduler(state, counted, analyzers,
              new InventoryScheduler.Settings(1, true, false), m -> {
                if (m.hasLayerOffer()) nextOffer.get().complete(new Offer(System.nanoTime(), m.getLayerOffer()));
                return true;
              }, () -> {})) {
        for (Subject s : subjects) {
          int units = s.diffIds().size() * analyzers.size();
          CompletableFuture<Offer> offer = new CompletableFuture<>();
          nextOffer.set(offer);
          long t0 = System.nanoTime();
          scheduler.imageSeen(s.id(), s.diffIds());
          Offer cold = awaitOffer(offer, units, "the cold agent inventory of " + s.image());
          System.out.printf("agent cache filled for %s in process: %.3f s%n", s.label(), (cold.nanos() - t0) / 1e9);
        }
        for (int round = 0; round < rounds; round++) {
          Map<String, Double> r = new LinkedHashMap<>();
          List<Runnable> steps = new ArrayList<>();
          for (Subject s : subjects) {
            int units = s.diffIds().size() * analyzers.size();
            steps.add(() -> {
              var run = cli(work, s.label(), List.of("inventory", s.image(), "--source", "overlay2", "--format", "json"));
              r.put(s.label() + "_cold", run[0]);
              r.put(s.label() + "_rss_mb", run[1]);
            });
            steps.add(() -> r.put(s.label() + "_warm_ms", warm(scheduler, s.id(), nextOffer, layerReads, units)));
            steps.add(() -> r.put(s.label() + "_analysis", analysis(root, s.diffIds(), analyzers)));
          }
          steps.add(() -> r.put("jvm", cli(work, "help", List.of("inventory", "--help"))[0]));
          for (int i = 0; i < steps.size(); i++) steps.get((i + round) % steps.size()).run();
          results.add(r);
          System.out.printf("round %d: jars cold %.2f s (analysis %.2f s), warm %.1f ms | npm cold %.2f s (analysis"
                  + " %.2f s), warm %.1f ms | jvm+cli start %.2f s%n", round + 1, r.get("jars_cold"),
              r.get("jars_analysis"), r.get("jars_warm_ms"), r.get("npm_cold"), r.get("npm_analysis"),
              r.get("npm_warm_ms"), r.get("jvm"));
        }
      }
      summary();
      return 0;
    }
  }

  private void summary() {
    System.out.println();
    System.out.printf("=== lang: %d interleaved rounds, medians ===%n", rounds);
    StringBuilder result = new StringBuilder("RESULT lang");
    for (String label : List.of("jars", "npm")) {
      double cold = results.median(label + "_cold");
      double warm = results.median(label + "_warm_ms");
      System.out.printf("  %-4s cold inventory (process, overlay2)  %6.2f s   target <= %.1f s: %s (%.2fx target);"
              + " in-process analysis %.2f s, peak RSS %.0f MB%n", label, cold, TARGET_COLD_S,
          verdict(cold <= TARGET_COLD_S), cold / TARGET_COLD_S, results.median(label + "_analysis"), results.max(label + "_rss_mb"));
      System.out.printf("  %-4s warm re-inventory (agent cache)  %6.1f ms  target <= %.0f ms: %s (%.2fx target)%n",
          label, warm, TARGET_WARM_MS, verdict(warm <= TARGET_WARM_MS), warm / TARGET_WARM_MS);
      result.append(String.format(" %s_cold_s=%.3f %s_cold_ratio=%.2f %s_warm_ms=%.1f %s_warm_ratio=%.2f", label, cold,
          label, cold / TARGET_COLD_S, label, warm, label, warm / TARGET_WARM_MS));
    }
    System.out.printf("  JVM start + CLI parse ('inventory --help')  %.2f s%n", results.median("jvm"));
    System.out.println(result);
  }

  // ---- the images ----

  /** The jars are fetched every run: the correctness check reads what the image should hold from them. */
  private void buildJarsImage(Path work, Path context) throws Exception {
    List<String> gavs = LangFixtures.benchmarkJars();
    long t0 = System.nanoTime();
    List<Path> jars = LangFixtures.fetchJars(work, gavs, context.resolve("lib"));
    System.out.printf("fetched %d jars (%.0f MB) in %.0f s%n", jars.size(), size(jars) / 1e6, (System.nanoTime() - t0) / 1e9);
    build(work, jarsImage, context, "COPY lib /" + JARS_DIR);
  }

  private void buildNpmImage(Path work, Path context) throws Exception {
    Path app = context.resolve("app");
    LangFixtures.npmProject("", app);
    if (rebuild || exitCode(List.of("docker", "image", "inspect", npmImage)) != 0
        || !Files.isDirectory(app.resolve("node_modules"))) {
      long t0 = System.nanoTime();
      LangFixtures.npmCi(work, app);
      System.out.printf("npm ci: %d packages in %.0f s%n", LangFixtures.installedNpmPackages(app).size(),
          (System.nanoTime() - t0) / 1e9);
    }
    build(work, npmImage, context, "COPY app /" + NPM_DIR);
  }

  /** Builds FROM the base with one COPY layer, unless the image exists (the checks read the cached packages). */
  private void build(Path work, String tag, Path context, String copy) throws IOException, InterruptedException {
    if (!rebuild && exitCode(List.of("docker", "image", "inspect", tag)) == 0) {
      System.out.println("using the existing image " + tag + " (--rebuild builds it again)");
      return;
    }
    Files.writeString(context.resolve("Dockerfile"), "FROM " + BASE_IMAGE + "\n" + copy + "\n");
    List<String> cmd = new ArrayList<>(List.of("docker", "build", "-q", "-t", tag));
    if (rebuild) cmd.add("--no-cache");
    cmd.add(context.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("image-build.log").toFile()));
    pb.environment().put("DOCKER_BUILDKIT", "0");
    Process p = pb.start();
    if (!p.waitFor(1800, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("docker build of " + tag + " failed; see " + work.resolve("image-build.log"));
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  private static long size(List<Path> files) throws IOException {
    long total = 0;
    for (Path f : files) total += Files.size(f);
    return total;
  }

  // ---- correctness ----

  /**
   * Every jar is reported, each at its own path; a jar's pom.properties identities are reported
   * exactly (no more, no fewer); a jar without one is reported once, with how sure that is.
   */
  private static void checkJars(JsonNode report, Path lib) throws IOException {
    Map<String, Set<String>> reported = new TreeMap<>();
    Map<String, String> otherIdentity = new TreeMap<>();
    for (JsonNode p : report.path("packages")) {
      String path = p.path("path").asText();
      if (!p.path("type").asText().equals("maven") || !path.startsWith(JARS_DIR + "/")) continue;
      String file = path.substring(JARS_DIR.length() + 1);
      if (file.contains("!/")) continue; // nested archives inside a jar: checked by the IT
      String identity = p.path("properties").path("identity").asText();
      if (identity.equals("pom.properties")) {
        reported.computeIfAbsent(file, k -> new TreeSet<>()).add(p.path("name").asText() + ":" + p.path("version").asText());
      } else {
        otherIdentity.merge(file, identity, (a, b) -> a + "," + b);
      }
    }
    List<String> problems = new ArrayList<>();
    int poms = 0;
    try (var files = Files.list(lib)) {
      for (Path jar : files.sorted().toList()) {
        String file = jar.getFileName().toString();
        Set<String> expected = new TreeSet<>(LangFixtures.pomIdentities(jar));
        poms += expected.size();
        if (expected.isEmpty()) {
          if (!otherIdentity.containsKey(file) || otherIdentity.get(file).contains(",")) {
            problems.add(file + ": expected once without pom.properties, got " + otherIdentity.get(file));
          }
        } else if (!expected.equals(reported.getOrDefault(file, Set.of()))) {
          problems.add(file + ": expected " + expected + ", got " + reported.get(file));
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException("the jar inventory is wrong for " + problems.size() + " jars: "
          + problems.subList(0, Math.min(10, problems.size())));
    }
    System.out.printf("jars: all %d pom.properties identities reported exactly, and %d jars without one reported once"
        + " (%s)%n", poms, otherIdentity.size(), new TreeMap<>(otherIdentity.values().stream()
            .collect(java.util.stream.Collectors.groupingBy(v -> v, java.util.stream.Collectors.counting()))));
  }

  /** The reported npm packages are exactly the installed package.json files, name, version and path. */
  private static void checkNpm(JsonNode report, Path app) throws IOException {
    Set<String> expected = new TreeSet<>();
    for (String e : LangFixtures.installedNpmPackages(app)) {
      int space = e.indexOf(' ');
      expected.add(e.substring(0, space) + " " + NPM_DIR + "/" + e.substring(space + 1));
    }
    Set<String> got = new TreeSet<>();
    for (JsonNode p : report.path("packages")) {
      if (p.path("type").asText().equals("npm")) {
        got.add(p.path("name").asText() + "@" + p.path("version").asText() + " " + p.path("path").asText());
      }
    }
    if (!expected.equals(got)) {
      Set<String> missing = new TreeSet<>(expected);
      missing.removeAll(got);
      Set<String> extra = new TreeSet<>(got);
      extra.removeAll(expected);
      throw new IllegalStateException("the npm inventory is wrong: " + missing.size() + " missing "
          + missing.stream().limit(5).toList() + ", " + extra.size() + " extra " + extra.stream().limit(5).toList());
    }
    System.out.printf("npm: all %d installed packages reported with their paths, nothing else%n", expected.size());
  }

  // ---- the measurements ----

  /** {seconds, peak RSS MB} of one {@code portolan inventory} process as the launcher starts it. */
  private double[] cli(Path work, String label, List<String> args) {
    var run = InventoryRuns.cli(work, label, cliClasspath, args);
    return new double[] {run.seconds(), run.peakRssMb()};
  }


}
