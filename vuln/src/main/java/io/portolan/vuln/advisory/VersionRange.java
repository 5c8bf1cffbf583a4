package io.portolan.vuln.advisory;

import java.util.List;

/**
 * An OSV-style range: events in the order the feed lists them. A version is affected when the
 * latest {@code introduced} at or below it is not followed by a {@code fixed} at or below it, and
 * it is at or below {@code last_affected} / below {@code limit} when those are given. Version "0"
 * in {@code introduced} means "from the beginning".
 *
 * @param type ECOSYSTEM or SEMVER (GIT ranges are dropped by importers: we match no commits)
 */
public record VersionRange(String type, List<Event> events) {
  public VersionRange {
    events = List.copyOf(events);
  }

  public enum Kind { INTRODUCED, FIXED, LAST_AFFECTED, LIMIT }

  public record Event(Kind kind, String version) {}

  /** The usual distro shape: affected from the beginning until {@code fixed}. */
  public static VersionRange fixedIn(String fixed) {
    return new VersionRange("ECOSYSTEM",
        List.of(new Event(Kind.INTRODUCED, "0"), new Event(Kind.FIXED, fixed)));
  }
}
