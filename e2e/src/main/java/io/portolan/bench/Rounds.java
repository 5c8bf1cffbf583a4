package io.portolan.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The figures of interleaved rounds, one map of named values a round, summarized per name: medians
 * for times (robust to the one round a noisy machine spoils), maxima for peaks.
 */
final class Rounds {
  private final List<Map<String, Double>> rounds = new ArrayList<>();

  void add(Map<String, Double> round) {
    rounds.add(round);
  }

  double median(String key) {
    return median(r -> r.get(key));
  }

  /** The median of each round's {@code key / baseline}: a ratio within a round, so drift between rounds cancels. */
  double medianRatio(String key, String baseline) {
    return median(r -> r.get(key) / r.get(baseline));
  }

  double max(String key) {
    return rounds.stream().mapToDouble(r -> r.get(key)).max().orElse(0);
  }

  private double median(ToDoubleFunction<Map<String, Double>> value) {
    double[] v = rounds.stream().mapToDouble(value).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
