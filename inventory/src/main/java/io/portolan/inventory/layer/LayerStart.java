package io.portolan.inventory.layer;

import java.util.Optional;

/**
 * A layer about to be read. {@code location} names it within its source (a directory, an archive
 * path such as {@code 3f1a.../layer.tar} or {@code blobs/sha256/...}); {@code diffId} is present
 * when the source knows it before reading, and is verified while reading.
 */
public record LayerStart(String location, Optional<String> diffId) {}
