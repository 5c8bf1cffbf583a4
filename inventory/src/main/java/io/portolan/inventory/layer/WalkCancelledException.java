package io.portolan.inventory.layer;

import java.io.IOException;

/**
 * The caller asked a {@link LayerSource#walk} to stop, and it stopped between two entries. It says
 * where, so whoever asked can tell the user how far the read got. The layer being read when it
 * stopped was ended as {@link LayerEnd.Failed} (it is incomplete and must not be cached); layers
 * completed before it stay valid.
 */
public final class WalkCancelledException extends IOException {
  private final String layer;
  private final String lastEntry;
  private final long entries;

  public WalkCancelledException(String layer, String lastEntry, long entries) {
    super("cancelled" + (layer.isEmpty() ? " between layers" : " in layer " + layer + " after " + entries
        + " entries" + (lastEntry.isEmpty() ? "" : " (last read: " + lastEntry + ")")));
    this.layer = layer;
    this.lastEntry = lastEntry;
    this.entries = entries;
  }

  /** Where the layer was being read from; empty when no layer had started. */
  public String layer() {
    return layer;
  }

  /** The path of the last entry delivered before stopping; empty when none was. */
  public String lastEntry() {
    return lastEntry;
  }

  /** Entries of that layer delivered before stopping. */
  public long entries() {
    return entries;
  }
}
