package io.portolan.inventory.lang.java;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.purl.Purls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * Reports the Maven packages in Java archives ({@code .jar}, {@code .war}, {@code .ear}, {@code
 * .jpi}, {@code .hpi}) and in the archives nested inside them (Spring Boot {@code BOOT-INF/lib},
 * {@code WEB-INF/lib}, jars in jars), all found in one pass over the layer's stream.
 *
 * <p>Each archive, top-level or nested, is identified by the first of: every {@code
 * META-INF/maven/**}{@code /pom.properties} in it (a shaded jar reports each); its manifest (see
 * {@link ArchiveIdentity#fromManifest}); the {@link Sha1Index}; its file name ({@code
 * confidence=low}). An archive none of these identify is reported as {@code identity=unidentified}
 * with its file name as name, no version and no purl, so that nothing can match it.
 *
 * <p>Nested archives are never buffered: the inner {@link ZipInputStream} reads straight from the
 * outer one's entry, so memory stays at a few buffers per nesting level whatever the sizes.
 * Limits bound the work instead: nesting depth, the inflated size of one nested archive, and the
 * bytes inflated for one top-level file, which is what stops a zip bomb (counted as inflated, not
 * as declared). A nested archive that is too deep, too large or corrupt is reported with a {@code
 * problem} property, identified as far as it was read, and the rest of the outer archive is still
 * reported. A corrupt top-level file is an {@link AnalysisException}.
 *
 * <p>Cost: each archive is streamed once and hashed once. Only {@code pom.properties}, the
 * manifest and nested archives are kept or parsed, but every other entry is still inflated to be
 * skipped, because {@code ZipInputStream} cannot skip compressed bytes (and most jars write their
 * sizes only after the data). Inflation is most of the time spent.
 */
public final class JavaArchiveAnalyzer implements Analyzer {
  public static final String NAME = "java-archive";
  private static final byte[] LOCAL_HEADER = {'P', 'K', 3, 4};
  private static final byte[] EMPTY_ARCHIVE = {'P', 'K', 5, 6};
  private static final int MAX_LAUNCH_SCRIPT = 1024 * 1024;
  private static final int BUFFER = 32 * 1024;

  /**
   * @param maxDepth nesting levels read below the top-level archive
   * @param maxNestedBytes inflated size above which a nested archive is reported, not read
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

  @Override
  public int version() {
    return 1;
  }

  @Override
  public boolean wants(String path) {
    return ArchiveIdentity.isArchiveName(path);
  }

  @Override
  public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
    Scan scan = new Scan(path);
    try {
      scan.archive(content, new Found(path), 0);
    } catch (AnalysisException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // RuntimeException too: a malformed header can make java.util.zip throw unchecked ones.
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
    Attributes manifest;
    String sha1 = "";
    final List<String> problems = new ArrayList<>();

    Found(String chain) {
      this.chain = chain;
    }

    void report(List<Package> out) {
      Map<String, String> base = new LinkedHashMap<>();
      base.put("path", chain);
      if (!sha1.isEmpty()) {
        base.put("sha1", sha1);
      }
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
      gav = sha1.isEmpty() ? Optional.empty() : index.find(sha1);
      if (gav.isPresent()) {
        out.add(pkg(gav.get(), vendor, base, "sha1"));
        return;
      }
      gav = ArchiveIdentity.fromFileName(chain);
      if (gav.isPresent()) {
        base.put("confidence", "low");
        out.add(pkg(gav.get(), vendor, base, "filename"));
        return;
      }
      // The file name is a label for people; with no version and no purl nothing can match it.
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
    final byte[] scratch = new byte[64 * 1024];
    final byte[][] buffers = new byte[limits.maxDepth() + 1][];
    final byte[][] tails = new byte[limits.maxDepth() + 1][];
    final MessageDigest[] digests = new MessageDigest[limits.maxDepth() + 1];
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
     * Reads one archive from {@code source} to its end and reports it into {@link #packages}.
     * Throws when the archive (or the stream under it) is corrupt; nested archives' own failures
     * are caught and recorded in {@link #nested}.
     */
    void archive(InputStream source, Found found, int depth) throws IOException {
      ArchiveBytes bytes = new ArchiveBytes(source, buffer(depth), tail(depth), digest(depth));
      byte[] head = bytes.peek(4);
      InputStream zipStart = bytes;
      if (!startsWith(head, LOCAL_HEADER) && !startsWith(head, EMPTY_ARCHIVE)) {
        if (head.length < 2 || head[0] != '#' || head[1] != '!') {
          throw new ZipException("not a zip archive");
        }
        // Spring Boot's "fully executable" jars start with a shell script before the first entry.
        skipToLocalHeader(bytes);
        zipStart = new SequenceInputStream(new ByteArrayInputStream(LOCAL_HEADER), bytes);
      }
      try (ZipInputStream zip = new ZipInputStream(zipStart)) {
        for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
          if (e.isDirectory()) {
            continue;
          }
          String name = e.getName();
          entryArchive = found;
          entryName = name;
          if (ArchiveIdentity.isPomProperties(name)) {
            byte[] data = metadata(zip, e, found);
            if (data != null) {
              ArchiveIdentity.fromPomProperties(name, data).ifPresentOrElse(found.poms::add,
                  () -> found.problems.add(name + " has no usable groupId/artifactId/version"));
            }
          } else if (name.equalsIgnoreCase("META-INF/MANIFEST.MF")) {
            byte[] data = metadata(zip, e, found);
            if (data != null) {
              manifest(data, found);
            }
          } else if (ArchiveIdentity.isArchiveName(name)) {
            nested(zip, e, found, depth + 1);
          }
          skipRest(zip);
        }
        entryName = null;
        bytes.drain();
        if (!bytes.endsWithCentralDirectoryEnd()) {
          throw new ZipException("truncated: no end of central directory record after " + bytes.total() + " bytes");
        }
      }
      found.sha1 = bytes.sha1Hex();
      found.report(packages);
    }

    private void nested(ZipInputStream zip, ZipEntry e, Found outer, int depth) throws IOException {
      Found found = new Found(outer.chain + "!/" + e.getName());
      if (depth > limits.maxDepth()) {
        found.problems.add("not read: nested deeper than " + limits.maxDepth() + " archives");
        found.report(packages);
        return;
      }
      if (e.getSize() > limits.maxNestedBytes()) {
        found.problems.add("not read: " + e.getSize() + " bytes exceeds the " + limits.maxNestedBytes()
            + "-byte limit for nested archives");
        found.report(packages);
        return;
      }
      NestedEntry in = new NestedEntry(zip);
      try {
        archive(in, found, depth);
        entryArchive = outer;
        entryName = e.getName();
      } catch (InflationLimitException ex) {
        throw ex;
      } catch (IOException | RuntimeException ex) {
        boolean tooLarge = ex instanceof NestedTooLargeException t && t.source == in;
        if (in.outerFailed || (ex instanceof NestedTooLargeException && !tooLarge)) {
          throw ex;
        }
        // Only this nested archive is bad: report what it showed before failing and go on.
        entryArchive = outer;
        entryName = e.getName();
        found.sha1 = "";
        found.problems.add(tooLarge ? "not read fully: " + ex.getMessage() : "corrupt: " + ex.getMessage());
        found.report(packages);
      }
    }

    /** A pom.properties or manifest in memory, or null (with a problem noted) when too large. */
    private byte[] metadata(ZipInputStream zip, ZipEntry e, Found found) throws IOException {
      int max = limits.maxMetadataBytes();
      if (e.getSize() <= max) {
        byte[] data = new byte[e.getSize() >= 0 ? (int) e.getSize() : Math.min(max, 8192)];
        int n = 0;
        while (true) {
          if (n == data.length) {
            if (n > max) {
              break;
            }
            data = Arrays.copyOf(data, Math.min(max + 1, Math.max(n * 2, 64)));
          }
          int k = zip.read(data, n, data.length - n);
          if (k < 0) {
            return n == data.length ? data : Arrays.copyOf(data, n);
          }
          charge(k);
          n += k;
        }
      }
      found.problems.add(e.getName() + " larger than " + max + " bytes; not read");
      return null;
    }

    private void manifest(byte[] data, Found found) {
      try {
        found.manifest = new Manifest(new ByteArrayInputStream(data)).getMainAttributes();
      } catch (IOException | RuntimeException ex) {
        found.problems.add("META-INF/MANIFEST.MF unreadable: " + ex.getMessage());
      }
    }

    /** Inflates and drops what is left of the current entry, counting it against the budget. */
    private void skipRest(ZipInputStream zip) throws IOException {
      for (int n; (n = zip.read(scratch, 0, scratch.length)) > 0; ) {
        charge(n);
      }
    }

    void charge(long n) throws InflationLimitException {
      inflated += n;
      if (inflated > limits.maxInflatedBytes()) {
        throw new InflationLimitException(file + ": inflates to more than " + limits.maxInflatedBytes()
            + " bytes (at entry " + entry() + "); not read further");
      }
    }

    private void skipToLocalHeader(ArchiveBytes in) throws IOException {
      int matched = 0;
      for (int i = 0; i < MAX_LAUNCH_SCRIPT; i++) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        matched = b == LOCAL_HEADER[matched] ? matched + 1 : (b == 'P' ? 1 : 0);
        if (matched == LOCAL_HEADER.length) {
          return;
        }
      }
      throw new ZipException("not a zip archive: no entry within " + MAX_LAUNCH_SCRIPT + " bytes after a '#!' script");
    }

    private byte[] buffer(int depth) {
      if (buffers[depth] == null) {
        buffers[depth] = new byte[BUFFER];
      }
      return buffers[depth];
    }

    private byte[] tail(int depth) {
      if (tails[depth] == null) {
        tails[depth] = new byte[ArchiveBytes.TAIL];
      }
      return tails[depth];
    }

    private MessageDigest digest(int depth) {
      if (digests[depth] == null) {
        try {
          digests[depth] = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
          throw new IllegalStateException("every Java platform provides SHA-1", e);
        }
      }
      return digests[depth];
    }

    /**
     * A nested archive's bytes as its outer archive inflates them: charged to the budget, capped
     * at {@link Limits#maxNestedBytes}, and marking failures of the outer stream so that a corrupt
     * outer archive is not mistaken for a corrupt nested one.
     */
    private final class NestedEntry extends InputStream {
      private final ZipInputStream outer;
      private final byte[] one = new byte[1];
      private long read;
      boolean outerFailed;

      NestedEntry(ZipInputStream outer) {
        this.outer = outer;
      }

      @Override
      public int read() throws IOException {
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n;
        try {
          n = outer.read(b, off, len);
        } catch (IOException | RuntimeException e) {
          outerFailed = true;
          throw e;
        }
        if (n > 0) {
          charge(n);
          read += n;
          if (read > limits.maxNestedBytes()) {
            throw new NestedTooLargeException(this, "inflates to more than the " + limits.maxNestedBytes()
                + "-byte limit for nested archives");
          }
        }
        return n;
      }

      @Override
      public void close() {}
    }
  }

  /** The budget for one top-level file is spent; always fails the whole file. */
  private static final class InflationLimitException extends AnalysisException {
    InflationLimitException(String message) {
      super(message);
    }
  }

  /** One nested archive outgrew its limit; caught by the level that opened it. */
  private static final class NestedTooLargeException extends IOException {
    final transient Object source;

    NestedTooLargeException(Object source, String message) {
      super(message);
      this.source = source;
    }
  }

  private static boolean startsWith(byte[] head, byte[] prefix) {
    if (head.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (head[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static String append(String problems, String problem) {
    return problems == null ? problem : problems + "; " + problem;
  }

  private static String value(String s) {
    return s == null ? "" : s.strip();
  }
}
