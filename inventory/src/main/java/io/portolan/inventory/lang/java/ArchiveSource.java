package io.portolan.inventory.lang.java;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;

/**
 * Random access to an archive's bytes: a file of the layer (overlay2), a file read into memory
 * (a layer stream), or a stored entry of an outer archive read in place. Only the parts a reader
 * asks for are read, which is what lets a jar be identified from its central directory and two
 * small entries instead of inflating all of it.
 */
interface ArchiveSource {
  long size();

  /** Reads exactly {@code length} bytes at {@code position}; fails at the end of the source. */
  void read(long position, byte[] into, int offset, int length) throws IOException;

  /** {@code length} bytes at {@code offset}, without copying them. */
  default ArchiveSource slice(long offset, long length) {
    return new Slice(this, offset, length);
  }

  static ArchiveSource of(byte[] data) {
    return new Memory(data);
  }

  static ArchiveSource of(SeekableByteChannel channel, long size) {
    return new Channel(channel, size);
  }

  /** A file read into memory. */
  record Memory(byte[] data) implements ArchiveSource {
    @Override
    public long size() {
      return data.length;
    }

    @Override
    public void read(long position, byte[] into, int offset, int length) throws IOException {
      if (position < 0 || position + length > data.length) {
        throw new EOFException("read of " + length + " bytes at offset " + position + " runs past the end ("
            + data.length + " bytes)");
      }
      System.arraycopy(data, (int) position, into, offset, length);
    }
  }

  /** A file on disk, read where asked. */
  record Channel(SeekableByteChannel channel, long size) implements ArchiveSource {
    @Override
    public void read(long position, byte[] into, int offset, int length) throws IOException {
      if (position < 0 || position + length > size) {
        throw new EOFException("read of " + length + " bytes at offset " + position + " runs past the end ("
            + size + " bytes)");
      }
      channel.position(position);
      ByteBuffer buffer = ByteBuffer.wrap(into, offset, length);
      while (buffer.hasRemaining()) {
        if (channel.read(buffer) < 0) {
          throw new EOFException("file ended at offset " + (position + buffer.position() - offset)
              + ", before its listed size " + size);
        }
      }
    }
  }

  /** A range of another source: a stored entry of an outer archive. */
  record Slice(ArchiveSource outer, long start, long size) implements ArchiveSource {
    @Override
    public void read(long position, byte[] into, int offset, int length) throws IOException {
      if (position < 0 || position + length > size) {
        throw new EOFException("read of " + length + " bytes at offset " + position + " runs past the end ("
            + size + " bytes)");
      }
      outer.read(start + position, into, offset, length);
    }

    @Override
    public ArchiveSource slice(long offset, long length) {
      return new Slice(outer, start + offset, length);
    }
  }
}
