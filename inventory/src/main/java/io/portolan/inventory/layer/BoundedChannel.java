package io.portolan.inventory.layer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * A read-only view of a file's first {@code size} bytes: the size the walk listed, so that a file
 * growing while it is read (a live container writing into its layer) cannot make an analyzer read
 * without bound, as {@link Streams#bounded} does for streams.
 */
final class BoundedChannel implements SeekableByteChannel {
  private final FileChannel channel;
  private final long size;
  private long position;

  BoundedChannel(FileChannel channel, long size) {
    this.channel = channel;
    this.size = size;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (position >= size) {
      return -1;
    }
    int limit = dst.limit();
    if (dst.remaining() > size - position) {
      dst.limit(dst.position() + (int) (size - position));
    }
    try {
      int n = channel.read(dst, position);
      if (n > 0) {
        position += n;
      }
      return n;
    } finally {
      dst.limit(limit);
    }
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public SeekableByteChannel position(long newPosition) {
    if (newPosition < 0) {
      throw new IllegalArgumentException("negative position " + newPosition);
    }
    position = newPosition;
    return this;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public SeekableByteChannel truncate(long size) {
    throw new NonWritableChannelException();
  }

  @Override
  public boolean isOpen() {
    return channel.isOpen();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
