package io.portolan.inventory.layer;

import java.io.IOException;

/**
 * Receives one layer's entries and whiteouts, then exactly one {@link LayerEnd}. Callbacks happen
 * on the walking thread, in no guaranteed order between entries and whiteouts.
 */
public interface LayerHandler {

  /**
   * One entry of the layer (never a whiteout marker). {@code content} may be opened once, during
   * this call only; an entry whose content is not opened is skipped without being read. An
   * IOException thrown here ends the layer as {@link LayerEnd.Failed}.
   */
  void entry(LayerEntry entry, EntryContent content) throws IOException;

  /**
   * Whether this handler needs the entry of the given kind at {@code path} at all. A source that
   * learns an entry's kind without a stat (an overlay2 walk) skips the entries nobody needs,
   * unstat'ed; a source that reads a stream delivers everything anyway. Whiteouts are never
   * skipped.
   */
  default boolean interestedIn(String path, LayerEntry.Type type) {
    return true;
  }

  /**
   * Whether the walk should enter {@code directory}; a source that reads a stream enters everything
   * anyway. Whiteouts inside a skipped directory still arrive through the layer's own record.
   */
  default boolean descend(String directory) {
    return true;
  }

  /** The layer deletes {@code path} (and everything under it) from the layers below. */
  void whiteout(String path);

  /** The layer hides everything the layers below have under {@code directory}. */
  void opaqueDirectory(String directory);

  /**
   * Something in the layer was refused or could not be determined, but the rest of the layer is
   * fine: an entry escaping the root, a missing tar-split file. {@code path} is the raw name.
   */
  void warning(String path, String message);

  /** The layer is done, whole or broken. */
  void end(LayerEnd end);
}
