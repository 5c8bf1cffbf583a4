package io.portolan.inventory.layer;

import java.util.Optional;

/**
 * One layer of the image in image order: its diff ID as the image config states it, where it was
 * read from (matching {@link LayerStart#location()}), and why it is unusable, if it is.
 */
public record LayerRef(String diffId, String location, Optional<String> error) {}
