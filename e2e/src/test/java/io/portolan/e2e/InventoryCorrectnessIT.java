package io.portolan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inventory engine against real images: a debootstrap bookworm base, a layer that installs
 * with apt, one that purges with --auto-remove, one with a file whiteout and an opaque directory,
 * and FROM-scratch images with a distroless status.d, an apk database and rpm databases in sqlite,
 * BDB and NDB form. Expected packages come from the images themselves ({@code dpkg-query} run in
 * each image, or the tool output saved with each fixture), never hand-copied; the test demands 100 %
 * recall and precision and the exact layer of every package, through overlay2 and the save stream.
 */
class InventoryCorrectnessIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String BASE = Engine.DEBIAN_BASE;
  @TempDir static Path work;
  static Engine engine;

  @BeforeAll
  static void buildBase() throws Exception {
    engine = new Engine();
    engine.debianBase();
  }

  @AfterAll
  static void cleanUp() {
    engine.close();
  }

  /** Builds an image from a Dockerfile and files; returns its ID. */
  static String build(String tag, Map<String, Path> files, String... dockerfile) throws IOException {
    Path ctx = Files.createTempDirectory(work, "ctx");
    for (var f : files.entrySet()) {
      Path target = ctx.resolve(f.getKey());
      Files.createDirectories(target.getParent());
      Files.copy(f.getValue(), target);
    }
    Files.writeString(ctx.resolve("Dockerfile"), String.join("\n", dockerfile) + "\nLABEL " + Engine.LABEL + "="
        + engine.run + "\n");
    String id = engine.docker.buildImageCmd(ctx.toFile()).withTags(Set.of(tag))
        .exec(new BuildImageResultCallback()).awaitImageId();
    return engine.docker.inspectImageCmd(id).exec().getId();
  }

  static Path resource(String path) throws IOException {
    Path out = work.resolve("res").resolve(path);
    Files.createDirectories(out.getParent());
    try (InputStream in = InventoryCorrectnessIT.class.getResourceAsStream("/images/" + path)) {
      if (in == null) throw new IllegalStateException("missing test resource images/" + path);
      Files.copy(in, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return out;
  }

  static List<String> diffIds(String image) {
    return engine.docker.inspectImageCmd(image).exec().getRootFS().getLayers();
  }

  /** name=version of every installed package, as dpkg inside the image sees it. */
  static Set<String> dpkgQuery(String image) throws Exception {
    Process p = new ProcessBuilder("docker", "run", "--rm", "--network", "none", "--entrypoint", "dpkg-query", image,
        "-W", "-f", "${db:Status-Abbrev}|${Package}=${Version}\\n").redirectErrorStream(false).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("dpkg-query in " + image).isZero();
    Set<String> installed = new java.util.TreeSet<>();
    for (String line : out.split("\n")) {
      // Third letter of the abbreviation is the error flag; "ii" = installed.
      if (line.startsWith("ii")) installed.add(line.substring(line.indexOf('|') + 1));
    }
    return installed;
  }

  /** name=version -> diff ID of the layer it is attributed to, as `portolan inventory` reports. */
  static Map<String, String> inventory(String image, String source) throws Exception {
    PortolanCli.Result r = PortolanCli.run(work, "inventory", image, "--source", source, "--format", "json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode report = JSON.readTree(r.out());
    assertThat(report.get("source").asText()).isEqualTo(source);
    Map<String, String> found = new TreeMap<>();
    for (JsonNode p : report.get("packages")) {
      String key = p.get("name").asText() + "=" + p.get("version").asText();
      assertThat(found.put(key, p.get("layer").asText())).as("reported twice: " + key).isNull();
    }
    return found;
  }

  /**
   * The layer each package of the last image should be attributed to: walking the chain of images
   * back from the last one, the top layer of the earliest image from which the package (same
   * version) is present in every later image.
   */
  static Map<String, String> expectedAttribution(List<String> chain, Map<String, Set<String>> installed) {
    String last = chain.get(chain.size() - 1);
    Map<String, String> expected = new TreeMap<>();
    for (String pkg : installed.get(last)) {
      int from = chain.size() - 1;
      while (from > 0 && installed.get(chain.get(from - 1)).contains(pkg)) from--;
      List<String> layers = diffIds(chain.get(from));
      expected.put(pkg, layers.get(layers.size() - 1));
    }
    return expected;
  }

  static void assertBothSources(String image, Map<String, String> expected) throws Exception {
    for (String source : List.of("overlay2", "save")) {
      assertThat(inventory(image, source)).as("inventory of %s through %s", image, source).isEqualTo(expected);
    }
  }

  @Test
  void debianImagesLayerByLayer() throws Exception {
    String base = engine.docker.inspectImageCmd(BASE).exec().getId();
    String apt = build("portolan-it/correct-apt:1", Map.of(), "FROM " + BASE,
        "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends"
            + " curl ca-certificates && rm -rf /var/lib/apt/lists/*");
    String purge = build("portolan-it/correct-purge:1", Map.of(), "FROM portolan-it/correct-apt:1",
        "RUN DEBIAN_FRONTEND=noninteractive apt-get purge -y --auto-remove curl");
    String whiteouts = build("portolan-it/correct-whiteouts:1", Map.of(), "FROM portolan-it/correct-purge:1",
        // A file whiteout, and an opaque directory (removed, then made again in the same layer).
        "RUN rm /etc/debian_version && rm -rf /usr/share/doc && mkdir -p /usr/share/doc/kept"
            + " && echo x > /usr/share/doc/kept/file");
    List<String> chain = List.of(base, apt, purge, whiteouts);
    Map<String, Set<String>> installed = new LinkedHashMap<>();
    for (String image : chain) installed.put(image, dpkgQuery(image));
    assertThat(installed.get(apt)).as("apt added packages").hasSizeGreaterThan(installed.get(base).size());
    assertThat(installed.get(purge)).as("purge removed curl").noneMatch(p -> p.startsWith("curl="));

    for (int i = 0; i < chain.size(); i++) {
      assertBothSources(chain.get(i), expectedAttribution(chain.subList(0, i + 1), installed));
    }
  }

  @Test
  void distrolessStatusD() throws Exception {
    Map<String, Path> files = new LinkedHashMap<>();
    for (String f : List.of("base-files", "base-files.md5sums", "libc6", "libgcc-s1", "tzdata")) {
      files.put("var/lib/dpkg/status.d/" + f, resource("distroless/status.d/" + f));
    }
    String image = build("portolan-it/correct-distroless:1", files, "FROM scratch", "COPY var /var");
    Map<String, String> expected = new TreeMap<>();
    String layer = diffIds(image).get(0);
    for (String line : Files.readAllLines(resource("distroless/dpkg-query.txt"))) {
      String[] f = line.split("\\|");
      if (f.length > 5 && f[5].equals("installed")) expected.put(f[0] + "=" + f[1], layer);
    }
    assertThat(expected).hasSize(5);
    assertBothSources(image, expected);
  }

  @Test
  void alpineApkDatabase() throws Exception {
    Path installed = resource("apk/installed");
    String image = build("portolan-it/correct-apk:1", Map.of("lib/apk/db/installed", installed),
        "FROM scratch", "COPY lib /lib");
    Map<String, String> expected = new TreeMap<>();
    String name = null;
    for (String line : Files.readAllLines(installed)) {
      if (line.startsWith("P:")) name = line.substring(2);
      if (line.startsWith("V:")) expected.put(name + "=" + line.substring(2), diffIds(image).get(0));
    }
    assertThat(expected).isNotEmpty();
    assertBothSources(image, expected);
  }

  @Test
  void rpmDatabasesInEveryFormat() throws Exception {
    Map<String, String> paths = Map.of(
        "rpm-sqlite/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite",
        "rpm-bdb/Packages", "var/lib/rpm/Packages",
        "rpm-ndb/Packages.db", "usr/lib/sysimage/rpm/Packages.db");
    for (var db : paths.entrySet()) {
      String format = db.getKey().substring(0, db.getKey().indexOf('/'));
      String top = db.getValue().substring(0, db.getValue().indexOf('/'));
      String image = build("portolan-it/correct-" + format + ":1", Map.of(db.getValue(), resource(db.getKey())),
          "FROM scratch", "COPY " + top + " /" + top);
      Map<String, String> expected = new TreeMap<>();
      for (String line : Files.readAllLines(resource(format + "/rpm-qa.txt"))) {
        String[] f = line.split("\\|");
        if (f[0].equals("gpg-pubkey")) continue;
        String epoch = f[1].equals("(none)") ? "" : f[1] + ":";
        expected.put(f[0] + "=" + epoch + f[2] + "-" + f[3], diffIds(image).get(0));
      }
      assertThat(expected).as(format).isNotEmpty();
      assertBothSources(image, expected);
    }
  }

}
