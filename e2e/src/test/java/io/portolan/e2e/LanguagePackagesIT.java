package io.portolan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import io.portolan.bench.LangFixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Language packages in real images on a real engine, through overlay2 and the save stream: jars
 * fetched from Maven Central at test time, a Spring-Boot-style fat jar the test builds from them,
 * jars without {@code pom.properties}; {@code node_modules} from {@code npm ci} of a committed lock
 * file, beside a project that has only its lock file; Debian packages that ship Python metadata,
 * a gemspec and a Go binary. Expected values come from the sources (each jar's own {@code
 * pom.properties}, the installed {@code package.json} files, the lock file, {@code dpkg -L} and
 * {@code Built-Using} in the image), and the inventory must equal them exactly, layer included.
 */
class LanguagePackagesIT {
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

  /** Builds {@code context} with {@code dockerfile}; returns the image ID. */
  static String build(String tag, Path context, String... dockerfile) throws IOException {
    Files.writeString(context.resolve("Dockerfile"), String.join("\n", dockerfile) + "\nLABEL " + Engine.LABEL + "="
        + engine.run + "\n");
    String id = engine.docker.buildImageCmd(context.toFile()).withTags(Set.of(tag)).withPull(false)
        .exec(new BuildImageResultCallback()).awaitImageId();
    return engine.docker.inspectImageCmd(id).exec().getId();
  }

  static List<String> diffIds(String image) {
    return engine.docker.inspectImageCmd(image).exec().getRootFS().getLayers();
  }

  /**
   * The rows of {@code portolan inventory} the filter accepts, as "type name@version path L<layer
   * index> {properties} [language purls]", through both sources, which must agree.
   */
  static Set<String> inventory(String image, Predicate<JsonNode> filter) throws Exception {
    Set<String> first = null;
    for (String source : List.of("overlay2", "save")) {
      PortolanCli.Result r = PortolanCli.run(work, "inventory", image, "--source", source, "--format", "json");
      assertThat(r.exit()).as(r.err()).isZero();
      JsonNode report = JSON.readTree(r.out());
      assertThat(report.path("errors")).as("errors through " + source).isEmpty();
      Set<String> rows = new TreeSet<>();
      for (JsonNode p : report.path("packages")) {
        if (!filter.test(p)) continue;
        String row = row(p);
        assertThat(rows.add(row)).as("reported twice through " + source + ": " + row).isTrue();
      }
      if (first == null) {
        first = rows;
      } else {
        assertThat(rows).as("save stream against overlay2").isEqualTo(first);
      }
    }
    return first;
  }

  static String row(JsonNode p) {
    Map<String, String> props = new TreeMap<>();
    p.path("properties").fields().forEachRemaining(e -> {
      if (List.of("identity", "confidence", "dev", "source").contains(e.getKey())) props.put(e.getKey(), e.getValue().asText());
    });
    List<String> purls = new ArrayList<>();
    p.path("languagePurls").forEach(u -> purls.add(u.asText()));
    return p.path("type").asText() + " " + p.path("name").asText() + "@" + p.path("version").asText() + " "
        + p.path("path").asText() + " L" + p.path("layerIndex").asInt() + (props.isEmpty() ? "" : " " + props)
        + (purls.isEmpty() ? "" : " " + new TreeSet<>(purls));
  }

  static String row(String type, String nameVersion, String path, int layer, Map<String, String> props) {
    return type + " " + nameVersion + " " + path + " L" + layer + (props.isEmpty() ? "" : " " + new TreeMap<>(props));
  }

  // ---- Java ----

  @Test
  void javaArchivesNestedAndWithoutMetadataLayerByLayer() throws Exception {
    List<String> gavs = List.of("org.apache.logging.log4j:log4j-core:2.14.1", "org.apache.logging.log4j:log4j-api:2.14.1",
        "com.fasterxml.jackson.core:jackson-databind:2.13.0", "org.apache.commons:commons-text:1.9",
        "org.apache.commons:commons-lang3:3.11", "org.apache.logging.log4j:log4j-core:2.17.1");
    Path fetched = work.resolve("fetched");
    LangFixtures.fetchJars(work, gavs, fetched);
    Path ctx = Files.createDirectories(work.resolve("jars-ctx"));
    Path lib = Files.createDirectories(ctx.resolve("lib"));
    Path legacy = Files.createDirectories(ctx.resolve("legacy"));
    Path upgrade = Files.createDirectories(ctx.resolve("upgrade"));
    // Layer 1: real jars (log4j-core under a name without a version), and a fat jar built from two of them.
    Files.copy(fetched.resolve("log4j-api-2.14.1.jar"), lib.resolve("log4j-api-2.14.1.jar"));
    Files.copy(fetched.resolve("jackson-databind-2.13.0.jar"), lib.resolve("jackson-databind-2.13.0.jar"));
    Files.copy(fetched.resolve("log4j-core-2.14.1.jar"), lib.resolve("log4j-core.jar"));
    fatJar(lib.resolve("app.jar"), Map.of("BOOT-INF/lib/commons-text-1.9.jar", fetched.resolve("commons-text-1.9.jar"),
        "BOOT-INF/lib/commons-lang3-3.11.jar", fetched.resolve("commons-lang3-3.11.jar")));
    // Layer 2: jars without pom.properties: a real one stripped of it (its manifest still says what it
    // is), one whose file name is all there is, and one nothing identifies.
    withoutPomProperties(fetched.resolve("commons-text-1.9.jar"), legacy.resolve("commons-text-1.9.jar"));
    plainJar(legacy.resolve("legacy-utils-3.2.1.jar"));
    plainJar(legacy.resolve("mystery.jar"));
    plainJar(legacy.resolve("gone.jar"));
    // Layer 3 upgrades log4j-core in place; layer 4 deletes a jar.
    Files.copy(fetched.resolve("log4j-core-2.17.1.jar"), upgrade.resolve("log4j-core.jar"));
    String image = build("portolan-it/lang-jars:1", ctx, "FROM " + BASE, "COPY lib /opt/app/lib",
        "COPY legacy /opt/legacy", "COPY upgrade/log4j-core.jar /opt/app/lib/log4j-core.jar", "RUN rm /opt/legacy/gone.jar");

    Set<String> expected = new TreeSet<>();
    Map<String, String> pom = Map.of("identity", "pom.properties");
    for (String jar : List.of("log4j-api-2.14.1.jar", "jackson-databind-2.13.0.jar")) {
      for (String gav : LangFixtures.pomIdentities(lib.resolve(jar))) expected.add(row("maven", nv(gav), "opt/app/lib/" + jar, 1, pom));
    }
    for (String gav : LangFixtures.pomIdentities(upgrade.resolve("log4j-core.jar"))) {
      expected.add(row("maven", nv(gav), "opt/app/lib/log4j-core.jar", 3, pom));
    }
    expected.add(row("maven", "com.example:demo@1.0.0", "opt/app/lib/app.jar", 1, pom));
    for (String nested : List.of("commons-text-1.9.jar", "commons-lang3-3.11.jar")) {
      for (String gav : LangFixtures.pomIdentities(fetched.resolve(nested))) {
        expected.add(row("maven", nv(gav), "opt/app/lib/app.jar!/BOOT-INF/lib/" + nested, 1, pom));
      }
    }
    for (String gav : LangFixtures.pomIdentities(fetched.resolve("commons-text-1.9.jar"))) {
      expected.add(row("maven", nv(gav), "opt/legacy/commons-text-1.9.jar", 2,
          Map.of("identity", "manifest", "confidence", "medium")));
    }
    expected.add(row("maven", "legacy-utils@3.2.1", "opt/legacy/legacy-utils-3.2.1.jar", 2,
        Map.of("identity", "filename", "confidence", "low")));
    expected.add(row("maven", "mystery.jar@", "opt/legacy/mystery.jar", 2, Map.of("identity", "unidentified")));

    assertThat(diffIds(image)).hasSize(5);
    assertThat(inventory(image, p -> p.path("type").asText().equals("maven"))).isEqualTo(expected);
  }

  private static String nv(String gav) {
    int last = gav.lastIndexOf(':');
    return gav.substring(0, last) + "@" + gav.substring(last + 1);
  }

  /** A Spring Boot executable jar: the loader, the application's own pom.properties, and stored nested jars. */
  private static void fatJar(Path out, Map<String, Path> nested) throws IOException {
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
      put(zip, "META-INF/MANIFEST.MF", ("Manifest-Version: 1.0\r\nMain-Class: org.springframework.boot.loader.JarLauncher"
          + "\r\nStart-Class: com.example.demo.DemoApplication\r\n\r\n").getBytes(StandardCharsets.UTF_8), false);
      put(zip, "META-INF/maven/com.example/demo/pom.properties",
          "artifactId=demo\ngroupId=com.example\nversion=1.0.0\n".getBytes(StandardCharsets.UTF_8), false);
      put(zip, "org/springframework/boot/loader/JarLauncher.class", new byte[512], false);
      put(zip, "BOOT-INF/classes/com/example/demo/DemoApplication.class", new byte[256], false);
      for (var e : new TreeMap<>(nested).entrySet()) put(zip, e.getKey(), Files.readAllBytes(e.getValue()), true);
    }
  }

  /** A copy of {@code jar} without its META-INF/maven tree, as some build tools write them. */
  private static void withoutPomProperties(Path jar, Path out) throws IOException {
    try (ZipFile in = new ZipFile(jar.toFile()); ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
      for (Enumeration<? extends ZipEntry> en = in.entries(); en.hasMoreElements(); ) {
        ZipEntry e = en.nextElement();
        if (e.getName().startsWith("META-INF/maven/") || e.isDirectory()) continue;
        try (InputStream data = in.getInputStream(e)) {
          put(zip, e.getName(), data.readAllBytes(), false);
        }
      }
    }
  }

  /** A jar of classes only: no pom.properties, a manifest that names nothing. */
  private static void plainJar(Path out) throws IOException {
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
      put(zip, "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: hand\r\n\r\n".getBytes(StandardCharsets.UTF_8),
          false);
      put(zip, "com/example/Util.class", ("class bytes of " + out.getFileName()).getBytes(StandardCharsets.UTF_8), false);
    }
  }

  private static void put(ZipOutputStream zip, String name, byte[] data, boolean stored) throws IOException {
    ZipEntry e = new ZipEntry(name);
    if (stored) {
      CRC32 crc = new CRC32();
      crc.update(data);
      e.setMethod(ZipEntry.STORED);
      e.setSize(data.length);
      e.setCompressedSize(data.length);
      e.setCrc(crc.getValue());
    }
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }

  // ---- npm ----

  @Test
  void npmInstalledTreeAndALockFileWithoutOne() throws Exception {
    Path ctx = Files.createDirectories(work.resolve("npm-ctx"));
    Path app = ctx.resolve("app");
    LangFixtures.npmProject("it/", app);
    LangFixtures.npmCi(work, app);
    Path lockOnly = ctx.resolve("lockonly");
    LangFixtures.npmProject("it/", lockOnly);
    String image = build("portolan-it/lang-npm:1", ctx, "FROM " + BASE, "COPY app /srv/app", "COPY lockonly /srv/lockonly");

    Set<String> expected = new TreeSet<>();
    for (String installed : LangFixtures.installedNpmPackages(app)) {
      int space = installed.indexOf(' ');
      expected.add(row("npm", installed.substring(0, space), "srv/app/" + installed.substring(space + 1), 1, Map.of()));
    }
    // The project without node_modules is known by its lock file alone: every package in it, dev ones marked.
    JsonNode lock = JSON.readTree(lockOnly.resolve("package-lock.json").toFile());
    lock.path("packages").fields().forEachRemaining(e -> {
      if (e.getKey().isEmpty()) return;
      String name = e.getValue().path("name").asText(e.getKey().substring(e.getKey().lastIndexOf("node_modules/") + 13));
      Map<String, String> props = new LinkedHashMap<>(Map.of("source", "lockfile"));
      if (e.getValue().path("dev").asBoolean(false)) props.put("dev", "true");
      expected.add(row("npm", name + "@" + e.getValue().path("version").asText(), "srv/lockonly/package-lock.json", 2,
          props));
    });
    assertThat(expected).anyMatch(r -> r.contains("/node_modules/send/node_modules/ms/"))
        .anyMatch(r -> r.contains("@sindresorhus/is@")).anyMatch(r -> r.contains("dev=true"));
    assertThat(inventory(image, p -> p.path("type").asText().equals("npm"))).isEqualTo(expected);
  }

  // ---- Debian packages that ship language packages ----

  @Test
  void debianPackagesShippingLanguagePackagesAreReportedOnceAsTheDebianPackage() throws Exception {
    Path ctx = Files.createDirectories(work.resolve("deb-ctx"));
    Path probe = Files.createDirectories(ctx.resolve("probe/portolan_probe-1.0.dist-info"));
    Files.writeString(probe.resolve("METADATA"), "Metadata-Version: 2.1\nName: portolan_probe\nVersion: 1.0\n");
    String image = build("portolan-it/lang-deb:1", ctx, "FROM " + BASE,
        "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends"
            + " python3-requests ruby-rack fzf && rm -rf /var/lib/apt/lists/*",
        // Not installed by dpkg: a distribution as pip would leave it, and a copy of a Go binary.
        "COPY probe /usr/local/lib/python3.11/dist-packages",
        "RUN cp /usr/bin/fzf /usr/local/bin/fzf-copy");

    // What dpkg says each package installed, and the language identities those files carry.
    Map<String, Set<String>> shipped = new TreeMap<>();
    for (String line : exec(image, "for p in $(dpkg-query -W -f '${Package}\\n'); do dpkg -L $p | sed \"s|^|$p |\"; done")) {
      String[] f = line.split(" ", 2);
      if (f.length < 2) continue;
      String file = f[1].substring(f[1].lastIndexOf('/') + 1);
      String dir = f[1].substring(0, Math.max(0, f[1].lastIndexOf('/')));
      String dirName = dir.substring(dir.lastIndexOf('/') + 1);
      if (file.equals("PKG-INFO") && dirName.endsWith(".egg-info") || file.equals("METADATA") && dirName.endsWith(".dist-info")) {
        String[] nv = dirName.substring(0, dirName.lastIndexOf('.')).split("-", 2);
        shipped.computeIfAbsent(f[0], k -> new TreeSet<>())
            .add("pkg:pypi/" + nv[0].toLowerCase(java.util.Locale.ROOT).replaceAll("[-_.]+", "-") + "@" + nv[1]);
      } else if (file.endsWith(".gemspec") && (dirName.equals("specifications") || dir.endsWith("/specifications/default"))) {
        String stem = file.substring(0, file.length() - ".gemspec".length());
        int dash = stem.lastIndexOf('-');
        shipped.computeIfAbsent(f[0], k -> new TreeSet<>()).add("pkg:gem/" + stem.substring(0, dash) + "@" + stem.substring(dash + 1));
      }
    }
    String builtUsing = String.join("", exec(image, "dpkg-query -W -f '${Built-Using}' fzf"));
    var go = java.util.regex.Pattern.compile("golang-1\\.\\d+ \\(= (\\d+\\.\\d+\\.\\d+)-").matcher(builtUsing);
    assertThat(go.find()).as("fzf Built-Using " + builtUsing).isTrue();
    String stdlib = "pkg:golang/stdlib@v" + go.group(1);
    assertThat(shipped.keySet()).contains("python3-requests", "python3-urllib3", "ruby-rack");

    Set<String> debs = inventory(image, p -> p.path("type").asText().equals("deb") && p.path("languagePurls").size() > 0);
    Map<String, Set<String>> linked = new TreeMap<>();
    for (String r : debs) {
      String name = r.substring(4, r.indexOf('@'));
      Set<String> purls = new TreeSet<>(List.of(r.substring(r.lastIndexOf('[') + 1, r.length() - 1).split(", ")));
      linked.put(name, purls);
    }
    // Every Debian package that ships Python metadata or a gemspec carries those identities: exactly
    // them for the single-purpose python3-* and ruby-* packages; libruby3.1 also ships the test
    // fixtures of its bundled gems (more gemspecs, a node_modules tree), which are found too.
    assertThat(linked.keySet()).containsAll(shipped.keySet());
    shipped.forEach((deb, purls) -> {
      if (deb.startsWith("lib")) {
        assertThat(linked.get(deb)).as(deb).containsAll(purls);
      } else {
        assertThat(linked.get(deb)).as(deb).isEqualTo(purls);
      }
    });
    Set<String> fzfLinked = linked.get("fzf");
    assertThat(fzfLinked).as("fzf ships Go").isNotNull();
    // ... and fzf its Go standard library, reported through the Debian package, not beside it.
    assertThat(fzfLinked).contains(stdlib);

    Set<String> language = inventory(image, p -> !List.of("deb", "apk", "rpm").contains(p.path("type").asText()));
    int top = diffIds(image).size() - 1;
    // What dpkg did not install is reported on its own, in the layer that brought it.
    assertThat(language).contains(row("pypi", "portolan_probe@1.0",
        "usr/local/lib/python3.11/dist-packages/portolan_probe-1.0.dist-info/METADATA", top - 1, Map.of()));
    assertThat(language).filteredOn(r -> r.contains(" usr/local/bin/fzf-copy ")).allMatch(r -> r.endsWith(" L" + top));
    assertThat(language).as("only the probe and the copied binary are outside dpkg")
        .allMatch(r -> r.contains("portolan_probe") || r.contains(" usr/local/bin/fzf-copy "));
    assertThat(language.stream().filter(r -> r.contains(" usr/local/bin/fzf-copy ")).map(r -> r.split(" ")[1]))
        .contains(stdlib.substring("pkg:golang/".length()));
    assertThat(language.stream().filter(r -> r.contains(" usr/local/bin/fzf-copy ")).count()).isEqualTo(fzfLinked.size());
  }

  @Test
  void aGoBinaryWhoseExecuteBitsALaterLayerRemovedIsNoLongerReported() throws Exception {
    Path ctx = Files.createDirectories(work.resolve("chmod-ctx"));
    // The same install as the Debian test above, so the engine reuses that layer when it exists.
    String image = build("portolan-it/lang-chmod:1", ctx, "FROM " + BASE,
        "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends"
            + " python3-requests ruby-rack fzf && rm -rf /var/lib/apt/lists/*",
        "RUN cp /usr/bin/fzf /usr/local/bin/fzf-kept && cp /usr/bin/fzf /usr/local/bin/fzf-chmod",
        // Copied up unchanged but for its mode: the binary is still there, it just cannot run.
        "RUN chmod a-x /usr/local/bin/fzf-chmod");
    assertThat(exec(image, "stat -c %a /usr/local/bin/fzf-chmod /usr/local/bin/fzf-kept")).containsExactly("644", "755");

    Set<String> language = inventory(image, p -> !List.of("deb", "apk", "rpm").contains(p.path("type").asText()));
    int top = diffIds(image).size() - 1;
    assertThat(language).filteredOn(r -> r.contains(" usr/local/bin/fzf-kept ")).isNotEmpty()
        .allMatch(r -> r.endsWith(" L" + (top - 1)));
    assertThat(language).noneMatch(r -> r.contains(" usr/local/bin/fzf-chmod "));
  }

  /** Lines a shell command prints inside a fresh container of {@code image} (no network). */
  static List<String> exec(String image, String script) throws Exception {
    Process p = new ProcessBuilder("docker", "run", "--rm", "--network", "none", "--entrypoint", "bash", image, "-c", script)
        .redirectErrorStream(false).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = p.getInputStream(); OutputStream o = out) {
      in.transferTo(o);
    }
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(script + ": " + new String(p.getErrorStream().readAllBytes())).isZero();
    return out.toString(StandardCharsets.UTF_8).lines().toList();
  }
}
