package io.portolan.inventory.layer;

import java.io.IOException;
import java.io.InputStream;

/** The lazily opened content of a regular file entry; unopened content is never read. */
@FunctionalInterface
public interface EntryContent {

  /**
   * Opens the content, at most once, during the {@link LayerHandler#entry} call. Throws {@link
   * ContentTooLargeException} without reading anything when the entry is larger than {@code
   * maxBytes}. The stream ends after the entry's size even if the file grew since it was listed.
   */
  InputStream open(long maxBytes) throws IOException;
}
