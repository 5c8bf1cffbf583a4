package io.portolan.inventory.lang.runtime;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.BoundedInput;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.analyzer.TextLines;
import io.portolan.inventory.lang.golang.GoBinaryAnalyzer;
import io.portolan.inventory.purl.Purls;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reports language runtimes as packages, so that CVEs against the runtime itself can match:
 *
 * <ul>
 *   <li>the JDK/JRE from its {@code release} file ({@code JAVA_VERSION}, {@code IMPLEMENTOR}) as
 *       {@code pkg:generic/openjdk@17.0.9}: there is no purl type for JDK builds, and {@code
 *       generic} with the name {@code openjdk} is what Syft writes for every OpenJDK vendor; the
 *       vendor goes into {@link Package#vendor()} rather than the namespace, so that Temurin, Zulu
 *       and Corretto builds of one version share an identity;
 *   <li>Node.js from {@code include/node/node_version.h}, or from the {@code bin/node} binary by
 *       streaming it for {@code node.js/vX.Y.Z} or {@code node-vX.Y.Z-headers} (the release URL
 *       {@code process.release} reports), keeping only a small window in memory: {@code
 *       pkg:generic/node@X.Y.Z};
 *   <li>CPython from {@code include/pythonX.Y/patchlevel.h} ({@code PY_VERSION}), checked against
 *       the {@code X.Y} of its directory: {@code pkg:generic/python@X.Y.Z};
 *   <li>a Go toolchain install from {@code go/VERSION} ({@code go1.21.5}) as the Go standard
 *       library, {@code pkg:golang/stdlib@v1.21.5}, the identity Go vulnerability data uses.
 * </ul>
 */
public final class RuntimeAnalyzer implements Analyzer {
  public static final String NAME = "runtime";
  private static final Pattern PATCHLEVEL = Pattern.compile("(?:^|.*/)include/python(\\d+\\.\\d+)[a-z]*/patchlevel\\.h");
  private static final Pattern PY_VERSION = Pattern.compile("#\\s*define\\s+PY_VERSION\\s+\"([^\"]+)\"");
  private static final Pattern NODE_DEFINE = Pattern.compile("#\\s*define\\s+NODE_(MAJOR|MINOR|PATCH)_VERSION\\s+(\\d+)");
  private static final Pattern NODE_BINARY = Pattern.compile("node\\.js/v(\\d+\\.\\d+\\.\\d+)|node-v(\\d+\\.\\d+\\.\\d+)-headers");
  private static final Pattern RELEASE_LINE = Pattern.compile("([A-Z_]+)=\"?(.*?)\"?\\s*");
  private static final int WINDOW = 64 * 1024;
  private static final int OVERLAP = 64;

  private final long maxFileBytes;

  public RuntimeAnalyzer() {
    this(256L * 1024 * 1024);
  }

  public RuntimeAnalyzer(long maxFileBytes) {
    this.maxFileBytes = maxFileBytes;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int version() {
    return 1;
  }

  @Override
  public long maxFileBytes() {
    return maxFileBytes;
  }

  @Override
  public boolean wants(String path) {
    return isJdkRelease(path) || path.endsWith("include/node/node_version.h") || isNodeBinary(path)
        || path.endsWith("/patchlevel.h") && PATCHLEVEL.matcher(path).matches() || path.equals("go/VERSION")
        || path.endsWith("/go/VERSION");
  }

  private static boolean isJdkRelease(String path) {
    // A JDK's release file sits at its root (usr/lib/jvm/java-17-openjdk-amd64/release,
    // opt/java/openjdk/release); other "release" files are rejected by their content.
    return path.endsWith("/release") && !path.startsWith("etc/") && !path.startsWith("usr/share/");
  }

  private static boolean isNodeBinary(String path) {
    return path.endsWith("bin/node") || path.endsWith("bin/nodejs");
  }

  @Override
  public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
    Optional<Package> found;
    if (isNodeBinary(path)) {
      found = nodeBinary(path, content, size);
    } else {
      byte[] data = BoundedInput.readAll(path, content, size, Math.min(maxFileBytes, 1024 * 1024));
      if (path.endsWith("node_version.h")) {
        found = nodeHeader(path, data);
      } else if (path.endsWith("patchlevel.h")) {
        found = python(path, data);
      } else if (path.endsWith("go/VERSION")) {
        found = go(path, data);
      } else {
        found = jdk(path, data);
      }
    }
    return found.map(p -> List.of(new FileFindings(path, NAME, List.of(p), Optional.empty()))).orElse(List.of());
  }

  private static Optional<Package> jdk(String path, byte[] data) throws AnalysisException {
    Map<String, String> fields = new LinkedHashMap<>();
    for (TextLines.Line line : TextLines.of(path, data)) {
      Matcher m = RELEASE_LINE.matcher(line.text());
      if (m.matches()) {
        fields.put(m.group(1), m.group(2));
      }
    }
    String version = fields.getOrDefault("JAVA_VERSION", "");
    if (version.isEmpty()) {
      return Optional.empty();
    }
    Map<String, String> props = new LinkedHashMap<>();
    props.put("runtime", "java");
    for (String key : List.of("JAVA_RUNTIME_VERSION", "IMPLEMENTOR_VERSION", "IMAGE_TYPE", "OS_ARCH")) {
      if (fields.containsKey(key)) {
        props.put(key.toLowerCase(java.util.Locale.ROOT).replace('_', '-'), fields.get(key));
      }
    }
    return Optional.of(generic(path, "openjdk", version, fields.getOrDefault("IMPLEMENTOR", ""),
        fields.getOrDefault("OS_ARCH", ""), "GPL-2.0-only WITH Classpath-exception-2.0", props));
  }

  private static Optional<Package> nodeHeader(String path, byte[] data) throws AnalysisException {
    Map<String, String> parts = new LinkedHashMap<>();
    Matcher m = NODE_DEFINE.matcher(new String(data, StandardCharsets.ISO_8859_1));
    while (m.find()) {
      parts.putIfAbsent(m.group(1), m.group(2));
    }
    if (parts.size() != 3) {
      throw new AnalysisException(path + ": NODE_MAJOR/MINOR/PATCH_VERSION not all defined");
    }
    String version = parts.get("MAJOR") + "." + parts.get("MINOR") + "." + parts.get("PATCH");
    return Optional.of(generic(path, "node", version, "", "", "MIT", Map.of("runtime", "node")));
  }

  /** Streams the binary through a window, so a 100 MB node executable costs no 100 MB buffer. */
  private Optional<Package> nodeBinary(String path, InputStream in, long size) throws IOException {
    if (size > maxFileBytes) {
      throw new AnalysisException(path + ": " + size + " bytes exceeds the " + maxFileBytes + "-byte limit");
    }
    byte[] buffer = new byte[WINDOW + OVERLAP];
    int kept = 0;
    long total = 0;
    while (true) {
      int n = in.readNBytes(buffer, kept, WINDOW);
      if (n <= 0) {
        return Optional.empty();
      }
      total += n;
      if (total > maxFileBytes) {
        throw new AnalysisException(path + ": larger than the " + maxFileBytes + "-byte limit (at offset "
            + maxFileBytes + ")");
      }
      int length = kept + n;
      Matcher m = NODE_BINARY.matcher(new String(buffer, 0, length, StandardCharsets.ISO_8859_1));
      if (m.find()) {
        String version = m.group(1) != null ? m.group(1) : m.group(2);
        return Optional.of(generic(path, "node", version, "", "", "MIT", Map.of("runtime", "node")));
      }
      kept = Math.min(OVERLAP, length);
      System.arraycopy(buffer, length - kept, buffer, 0, kept);
    }
  }

  private static Optional<Package> python(String path, byte[] data) throws AnalysisException {
    Matcher dir = PATCHLEVEL.matcher(path);
    if (!dir.matches()) {
      return Optional.empty();
    }
    Matcher m = PY_VERSION.matcher(new String(data, StandardCharsets.ISO_8859_1));
    if (!m.find()) {
      throw new AnalysisException(path + ": no PY_VERSION define");
    }
    String version = m.group(1);
    if (!version.startsWith(dir.group(1) + ".") && !version.equals(dir.group(1))) {
      throw new AnalysisException(path + ": PY_VERSION " + version + " does not match the directory's " + dir.group(1)
          + " (at offset " + m.start(1) + ")");
    }
    Map<String, String> props = Map.of("runtime", "python", "python-minor", dir.group(1));
    return Optional.of(generic(path, "python", version, "", "", "PSF-2.0", props));
  }

  private static Optional<Package> go(String path, byte[] data) throws AnalysisException {
    List<TextLines.Line> lines = TextLines.of(path, data);
    if (lines.isEmpty()) {
      return Optional.empty();
    }
    String first = lines.get(0).text().strip();
    Optional<String> version = GoBinaryAnalyzer.semver(first);
    if (version.isEmpty()) {
      return Optional.empty();
    }
    Map<String, String> props = new LinkedHashMap<>();
    props.put("runtime", "go");
    props.put("toolchain", first);
    return Optional.of(new Package("golang", "stdlib", version.get(), "", "", "", "BSD-3-Clause", "",
        GoBinaryAnalyzer.purl(path, "stdlib", version.get()), props));
  }

  private static Package generic(String path, String name, String version, String vendor, String arch,
      String license, Map<String, String> props) throws AnalysisException {
    String purl;
    try {
      purl = Purls.of("generic", "", name, version, Map.of());
    } catch (IllegalArgumentException e) {
      throw new AnalysisException(path + ": " + e.getMessage(), e);
    }
    return new Package("generic", name, version, arch, "", "", license, vendor, purl, props);
  }
}
