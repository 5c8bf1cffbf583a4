package io.portolan.vuln.match;

import io.portolan.vuln.advisory.AffectedState;

/** Why an affected package is still affected: what the user can do about it. */
public enum FindingState {
  /** A fixed version exists: upgrade. */
  FIX_AVAILABLE,
  /** No fix exists yet. */
  UNFIXED,
  /** The distro will not ship a security update ({@code <no-dsa>}); a point release may. */
  NO_DSA,
  /** The distro postponed the fix to a later update round. */
  POSTPONED,
  /** The distro decided not to fix it. */
  IGNORED;

  static FindingState of(AffectedState state) {
    return switch (state) {
      case NO_DSA -> NO_DSA;
      case POSTPONED -> POSTPONED;
      case IGNORED -> IGNORED;
      default -> UNFIXED;
    };
  }

  /** The lower-case, hyphenated form the API and console show ("no-dsa"). */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
