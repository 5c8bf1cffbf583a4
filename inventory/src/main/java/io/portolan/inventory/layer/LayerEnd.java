package io.portolan.inventory.layer;

import java.util.Optional;

/** How a layer's walk ended. */
public sealed interface LayerEnd {

  String location();

  /**
   * Every entry was delivered and the content hashed to {@code diffId} (or the local engine
   * vouched: overlay2, or its save stream). {@code diffId} is empty when a trusted source read the
   * layer without hashing before anything named it; {@link LayerSource#walk}'s result names it.
   */
  record Complete(String location, String diffId) implements LayerEnd {}

  /**
   * The layer could not be read to the end, or did not hash to its diff ID. Entries delivered
   * before the failure were real, but the layer is incomplete and must not be cached. The message
   * names the layer and, where known, the entry and offset.
   */
  record Failed(String location, Optional<String> diffId, String message) implements LayerEnd {}
}
