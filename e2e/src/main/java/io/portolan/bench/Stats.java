package io.portolan.bench;

import java.util.Arrays;

/** Nearest-rank percentiles of measured values. */
final class Stats {
  private Stats() {}

  /** The p-th percentile (nearest rank) of ascending {@code sorted}; 0 when empty. */
  static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) return 0;
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
  }

  static long[] sorted(long[] values) {
    long[] copy = values.clone();
    Arrays.sort(copy);
    return copy;
  }

  static double mean(double[] values) {
    return Arrays.stream(values).average().orElse(0);
  }

  static double max(double[] values) {
    return Arrays.stream(values).max().orElse(0);
  }
}
