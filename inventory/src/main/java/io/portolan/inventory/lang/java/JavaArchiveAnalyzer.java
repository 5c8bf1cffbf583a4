package io.portolan.inventory.lang.java;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.BoundedInput;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.purl.Purls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.zip.ZipException;

/**
 * Reports the Maven packages in Java archives ({@code .jar}, {@code .war}, {@code .ear}, {@code
 * .jpi}, {@code .hpi}) and in the archives nested inside them (Spring Boot {@code BOOT-INF/lib},
 * {@code WEB-INF/lib}, jars in jars).
 *
 * <p>Each archive, top-level or nested, is identified by the first of: every {@code
 * META-INF/maven/**}{@code /pom.properties} in it (a shaded jar reports each); its manifest (see
 * {@link ArchiveIdentity#fromManifest}); the {@link Sha1Index}; its file name ({@code
 * confidence=low}). An archive none of these identify is reported as {@code identity=unidentified}
 * with its file name as name, no version and no purl, so that nothing can match it.
 *
 * <p>Cost: an archive is read through its central directory ({@link ZipDirectory}): the directory,
 * then only {@code pom.properties}, the manifest and nested archives. A stored nested archive (how
 * Spring Boot writes {@code BOOT-INF/lib}) is read in place; a deflated one is inflated into memory,
 * bounded; of the manifest only the start is inflated. On overlay2 the file is never read whole.
 * The SHA-1 of an archive (over its raw bytes) is computed only where it serves: to look up archives
 * that neither {@code pom.properties} nor the manifest identify when a table is loaded, and for
 * unidentified ones, so that someone (or a table imported later) can say what they are. Hashing
 * every jar would cost more than reading them: about 1.4 s per 150 MB on the CLI's C1-only JIT.
 *
 * <p>Limits bound the work: nesting depth, the size of one nested archive, and the bytes inflated
 * for one top-level file (counted as inflated, not as declared, so a lying directory cannot pass).
 * A nested archive that is too deep, too large or corrupt is reported with a {@code problem}
 * property, identified as far as possible, and the rest of the outer archive is still reported. A
 * corrupt top-level file, or a spent budget, is an {@link AnalysisException}.
 */
public final class JavaArchiveAnalyzer implements Analyzer {
  public static final String NAME = "java-archive";
  private static final int VERSION = 2;
  /** A top-level archive read from a stream is kept in memory up to this size, else spooled to a file. */
  private static final long IN_MEMORY_BYTES = 64L * 1024 * 1024;
  private static final String MANIFEST = "META-INF/MANIFEST.MF";
  /** A manifest's main section is a few hundred bytes; this much of the start of one is read. */
  private static final int MANIFEST_MAIN_SECTION_BYTES = 64 * 1024;

  /**
   * @param maxDepth nesting levels read below the top-level archive
   * @param maxNestedBytes size above which a nested archive is reported, not read
   * @param maxInflatedBytes bytes inflated, at every level, for one top-level file
   * @param maxMetadataBytes size of a {@code pom.properties} or manifest read into memory
   */
  public record Limits(int maxDepth, long maxNestedBytes, long maxInflatedBytes, int maxMetadataBytes) {
    public static final Limits DEFAULT = new Limits(4, 256L * 1024 * 1024, 2L * 1024 * 1024 * 1024, 1024 * 1024);
  }

  private final Sha1Index index;
  private final Limits limits;

  public JavaArchiveAnalyzer() {
    this(Sha1Index.empty());
  }

  public JavaArchiveAnalyzer(Sha1Index index) {
    this(index, Limits.DEFAULT);
  }

  public JavaArchiveAnalyzer(Sha1Index index, Limits limits) {
    this.index = index;
    this.limits = limits;
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * The analyzer's version, and with a SHA-1 table the table's fingerprint too: another table
   * identifies other jars, so findings cached under one must not be reused under another.
   */
  @Override
  public int version() {
    return index.size() == 0 ? VERSION : VERSION * 1_000_000 + Math.floorMod(index.fingerprint(), 1_000_000);
  }

  @Override
  public boolean wants(String path) {
    return ArchiveIdentity.isArchiveName(path);
  }

  @Override
  public boolean randomAccess() {
    return true;
  }

  @Override
  public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
    if (size <= IN_MEMORY_BYTES) {
      byte[] data = BoundedInput.readAll(path, content, size, IN_MEMORY_BYTES);
      return analyze(path, ArchiveSource.of(data));
    }
    Path spool = BoundedInput.spool(path, content, size, maxFileBytes(), Path.of(System.getProperty("java.io.tmpdir")));
    try (FileChannel channel = FileChannel.open(spool, StandardOpenOption.READ)) {
      return analyze(path, ArchiveSource.of(channel, channel.size()));
    } finally {
      Files.deleteIfExists(spool);
    }
  }

  @Override
  public List<FileFindings> analyze(String path, SeekableByteChannel content, long size) throws IOException {
    return analyze(path, ArchiveSource.of(content, size));
  }

  private List<FileFindings> analyze(String path, ArchiveSource source) throws IOException {
    Scan scan = new Scan(path);
    try {
      scan.archive(source, new Found(path, source), 0);
    } catch (AnalysisException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // RuntimeException too: a malformed manifest or properties file can throw unchecked ones.
      String at = scan.entry().isEmpty() ? "" : " (at entry " + scan.entry() + ")";
      throw new AnalysisException(path + ": corrupt archive" + at + ": " + e.getMessage(), e);
    }
    scan.packages.sort(Comparator.comparing((Package p) -> p.properties().get("path"))
        .thenComparing(Package::name).thenComparing(Package::version));
    return List.of(new FileFindings(path, NAME, scan.packages, Optional.empty()));
  }

  /** What one archive said about itself while it was read; turned into packages at its end. */
  private final class Found {
    final String chain;
    final List<Gav> poms = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    /** The archive's bytes, for its SHA-1 when it comes to that; null when they cannot be trusted. */
    ArchiveSource source;
    Attributes manifest;

    Found(String chain, ArchiveSource source) {
      this.chain = chain;
      this.source = source;
    }

    void report(List<Package> out) throws IOException {
      Map<String, String> base = new LinkedHashMap<>();
      base.put("path", chain);
      if (!problems.isEmpty()) {
        base.put("problem", String.join("; ", problems));
      }
      String vendor = manifest == null ? "" : value(manifest.getValue("Implementation-Vendor"));
      if (!poms.isEmpty()) {
        for (Gav gav : new LinkedHashSet<>(poms)) {
          out.add(pkg(gav, "", base, "pom.properties"));
        }
        return;
      }
      Optional<Gav> gav = manifest == null ? Optional.empty() : ArchiveIdentity.fromManifest(manifest, chain);
      if (gav.isPresent()) {
        // Derived, not declared: see ArchiveIdentity.fromManifest.
        base.put("confidence", "medium");
        out.add(pkg(gav.get(), vendor, base, "manifest"));
        return;
      }
      if (source != null && index.size() > 0) {
        String sha1 = sha1(source);
        base.put("sha1", sha1);
        gav = index.find(sha1);
        if (gav.isPresent()) {
          out.add(pkg(gav.get(), vendor, base, "sha1"));
          return;
        }
      }
      gav = ArchiveIdentity.fromFileName(chain);
      if (gav.isPresent()) {
        base.put("confidence", "low");
        out.add(pkg(gav.get(), vendor, base, "filename"));
        return;
      }
      // The file name is a label for people; with no version and no purl nothing can match it. The
      // SHA-1 is what lets them (or a SHA-1 table imported later) say what it is.
      if (source != null && !base.containsKey("sha1")) {
        base.put("sha1", sha1(source));
      }
      base.put("identity", "unidentified");
      String file = chain.substring(chain.lastIndexOf('/') + 1);
      out.add(new Package("maven", file, "", "", "", "", "", vendor, "", base));
    }

    private Package pkg(Gav gav, String vendor, Map<String, String> base, String identity) {
      Map<String, String> properties = new LinkedHashMap<>(base);
      properties.put("identity", identity);
      // A maven purl needs a namespace (packageurl-java rejects one without), and a name without
      // a group matches no advisory anyway, so group-less identities carry no purl.
      String purl = "";
      try {
        if (!gav.group().isEmpty()) {
          purl = Purls.of("maven", gav.group(), gav.artifact(), gav.version(), Map.of());
        }
      } catch (IllegalArgumentException e) {
        // Coordinates packageurl-java rejects cannot be matched either; keep the package visible.
        properties.put("problem", append(properties.get("problem"), e.getMessage()));
      }
      return new Package("maven", gav.name(), gav.version(), "", "", "", "", vendor, purl, properties);
    }
  }

  /** The state of one {@link #analyze} call. */
  private final class Scan {
    final String file;
    final List<Package> packages = new ArrayList<>();
    long inflated;
    // The entry being read, kept as two references so naming it costs nothing unless it fails.
    Found entryArchive;
    String entryName;

    Scan(String file) {
      this.file = file;
    }

    /** The entry being read, as a chain below the top-level file. */
    String entry() {
      if (entryName == null) {
        return "";
      }
      String inner = entryArchive.chain.length() > file.length() ? entryArchive.chain.substring(file.length() + 2) : "";
      return inner.isEmpty() ? entryName : inner + "!/" + entryName;
    }

    /**
     * Reads one archive and reports it into {@link #packages}. Throws when the archive is
     * corrupt; nested archives' own failures are caught and recorded in {@link #nested}.
     */
    void archive(ArchiveSource source, Found found, int depth) throws IOException {
      ZipDirectory directory = ZipDirectory.read(source, JavaArchiveAnalyzer::mayMatter, JavaArchiveAnalyzer::matters);
      for (ZipDirectory.Entry e : directory.entries()) {
        entryArchive = found;
        entryName = e.name();
        if (ArchiveIdentity.isPomProperties(e.name())) {
          byte[] data = metadata(directory, e, found);
          if (data != null) {
            ArchiveIdentity.fromPomProperties(e.name(), data).ifPresentOrElse(found.poms::add,
                () -> found.problems.add(e.name() + " has no usable groupId/artifactId/version"));
          }
        } else if (e.name().equalsIgnoreCase(MANIFEST)) {
          manifest(directory.prefix(e, MANIFEST_MAIN_SECTION_BYTES, this::charge), found);
        } else {
          nested(directory, e, found, depth + 1);
        }
      }
      entryName = null;
      found.report(packages);
    }

    private void nested(ZipDirectory outer, ZipDirectory.Entry e, Found outerFound, int depth) throws IOException {
      Found found = new Found(outerFound.chain + "!/" + e.name(), null);
      if (depth > limits.maxDepth()) {
        found.problems.add("not read: nested deeper than " + limits.maxDepth() + " archives");
        found.report(packages);
        return;
      }
      try {
        if (e.size() > limits.maxNestedBytes()) {
          throw new ZipDirectory.TooLargeException(e.size() + " bytes exceeds the " + limits.maxNestedBytes()
              + "-byte limit for nested archives");
        }
        found.source = e.method() == ZipDirectory.STORED && !e.encrypted() ? outer.stored(e)
            : ArchiveSource.of(outer.content(e, limits.maxNestedBytes(), this::charge));
      } catch (ZipDirectory.TooLargeException ex) {
        found.problems.add((ex.getMessage().startsWith("inflates") ? "not read fully: " : "not read: ")
            + ex.getMessage());
        found.report(packages);
        return;
      } catch (ZipException ex) {
        found.problems.add("corrupt: " + ex.getMessage());
        found.report(packages);
        return;
      }
      try {
        archive(found.source, found, depth);
      } catch (InflationLimitException ex) {
        throw ex;
      } catch (ZipException | RuntimeException ex) {
        // Only this nested archive is bad: report what it showed and go on with the outer one.
        found.source = null;
        found.problems.add("corrupt: " + ex.getMessage());
        found.report(packages);
      }
      entryArchive = outerFound;
      entryName = e.name();
    }

    /** A pom.properties or manifest in memory, or null (with a problem noted) when too large. */
    private byte[] metadata(ZipDirectory directory, ZipDirectory.Entry e, Found found) throws IOException {
      try {
        return directory.content(e, limits.maxMetadataBytes(), this::charge);
      } catch (ZipDirectory.TooLargeException ex) {
        found.problems.add(e.name() + " larger than " + limits.maxMetadataBytes() + " bytes; not read");
        return null;
      }
    }

    /**
     * The main section only: it ends at the first empty line, and what follows (one section per
     * entry, with digests in a signed jar: megabytes for Bouncy Castle) says nothing about identity.
     */
    private void manifest(byte[] data, Found found) {
      int end = data.length;
      for (int i = 0; i + 1 < data.length; i++) {
        if (data[i] == '\n' && (data[i + 1] == '\n' || data[i + 1] == '\r' && i + 2 < data.length && data[i + 2] == '\n')) {
          end = i + 1;
          break;
        }
      }
      try {
        found.manifest = new Manifest(new ByteArrayInputStream(data, 0, end)).getMainAttributes();
      } catch (IOException | RuntimeException ex) {
        found.problems.add("META-INF/MANIFEST.MF unreadable: " + ex.getMessage());
      }
    }

    void charge(long n) throws InflationLimitException {
      inflated += n;
      if (inflated > limits.maxInflatedBytes()) {
        throw new InflationLimitException(file + ": inflates to more than " + limits.maxInflatedBytes()
            + " bytes (at entry " + entry() + "); not read further");
      }
    }
  }

  /** Whether an entry name's raw bytes can be one {@link #matters} accepts: a cheap look at its last byte. */
  private static boolean mayMatter(byte[] b, int offset, int length) {
    if (length < 4) {
      return false;
    }
    int last = b[offset + length - 1] | 0x20;
    // pom.propertie[s], MANIFEST.M[F], .ja[r] .wa[r] .ea[r], .jp[i] .hp[i]
    return last == 's' || last == 'f' || last == 'r' || last == 'i';
  }

  private static boolean matters(String name) {
    return !name.endsWith("/") && (ArchiveIdentity.isPomProperties(name) || name.equalsIgnoreCase(MANIFEST)
        || ArchiveIdentity.isArchiveName(name));
  }

  /** Lowercase hex SHA-1 of every byte of the archive. */
  private static String sha1(ArchiveSource source) throws IOException {
    MessageDigest sha1;
    try {
      sha1 = MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-1", e);
    }
    byte[] buffer = new byte[(int) Math.min(256 * 1024, Math.max(1, source.size()))];
    for (long at = 0; at < source.size(); ) {
      int n = (int) Math.min(buffer.length, source.size() - at);
      source.read(at, buffer, 0, n);
      sha1.update(buffer, 0, n);
      at += n;
    }
    return java.util.HexFormat.of().formatHex(sha1.digest());
  }

  /** The budget for one top-level file is spent; always fails the whole file. */
  private static final class InflationLimitException extends AnalysisException {
    InflationLimitException(String message) {
      super(message);
    }
  }

  private static String append(String problems, String problem) {
    return problems == null ? problem : problems + "; " + problem;
  }

  private static String value(String s) {
    return s == null ? "" : s.strip();
  }
}
