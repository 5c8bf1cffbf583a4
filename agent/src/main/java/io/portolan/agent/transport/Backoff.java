package io.portolan.agent.transport;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter: the n-th retry waits a uniformly random time up to
 * min(max, min * 2^n), so many agents restarting together do not reconnect in lockstep.
 */
public final class Backoff {

  private final Duration min;
  private final Duration max;
  private final RandomGenerator random;
  private int attempt;

  public Backoff(Duration min, Duration max, RandomGenerator random) {
    if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
      throw new IllegalArgumentException("backoff needs 0 < min <= max, got " + min + " / " + max);
    }
    this.min = min;
    this.max = max;
    this.random = Objects.requireNonNull(random, "random");
  }

  /** The delay before the next attempt; each call widens the window until it reaches max. */
  public Duration next() {
    long ceiling = ceilingNanos(attempt);
    if (attempt < 62) {
      attempt++;
    }
    // Never zero: a zero delay would turn a persistent failure into a busy loop.
    long floor = Math.min(min.toNanos() / 2, ceiling);
    return Duration.ofNanos(floor + (long) (random.nextDouble() * (ceiling - floor)));
  }

  /** The upper bound of the next delay, without consuming an attempt. */
  public Duration ceiling() {
    return Duration.ofNanos(ceilingNanos(attempt));
  }

  /** Starts over from min, after a success. */
  public void reset() {
    attempt = 0;
  }

  private long ceilingNanos(int n) {
    long base = min.toNanos();
    long maxNanos = max.toNanos();
    if (n >= 62 || base > (maxNanos >> Math.min(n, 62))) {
      return maxNanos;
    }
    return Math.min(maxNanos, base << n);
  }
}
