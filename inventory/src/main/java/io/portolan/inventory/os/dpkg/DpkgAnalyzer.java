package io.portolan.inventory.os.dpkg;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.BoundedInput;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.OwnedFiles;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.analyzer.TextLines;
import io.portolan.inventory.purl.Purls;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reports the Debian packages recorded in {@code var/lib/dpkg/status} and in the distroless
 * {@code var/lib/dpkg/status.d/*} files. Only packages whose dpkg state is {@code installed} count.
 * Purls use the {@code debian} namespace and no {@code distro} qualifier: see {@link Purls#withDistro}.
 *
 * <p>It also reads which files each package installed, from {@code info/<name>[:<arch>].list} (what
 * {@code dpkg -L} prints) and, in distroless images, {@code status.d/<name>.md5sums}, and reports
 * the {@link OwnedFiles#relevant} ones, so that a language package shipped by a Debian package is
 * reported once, as the Debian package.
 */
public final class DpkgAnalyzer implements Analyzer {
  public static final String NAME = "dpkg";
  static final String STATUS = "var/lib/dpkg/status";
  static final String STATUS_DIR = "var/lib/dpkg/status.d/";
  static final String INFO_DIR = "var/lib/dpkg/info/";
  private static final String LIST = ".list";
  private static final String MD5SUMS = ".md5sums";
  private static final Set<String> FIELDS =
      Set.of("package", "status", "version", "architecture", "source", "installed-size", "maintainer", "license");
  // "name" or "name (version)"; a binNMU's source version is only known from the parentheses.
  private static final Pattern SOURCE = Pattern.compile("(\\S+)(?:\\s*\\(\\s*([^)\\s]+)\\s*\\))?");
  private static final String DEFAULT_STATUS = "install ok installed";

  private final long maxFileBytes;

  public DpkgAnalyzer() {
    this(64L * 1024 * 1024);
  }

  public DpkgAnalyzer(long maxFileBytes) {
    this.maxFileBytes = maxFileBytes;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int version() {
    return 2;
  }

  @Override
  public long maxFileBytes() {
    return maxFileBytes;
  }

  @Override
  public List<String> roots() {
    return List.of("var/lib/dpkg");
  }

  @Override
  public boolean wants(String path) {
    if (path.equals(STATUS)) {
      return true;
    }
    if (path.startsWith(INFO_DIR)) {
      String file = path.substring(INFO_DIR.length());
      return file.length() > LIST.length() && file.endsWith(LIST) && file.indexOf('/') < 0;
    }
    if (!path.startsWith(STATUS_DIR)) {
      return false;
    }
    String file = path.substring(STATUS_DIR.length());
    // distroless keeps each package's file list (md5sums) beside its stanza.
    return !file.isEmpty() && file.indexOf('/') < 0 && !file.startsWith(".");
  }

  @Override
  public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
    byte[] data = BoundedInput.readAll(path, content, size, maxFileBytes);
    if (path.startsWith(INFO_DIR)) {
      return List.of(fileList(path, path.substring(INFO_DIR.length(), path.length() - LIST.length()), data, false));
    }
    if (path.startsWith(STATUS_DIR) && path.endsWith(MD5SUMS)) {
      return List.of(fileList(path, path.substring(STATUS_DIR.length(), path.length() - MD5SUMS.length()), data, true));
    }
    boolean statusDir = path.startsWith(STATUS_DIR);
    List<Package> packages = new ArrayList<>();
    for (ControlStanzas.Stanza stanza : ControlStanzas.parse(path, data, FIELDS)) {
      toPackage(path, stanza, statusDir).ifPresent(packages::add);
    }
    packages.sort(Comparator.comparing(Package::name).thenComparing(Package::architecture)
        .thenComparing(Package::version));
    return List.of(new FileFindings(path, NAME, packages, Optional.empty()));
  }

  /**
   * One package's installed files: a {@code .list} holds one absolute path a line (directories
   * too), an {@code .md5sums} holds {@code <md5>  <relative path>} lines.
   */
  private static FileFindings fileList(String path, String owner, byte[] data, boolean md5sums)
      throws AnalysisException {
    int colon = owner.indexOf(':');
    String name = colon < 0 ? owner : owner.substring(0, colon);
    String arch = colon < 0 ? "" : owner.substring(colon + 1);
    List<String> owned = new ArrayList<>();
    for (TextLines.Line line : TextLines.of(path, data)) {
      String text = line.text();
      if (md5sums) {
        int gap = text.indexOf("  ");
        if (gap < 0) {
          if (text.isBlank()) {
            continue;
          }
          throw new AnalysisException(path + ": line " + line.number() + " (offset " + line.offset()
              + ") is not '<md5>  <path>'");
        }
        text = text.substring(gap + 2);
      }
      String file = text.startsWith("/") ? text.substring(1) : text;
      if (OwnedFiles.relevant(file) && !file.equals(".")) {
        owned.add(file);
      }
    }
    return new FileFindings(path, NAME, List.of(), Optional.empty(),
        List.of(new OwnedFiles("deb", name, arch, owned)));
  }

  private static Optional<Package> toPackage(String path, ControlStanzas.Stanza s, boolean statusDir)
      throws AnalysisException {
    String where = path + ": stanza at line " + s.line() + " (offset " + s.offset() + ")";
    String name = s.get("package");
    if (name.isEmpty()) {
      throw new AnalysisException(where + " has no Package field");
    }
    String status = s.get("status");
    if (s.has("status")) {
      String[] words = status.split("\\s+");
      if (words.length != 3) {
        throw new AnalysisException(where + ": malformed Status '" + status + "' for " + name);
      }
      // The third word is the state; want "hold" or "deinstall" still leaves the files on disk.
      if (!words[2].equals("installed")) {
        return Optional.empty();
      }
    } else if (!statusDir) {
      // dpkg always writes Status into its main database; distroless status.d files never do.
      throw new AnalysisException(where + ": no Status field for " + name);
    }
    String version = s.get("version");
    if (version.isEmpty()) {
      throw new AnalysisException(where + ": no Version field for installed package " + name);
    }
    String arch = s.get("architecture");
    String sourceName = name;
    String sourceVersion = version;
    if (!s.get("source").isEmpty()) {
      Matcher m = SOURCE.matcher(s.get("source"));
      if (!m.matches()) {
        throw new AnalysisException(where + ": malformed Source '" + s.get("source") + "' for " + name);
      }
      sourceName = m.group(1);
      if (m.group(2) != null) {
        sourceVersion = m.group(2);
      }
    }
    Map<String, String> properties = new LinkedHashMap<>();
    if (!s.get("installed-size").isEmpty()) {
      properties.put("installed-size", s.get("installed-size"));
    }
    if (!s.get("maintainer").isEmpty()) {
      properties.put("maintainer", s.get("maintainer"));
    }
    if (s.has("status") && !status.equals(DEFAULT_STATUS)) {
      properties.put("status", status);
    }
    String purl;
    try {
      purl = Purls.of("deb", "debian", name, version, Map.of("arch", arch));
    } catch (IllegalArgumentException e) {
      throw new AnalysisException(where + ": " + e.getMessage(), e);
    }
    return Optional.of(new Package("deb", name, version, arch, sourceName, sourceVersion, s.get("license"), "",
        purl, properties));
  }
}
