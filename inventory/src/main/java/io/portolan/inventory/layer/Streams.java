package io.portolan.inventory.layer;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Small stream pieces the sources share: bounding, counting, not closing, hashing. */
final class Streams {
  private Streams() {}

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  static String digest(MessageDigest md) {
    return "sha256:" + HexFormat.of().formatHex(md.digest());
  }

  /** Large enough that skipping a big file costs few calls down a stack of stream wrappers. */
  static final int SKIP_BUFFER = 64 * 1024;

  /** Reads and discards the rest of {@code in}, so a digest over it covers every byte. */
  static void drain(InputStream in) throws IOException {
    drain(in, new byte[SKIP_BUFFER]);
  }

  /**
   * As {@link #drain(InputStream)}, into the caller's buffer. Tar streams are drained this way
   * before moving to their next entry: commons-compress would skip the rest by reading 8 KB at a
   * time into a newly allocated array each time, which on a 1 GB layer stream costs more than the
   * parsing.
   */
  static void drain(InputStream in, byte[] buffer) throws IOException {
    while (in.read(buffer) >= 0) {
      // discarding on purpose: only the digest of these bytes matters
    }
  }

  /** Reads at most {@code limit} bytes; empty-handed callers learn the file was too large. */
  static byte[] readBounded(InputStream in, int limit, String what) throws IOException {
    byte[] data = in.readNBytes(limit + 1);
    if (data.length > limit) {
      throw new IOException(what + " is larger than " + limit + " bytes");
    }
    return data;
  }

  /** Shields the wrapped stream from close(): nested tar streams must not close their parent. */
  static InputStream noClose(InputStream in) {
    return new FilterInputStream(in) {
      @Override
      public void close() {
        // the parent stream belongs to the caller
      }
    };
  }

  /** Ends after {@code limit} bytes. */
  static InputStream bounded(InputStream in, long limit) {
    return new FilterInputStream(in) {
      private long left = limit;

      @Override
      public int read() throws IOException {
        if (left <= 0) {
          return -1;
        }
        int b = super.read();
        if (b >= 0) {
          left--;
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (left <= 0) {
          return -1;
        }
        int n = super.read(b, off, (int) Math.min(len, left));
        if (n > 0) {
          left -= n;
        }
        return n;
      }

      @Override
      public long skip(long n) throws IOException {
        long skipped = super.skip(Math.min(n, left));
        left -= skipped;
        return skipped;
      }

      @Override
      public int available() throws IOException {
        return (int) Math.min(super.available(), left);
      }

      @Override
      public boolean markSupported() {
        return false;
      }
    };
  }

  /**
   * Counts what passes through, so errors can name an offset, and hashes it unless told not to
   * (a trusted source's bytes need no digest, and hashing is most of the CPU of a layer read).
   */
  static final class Hashing extends FilterInputStream {
    private final MessageDigest md;
    private long count;
    private String digest;

    Hashing(InputStream in) {
      this(in, true);
    }

    Hashing(InputStream in, boolean hash) {
      super(in);
      this.md = hash ? sha256() : null;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        if (md != null) {
          md.update((byte) b);
        }
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        if (md != null) {
          md.update(b, off, n);
        }
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      // Skipped bytes must be hashed too, so skip by reading.
      return skipByReading(this, n);
    }

    @Override
    public boolean markSupported() {
      return false;
    }

    long count() {
      return count;
    }

    /** The digest of everything read; call after the last read (it is computed once). */
    String digest() {
      if (md == null) {
        throw new IllegalStateException("this stream was not hashed");
      }
      if (digest == null) {
        digest = Streams.digest(md);
      }
      return digest;
    }
  }

  /** Skips by reading through {@code in}, so every skipped byte passes its counting or hashing. */
  static long skipByReading(InputStream in, long n) throws IOException {
    byte[] buf = new byte[(int) Math.min(Math.max(n, 1), 64 * 1024)];
    long done = 0;
    while (done < n) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, n - done));
      if (r < 0) {
        break;
      }
      done += r;
    }
    return done;
  }
}
