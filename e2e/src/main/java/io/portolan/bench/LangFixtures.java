package io.portolan.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Real language packages for the language benchmark and integration tests, fetched from the
 * registries at run time rather than committed: jars through Maven (maven-dependency-plugin, no
 * transitive dependencies) from a committed list of coordinates, and {@code node_modules} through
 * {@code npm ci} of a committed lock file. What an inventory should find is read back from what
 * was fetched (each jar's own {@code pom.properties}, each installed {@code package.json}), never
 * written down by hand.
 */
public final class LangFixtures {
  private static final String RESOURCES = "/io/portolan/bench/lang/";
  private static final Pattern POM_PROPERTIES = Pattern.compile("META-INF/maven/([^/]+)/([^/]+)/pom\\.properties");

  private LangFixtures() {}

  /** The committed coordinates ({@code group:artifact:version}) of the benchmark's 300 jars. */
  public static List<String> benchmarkJars() {
    List<String> gavs = new ArrayList<>();
    for (String line : resourceLines("jars.txt")) {
      if (!line.isBlank() && !line.startsWith("#")) gavs.add(line.strip());
    }
    return gavs;
  }

  /**
   * Copies the jars of {@code gavs} into {@code dir} with {@code mvn dependency:copy}, which fetches
   * exactly the listed artifacts (no dependency tree): offline first, since the local repository
   * usually has them, then from the remote repository.
   */
  public static List<Path> fetchJars(Path work, List<String> gavs, Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    StringBuilder items = new StringBuilder();
    for (String gav : gavs) {
      String[] p = gav.split(":");
      if (p.length != 3) throw new IllegalArgumentException("not group:artifact:version: " + gav);
      items.append("            <artifactItem><groupId>").append(p[0]).append("</groupId><artifactId>").append(p[1])
          .append("</artifactId><version>").append(p[2]).append("</version></artifactItem>\n");
    }
    String pom = """
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>io.portolan.fixtures</groupId>
          <artifactId>lang-jars</artifactId>
          <version>1</version>
          <packaging>pom</packaging>
          <build>
            <plugins>
              <plugin>
                <groupId>org.apache.maven.plugins</groupId>
                <artifactId>maven-dependency-plugin</artifactId>
                <version>3.8.1</version>
                <configuration>
                  <outputDirectory>%s</outputDirectory>
                  <artifactItems>
        %s          </artifactItems>
                </configuration>
              </plugin>
            </plugins>
          </build>
        </project>
        """.formatted(dir.toAbsolutePath(), items);
    Path project = Files.createDirectories(work.resolve("jar-fetch"));
    Files.writeString(project.resolve("pom.xml"), pom);
    List<String> goal = List.of("dependency:copy");
    Path log = work.resolve("jar-fetch.log");
    if (run(project, mavenCommand(goal, true), log, 600) != 0 && run(project, mavenCommand(goal, false), log, 1200) != 0) {
      throw new IllegalStateException("fetching " + gavs.size() + " jars with Maven failed; see " + log);
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> jars = files.filter(f -> f.toString().endsWith(".jar")).sorted().toList();
      if (jars.size() < gavs.size()) {
        throw new IllegalStateException("Maven copied " + jars.size() + " jars of " + gavs.size() + "; see " + log);
      }
      return jars;
    }
  }

  /** {@code group:artifact:version} of every {@code pom.properties} inside {@code jar} (a shaded jar has several). */
  public static List<String> pomIdentities(Path jar) throws IOException {
    List<String> out = new ArrayList<>();
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      for (var entries = zip.entries(); entries.hasMoreElements(); ) {
        ZipEntry e = entries.nextElement();
        Matcher m = POM_PROPERTIES.matcher(e.getName());
        if (!m.matches()) continue;
        java.util.Properties p = new java.util.Properties();
        try (InputStream in = zip.getInputStream(e)) {
          p.load(in);
        }
        String version = p.getProperty("version", "").strip();
        String group = p.getProperty("groupId", m.group(1)).strip();
        String artifact = p.getProperty("artifactId", m.group(2)).strip();
        if (!version.isEmpty() && !version.contains("$")) out.add(group + ":" + artifact + ":" + version);
      }
    }
    return out;
  }

  /** Copies a committed npm project (package.json and package-lock.json) from {@code lang/} into {@code dir}. */
  public static void npmProject(String prefix, Path dir) throws IOException {
    Files.createDirectories(dir);
    for (String file : List.of("package.json", "package-lock.json")) {
      try (InputStream in = LangFixtures.class.getResourceAsStream(RESOURCES + prefix + file)) {
        if (in == null) throw new IllegalStateException("missing resource " + RESOURCES + prefix + file);
        Files.copy(in, dir.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  /** {@code npm ci} in {@code dir}, without running any package's install scripts. */
  public static void npmCi(Path work, Path dir) throws IOException, InterruptedException {
    Path log = work.resolve("npm-ci.log");
    List<String> cmd = List.of("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error");
    if (run(dir, cmd, log, 1200) != 0) throw new IllegalStateException("npm ci in " + dir + " failed; see " + log);
  }

  /**
   * {@code name@version path} of every package {@code npm} installed below {@code
   * root/node_modules}, at any depth, scoped or not, {@code path} being its {@code package.json}
   * relative to {@code root}: what an inventory of that tree must report.
   */
  public static java.util.Set<String> installedNpmPackages(Path root) throws IOException {
    java.util.Set<String> out = new java.util.TreeSet<>();
    Path modules = root.resolve("node_modules");
    try (Stream<Path> files = Files.walk(modules)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.getFileName().toString().equals("package.json"))::iterator) {
        Path dir = f.getParent();
        Path parent = dir.getParent();
        boolean scoped = parent.getFileName().toString().startsWith("@");
        Path container = scoped ? parent.getParent() : parent;
        if (!container.getFileName().toString().equals("node_modules")) continue;
        if (dir.getFileName().toString().startsWith(".")) continue;
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(f.toFile());
        String name = json.path("name").asText("");
        String version = json.path("version").asText("");
        if (name.isEmpty() || version.isEmpty()) continue;
        out.add(name + "@" + version + " " + root.relativize(f));
      }
    }
    return out;
  }

  /** The repository root (where {@code mvnw} is), searched upward from the working directory. */
  public static Path repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isExecutable(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("e2e"))) return dir;
    }
    throw new IllegalStateException("run this from the Portolan repository (no mvnw found above "
        + Path.of("").toAbsolutePath() + ")");
  }

  private static List<String> mavenCommand(List<String> goal, boolean offline) {
    List<String> cmd = new ArrayList<>(List.of(repositoryRoot().resolve("mvnw").toString(), "-B", "-q"));
    if (offline) cmd.add("-o");
    cmd.addAll(goal);
    return cmd;
  }

  private static int run(Path dir, List<String> cmd, Path log, int timeoutSeconds)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s");
    }
    return p.exitValue();
  }

  private static List<String> resourceLines(String name) {
    try (InputStream in = LangFixtures.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) throw new IllegalStateException("missing resource " + RESOURCES + name);
      return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
