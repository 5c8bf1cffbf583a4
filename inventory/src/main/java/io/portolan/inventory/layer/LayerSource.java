package io.portolan.inventory.layer;

import java.io.IOException;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * An image's layers, read once: overlay2 directories on the host, a {@code docker save} stream, a
 * saved tarball or an OCI layout directory. Every source gives the same entries and whiteouts for
 * the same layer, so findings cached from one source are valid for the others.
 *
 * <p>Layers are offered to the visitor in the order the source can read them. For random-access
 * sources that is image order with every diff ID known in advance. A {@code docker save} stream
 * may deliver layers before the manifest that orders them, and (legacy layout) before anything
 * says which diff ID a layer has: then {@link LayerStart#diffId()} is empty, the verified diff ID
 * arrives in {@link LayerEnd.Complete}, and the image order comes back from {@link #walk}.
 */
public interface LayerSource extends AutoCloseable {

  /**
   * Reads the image, offering each layer to {@code visitor} once. Returns the image's layers
   * bottom first. A broken layer is reported to its handler as {@link LayerEnd.Failed} and in the
   * returned {@link LayerRef#error()}; the others are still read. Throws only when the image as a
   * whole cannot be understood (no manifest, unreadable outer archive); layers already delivered
   * stay valid.
   */
  default List<LayerRef> walk(LayerVisitor visitor) throws IOException {
    return walk(visitor, () -> false);
  }

  /**
   * As {@link #walk(LayerVisitor)}, asking {@code cancelled} between entries (and between layers):
   * once it answers true, the layer in progress ends as {@link LayerEnd.Failed} and the walk throws
   * {@link WalkCancelledException}, without reading the rest of the image. A scan that is cancelled
   * thus stops within one file, not at the end of a large image.
   */
  List<LayerRef> walk(LayerVisitor visitor, BooleanSupplier cancelled) throws IOException;

  @Override
  void close() throws IOException;
}
