package io.portolan.inventory.lang.golang;

import io.portolan.inventory.lang.elf.ElfFile;
import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.purl.Purls;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reports the Go modules compiled into an ELF executable, from the build info the Go linker embeds
 * (see {@link GoBuildInfo}); nothing is run. The main module, every {@code dep} (after its {@code =>}
 * replacement) and the toolchain's standard library become {@code golang} packages.
 *
 * <p>Which files are Go binaries cannot be told from the path: they live in {@code bin/}, {@code
 * /app}, {@code /ko-app}, {@code /}, anywhere. So {@link #wants} accepts every executable file
 * (any execute bit, as Trivy requires) except those whose extension or directory rules out a
 * binary (sources, documents, archives, images, {@code usr/share}, ...), and {@link #analyze}
 * reads four bytes and returns at once unless they are the ELF magic. From a stream a non-Go ELF
 * file is read whole, bounded by {@link #maxFileBytes}, because the section table sits at its
 * end; from a file on disk only its headers and the build info section are read.
 *
 * <p>A file that loses its execute bits in a later layer is not read there, so the findings of
 * the layer below stay: the price of not opening every file of an image.
 *
 * <p>Versions: {@code (devel)} (a main module built from a checkout) is kept as the version and
 * marked {@code devel=true}, but left out of the purl, which must not claim a release. The stdlib
 * version is the toolchain's {@code go1.x.y} as {@code v1.x.y} ({@code go1.20} becomes {@code
 * v1.20.0}, {@code go1.21rc2} {@code v1.21.0-rc.2}), so that {@code pkg:golang/stdlib@v1.x.y}
 * reads as Trivy and OSV write it. A module replaced by another versioned module is reported under
 * the replacement; one replaced by a local directory keeps its path, gets an empty version (its code
 * is not the release's) and records the directory and the original version as properties.
 */
public final class GoBinaryAnalyzer implements Analyzer {
  public static final String NAME = "go-binary";
  private static final Pattern TOOLCHAIN = Pattern.compile("go(\\d+)\\.(\\d+)(?:\\.(\\d+))?(?:(rc|beta)(\\d+))?");
  private static final Set<String> NOT_EXECUTABLE = Set.of(
      "txt", "md", "rst", "html", "htm", "css", "js", "mjs", "cjs", "ts", "json", "yaml", "yml", "toml", "xml",
      "ini", "conf", "cfg", "properties", "py", "pyc", "pyi", "rb", "php", "java", "class", "jar", "war", "go",
      "c", "h", "hpp", "cc", "cpp", "rs", "sh", "pl", "pm", "lua", "sql", "csv", "svg", "png", "jpg", "jpeg",
      "gif", "ico", "webp", "gz", "tgz", "xz", "bz2", "zst", "zip", "tar", "deb", "rpm", "apk", "whl", "gem",
      "pem", "crt", "key", "mo", "po", "ttf", "otf", "woff", "woff2", "map", "lock", "gemspec", "a", "o",
      "pdf", "gitignore", "typed", "dat", "db", "sqlite");
  private static final List<String> NOT_EXECUTABLE_DIRS = List.of(
      "usr/share/", "usr/include/", "etc/", "var/lib/dpkg/", "var/lib/apt/", "var/cache/", "var/log/", "proc/",
      "sys/", "dev/");

  private final long maxFileBytes;

  public GoBinaryAnalyzer() {
    this(256L * 1024 * 1024);
  }

  public GoBinaryAnalyzer(long maxFileBytes) {
    this.maxFileBytes = maxFileBytes;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int version() {
    // 2: a non-executable file at a wanted path hides the lower layers' findings for it.
    return 2;
  }

  @Override
  public boolean narrowsByMode() {
    return true;
  }

  @Override
  public long maxFileBytes() {
    return maxFileBytes;
  }

  @Override
  public boolean wants(String path) {
    return mayBeExecutable(path);
  }

  @Override
  public boolean wants(String path, int mode) {
    return isExecutable(mode) && mayBeExecutable(path);
  }

  /** Whether any of the permission bits {@code mode} lets someone execute the file. */
  public static boolean isExecutable(int mode) {
    return (mode & 0111) != 0;
  }

  @Override
  public boolean randomAccess() {
    return true;
  }

  /**
   * Whether a file could be an ELF executable or shared object by its path alone: false only for
   * directories and extensions that never hold one. Shared with the other ELF-reading analyzers.
   */
  public static boolean mayBeExecutable(String path) {
    for (String dir : NOT_EXECUTABLE_DIRS) {
      if (path.startsWith(dir)) {
        return false;
      }
    }
    if (path.contains("/__pycache__/")) {
      return false;
    }
    int slash = path.lastIndexOf('/');
    String file = path.substring(slash + 1);
    int dot = file.lastIndexOf('.');
    if (dot < 0) {
      return true;
    }
    return !NOT_EXECUTABLE.contains(file.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  @Override
  public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
    return analyze(path, ElfFile.read(path, content, size, maxFileBytes));
  }

  @Override
  public List<FileFindings> analyze(String path, SeekableByteChannel content, long size) throws IOException {
    return analyze(path, ElfFile.read(path, content, size, maxFileBytes));
  }

  private List<FileFindings> analyze(String path, Optional<ElfFile> elf) throws IOException {
    if (elf.isEmpty()) {
      return List.of();
    }
    Optional<GoBuildInfo> info = GoBuildInfo.read(elf.get());
    if (info.isEmpty()) {
      return List.of();
    }
    return List.of(new FileFindings(path, NAME, packages(path, info.get()), Optional.empty()));
  }

  static List<Package> packages(String path, GoBuildInfo info) throws AnalysisException {
    List<Package> out = new ArrayList<>();
    Map<String, String> build = new LinkedHashMap<>();
    String command = "";
    Module main = null;
    List<Module> deps = new ArrayList<>();
    Module last = null;
    int lineNo = 0;
    for (String line : info.modInfo().split("\n", -1)) {
      lineNo++;
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split("\t", -1);
      switch (f[0]) {
        case "path" -> command = field(f, 1);
        case "mod" -> {
          main = module(path, f, lineNo);
          last = main;
        }
        case "dep" -> {
          last = module(path, f, lineNo);
          deps.add(last);
        }
        case "=>" -> {
          if (last == null) {
            throw new AnalysisException(path + ": build info line " + lineNo + ": replacement without a module");
          }
          last.replacePath = field(f, 1);
          last.replaceVersion = field(f, 2);
        }
        case "build" -> {
          String kv = field(f, 1);
          int eq = kv.indexOf('=');
          if (eq > 0) {
            build.put(kv.substring(0, eq), kv.substring(eq + 1));
          }
        }
        default -> {
          // Later toolchains may add line kinds; they carry no package identity.
        }
      }
    }
    if (main != null && !main.path.isEmpty()) {
      Map<String, String> props = new LinkedHashMap<>();
      props.put("main-module", "true");
      if (!command.isEmpty()) {
        props.put("command", command);
      }
      for (String key : List.of("vcs.revision", "vcs.time", "vcs.modified", "GOOS", "GOARCH")) {
        if (build.containsKey(key)) {
          props.put(key, build.get(key));
        }
      }
      out.add(toPackage(path, main, props));
    }
    for (Module dep : deps) {
      out.add(toPackage(path, dep, new LinkedHashMap<>()));
    }
    stdlib(path, info.goVersion()).ifPresent(out::add);
    return out;
  }

  private static Package toPackage(String path, Module m, Map<String, String> props) throws AnalysisException {
    String name = m.path;
    String version = m.version;
    if (m.replacePath != null) {
      if (m.replaceVersion.isEmpty()) {
        // A local directory: same import path, but the code is whatever that directory held.
        props.put("replaced-by-directory", m.replacePath);
        props.put("replaced-version", m.version);
        version = "";
      } else {
        props.put("replaces", m.path + (m.version.isEmpty() ? "" : "@" + m.version));
        name = m.replacePath;
        version = m.replaceVersion;
      }
    }
    if (!m.sum.isEmpty() && m.replacePath == null) {
      props.put("h1", m.sum);
    }
    String purlVersion = version;
    if (version.equals("(devel)")) {
      props.put("devel", "true");
      purlVersion = "";
    }
    return new Package("golang", name, version, "", "", "", "", "", purl(path, name, purlVersion), props);
  }

  /** The standard library as OSV and Trivy name it, or empty for a development toolchain. */
  static Optional<Package> stdlib(String path, String goVersion) throws AnalysisException {
    Optional<String> version = semver(goVersion);
    if (version.isEmpty()) {
      return Optional.empty();
    }
    Map<String, String> props = new LinkedHashMap<>();
    props.put("toolchain", goVersion);
    return Optional.of(new Package("golang", "stdlib", version.get(), "", "", "", "BSD-3-Clause", "",
        purl(path, "stdlib", version.get()), props));
  }

  /** {@code go1.21.5} → {@code v1.21.5}; suffixes after a space ({@code X:boringcrypto}) are dropped. */
  public static Optional<String> semver(String goVersion) {
    String word = goVersion.strip().split("\\s+", 2)[0];
    Matcher m = TOOLCHAIN.matcher(word);
    if (!m.matches()) {
      return Optional.empty();
    }
    String v = "v" + m.group(1) + "." + m.group(2) + "." + (m.group(3) == null ? "0" : m.group(3));
    if (m.group(4) != null) {
      v += "-" + m.group(4) + "." + m.group(5);
    }
    return Optional.of(v);
  }

  /** {@code pkg:golang/<path up to the last slash>/<last element>@version}. */
  public static String purl(String file, String modulePath, String version) throws AnalysisException {
    int slash = modulePath.lastIndexOf('/');
    String namespace = slash < 0 ? "" : modulePath.substring(0, slash);
    String name = modulePath.substring(slash + 1);
    try {
      return Purls.of("golang", namespace, name, version, Map.of());
    } catch (IllegalArgumentException e) {
      throw new AnalysisException(file + ": " + e.getMessage(), e);
    }
  }

  private static Module module(String path, String[] f, int lineNo) throws AnalysisException {
    String modulePath = field(f, 1);
    if (modulePath.isEmpty()) {
      throw new AnalysisException(path + ": build info line " + lineNo + ": module without a path");
    }
    return new Module(modulePath, field(f, 2), field(f, 3));
  }

  private static String field(String[] f, int i) {
    return i < f.length ? f[i].strip() : "";
  }

  private static final class Module {
    final String path;
    final String version;
    final String sum;
    String replacePath;
    String replaceVersion = "";

    Module(String path, String version, String sum) {
      this.path = path;
      this.version = version;
      this.sum = sum;
    }
  }
}
