package io.portolan.inventory.lang.java;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * The central directory of a zip archive (APPNOTE 6.3.x), read from its end: the end record (and
 * its Zip64 form), then the directory, keeping only the entries a caller asks for by name. An
 * entry's data is found through its local header and read in place (stored) or inflated with
 * {@link Inflater} into a bounded buffer (deflated); nothing else of the archive is read.
 *
 * <p>Why not {@code java.util.zip.ZipFile} or commons-compress' {@code ZipFile}: the first needs a
 * file on disk, not a nested entry or a buffer; the second builds an entry object with parsed extra
 * fields for every one of an archive's thousands of entries, where only two or three matter, and
 * does not accept archives behind an unadjusted prefix. Like the JDK, offsets are corrected by the
 * distance between where the directory says it starts and where it does start, so a Spring Boot
 * "fully executable" jar (a shell script before the zip) reads as the zip it carries.
 *
 * <p>Every offset and size is checked against the archive before use; a malformed archive is a
 * {@link ZipException} naming what and where.
 */
final class ZipDirectory {
  static final int STORED = 0;
  static final int DEFLATED = 8;
  private static final int EOCD_SIGNATURE = 0x06054b50;
  private static final int ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
  private static final int ZIP64_EOCD_SIGNATURE = 0x06064b50;
  private static final int CENTRAL_SIGNATURE = 0x02014b50;
  private static final int LOCAL_SIGNATURE = 0x04034b50;
  private static final int EOCD = 22;
  private static final int MAX_COMMENT = 65_535;
  /** A directory of a million entries is ~100 MB; anything larger is not a jar we can use. */
  private static final long MAX_DIRECTORY_BYTES = 128L * 1024 * 1024;
  private static final long U32 = 0xFFFFFFFFL;

  /**
   * One entry as the central directory records it; {@code localHeader} is already corrected for
   * a prefix before the archive.
   */
  record Entry(String name, int method, int flags, long compressedSize, long size, long localHeader) {
    boolean encrypted() {
      return (flags & 1) != 0;
    }
  }

  /** An entry whose content is larger than the caller's limit; nothing of it was kept. */
  static final class TooLargeException extends IOException {
    TooLargeException(String message) {
      super(message);
    }
  }

  /** Counts inflated bytes against a budget; throws to stop. */
  @FunctionalInterface
  interface Budget {
    void charge(long bytes) throws IOException;
  }

  private final ArchiveSource source;
  private final long directoryStart;
  private final List<Entry> entries;

  private ZipDirectory(ArchiveSource source, long directoryStart, List<Entry> entries) {
    this.source = source;
    this.directoryStart = directoryStart;
    this.entries = List.copyOf(entries);
  }

  /** The entries whose name {@code keep} accepts, in directory order. */
  List<Entry> entries() {
    return entries;
  }

  /**
   * Reads the directory of {@code source}. {@code mayKeep} is a cheap test on the raw name bytes
   * (offset, length) that rules most entries out before their name is decoded; {@code keep} then
   * decides on the name.
   */
  static ZipDirectory read(ArchiveSource source, RawNameFilter mayKeep, Predicate<String> keep) throws IOException {
    long size = source.size();
    if (size < EOCD) {
      throw new ZipException(size == 0 ? "empty file, not a zip archive" : "not a zip archive: " + size + " bytes");
    }
    long eocd = findEndRecord(source);
    byte[] end = bytes(source, eocd, EOCD);
    long entryCount = u16(end, 10);
    long directorySize = u32(end, 12);
    long directoryOffset = u32(end, 16);
    long directoryEnd = eocd;
    if (entryCount == 0xFFFF || directorySize == U32 || directoryOffset == U32) {
      long[] zip64 = zip64(source, eocd);
      if (zip64 != null) {
        directoryEnd = zip64[0];
        entryCount = zip64[1];
        directorySize = zip64[2];
        directoryOffset = zip64[3];
      }
    }
    long directoryStart = directoryEnd - directorySize;
    if (directorySize < 0 || directoryStart < 0) {
      throw new ZipException("central directory of " + directorySize + " bytes does not fit before its end record"
          + " at offset " + directoryEnd);
    }
    long shift = directoryStart - directoryOffset;
    if (shift < 0) {
      throw new ZipException("central directory offset " + directoryOffset + " lies past where it ends ("
          + directoryEnd + ")");
    }
    if (directorySize > MAX_DIRECTORY_BYTES) {
      throw new ZipException("central directory of " + directorySize + " bytes is larger than "
          + MAX_DIRECTORY_BYTES);
    }
    byte[] dir = bytes(source, directoryStart, (int) directorySize);
    List<Entry> kept = new ArrayList<>();
    int p = 0;
    long seen = 0;
    while (p < dir.length) {
      if (p + 46 > dir.length || (int) u32(dir, p) != CENTRAL_SIGNATURE) {
        throw new ZipException("bad central directory entry at offset " + (directoryStart + p));
      }
      int flags = u16(dir, p + 8);
      int method = u16(dir, p + 10);
      long compressed = u32(dir, p + 20);
      long uncompressed = u32(dir, p + 24);
      int nameLength = u16(dir, p + 28);
      int extraLength = u16(dir, p + 30);
      int commentLength = u16(dir, p + 32);
      long local = u32(dir, p + 42);
      int next = p + 46 + nameLength + extraLength + commentLength;
      if (next > dir.length) {
        throw new ZipException("central directory entry at offset " + (directoryStart + p) + " runs past the"
            + " directory");
      }
      if (mayKeep.test(dir, p + 46, nameLength)) {
        String name = new String(dir, p + 46, nameLength, StandardCharsets.UTF_8);
        if (keep.test(name)) {
          if (compressed == U32 || uncompressed == U32 || local == U32) {
            long[] big = zip64Extra(dir, p + 46 + nameLength, extraLength, uncompressed, compressed, local);
            if (big == null) {
              throw new ZipException("entry " + name + " has 32-bit size fields at their maximum but no Zip64"
                  + " extra field");
            }
            uncompressed = big[0];
            compressed = big[1];
            local = big[2];
          }
          kept.add(new Entry(name, method, flags, compressed, uncompressed, local + shift));
        }
      }
      p = next;
      seen++;
    }
    if (seen != entryCount && entryCount != 0xFFFF) {
      throw new ZipException("central directory holds " + seen + " entries, its end record says " + entryCount);
    }
    return new ZipDirectory(source, directoryStart, kept);
  }

  /** A test on an entry name's raw bytes, before it is decoded. */
  @FunctionalInterface
  interface RawNameFilter {
    boolean test(byte[] buffer, int offset, int length);
  }

  /** The end record's offset: at the very end of the file, or before a comment of up to 64 KiB. */
  private static long findEndRecord(ArchiveSource source) throws IOException {
    long size = source.size();
    byte[] last = bytes(source, size - EOCD, EOCD);
    if ((int) u32(last, 0) == EOCD_SIGNATURE && u16(last, 20) == 0) {
      return size - EOCD;
    }
    int tail = (int) Math.min(size, EOCD + MAX_COMMENT);
    byte[] buffer = bytes(source, size - tail, tail);
    for (int p = tail - EOCD; p >= 0; p--) {
      if ((int) u32(buffer, p) == EOCD_SIGNATURE && p + EOCD + u16(buffer, p + 20) == tail) {
        return size - tail + p;
      }
    }
    byte[] head = bytes(source, 0, 4);
    boolean zipStart = (int) u32(head, 0) == LOCAL_SIGNATURE || head[0] == '#' && head[1] == '!';
    throw new ZipException(zipStart ? "truncated: no end of central directory record in its last " + tail + " bytes"
        : "not a zip archive (no end of central directory record)");
  }

  /** {end of directory, entry count, directory size, directory offset} from the Zip64 records, or null. */
  private static long[] zip64(ArchiveSource source, long eocd) throws IOException {
    if (eocd < 20) {
      return null;
    }
    byte[] locator = bytes(source, eocd - 20, 20);
    if ((int) u32(locator, 0) != ZIP64_LOCATOR_SIGNATURE) {
      return null;
    }
    // The locator's offset ignores any prefix; the record normally sits right before the locator.
    long recorded = u64(locator, 8);
    long adjacent = eocd - 20 - 56;
    for (long at : new long[] {adjacent, recorded}) {
      if (at >= 0 && at + 56 <= eocd - 20) {
        byte[] record = bytes(source, at, 56);
        if ((int) u32(record, 0) == ZIP64_EOCD_SIGNATURE) {
          return new long[] {at, u64(record, 32), u64(record, 40), u64(record, 48)};
        }
      }
    }
    throw new ZipException("Zip64 end of central directory locator at offset " + (eocd - 20)
        + " points to no Zip64 record");
  }

  /** {size, compressed size, local header offset} with the Zip64 extra field's values where the fields overflowed. */
  private static long[] zip64Extra(byte[] dir, int start, int length, long size, long compressed, long local) {
    int p = start;
    while (p + 4 <= start + length) {
      int id = u16(dir, p);
      int dataSize = u16(dir, p + 2);
      int data = p + 4;
      if (data + dataSize > start + length) {
        return null;
      }
      if (id == 0x0001) {
        int q = data;
        long[] out = {size, compressed, local};
        long[] fields = {size, compressed, local};
        for (int i = 0; i < 3; i++) {
          if (fields[i] == U32) {
            if (q + 8 > data + dataSize) {
              return null;
            }
            out[i] = u64(dir, q);
            q += 8;
          }
        }
        return out;
      }
      p = data + dataSize;
    }
    return null;
  }

  /** Where the entry's data starts, from its local header, checked to end before the directory. */
  private long dataOffset(Entry e) throws IOException {
    if (e.localHeader() < 0 || e.localHeader() + 30 > directoryStart) {
      throw new ZipException("entry " + e.name() + ": local header offset " + e.localHeader() + " is outside the"
          + " archive's data");
    }
    byte[] header = bytes(source, e.localHeader(), 30);
    if ((int) u32(header, 0) != LOCAL_SIGNATURE) {
      throw new ZipException("entry " + e.name() + ": no local header at offset " + e.localHeader());
    }
    long data = e.localHeader() + 30 + u16(header, 26) + u16(header, 28);
    if (e.compressedSize() < 0 || data + e.compressedSize() > directoryStart) {
      throw new ZipException("entry " + e.name() + ": " + e.compressedSize() + " bytes of data at offset " + data
          + " run into the central directory");
    }
    return data;
  }

  /** A stored entry's content, read in place. */
  ArchiveSource stored(Entry e) throws IOException {
    if (e.method() != STORED || e.size() != e.compressedSize()) {
      throw new ZipException("entry " + e.name() + " is not stored");
    }
    return source.slice(dataOffset(e), e.size());
  }

  /**
   * An entry's content in memory, at most {@code limit} bytes: more declared is a {@link
   * TooLargeException} before anything is read, more produced (a lying directory) is one after.
   * Every inflated byte is charged to {@code budget}.
   */
  byte[] content(Entry e, long limit, Budget budget) throws IOException {
    if (e.encrypted()) {
      throw new ZipException("entry " + e.name() + " is encrypted");
    }
    if (e.size() > limit) {
      throw new TooLargeException(e.size() + " bytes exceeds the " + limit + "-byte limit");
    }
    long data = dataOffset(e);
    if (e.method() == STORED) {
      if (e.size() != e.compressedSize()) {
        throw new ZipException("stored entry " + e.name() + " has size " + e.size() + " but " + e.compressedSize()
            + " bytes of data");
      }
      return bytes(source, data, (int) e.size());
    }
    if (e.method() != DEFLATED) {
      throw new ZipException("entry " + e.name() + " uses compression method " + e.method()
          + ", not stored or deflated");
    }
    return inflate(e, data, limit, budget);
  }

  /**
   * The first {@code max} bytes of an entry's content (all of it when shorter), inflating no more
   * than that: for files whose start is all that matters.
   */
  byte[] prefix(Entry e, int max, Budget budget) throws IOException {
    if (e.encrypted()) {
      throw new ZipException("entry " + e.name() + " is encrypted");
    }
    long data = dataOffset(e);
    if (e.method() == STORED) {
      return bytes(source, data, (int) Math.min(max, e.compressedSize()));
    }
    if (e.method() != DEFLATED) {
      throw new ZipException("entry " + e.name() + " uses compression method " + e.method()
          + ", not stored or deflated");
    }
    Inflater inflater = new Inflater(true);
    try {
      byte[] out = new byte[(int) Math.max(16, Math.min(max, e.size()))];
      int produced = 0;
      byte[] input = new byte[(int) Math.min(16 * 1024, Math.max(1, e.compressedSize()))];
      long consumed = 0;
      while (produced < out.length && !inflater.finished()) {
        if (inflater.needsInput()) {
          if (consumed >= e.compressedSize()) {
            throw new ZipException("entry " + e.name() + ": deflate data ends before its stream does");
          }
          int n = (int) Math.min(input.length, e.compressedSize() - consumed);
          source.read(data + consumed, input, 0, n);
          consumed += n;
          inflater.setInput(input, 0, n);
        }
        int n = inflater.inflate(out, produced, out.length - produced);
        if (n == 0 && inflater.needsDictionary()) {
          throw new ZipException("entry " + e.name() + ": deflate stream needs a preset dictionary");
        }
        budget.charge(n);
        produced += n;
      }
      return produced == out.length ? out : java.util.Arrays.copyOf(out, produced);
    } catch (DataFormatException ex) {
      throw new ZipException("entry " + e.name() + ": corrupt deflate data (" + ex.getMessage() + ")");
    } finally {
      inflater.end();
    }
  }

  private byte[] inflate(Entry e, long data, long limit, Budget budget) throws IOException {
    Inflater inflater = new Inflater(true);
    try {
      byte[] out = new byte[(int) Math.max(16, Math.min(e.size(), limit))];
      int produced = 0;
      byte[] input = new byte[(int) Math.min(64 * 1024, Math.max(1, e.compressedSize()))];
      long consumed = 0;
      while (!inflater.finished()) {
        if (inflater.needsInput()) {
          if (consumed >= e.compressedSize()) {
            throw new ZipException("entry " + e.name() + ": deflate data ends before its stream does");
          }
          int n = (int) Math.min(input.length, e.compressedSize() - consumed);
          source.read(data + consumed, input, 0, n);
          consumed += n;
          inflater.setInput(input, 0, n);
        }
        if (produced == out.length) {
          if (produced >= e.size() || produced >= limit) {
            // More than declared (or allowed): read one byte further to tell a lie from an exact fit.
            byte[] probe = new byte[1];
            if (inflater.inflate(probe) > 0 || !inflater.finished() && !inflater.needsInput()) {
              throw produced >= limit ? new TooLargeException("inflates to more than the " + limit + "-byte limit")
                  : new ZipException("entry " + e.name() + " inflates to more than its declared " + e.size()
                      + " bytes");
            }
            continue;
          }
          out = java.util.Arrays.copyOf(out, (int) Math.min(Math.min(limit, e.size()), (long) out.length * 2));
        }
        int n = inflater.inflate(out, produced, out.length - produced);
        if (n == 0 && inflater.needsDictionary()) {
          throw new ZipException("entry " + e.name() + ": deflate stream needs a preset dictionary");
        }
        if (n > 0) {
          budget.charge(n);
          produced += n;
        }
      }
      if (produced != e.size()) {
        throw new ZipException("entry " + e.name() + " inflates to " + produced + " bytes, its directory says "
            + e.size());
      }
      return produced == out.length ? out : java.util.Arrays.copyOf(out, produced);
    } catch (DataFormatException ex) {
      throw new ZipException("entry " + e.name() + ": corrupt deflate data (" + ex.getMessage() + ")");
    } finally {
      inflater.end();
    }
  }

  private static byte[] bytes(ArchiveSource source, long position, int length) throws IOException {
    byte[] b = new byte[length];
    source.read(position, b, 0, length);
    return b;
  }

  private static int u16(byte[] b, int p) {
    return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8;
  }

  private static long u32(byte[] b, int p) {
    return u16(b, p) | (long) u16(b, p + 2) << 16;
  }

  private static long u64(byte[] b, int p) {
    return u32(b, p) | u32(b, p + 4) << 32;
  }
}
