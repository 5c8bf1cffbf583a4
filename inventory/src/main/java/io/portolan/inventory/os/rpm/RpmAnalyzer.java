package io.portolan.inventory.os.rpm;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.BoundedInput;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.OwnedFiles;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.purl.Purls;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reports the packages in an rpm database, whichever of rpm's three backends wrote it: SQLite
 * {@code rpmdb.sqlite}, Berkeley DB hash {@code Packages} or NDB {@code Packages.db}. The file is
 * spooled (size-bounded) to a temporary file because all three need random access, and the
 * header blobs are parsed here rather than by rpm. {@code gpg-pubkey} pseudo-packages are skipped.
 * Purl namespaces come from the VENDOR tag; {@link Purls#withDistro} adds the {@code distro}
 * qualifier at image level.
 */
public final class RpmAnalyzer implements Analyzer {
  public static final String NAME = "rpm";
  private static final Set<String> DIRS = Set.of("var/lib/rpm/", "usr/lib/sysimage/rpm/", "usr/share/rpm/");
  private static final Set<String> FILES = Set.of("rpmdb.sqlite", "Packages", "Packages.db");
  /** No real header comes near this; the largest (kernel, texlive) are a few megabytes. */
  private static final long MAX_BLOB_BYTES = 64L * 1024 * 1024;

  private final long maxFileBytes;
  private final Path spoolDirectory;

  public RpmAnalyzer() {
    this(512L * 1024 * 1024, Path.of(System.getProperty("java.io.tmpdir")));
  }

  /** {@code spoolDirectory} receives one temporary copy of a database at a time, deleted after reading. */
  public RpmAnalyzer(long maxFileBytes, Path spoolDirectory) {
    this.maxFileBytes = maxFileBytes;
    this.spoolDirectory = spoolDirectory;
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
    return DIRS.stream().map(d -> d.substring(0, d.length() - 1)).toList();
  }

  @Override
  public boolean wants(String path) {
    int slash = path.lastIndexOf('/');
    return slash > 0 && DIRS.contains(path.substring(0, slash + 1)) && FILES.contains(path.substring(slash + 1));
  }

  @Override
  public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
    Path file = BoundedInput.spool(path, content, size, maxFileBytes, spoolDirectory);
    try {
      byte[] head;
      try (InputStream in = Files.newInputStream(file)) {
        head = in.readNBytes(16);
      }
      RpmDatabase database = RpmDatabase.detect(path, head, Files.size(file));
      List<Package> packages = new ArrayList<>();
      List<OwnedFiles> owned = new ArrayList<>();
      database.forEachBlob(path, file, MAX_BLOB_BYTES, (where, blob) -> {
        RpmHeader header = RpmHeader.parse(where, blob);
        if (!header.name().equals("gpg-pubkey")) {
          Package p = toPackage(where, header);
          packages.add(p);
          List<String> relevant = header.files().stream().filter(OwnedFiles::relevant).toList();
          if (!relevant.isEmpty()) {
            owned.add(new OwnedFiles("rpm", p.name(), p.architecture(), relevant));
          }
        }
      });
      packages.sort(Comparator.comparing(Package::name).thenComparing(Package::architecture)
          .thenComparing(Package::version));
      owned.sort(Comparator.comparing(OwnedFiles::ownerKey));
      return List.of(new FileFindings(path, NAME, packages, Optional.empty(), owned));
    } finally {
      Files.deleteIfExists(file);
    }
  }

  static Package toPackage(String where, RpmHeader h) throws AnalysisException {
    String epochPrefix = h.epoch().isPresent() ? h.epoch().getAsInt() + ":" : "";
    String versionRelease = h.release().isEmpty() ? h.version() : h.version() + "-" + h.release();
    String sourceName = h.name();
    String sourceVersion = versionRelease;
    Optional<SourceRpm> source = SourceRpm.parse(h.sourceRpm());
    if (source.isPresent()) {
      sourceName = source.get().name();
      sourceVersion = source.get().versionRelease();
    }
    Map<String, String> qualifiers = new LinkedHashMap<>();
    qualifiers.put("arch", h.arch());
    if (h.epoch().isPresent()) {
      qualifiers.put("epoch", Integer.toString(h.epoch().getAsInt()));
    }
    String purl;
    try {
      purl = Purls.of("rpm", namespace(h.vendor()), h.name(), versionRelease, qualifiers);
    } catch (IllegalArgumentException e) {
      throw new AnalysisException(where + ": " + e.getMessage(), e);
    }
    Map<String, String> properties = h.sourceRpm().isEmpty() ? Map.of() : Map.of("sourcerpm", h.sourceRpm());
    // The source RPM's file name has no epoch; it shares the binary's, and advisories compare with it.
    return new Package("rpm", h.name(), epochPrefix + versionRelease, h.arch(), sourceName,
        epochPrefix + sourceVersion, h.license(), h.vendor(), purl, properties);
  }

  /** The source package a binary was built from, as its SOURCERPM file name gives it. */
  record SourceRpm(String name, String versionRelease) {
    /** {@code name-version-release.src.rpm}; empty when the name does not have that shape. */
    static Optional<SourceRpm> parse(String sourceRpm) {
      String base;
      if (sourceRpm.endsWith(".src.rpm")) {
        base = sourceRpm.substring(0, sourceRpm.length() - ".src.rpm".length());
      } else if (sourceRpm.endsWith(".nosrc.rpm")) {
        base = sourceRpm.substring(0, sourceRpm.length() - ".nosrc.rpm".length());
      } else {
        return Optional.empty();
      }
      int releaseDash = base.lastIndexOf('-');
      int versionDash = releaseDash > 0 ? base.lastIndexOf('-', releaseDash - 1) : -1;
      if (versionDash <= 0) {
        return Optional.empty();
      }
      return Optional.of(new SourceRpm(base.substring(0, versionDash), base.substring(versionDash + 1)));
    }
  }

  /** The purl namespace for a VENDOR tag, or "" so that {@link Purls#withDistro} fills in the os-release ID. */
  static String namespace(String vendor) {
    String v = vendor.toLowerCase(Locale.ROOT);
    if (v.contains("red hat")) {
      return "redhat";
    } else if (v.contains("fedora")) {
      return "fedora";
    } else if (v.contains("centos")) {
      return "centos";
    } else if (v.contains("rocky")) {
      return "rocky";
    } else if (v.contains("almalinux")) {
      return "almalinux";
    } else if (v.contains("amazon")) {
      return "amazon";
    } else if (v.contains("oracle")) {
      return "oracle";
    } else if (v.contains("opensuse")) {
      return "opensuse";
    } else if (v.contains("suse")) {
      return "suse";
    } else if (v.contains("microsoft")) {
      return "mariner";
    }
    return "";
  }
}
