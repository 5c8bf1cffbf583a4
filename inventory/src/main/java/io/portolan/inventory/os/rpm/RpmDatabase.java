package io.portolan.inventory.os.rpm;

import io.portolan.inventory.analyzer.AnalysisException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * One of the three on-disk formats rpm has used for its package database. Each yields the raw
 * header blobs; {@link RpmHeader} reads them the same way for all three.
 */
sealed interface RpmDatabase permits SqliteRpmdb, BerkeleyHashRpmdb, NdbRpmdb {

  /** Receives each header blob with a description of where it was found. */
  @FunctionalInterface
  interface BlobSink {
    void accept(String where, byte[] blob) throws AnalysisException;
  }

  /** Calls {@code sink} for every package header blob in {@code file}. */
  void forEachBlob(String path, Path file, long maxBlobBytes, BlobSink sink) throws IOException;

  /** Picks the format by its magic bytes, never by the file name, so a mislabelled file still fails cleanly. */
  static RpmDatabase detect(String path, byte[] head, long size) throws AnalysisException {
    if (size == 0) {
      throw new AnalysisException(path + ": empty file at offset 0");
    }
    if (SqliteRpmdb.matches(head)) {
      return new SqliteRpmdb();
    }
    if (NdbRpmdb.matches(head)) {
      return new NdbRpmdb();
    }
    if (BerkeleyHashRpmdb.matches(head)) {
      return new BerkeleyHashRpmdb();
    }
    throw new AnalysisException(path + ": not an rpm database (no SQLite, NDB or Berkeley DB hash magic at offset 0)");
  }

  /** Reads exactly {@code length} bytes at {@code position}, or fails naming the offset (truncated file). */
  static byte[] readAt(String path, FileChannel channel, long position, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, position + buffer.position());
      if (n < 0) {
        throw new AnalysisException(path + ": truncated, needed " + length + " bytes at offset " + position);
      }
    }
    return buffer.array();
  }
}
