package io.portolan.inventory.os.rpm;

import io.portolan.inventory.analyzer.AnalysisException;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.Adler32;

/**
 * rpm's native "ndb" {@code Packages.db} (rpm 4.16+, SUSE's default). Format facts from rpm's
 * {@code lib/backend/ndb/rpmpkg.c}, all little-endian: a 32-byte header {"RpmP", version 0,
 * generation, slot page count, next package index}; 4096-byte slot pages of 16-byte slots
 * {"Slot", pkgidx, blkoff, blkcnt} (blkoff 0 = free); each blob at {@code blkoff * 16}:
 * {"BlbS", pkgidx, generation, length}, the header blob, zero padding, then a tail {adler32 of
 * everything before it, length, "BlbE"} ending the {@code blkcnt * 16}-byte block.
 */
final class NdbRpmdb implements RpmDatabase {
  static final int HEADER_MAGIC = 'R' | 'p' << 8 | 'm' << 16 | 'P' << 24;
  static final int SLOT_MAGIC = 'S' | 'l' << 8 | 'o' << 16 | 't' << 24;
  static final int BLOB_MAGIC = 'B' | 'l' << 8 | 'b' << 16 | 'S' << 24;
  static final int TAIL_MAGIC = 'B' | 'l' << 8 | 'b' << 16 | 'E' << 24;
  static final int PAGE_SIZE = 4096;
  static final int SLOT_SIZE = 16;
  static final int BLK_SIZE = 16;
  static final int HEADER_SIZE = 32;
  static final int BLOB_HEAD = 16;
  static final int BLOB_TAIL = 12;
  /** 2048 slot pages hold over half a million packages; more is corruption, not a real system. */
  static final long MAX_SLOT_PAGES = 2048;

  static boolean matches(byte[] head) {
    return head.length >= 4 && u32(head, 0) == (HEADER_MAGIC & 0xffffffffL);
  }

  @Override
  public void forEachBlob(String path, Path file, long maxBlobBytes, BlobSink sink) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < HEADER_SIZE) {
        throw new AnalysisException(path + ": truncated NDB header (" + size + " bytes) at offset 0");
      }
      if (size % BLK_SIZE != 0) {
        throw new AnalysisException(path + ": NDB file size " + size + " is not a multiple of " + BLK_SIZE
            + " (truncated at offset " + size + ")");
      }
      byte[] header = RpmDatabase.readAt(path, channel, 0, HEADER_SIZE);
      long version = u32(header, 4);
      long slotPages = u32(header, 12);
      if (version != 0) {
        throw new AnalysisException(path + ": unsupported NDB version " + version + " at offset 4");
      }
      if (slotPages == 0 || slotPages > MAX_SLOT_PAGES || slotPages * PAGE_SIZE > size) {
        throw new AnalysisException(path + ": bogus slot page count " + slotPages + " at offset 12 for a file of "
            + size + " bytes");
      }
      long fileBlocks = size / BLK_SIZE;
      long firstDataBlock = slotPages * (PAGE_SIZE / BLK_SIZE);
      byte[] slots = RpmDatabase.readAt(path, channel, 0, (int) (slotPages * PAGE_SIZE));
      // The first two slot-sized cells of page 0 are the file header.
      for (int off = HEADER_SIZE; off < slots.length; off += SLOT_SIZE) {
        if (u32(slots, off) != (SLOT_MAGIC & 0xffffffffL)) {
          throw new AnalysisException(path + ": bad slot magic at offset " + off);
        }
        long pkgIdx = u32(slots, off + 4);
        long blkOff = u32(slots, off + 8);
        long blkCnt = u32(slots, off + 12);
        if (blkOff == 0) {
          continue;
        }
        if (pkgIdx == 0 || blkCnt == 0 || blkOff < firstDataBlock || blkOff + blkCnt > fileBlocks) {
          throw new AnalysisException(path + ": slot at offset " + off + " has bogus package " + pkgIdx + ", block "
              + blkOff + " or count " + blkCnt + " (file has " + fileBlocks + " blocks)");
        }
        String where = path + ": package " + pkgIdx + " (blob at offset " + blkOff * BLK_SIZE + ")";
        sink.accept(where, blob(where, channel, pkgIdx, blkOff, blkCnt, maxBlobBytes));
      }
    }
  }

  private static byte[] blob(String where, FileChannel channel, long pkgIdx, long blkOff, long blkCnt,
      long maxBlobBytes) throws IOException {
    long position = blkOff * BLK_SIZE;
    if (blkCnt * BLK_SIZE > maxBlobBytes + BLOB_HEAD + BLOB_TAIL + BLK_SIZE) {
      throw new AnalysisException(where + ": block of " + blkCnt * BLK_SIZE + " bytes exceeds the " + maxBlobBytes
          + "-byte limit");
    }
    byte[] block = RpmDatabase.readAt(where, channel, position, (int) (blkCnt * BLK_SIZE));
    if (u32(block, 0) != (BLOB_MAGIC & 0xffffffffL) || u32(block, 4) != pkgIdx) {
      throw new AnalysisException(where + ": bad blob header magic or package index at offset " + position);
    }
    long length = u32(block, 12);
    if ((BLOB_HEAD + length + BLOB_TAIL + BLK_SIZE - 1) / BLK_SIZE != blkCnt) {
      throw new AnalysisException(where + ": blob length " + length + " at offset " + (position + 12)
          + " does not fit its " + blkCnt + " blocks");
    }
    int tail = block.length - BLOB_TAIL;
    if (u32(block, tail + 8) != (TAIL_MAGIC & 0xffffffffL) || u32(block, tail + 4) != length) {
      throw new AnalysisException(where + ": bad blob tail at offset " + (position + tail));
    }
    Adler32 adler = new Adler32();
    adler.update(block, 0, tail);
    if (adler.getValue() != u32(block, tail)) {
      throw new AnalysisException(where + ": blob checksum mismatch at offset " + (position + tail));
    }
    return Arrays.copyOfRange(block, BLOB_HEAD, BLOB_HEAD + (int) length);
  }

  static long u32(byte[] b, int off) {
    return BerkeleyHashRpmdb.u32(b, off, ByteOrder.LITTLE_ENDIAN);
  }
}
