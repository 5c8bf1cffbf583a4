package io.portolan.collector.scan;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Token buckets per host: at most {@code perMinute} images a minute for each host, with bursts up
 * to the same number. Auto-assess spends them, so a host that pulls 200 images is scanned at a
 * pace its agent can take instead of all at once. Used from the scan loop thread only.
 */
final class HostBuckets {
  private record Bucket(double tokens, long atMillis) {}

  private final Clock clock;
  private final Map<String, Bucket> buckets = new HashMap<>();
  private int perMinute;

  HostBuckets(Clock clock, int perMinute) {
    this.clock = clock;
    this.perMinute = perMinute;
  }

  void perMinute(int value) {
    this.perMinute = value;
  }

  /** Takes one token from the host's bucket; false when it is empty. */
  boolean take(String hostId) {
    long now = clock.millis();
    Bucket b = buckets.getOrDefault(hostId, new Bucket(perMinute, now));
    double tokens = Math.min(perMinute, b.tokens() + (now - b.atMillis()) * perMinute / 60_000.0);
    if (tokens < 1) {
      buckets.put(hostId, new Bucket(tokens, now));
      return false;
    }
    buckets.put(hostId, new Bucket(tokens - 1, now));
    return true;
  }

  /** Forgets buckets that have filled up again, so the map does not grow with every host ever seen. */
  void trim() {
    long now = clock.millis();
    buckets.values().removeIf(b -> b.tokens() + (now - b.atMillis()) * perMinute / 60_000.0 >= perMinute);
  }
}
