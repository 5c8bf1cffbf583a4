package io.portolan.inventory.lang.python;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.BoundedInput;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.purl.Purls;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reports Python distributions.
 *
 * <p>Installed: the core-metadata file of every distribution directly inside a {@code
 * site-packages} or {@code dist-packages} directory: {@code X.dist-info/METADATA} (wheels, pip),
 * {@code X.egg-info/PKG-INFO} (setuptools, many Debian python3-* packages) and a single-file {@code
 * X.egg-info} (distutils). Each carries {@code path}, the metadata file, so the image inventory can
 * tie it to the OS package that owns that file.
 *
 * <p>Application lock files outside site-packages: {@code poetry.lock}, {@code Pipfile.lock} and
 * the exact pins ({@code name==version}) of {@code requirements*.txt}. They carry {@code
 * source=lockfile} (the image inventory drops them where the same distribution is installed) and
 * {@code dev=true} where the lock file says a package is for development only.
 *
 * <p>Names are reported as written; purls use the PEP 503 normalized name, which is what PyPI and
 * OSV match on.
 */
public final class PythonAnalyzer implements Analyzer {
  public static final String NAME = "python";
  /** Core metadata is headers plus a README; megabytes mean something else sits there. */
  static final long MAX_METADATA_BYTES = 8L * 1024 * 1024;

  private final long maxFileBytes;

  public PythonAnalyzer() {
    this(32L * 1024 * 1024);
  }

  public PythonAnalyzer(long maxFileBytes) {
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

  /** What kind of file a wanted path is. */
  enum Kind { METADATA, POETRY_LOCK, PIPFILE_LOCK, REQUIREMENTS, NONE }

  @Override
  public boolean wants(String path) {
    return kind(path) != Kind.NONE;
  }

  static Kind kind(String path) {
    int slash = path.lastIndexOf('/');
    String file = path.substring(slash + 1);
    if (file.equals("METADATA")) {
      return inSitePackages(path, slash, ".dist-info") ? Kind.METADATA : Kind.NONE;
    }
    if (file.equals("PKG-INFO")) {
      return inSitePackages(path, slash, ".egg-info") ? Kind.METADATA : Kind.NONE;
    }
    if (file.endsWith(".egg-info")) {
      return file.length() > ".egg-info".length() && isSitePackages(path, slash) ? Kind.METADATA : Kind.NONE;
    }
    Kind kind = file.equals("poetry.lock") ? Kind.POETRY_LOCK
        : file.equals("Pipfile.lock") ? Kind.PIPFILE_LOCK
        : file.startsWith("requirements") && file.endsWith(".txt") ? Kind.REQUIREMENTS
        : Kind.NONE;
    // Lock files shipped inside installed distributions describe how those were developed, not
    // what this image installed.
    if (kind != Kind.NONE && (path.contains("site-packages/") || path.contains("dist-packages/")
        || path.contains("node_modules/"))) {
      return Kind.NONE;
    }
    return kind;
  }

  /** {@code .../site-packages/<X><suffix>/<file>} where {@code fileSlash} is the last slash. */
  private static boolean inSitePackages(String path, int fileSlash, String suffix) {
    if (fileSlash <= 0) {
      return false;
    }
    int dirSlash = path.lastIndexOf('/', fileSlash - 1);
    int dirStart = dirSlash + 1;
    return fileSlash - dirStart > suffix.length() && path.startsWith(suffix, fileSlash - suffix.length())
        && dirSlash > 0 && isSitePackages(path, dirSlash);
  }

  /** Whether the directory ending at {@code end} (exclusive, a slash) is site- or dist-packages. */
  private static boolean isSitePackages(String path, int end) {
    if (end <= 0) {
      return false;
    }
    int start = path.lastIndexOf('/', end - 1) + 1;
    int length = end - start;
    return length == "site-packages".length()
        && (path.startsWith("site-packages", start) || path.startsWith("dist-packages", start));
  }

  @Override
  public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
    List<Package> packages = switch (kind(path)) {
      case METADATA -> {
        byte[] data = BoundedInput.readAll(path, content, size, Math.min(maxFileBytes, MAX_METADATA_BYTES));
        yield List.of(CoreMetadata.parse(path, data).toPackage(path));
      }
      case POETRY_LOCK -> PoetryLockParser.parse(path, BoundedInput.readAll(path, content, size, maxFileBytes));
      case PIPFILE_LOCK -> PipfileLockParser.parse(path, BoundedInput.readAll(path, content, size, maxFileBytes));
      case REQUIREMENTS -> RequirementsParser.parse(path, BoundedInput.readAll(path, content, size, maxFileBytes));
      case NONE -> throw new AnalysisException(path + ": not a Python metadata or lock file");
    };
    if (packages.size() > 1) {
      packages = new ArrayList<>(packages);
      packages.sort(Comparator.comparing((Package p) -> p.name().toLowerCase(Locale.ROOT))
          .thenComparing(Package::version));
    }
    return List.of(new FileFindings(path, NAME, packages, Optional.empty()));
  }

  /** PEP 503: lower case, every run of {@code -}, {@code _} and {@code .} becomes one {@code -}. */
  static String normalize(String name) {
    StringBuilder out = new StringBuilder(name.length());
    boolean separator = false;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '-' || c == '_' || c == '.') {
        separator = true;
        continue;
      }
      if (separator && !out.isEmpty()) {
        out.append('-');
      }
      separator = false;
      out.append(Character.toLowerCase(c));
    }
    return out.toString();
  }

  /** A package from a lock file: {@code source=lockfile}, and {@code dev=true} when it says so. */
  static Package lockfilePackage(String where, String name, String version, boolean dev) throws AnalysisException {
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put("source", "lockfile");
    if (dev) {
      properties.put("dev", "true");
    }
    return pypiPackage(where, name, version, "", properties);
  }

  static Package pypiPackage(String where, String name, String version, String license, Map<String, String> properties)
      throws AnalysisException {
    String purl;
    try {
      purl = Purls.of("pypi", "", normalize(name), version, Map.of());
    } catch (IllegalArgumentException e) {
      throw new AnalysisException(where + ": " + e.getMessage(), e);
    }
    return new Package("pypi", name, version, "", "", "", license, "", purl, properties);
  }
}
