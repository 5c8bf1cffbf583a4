package io.portolan.inventory.layer;

import java.util.Optional;

/** Decides, layer by layer, whether a layer is read, and receives its contents if so. */
@FunctionalInterface
public interface LayerVisitor {

  /**
   * Called before a layer is read. Returning empty skips it without reading (random-access
   * sources) or by skipping its bytes unparsed (streams): that is how cached layers cost nothing.
   */
  Optional<LayerHandler> startLayer(LayerStart start);
}
