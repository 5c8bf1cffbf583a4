package io.portolan.inventory.lang.java;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * The raw bytes of one archive on their way to its {@link java.util.zip.ZipInputStream}: buffered
 * (so the inflater above gets large reads, not its own 512-byte ones), hashed with SHA-1 as they
 * pass, and with the last bytes kept so that the end of central directory can be checked once the
 * entries are read. That check is what catches an archive cut off between two entries, which
 * {@code ZipInputStream} alone reports as a normal end. {@link #close()} does nothing: the stream
 * underneath belongs to the caller (the layer, or the outer archive's entry).
 */
final class ArchiveBytes extends InputStream {
  /** An end of central directory record is 22 bytes plus a comment of at most 65,535. */
  static final int TAIL = 22 + 65_535;
  private static final int EOCD_SIGNATURE = 0x06054b50;

  private final InputStream in;
  private final byte[] buf;
  private final byte[] tail;
  private final MessageDigest sha1;
  private int pos;
  private int lim;
  private int tailPos;
  private int tailLen;
  private long total;

  /** {@code buf}, {@code tail} (of {@link #TAIL} bytes) and {@code sha1} are reused scratch. */
  ArchiveBytes(InputStream in, byte[] buf, byte[] tail, MessageDigest sha1) {
    this.in = in;
    this.buf = buf;
    this.tail = tail;
    this.sha1 = sha1;
    sha1.reset();
  }

  @Override
  public int read() throws IOException {
    if (pos == lim && fill() < 0) {
      return -1;
    }
    return buf[pos++] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (pos == lim) {
      if (len >= buf.length) {
        // Large reads bypass the buffer, as BufferedInputStream does.
        int n = in.read(b, off, len);
        if (n > 0) {
          seen(b, off, n);
        }
        return n;
      }
      if (fill() < 0) {
        return -1;
      }
    }
    int n = Math.min(len, lim - pos);
    System.arraycopy(buf, pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipped bytes still have to be hashed, so they are read.
    long skipped = 0;
    while (skipped < n && (pos < lim || fill() > 0)) {
      int k = (int) Math.min(n - skipped, lim - pos);
      pos += k;
      skipped += k;
    }
    return skipped;
  }

  @Override
  public int available() {
    return lim - pos;
  }

  @Override
  public void close() {}

  /**
   * The first {@code n} (at most the buffer size) bytes, without consuming them; fewer when the
   * archive is shorter. Only valid before anything has been read.
   */
  byte[] peek(int n) throws IOException {
    while (lim < n) {
      int k = in.read(buf, lim, n - lim);
      if (k < 0) {
        break;
      }
      seen(buf, lim, k);
      lim += k;
    }
    byte[] head = new byte[Math.min(n, lim)];
    System.arraycopy(buf, 0, head, 0, head.length);
    return head;
  }

  /** Reads and hashes everything left, so the digest and the tail cover the whole archive. */
  void drain() throws IOException {
    pos = lim;
    while (fill() >= 0) {
      pos = lim;
    }
  }

  long total() {
    return total;
  }

  /** Lowercase hex SHA-1 of every byte read so far; call after {@link #drain()}. */
  String sha1Hex() {
    byte[] d = sha1.digest();
    StringBuilder s = new StringBuilder(40);
    for (byte b : d) {
      s.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return s.toString();
  }

  /** Whether the bytes read end with an end of central directory record and its whole comment. */
  boolean endsWithCentralDirectoryEnd() {
    for (int p = tailLen - 22; p >= 0; p--) {
      if (tailInt(p) == EOCD_SIGNATURE && tailShort(p + 20) == tailLen - p - 22) {
        return true;
      }
    }
    return false;
  }

  private int fill() throws IOException {
    int n = in.read(buf, 0, buf.length);
    if (n > 0) {
      seen(buf, 0, n);
      pos = 0;
      lim = n;
    }
    return n;
  }

  private void seen(byte[] b, int off, int n) {
    sha1.update(b, off, n);
    total += n;
    if (n >= tail.length) {
      System.arraycopy(b, off + n - tail.length, tail, 0, tail.length);
      tailPos = 0;
      tailLen = tail.length;
      return;
    }
    int first = Math.min(n, tail.length - tailPos);
    System.arraycopy(b, off, tail, tailPos, first);
    System.arraycopy(b, off + first, tail, 0, n - first);
    tailPos = (tailPos + n) % tail.length;
    tailLen = Math.min(tail.length, tailLen + n);
  }

  // Index i counts from the oldest byte kept.
  private int tailByte(int i) {
    return tail[Math.floorMod(tailPos - tailLen + i, tail.length)] & 0xff;
  }

  private int tailShort(int i) {
    return tailByte(i) | tailByte(i + 1) << 8;
  }

  private int tailInt(int i) {
    return tailShort(i) | tailShort(i + 2) << 16;
  }
}
