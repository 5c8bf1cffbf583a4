package io.portolan.inventory.lang.npm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reports npm packages from two kinds of files.
 *
 * <p>Installed packages: {@code node_modules/<name>/package.json} and {@code
 * node_modules/@scope/<name>/package.json} at any nesting (npm's nested trees, pnpm's {@code
 * .pnpm/<id>/node_modules/<name>}). Other {@code package.json} files below a package (test
 * fixtures, {@code lib/package.json} module-type markers) are not packages and are not wanted.
 *
 * <p>Lock files: {@code package-lock.json} (v1 {@code dependencies} tree, v2/v3 {@code packages}
 * map), {@code yarn.lock} (classic and berry) and {@code pnpm-lock.yaml}, outside any {@code
 * node_modules}. The issue asks for them only when no {@code node_modules} was installed next to
 * them, but an analyzer sees one file of one layer, and the {@code node_modules} may sit in
 * another layer. So every lock-file package carries {@code source=lockfile}, and the image-level
 * inventory drops those whose directory also has installed packages. Packages a lock file marks as
 * development-only carry {@code dev=true}.
 */
public final class NpmAnalyzer implements Analyzer {
  public static final String NAME = "npm";
  static final String PACKAGE_JSON = "package.json";
  static final String NODE_MODULES = "node_modules";
  static final String PACKAGE_LOCK = "package-lock.json";
  static final String YARN_LOCK = "yarn.lock";
  static final String PNPM_LOCK = "pnpm-lock.yaml";
  /** A package.json is a few kilobytes; old npm versions inlined the README, still far below this. */
  static final long MAX_PACKAGE_JSON_BYTES = 8L * 1024 * 1024;

  // One factory for the process: it holds the symbol tables that make field names cheap.
  private static final JsonFactory JSON = JsonFactory.builder().build();

  private final long maxFileBytes;

  public NpmAnalyzer() {
    this(64L * 1024 * 1024);
  }

  public NpmAnalyzer(long maxFileBytes) {
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
    int slash = path.lastIndexOf('/');
    String file = path.substring(slash + 1);
    if (file.equals(PACKAGE_JSON)) {
      return isInstalledPackageJson(path, slash);
    }
    if (file.equals(PACKAGE_LOCK) || file.equals(YARN_LOCK) || file.equals(PNPM_LOCK)) {
      // A lock file shipped inside an installed package describes that package's development
      // setup, not what this image installed.
      return !insideNodeModules(path);
    }
    return false;
  }

  /** {@code .../node_modules/<name>/package.json} or {@code .../node_modules/@scope/<name>/package.json}. */
  private static boolean isInstalledPackageJson(String path, int fileSlash) {
    if (fileSlash <= 0) {
      return false;
    }
    int nameStart = path.lastIndexOf('/', fileSlash - 1) + 1;
    if (!isPackageSegment(path, nameStart, fileSlash) || path.charAt(nameStart) == '@') {
      return false;
    }
    if (nameStart == 0) {
      return false;
    }
    int parentStart = path.lastIndexOf('/', nameStart - 2) + 1;
    if (segmentIs(path, parentStart, nameStart - 1, NODE_MODULES)) {
      return true;
    }
    // A scope directory: node_modules/@scope/<name>.
    if (path.charAt(parentStart) != '@' || nameStart - 1 - parentStart < 2 || parentStart == 0) {
      return false;
    }
    int grandStart = path.lastIndexOf('/', parentStart - 2) + 1;
    return segmentIs(path, grandStart, parentStart - 1, NODE_MODULES);
  }

  /** Package directory names are never empty and never start with a dot (.bin, .pnpm, .cache). */
  private static boolean isPackageSegment(String path, int start, int end) {
    return end > start && path.charAt(start) != '.';
  }

  private static boolean segmentIs(String path, int start, int end, String name) {
    return end - start == name.length() && path.startsWith(name, start);
  }

  static boolean insideNodeModules(String path) {
    return path.startsWith("node_modules/") || path.contains("/node_modules/");
  }

  @Override
  public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
    String file = path.substring(path.lastIndexOf('/') + 1);
    List<Package> packages;
    switch (file) {
      case PACKAGE_JSON -> {
        byte[] data = BoundedInput.readAll(path, content, size, Math.min(maxFileBytes, MAX_PACKAGE_JSON_BYTES));
        packages = installedPackage(path, data).map(List::of).orElse(List.of());
      }
      case PACKAGE_LOCK -> packages = PackageLockParser.parse(path, BoundedInput.readAll(path, content, size, maxFileBytes));
      case YARN_LOCK -> packages = YarnLockParser.parse(path, BoundedInput.readAll(path, content, size, maxFileBytes));
      case PNPM_LOCK -> packages = PnpmLockParser.parse(path, BoundedInput.readAll(path, content, size, maxFileBytes));
      default -> throw new AnalysisException(path + ": not an npm package or lock file");
    }
    if (packages.size() > 1) {
      packages = new ArrayList<>(packages);
      packages.sort(Comparator.comparing(Package::name).thenComparing(Package::version));
    }
    return List.of(new FileFindings(path, NAME, packages, Optional.empty()));
  }

  /**
   * Reads name, version and license with a streaming parser, skipping every other field without
   * building it: a package.json is mostly scripts, dependency ranges and sometimes a whole README.
   */
  static Optional<Package> installedPackage(String path, byte[] data) throws AnalysisException {
    String name = "";
    String version = "";
    String license = "";
    String legacyLicenses = "";
    try (JsonParser p = JSON.createParser(data)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new AnalysisException(path + ": package.json is not a JSON object (offset 0)");
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "name" -> name = value == JsonToken.VALUE_STRING ? p.getText() : skip(p);
          case "version" -> version = value == JsonToken.VALUE_STRING ? p.getText() : skip(p);
          case "license" -> license = license(p, value);
          case "licenses" -> legacyLicenses = legacyLicenses(p, value);
          default -> p.skipChildren();
        }
        if (!name.isEmpty() && !version.isEmpty() && !license.isEmpty()) {
          // Everything needed is known; the rest of the file is not read.
          break;
        }
      }
      if (t == null) {
        throw new AnalysisException(path + ": truncated JSON at offset " + p.currentLocation().getByteOffset());
      }
    } catch (JsonProcessingException e) {
      throw jsonError(path, e);
    } catch (IOException e) {
      throw new AnalysisException(path + ": " + e.getMessage(), e);
    }
    if (name.isEmpty() || version.isEmpty()) {
      // A directory below node_modules without a versioned manifest is not an installed package
      // (npm never installs one); reporting a guess would be a false positive.
      return Optional.empty();
    }
    return Optional.of(npmPackage(path, name, version, license.isEmpty() ? legacyLicenses : license, Map.of()));
  }

  private static String skip(JsonParser p) throws IOException {
    p.skipChildren();
    return "";
  }

  /** {@code "MIT"}, or the deprecated {@code {"type": "MIT", "url": ...}}. */
  private static String license(JsonParser p, JsonToken value) throws IOException {
    if (value == JsonToken.VALUE_STRING) {
      return p.getText().strip();
    }
    if (value == JsonToken.START_OBJECT) {
      return licenseObject(p);
    }
    p.skipChildren();
    return "";
  }

  /** The deprecated {@code "licenses": [{"type": "MIT"}, "Apache-2.0"]}; alternatives, so OR. */
  private static String legacyLicenses(JsonParser p, JsonToken value) throws IOException {
    if (value != JsonToken.START_ARRAY) {
      p.skipChildren();
      return "";
    }
    List<String> types = new ArrayList<>();
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null) {
      String type = t == JsonToken.VALUE_STRING ? p.getText().strip()
          : t == JsonToken.START_OBJECT ? licenseObject(p) : skip(p);
      if (!type.isEmpty()) {
        types.add(type);
      }
    }
    return types.size() > 1 ? "(" + String.join(" OR ", types) + ")" : String.join("", types);
  }

  /** Reads an object up to its end and returns its string {@code type}. */
  private static String licenseObject(JsonParser p) throws IOException {
    String type = "";
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken v = p.nextToken();
      if (field.equals("type") && v == JsonToken.VALUE_STRING) {
        type = p.getText().strip();
      } else {
        p.skipChildren();
      }
    }
    return type;
  }

  static AnalysisException jsonError(String path, JsonProcessingException e) {
    var loc = e.getLocation();
    String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr()
        + " (offset " + Math.max(loc.getByteOffset(), loc.getCharOffset()) + ")";
    return new AnalysisException(path + ": invalid JSON" + where + ": " + e.getOriginalMessage(), e);
  }

  /**
   * One npm package with its purl: a scoped name {@code @scope/name} becomes the purl namespace
   * {@code @scope} (encoded {@code %40scope}) and name {@code name}, as the purl spec asks.
   */
  static Package npmPackage(String where, String name, String version, String license, Map<String, String> properties)
      throws AnalysisException {
    String namespace = "";
    String simple = name;
    int slash = name.indexOf('/');
    if (name.startsWith("@") && slash > 1) {
      namespace = name.substring(0, slash);
      simple = name.substring(slash + 1);
    }
    String purl;
    try {
      purl = Purls.of("npm", namespace, simple, version, Map.of());
    } catch (IllegalArgumentException e) {
      throw new AnalysisException(where + ": " + e.getMessage(), e);
    }
    return new Package("npm", name, version, "", "", "", license, "", purl, properties);
  }
}
