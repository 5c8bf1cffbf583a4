package io.portolan.inventory.layer;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Walks one layer tar (plain or gzip) from a stream without buffering it: entries go to the
 * handler as they pass, unwanted content is skipped, and the bytes are hashed on the way to verify
 * the diff ID (and the blob digest, for compressed blobs) unless the caller trusts where they came
 * from.
 */
final class LayerTarReader {
  private static final int END_OF_ARCHIVE = 1024;

  private LayerTarReader() {}

  /** What the first bytes of a layer or blob say it is. */
  enum Kind { TAR, GZIP, ZSTD, JSON, EMPTY }

  /** A stream whose first bytes were looked at without being consumed. */
  static final class Peeked {
    final Counting raw;
    final BufferedInputStream buffered;
    final Kind kind;

    private Peeked(Counting raw, BufferedInputStream buffered, Kind kind) {
      this.raw = raw;
      this.buffered = buffered;
      this.kind = kind;
    }
  }

  static Peeked peek(InputStream in) throws IOException {
    return peek(in, true);
  }

  /** {@code hash} false: the bytes will not be verified, so hashing them would be wasted CPU. */
  static Peeked peek(InputStream in, boolean hash) throws IOException {
    Counting raw = new Counting(in, hash);
    BufferedInputStream buffered = new BufferedInputStream(raw, 64 * 1024);
    buffered.mark(1024);
    byte[] head = buffered.readNBytes(512);
    buffered.reset();
    return new Peeked(raw, buffered, classify(head));
  }

  private static Kind classify(byte[] head) {
    if (head.length == 0) {
      return Kind.EMPTY;
    }
    if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return Kind.GZIP;
    }
    if (head.length >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5
        && (head[2] & 0xff) == 0x2f && (head[3] & 0xff) == 0xfd) {
      return Kind.ZSTD;
    }
    for (byte b : head) {
      if (b == '{' || b == '[') {
        return Kind.JSON;
      }
      if (!Character.isWhitespace(b)) {
        break;
      }
    }
    return Kind.TAR;
  }

  /**
   * Walks the layer, reports its end to the handler and returns it. {@code blobDigest} is checked
   * against the raw (possibly compressed) bytes when present.
   */
  static LayerEnd read(Peeked peeked, String location, Optional<String> expectedDiffId,
      Optional<String> blobDigest, LayerHandler handler) {
    return read(peeked, location, expectedDiffId, blobDigest, true, handler);
  }

  /**
   * As {@link #read(Peeked, String, Optional, Optional, LayerHandler)}, but with {@code verify}
   * false nothing is hashed (peek with {@code hash} false too): the layer completes with {@code
   * expectedDiffId} as given, or with an empty diff ID for the caller to name from the manifest.
   * Truncation is still detected.
   */
  static LayerEnd read(Peeked peeked, String location, Optional<String> expectedDiffId,
      Optional<String> blobDigest, boolean verify, LayerHandler handler) {
    try {
      return read(peeked, location, expectedDiffId, blobDigest, verify, handler, () -> false);
    } catch (WalkCancelledException e) {
      throw new IllegalStateException("never cancelled", e);
    }
  }

  /**
   * As above, asking {@code cancelled} before each entry: once it says so, the layer ends as
   * {@link LayerEnd.Failed} and {@link WalkCancelledException} is thrown; the rest of the layer
   * stays unread (the caller closes or drains the stream).
   */
  static LayerEnd read(Peeked peeked, String location, Optional<String> expectedDiffId,
      Optional<String> blobDigest, boolean verify, LayerHandler handler, BooleanSupplier cancelled)
      throws WalkCancelledException {
    LayerEnd end;
    try {
      end = walk(peeked, location, expectedDiffId, blobDigest, verify, handler, cancelled);
    } catch (WalkCancelledException e) {
      handler.end(new LayerEnd.Failed(location, expectedDiffId, e.getMessage()));
      throw e;
    }
    handler.end(end);
    return end;
  }

  private static LayerEnd walk(Peeked peeked, String location, Optional<String> expectedDiffId,
      Optional<String> blobDigest, boolean verify, LayerHandler handler, BooleanSupplier cancelled)
      throws WalkCancelledException {
    String layer = "layer " + location + expectedDiffId.map(d -> " (diff ID " + d + ")").orElse("");
    if (peeked.kind == Kind.ZSTD) {
      return new LayerEnd.Failed(location, expectedDiffId, layer + ": zstd-compressed layers are not supported");
    }
    boolean gzip = peeked.kind == Kind.GZIP;
    Counting uncompressed = null;
    TarArchiveInputStream tar = null;
    String current = null;
    try {
      InputStream source = peeked.buffered;
      if (gzip) {
        uncompressed = new Counting(new GzipCompressorInputStream(peeked.buffered, true), verify);
        source = uncompressed;
      }
      tar = new TarArchiveInputStream(Streams.noClose(source), StandardCharsets.UTF_8.name());
      byte[] skipBuffer = new byte[Streams.SKIP_BUFFER];
      TarArchiveEntry e;
      String last = "";
      long entries = 0;
      while ((e = tar.getNextEntry()) != null) {
        if (cancelled.getAsBoolean()) throw new WalkCancelledException(location, last, entries);
        current = e.getName();
        deliver(e, tar, handler);
        Streams.drain(tar, skipBuffer);
        last = current;
        entries++;
      }
      current = null;
      Streams.drain(source);
      if (gzip) {
        Streams.drain(peeked.buffered);
      }
    } catch (WalkCancelledException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // RuntimeException too: commons-compress signals some malformed headers with unchecked ones.
      long offset = gzip ? uncompressed == null ? 0 : uncompressed.count() : peeked.raw.count();
      if (tar != null) {
        offset = tar.getBytesRead();
      }
      return new LayerEnd.Failed(location, expectedDiffId, layer + ": " + describe(e)
          + (current == null ? "" : " in entry " + current) + " at offset " + offset
          + (gzip ? " of the uncompressed tar" : ""));
    }
    Counting tarBytes = gzip ? uncompressed : peeked.raw;
    if (tarBytes.count() != 0 && (tarBytes.count() % 512 != 0 || tarBytes.trailingZeros() < END_OF_ARCHIVE)) {
      return new LayerEnd.Failed(location, expectedDiffId, layer + ": truncated or not a tar: it ends at offset "
          + tarBytes.count() + " without the end-of-archive marker");
    }
    if (!verify) {
      return new LayerEnd.Complete(location, expectedDiffId.orElse(""));
    }
    String diffId = tarBytes.digest();
    if (expectedDiffId.isPresent() && !expectedDiffId.get().equals(diffId)) {
      return new LayerEnd.Failed(location, expectedDiffId, layer + ": content hashes to " + diffId
          + ", not to its diff ID");
    }
    if (blobDigest.isPresent() && !blobDigest.get().equals(peeked.raw.digest())) {
      return new LayerEnd.Failed(location, expectedDiffId, layer + ": blob hashes to "
          + peeked.raw.digest() + ", not to its digest " + blobDigest.get());
    }
    return new LayerEnd.Complete(location, diffId);
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  private static void deliver(TarArchiveEntry e, TarArchiveInputStream tar, LayerHandler handler)
      throws IOException {
    String raw = e.getName();
    Optional<String> normalized = LayerPaths.normalize(raw);
    if (normalized.isEmpty()) {
      handler.warning(raw, "entry name leaves the layer root; ignored");
      return;
    }
    String path = normalized.get();
    if (path.isEmpty() || Whiteouts.report(path, handler)) {
      return;
    }
    LayerEntry.Type type;
    String link = "";
    if (e.isSymbolicLink()) {
      type = LayerEntry.Type.SYMLINK;
      link = LayerPaths.resolveSymlink(path, e.getLinkName());
    } else if (e.isLink()) {
      Optional<String> target = LayerPaths.normalize(e.getLinkName());
      if (target.isEmpty()) {
        handler.warning(raw, "hardlink target " + e.getLinkName() + " leaves the layer root; ignored");
        return;
      }
      type = LayerEntry.Type.HARDLINK;
      link = target.get();
    } else if (e.isDirectory()) {
      type = LayerEntry.Type.DIRECTORY;
    } else if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
      type = LayerEntry.Type.OTHER;
    } else {
      type = LayerEntry.Type.FILE;
    }
    long size = type == LayerEntry.Type.FILE ? e.getSize() : 0;
    LayerEntry entry = new LayerEntry(path, type, size, e.getMode() & 0777, link);
    boolean[] opened = {false};
    handler.entry(entry, maxBytes -> {
      if (type != LayerEntry.Type.FILE) {
        throw new IOException(path + " is a " + type + ", it has no content");
      }
      if (opened[0]) {
        throw new IllegalStateException(path + ": content already opened");
      }
      if (size > maxBytes) {
        throw new ContentTooLargeException(path, size, maxBytes);
      }
      opened[0] = true;
      return Streams.noClose(tar);
    });
  }

  /** Counts and hashes what passes, and remembers how many zero bytes ended it. */
  static final class Counting extends FilterInputStream {
    private final Streams.Hashing hashing;
    private long trailingZeros;

    Counting(InputStream in) {
      this(in, true);
    }

    Counting(InputStream in, boolean hash) {
      this(new Streams.Hashing(in, hash));
    }

    private Counting(Streams.Hashing hashing) {
      super(hashing);
      this.hashing = hashing;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b == 0) {
        trailingZeros++;
      } else if (b > 0) {
        trailingZeros = 0;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        // Scan back from the end only: data chunks rarely end in long zero runs, so this is cheap.
        int zeros = 0;
        while (zeros < n && b[off + n - 1 - zeros] == 0) {
          zeros++;
        }
        trailingZeros = zeros == n ? trailingZeros + n : zeros;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      return Streams.skipByReading(this, n);
    }

    @Override
    public boolean markSupported() {
      return false;
    }

    long count() {
      return hashing.count();
    }

    long trailingZeros() {
      return trailingZeros;
    }

    String digest() {
      return hashing.digest();
    }
  }
}
