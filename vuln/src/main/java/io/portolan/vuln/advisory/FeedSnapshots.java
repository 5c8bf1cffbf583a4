package io.portolan.vuln.advisory;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * Opens feed snapshots as fetched: one file, a directory tree or a zip archive (an OSV ecosystem
 * export {@code all.zip} holds one JSON file per advisory).
 *
 * <p>Feeds come from the network, so every entry is read through a bound: an entry larger than
 * {@link Limits#maxEntryBytes()} or a zip that inflates past {@link Limits#maxTotalBytes()} stops
 * the walk with a {@link FeedFormatException} naming the entry. The bound counts bytes actually
 * read, not the sizes an archive declares, because a hostile zip can declare anything.
 */
public final class FeedSnapshots {
  /**
   * Size bounds for reading a snapshot.
   *
   * @param maxEntryBytes the largest single entry (file or zip member) accepted
   * @param maxTotalBytes the largest total uncompressed size of one zip archive
   */
  public record Limits(long maxEntryBytes, long maxTotalBytes) {
    public static final Limits DEFAULT = new Limits(64L << 20, 4L << 30);

    public Limits {
      if (maxEntryBytes <= 0 || maxTotalBytes <= 0) {
        throw new IllegalArgumentException("limits must be positive");
      }
    }
  }

  private FeedSnapshots() {}

  public static FeedSnapshot open(Path path) throws IOException {
    return open(path, Limits.DEFAULT);
  }

  /**
   * A directory is walked in name order, skipping hidden files and directories (a clone of an
   * advisory repository carries .git and .github); a file is a zip when named {@code .zip} or
   * shaped so, else a single entry.
   */
  public static FeedSnapshot open(Path path, Limits limits) throws IOException {
    if (Files.isDirectory(path)) {
      return new DirectorySnapshot(path, limits);
    }
    if (!Files.isRegularFile(path)) {
      throw new NoSuchFileException(path.toString(), null, "not a file or directory");
    }
    String name = path.getFileName().toString();
    if (isZipName(name) || startsLikeZip(path)) {
      return new ZipSnapshot(path.toString(), () -> Files.newInputStream(path), limits);
    }
    return new FileSnapshot(path.toString(), name, path, limits);
  }

  public static FeedSnapshot ofBytes(String name, byte[] content) {
    return ofBytes(name, content, Limits.DEFAULT);
  }

  /** An uploaded file: a zip when named {@code .zip} or shaped so, else a single entry. */
  public static FeedSnapshot ofBytes(String name, byte[] content, Limits limits) {
    byte[] data = content.clone();
    if (isZipName(name) || hasZipMagic(data)) {
      return new ZipSnapshot(name, () -> new ByteArrayInputStream(data), limits);
    }
    return new FeedSnapshot() {
      @Override
      public String origin() {
        return name;
      }

      @Override
      public void forEachEntry(EntryVisitor visitor) throws IOException {
        if (data.length > limits.maxEntryBytes()) {
          throw tooLarge(name, name, limits.maxEntryBytes());
        }
        visitor.visit(name, new ByteArrayInputStream(data));
      }
    };
  }

  private static boolean isZipName(String name) {
    return name.toLowerCase(Locale.ROOT).endsWith(".zip");
  }

  private static boolean startsLikeZip(Path path) throws IOException {
    try (InputStream in = Files.newInputStream(path)) {
      return hasZipMagic(in.readNBytes(4));
    }
  }

  /** A local file header, or the end record of an empty archive. */
  private static boolean hasZipMagic(byte[] head) {
    return head.length >= 4 && head[0] == 'P' && head[1] == 'K'
        && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
  }

  private static FeedFormatException tooLarge(String origin, String entry, long limit) {
    return new FeedFormatException(
        origin + ": entry " + entry + " is larger than the " + limit + "-byte limit");
  }

  @FunctionalInterface
  private interface Source {
    InputStream open() throws IOException;
  }

  private record FileSnapshot(String origin, String name, Path path, Limits limits)
      implements FeedSnapshot {
    @Override
    public void forEachEntry(EntryVisitor visitor) throws IOException {
      visitFile(origin, name, path, limits, visitor);
    }
  }

  private static void visitFile(
      String origin, String name, Path file, Limits limits, FeedSnapshot.EntryVisitor visitor)
      throws IOException {
    if (Files.size(file) > limits.maxEntryBytes()) {
      throw tooLarge(origin, name, limits.maxEntryBytes());
    }
    try (InputStream raw = Files.newInputStream(file)) {
      BoundedEntry entry =
          new BoundedEntry(raw, origin, name, limits.maxEntryBytes(), Long.MAX_VALUE);
      visitor.visit(name, entry);
      entry.finishQuietly();
    }
  }

  private record DirectorySnapshot(Path root, Limits limits) implements FeedSnapshot {
    @Override
    public String origin() {
      return root.toString();
    }

    @Override
    public void forEachEntry(EntryVisitor visitor) throws IOException {
      Path realRoot = root.toRealPath();
      List<String> names = new ArrayList<>();
      Files.walkFileTree(realRoot, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          return !dir.equals(realRoot) && isHidden(dir) ? FileVisitResult.SKIP_SUBTREE
              : FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          if (!isHidden(file) && insideRegularFile(realRoot, file)) {
            names.add(relativeName(realRoot, file));
          }
          return FileVisitResult.CONTINUE;
        }
      });
      names.sort(Comparator.naturalOrder());
      for (String name : names) {
        Path file = realRoot.resolve(name);
        // Re-resolve at open time: a link swapped after the listing must not lead outside either.
        Path real = file.toRealPath();
        if (!real.startsWith(realRoot) || !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        visitFile(origin(), name, real, limits, visitor);
      }
    }

    /**
     * Regular files count; a symlink counts only when it ends at a regular file inside the tree,
     * so a feed directory cannot make us read /etc/shadow. Linked directories are not descended
     * (walkFileTree does not follow them), which also rules out cycles.
     */
    private static boolean insideRegularFile(Path root, Path p) {
      if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        return true;
      }
      if (!Files.isSymbolicLink(p)) {
        return false;
      }
      try {
        Path real = p.toRealPath();
        return real.startsWith(root) && Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException dangling) {
        return false;
      }
    }

    /** A clone of an advisory repository carries .git and .github (workflow YAML): not feed. */
    private static boolean isHidden(Path p) {
      return p.getFileName().toString().startsWith(".");
    }

    private static String relativeName(Path root, Path p) {
      Path rel = root.relativize(p);
      List<String> parts = new ArrayList<>();
      rel.forEach(part -> parts.add(part.toString()));
      return String.join("/", parts);
    }
  }

  private record ZipSnapshot(String origin, Source source, Limits limits) implements FeedSnapshot {
    @Override
    public void forEachEntry(EntryVisitor visitor) throws IOException {
      try (InputStream raw = source.open()) {
        EndWatch watched = new EndWatch(new BufferedInputStream(raw));
        watched.mark(4);
        if (!hasZipMagic(watched.readNBytes(4))) {
          throw new FeedFormatException(origin + ": not a zip archive");
        }
        watched.reset();
        walk(new ZipInputStream(watched), watched, visitor);
      }
    }

    private void walk(ZipInputStream zip, EndWatch watched, EntryVisitor visitor)
        throws IOException {
      long total = 0;
      String last = "(start)";
      while (true) {
        ZipEntry e;
        try {
          e = zip.getNextEntry();
        } catch (ZipException | EOFException ex) {
          throw new FeedFormatException(
              origin + ": corrupt or truncated zip after entry " + last + ": " + ex.getMessage(),
              ex);
        }
        if (e == null) {
          break;
        }
        String name = cleanName(e.getName());
        last = name;
        if (e.isDirectory() || name.isEmpty()) {
          continue;
        }
        if (e.getSize() > limits.maxEntryBytes()) {
          throw tooLarge(origin, name, limits.maxEntryBytes());
        }
        long left = limits.maxTotalBytes() - total;
        if (e.getSize() > left) {
          throw totalTooLarge(name);
        }
        BoundedEntry entry = new BoundedEntry(zip, origin, name, limits.maxEntryBytes(), left);
        visitor.visit(name, entry);
        // Drained through the bound: ZipInputStream would otherwise inflate the rest unbounded.
        total += entry.finish();
      }
      // ZipInputStream reports a clean end when the data stops at an entry boundary; only the
      // end-of-central-directory record proves the archive was not cut there.
      watched.transferTo(OutputStream.nullOutputStream());
      if (!watched.sawEnd()) {
        throw new FeedFormatException(
            origin + ": truncated zip: archive ends after entry " + last
                + " without its central directory");
      }
    }

    private FeedFormatException totalTooLarge(String name) {
      return new FeedFormatException(origin + ": zip inflates past the " + limits.maxTotalBytes()
          + "-byte total limit at entry " + name);
    }

    private static String cleanName(String raw) {
      String n = raw.replace('\\', '/');
      while (n.startsWith("/") || n.startsWith("./")) {
        n = n.startsWith("/") ? n.substring(1) : n.substring(2);
      }
      return n;
    }
  }

  /** Notices the end-of-central-directory signature (PK 5 6) among the bytes read. */
  private static final class EndWatch extends FilterInputStream {
    private int window;
    private boolean sawEnd;
    private int markedWindow;
    private boolean markedSawEnd;

    EndWatch(InputStream in) {
      super(in);
    }

    boolean sawEnd() {
      return sawEnd;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        see(b);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      for (int i = 0; i < n; i++) {
        see(b[off + i] & 0xff);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] buf = new byte[8192];
      long done = 0;
      while (done < n) {
        int r = read(buf, 0, (int) Math.min(buf.length, n - done));
        if (r < 0) {
          break;
        }
        done += r;
      }
      return done;
    }

    @Override
    public synchronized void mark(int readlimit) {
      super.mark(readlimit);
      markedWindow = window;
      markedSawEnd = sawEnd;
    }

    @Override
    public synchronized void reset() throws IOException {
      super.reset();
      window = markedWindow;
      sawEnd = markedSawEnd;
    }

    private void see(int b) {
      window = (window << 8) | b;
      if (window == 0x504b0506) {
        sawEnd = true;
      }
    }
  }

  /**
   * One entry's bytes, bounded, and owned by the snapshot: close() is a no-op because parsers such
   * as Jackson close what they read, and the zip stream must live on to the next entry. A read
   * failure is remembered so that a visitor which catches it cannot hide a broken archive.
   */
  private static final class BoundedEntry extends InputStream {
    private final InputStream in;
    private final String origin;
    private final String name;
    private final long maxEntry;
    private final long maxTotalLeft;
    private long count;
    private IOException failure;

    BoundedEntry(InputStream in, String origin, String name, long maxEntry, long maxTotalLeft) {
      this.in = in;
      this.origin = origin;
      this.name = name;
      this.maxEntry = maxEntry;
      this.maxTotalLeft = maxTotalLeft;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (failure != null) {
        throw failure;
      }
      if (len == 0) {
        return 0;
      }
      long remaining = Math.min(maxEntry, maxTotalLeft) - count;
      // One byte past the bound is enough to tell "exactly at the limit" from "over it".
      int want = remaining >= len ? len : (int) (remaining + 1);
      int n;
      try {
        n = in.read(b, off, want);
      } catch (IOException e) {
        failure = new FeedFormatException(
            origin + ": cannot read entry " + name + " (truncated or corrupt): " + e.getMessage(),
            e);
        throw failure;
      }
      if (n > 0) {
        count += n;
        if (count > maxEntry) {
          failure = tooLarge(origin, name, maxEntry);
          throw failure;
        }
        if (count > maxTotalLeft) {
          failure = new FeedFormatException(origin + ": zip inflates past the total limit at entry "
              + name);
          throw failure;
        }
      }
      return n;
    }

    @Override
    public void close() {}

    /** Reads what the visitor left, through the bound, and returns the entry's size. */
    long finish() throws IOException {
      byte[] buf = new byte[8192];
      while (read(buf, 0, buf.length) >= 0) {
        // Draining only; read() enforces the bound and records failures.
      }
      return count;
    }

    /** Files need no draining; only a failure the visitor swallowed matters. */
    void finishQuietly() throws IOException {
      if (failure != null) {
        throw failure;
      }
    }
  }
}
