package io.portolan.inventory.os.rpm;

import io.portolan.inventory.analyzer.AnalysisException;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;

/**
 * The classic {@code Packages} file: a Berkeley DB hash database keyed by a 4-byte package
 * instance number, read page by page without libdb. Page layout facts (from BDB's
 * {@code db_page.h}): a 26-byte page header {lsn, pgno, prev, next, entries, hf_offset, level,
 * type}; hash pages carry an index of 2-byte item offsets in key/data pairs; a data item is either
 * inline ({@code H_KEYDATA}) or a pointer ({@code H_OFFPAGE}) to a chain of overflow pages, which
 * is where rpm's headers usually live.
 */
final class BerkeleyHashRpmdb implements RpmDatabase {
  static final int HASH_MAGIC = 0x061561;
  private static final int PAGE_HEADER = 26;
  private static final int P_HASH_UNSORTED = 2;
  private static final int P_OVERFLOW = 7;
  private static final int P_HASHMETA = 8;
  private static final int P_HASH = 13;
  private static final int H_KEYDATA = 1;
  private static final int H_DUPLICATE = 2;
  private static final int H_OFFPAGE = 3;
  private static final int H_OFFDUP = 4;
  private static final int DBMETA_CHKSUM = 0x01;

  static boolean matches(byte[] head) {
    if (head.length < 16) {
      return false;
    }
    return u32(head, 12, ByteOrder.LITTLE_ENDIAN) == HASH_MAGIC || u32(head, 12, ByteOrder.BIG_ENDIAN) == HASH_MAGIC;
  }

  @Override
  public void forEachBlob(String path, Path file, long maxBlobBytes, BlobSink sink) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < 512) {
        throw new AnalysisException(path + ": truncated Berkeley DB metadata page (" + size + " bytes) at offset 0");
      }
      byte[] meta = RpmDatabase.readAt(path, channel, 0, 512);
      // A database written on a big-endian host stores every integer the other way round.
      ByteOrder order = u32(meta, 12, ByteOrder.LITTLE_ENDIAN) == HASH_MAGIC
          ? ByteOrder.LITTLE_ENDIAN
          : ByteOrder.BIG_ENDIAN;
      long pageSize = u32(meta, 20, order);
      if (pageSize < 512 || pageSize > 65536 || Long.bitCount(pageSize) != 1) {
        throw new AnalysisException(path + ": bogus page size " + pageSize + " at offset 20");
      }
      if (meta[24] != 0) {
        throw new AnalysisException(path + ": encrypted Berkeley DB (algorithm " + meta[24]
            + " at offset 24) is not supported");
      }
      if ((meta[25] & 0xff) != P_HASHMETA) {
        throw new AnalysisException(path + ": page type " + (meta[25] & 0xff)
            + " at offset 25 is not a hash metadata page");
      }
      if ((meta[26] & DBMETA_CHKSUM) != 0) {
        throw new AnalysisException(path + ": checksummed Berkeley DB pages (flag at offset 26) are not supported");
      }
      long lastPage = u32(meta, 32, order);
      if ((lastPage + 1) * pageSize > size) {
        throw new AnalysisException(path + ": truncated, metadata says the last page is " + lastPage + " of "
            + pageSize + " bytes but the file has " + size + " bytes (offset 32)");
      }
      new Reader(path, channel, (int) pageSize, lastPage, order, maxBlobBytes).run(sink);
    }
  }

  private record Reader(String path, FileChannel channel, int pageSize, long lastPage, ByteOrder order,
      long maxBlobBytes) {

    void run(BlobSink sink) throws IOException {
      for (long pgno = 1; pgno <= lastPage; pgno++) {
        long pageOffset = pgno * pageSize;
        byte[] page = RpmDatabase.readAt(path, channel, pageOffset, pageSize);
        int type = page[25] & 0xff;
        if (type != P_HASH && type != P_HASH_UNSORTED) {
          continue;
        }
        int entries = u16(page, 20);
        if (entries % 2 != 0 || PAGE_HEADER + 2 * entries > pageSize) {
          throw new AnalysisException(path + ": hash page " + pgno + " (offset " + pageOffset
              + ") has bogus entry count " + entries);
        }
        int floor = PAGE_HEADER + 2 * entries;
        for (int i = 0; i < entries; i += 2) {
          int keyOff = u16(page, PAGE_HEADER + 2 * i);
          int dataOff = u16(page, PAGE_HEADER + 2 * i + 2);
          // Items fill the page from its end downwards; an item ends where the previous one starts.
          int keyEnd = i == 0 ? pageSize : u16(page, PAGE_HEADER + 2 * i - 2);
          String at = path + ": hash page " + pgno + " (offset " + pageOffset + ") item " + i;
          if (keyOff < floor || dataOff < floor || keyOff >= keyEnd || dataOff >= keyOff || keyEnd > pageSize) {
            throw new AnalysisException(at + " has bogus item offsets " + keyOff + "/" + dataOff);
          }
          if ((page[keyOff] & 0xff) != H_KEYDATA) {
            throw new AnalysisException(at + ": key item type " + (page[keyOff] & 0xff) + " at page offset " + keyOff
                + ", expected an inline 4-byte key");
          }
          if (isZeroKey(page, keyOff + 1, keyEnd)) {
            // Key 0 holds rpm's next-instance counter, not a header.
            continue;
          }
          String where = at + " (instance " + key(page, keyOff + 1, keyEnd) + ")";
          int dataType = page[dataOff] & 0xff;
          switch (dataType) {
            case H_KEYDATA -> sink.accept(where, java.util.Arrays.copyOfRange(page, dataOff + 1, keyOff));
            case H_OFFPAGE -> {
              if (keyOff - dataOff < 12) {
                throw new AnalysisException(where + ": short off-page item at page offset " + dataOff);
              }
              long first = u32(page, dataOff + 4, order);
              long total = u32(page, dataOff + 8, order);
              sink.accept(where, overflow(where, first, total));
            }
            case H_DUPLICATE, H_OFFDUP ->
                throw new AnalysisException(where + ": duplicate data items (type " + dataType + " at page offset "
                    + dataOff + ") never occur in an rpm Packages database");
            default -> throw new AnalysisException(where + ": unknown data item type " + dataType + " at page offset "
                + dataOff);
          }
        }
      }
    }

    /** Concatenates an overflow chain; every page may be visited once, so a cycle cannot loop. */
    private byte[] overflow(String where, long first, long total) throws IOException {
      if (total > maxBlobBytes) {
        throw new AnalysisException(where + ": off-page item of " + total + " bytes exceeds the " + maxBlobBytes
            + "-byte limit");
      }
      byte[] out = new byte[(int) total];
      int filled = 0;
      BitSet visited = new BitSet();
      long pgno = first;
      while (pgno != 0) {
        if (pgno > lastPage) {
          throw new AnalysisException(where + ": overflow chain points to page " + pgno + " beyond the last page "
              + lastPage);
        }
        if (visited.get((int) pgno)) {
          throw new AnalysisException(where + ": overflow chain loops back to page " + pgno + " (offset "
              + pgno * pageSize + ")");
        }
        visited.set((int) pgno);
        long pageOffset = pgno * pageSize;
        byte[] page = RpmDatabase.readAt(path, channel, pageOffset, pageSize);
        if ((page[25] & 0xff) != P_OVERFLOW) {
          throw new AnalysisException(where + ": overflow chain reaches page " + pgno + " (offset " + pageOffset
              + ") of type " + (page[25] & 0xff));
        }
        int length = u16(page, 22);
        if (length > pageSize - PAGE_HEADER || filled + length > total) {
          throw new AnalysisException(where + ": overflow page " + pgno + " (offset " + pageOffset
              + ") holds a bogus length " + length);
        }
        System.arraycopy(page, PAGE_HEADER, out, filled, length);
        filled += length;
        pgno = u32(page, 16, order);
      }
      if (filled != total) {
        throw new AnalysisException(where + ": overflow chain from page " + first + " holds " + filled + " of "
            + total + " bytes");
      }
      return out;
    }

    private int u16(byte[] b, int off) {
      return order == ByteOrder.LITTLE_ENDIAN
          ? (b[off] & 0xff) | (b[off + 1] & 0xff) << 8
          : (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }

    private long key(byte[] page, int from, int to) {
      return to - from == 4 ? u32(page, from, order) : -1;
    }
  }

  private static boolean isZeroKey(byte[] page, int from, int to) {
    for (int i = from; i < to; i++) {
      if (page[i] != 0) {
        return false;
      }
    }
    return true;
  }

  static long u32(byte[] b, int off, ByteOrder order) {
    long v0 = b[off] & 0xffL;
    long v1 = b[off + 1] & 0xffL;
    long v2 = b[off + 2] & 0xffL;
    long v3 = b[off + 3] & 0xffL;
    return order == ByteOrder.LITTLE_ENDIAN ? v0 | v1 << 8 | v2 << 16 | v3 << 24 : v0 << 24 | v1 << 16 | v2 << 8 | v3;
  }
}
