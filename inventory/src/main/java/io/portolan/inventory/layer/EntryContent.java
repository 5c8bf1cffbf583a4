package io.portolan.inventory.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SeekableByteChannel;
import java.util.Optional;

/** The lazily opened content of a regular file entry; unopened content is never read. */
@FunctionalInterface
public interface EntryContent {

  /**
   * Opens the content, at most once, during the {@link LayerHandler#entry} call. Throws {@link
   * ContentTooLargeException} without reading anything when the entry is larger than {@code
   * maxBytes}. The stream ends after the entry's size even if the file grew since it was listed.
   */
  InputStream open(long maxBytes) throws IOException;

  /**
   * Opens the content for random access when the source keeps it in a file (overlay2), else empty
   * and nothing is opened. Counts as the one opening {@link #open} allows; the channel is closed by
   * the source after the {@link LayerHandler#entry} call and never reads past the listed size.
   */
  default Optional<SeekableByteChannel> openChannel(long maxBytes) throws IOException {
    return Optional.empty();
  }
}
