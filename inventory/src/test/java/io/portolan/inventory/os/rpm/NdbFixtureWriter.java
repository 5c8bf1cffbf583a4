package io.portolan.inventory.os.rpm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.zip.Adler32;

/**
 * Writes an rpm NDB {@code Packages.db} the way rpm's {@code lib/backend/ndb/rpmpkg.c} lays it out,
 * because Debian's rpm is built without the ndb backend and cannot make one. One slot page, package
 * indexes 1..n in the order given, blobs packed from the first block after the slot page, each
 * padded to 16 bytes and closed by an adler32 tail covering header, blob and padding.
 */
final class NdbFixtureWriter {
  private NdbFixtureWriter() {}

  static byte[] write(List<byte[]> blobs, int generation) {
    int slotsPerPage = NdbRpmdb.PAGE_SIZE / NdbRpmdb.SLOT_SIZE;
    if (blobs.size() > slotsPerPage - 2) {
      throw new IllegalArgumentException("one slot page holds at most " + (slotsPerPage - 2) + " packages");
    }
    int total = NdbRpmdb.PAGE_SIZE;
    for (byte[] blob : blobs) {
      total += blocks(blob.length) * NdbRpmdb.BLK_SIZE;
    }
    ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(0, NdbRpmdb.HEADER_MAGIC).putInt(4, 0).putInt(8, generation).putInt(12, 1)
        .putInt(16, blobs.size() + 1);
    for (int off = NdbRpmdb.HEADER_SIZE; off < NdbRpmdb.PAGE_SIZE; off += NdbRpmdb.SLOT_SIZE) {
      out.putInt(off, NdbRpmdb.SLOT_MAGIC);
    }
    int blockOffset = NdbRpmdb.PAGE_SIZE / NdbRpmdb.BLK_SIZE;
    for (int i = 0; i < blobs.size(); i++) {
      byte[] blob = blobs.get(i);
      int pkgIdx = i + 1;
      int blocks = blocks(blob.length);
      int slot = NdbRpmdb.HEADER_SIZE + i * NdbRpmdb.SLOT_SIZE;
      out.putInt(slot + 4, pkgIdx).putInt(slot + 8, blockOffset).putInt(slot + 12, blocks);
      int start = blockOffset * NdbRpmdb.BLK_SIZE;
      out.putInt(start, NdbRpmdb.BLOB_MAGIC).putInt(start + 4, pkgIdx).putInt(start + 8, generation)
          .putInt(start + 12, blob.length);
      out.put(start + NdbRpmdb.BLOB_HEAD, blob);
      int tail = start + blocks * NdbRpmdb.BLK_SIZE - NdbRpmdb.BLOB_TAIL;
      Adler32 adler = new Adler32();
      adler.update(out.array(), start, tail - start);
      out.putInt(tail, (int) adler.getValue()).putInt(tail + 4, blob.length).putInt(tail + 8, NdbRpmdb.TAIL_MAGIC);
      blockOffset += blocks;
    }
    return out.array();
  }

  private static int blocks(int blobLength) {
    return (NdbRpmdb.BLOB_HEAD + blobLength + NdbRpmdb.BLOB_TAIL + NdbRpmdb.BLK_SIZE - 1) / NdbRpmdb.BLK_SIZE;
  }
}
