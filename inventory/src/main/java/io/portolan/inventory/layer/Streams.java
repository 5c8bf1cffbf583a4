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

  /** Reads and discards the rest of {@code in}, so a digest over it covers every byte. */
  static void drain(InputStream in) throws IOException {
    byte[] buf = new byte[64 * 1024];
    while (in.read(buf) >= 0) {
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

  /** Hashes and counts what passes through, so errors can name an offset. */
  static final class Hashing extends FilterInputStream {
    private final MessageDigest md = sha256();
    private long count;
    private String digest;

    Hashing(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        md.update((byte) b);
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        md.update(b, off, n);
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
