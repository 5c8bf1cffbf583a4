package io.portolan.inventory.image;

/**
 * Tells the analysis which (layer, analyzer, version) findings already exist, so they are not
 * computed again. The agent backs it with its RocksDB layer cache.
 */
@FunctionalInterface
public interface FindingsCache {

  /** A cache that holds nothing: every layer is analyzed. */
  FindingsCache NONE = (diffId, analyzer, version) -> false;

  boolean contains(String diffId, String analyzer, int analyzerVersion);
}
