package io.portolan.collector.scan;

/**
 * The auto-assess setting: scan images when they first arrive in the fleet. {@code
 * perHostPerMinute} and {@code maxInFlightPerHost} bound what it asks of one host, so a host that
 * pulls 200 images at once is worked through at that pace rather than flooded.
 */
public record AutoAssess(boolean enabled, int perHostPerMinute, int maxInFlightPerHost) {
  public static final AutoAssess DEFAULT = new AutoAssess(false, 12, 2);

  public AutoAssess {
    if (perHostPerMinute < 1 || perHostPerMinute > 600) {
      throw new IllegalArgumentException("perHostPerMinute must be from 1 to 600, got " + perHostPerMinute);
    }
    if (maxInFlightPerHost < 1 || maxInFlightPerHost > 64) {
      throw new IllegalArgumentException("maxInFlightPerHost must be from 1 to 64, got " + maxInFlightPerHost);
    }
  }
}
