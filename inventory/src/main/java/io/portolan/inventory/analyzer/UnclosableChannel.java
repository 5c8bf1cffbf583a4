package io.portolan.inventory.analyzer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;

/**
 * A channel lent to an analyzer: closing it (as {@code Channels.newInputStream} does when its
 * stream is closed) leaves the owner's channel open for the next analyzer of the same file.
 */
public final class UnclosableChannel implements SeekableByteChannel {
  private final SeekableByteChannel channel;
  private boolean open = true;

  public UnclosableChannel(SeekableByteChannel channel) {
    this.channel = channel;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return channel.read(dst);
  }

  @Override
  public int write(ByteBuffer src) {
    throw new UnsupportedOperationException("layer content is read-only");
  }

  @Override
  public long position() throws IOException {
    return channel.position();
  }

  @Override
  public SeekableByteChannel position(long newPosition) throws IOException {
    channel.position(newPosition);
    return this;
  }

  @Override
  public long size() throws IOException {
    return channel.size();
  }

  @Override
  public SeekableByteChannel truncate(long size) {
    throw new UnsupportedOperationException("layer content is read-only");
  }

  @Override
  public boolean isOpen() {
    return open && channel.isOpen();
  }

  @Override
  public void close() {
    open = false;
  }
}
