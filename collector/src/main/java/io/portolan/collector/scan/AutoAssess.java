package io.portolan.collector.scan;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The auto-assess setting: scan images when they first arrive in the fleet. {@code
 * perHostPerMinute} and {@code maxInFlightPerHost} bound what it asks of one host, so a host that
 * pulls 200 images at once is worked through at that pace rather than flooded.
 */
public record AutoAssess(@JsonProperty(required = true) boolean enabled,
    @JsonProperty(required = true) int perHostPerMinute, @JsonProperty(required = true) int maxInFlightPerHost) {
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
