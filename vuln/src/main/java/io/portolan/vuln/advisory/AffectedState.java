package io.portolan.vuln.advisory;

/** A distro tracker's verdict for one release, or {@link #RANGES} when versions decide. */
public enum AffectedState {
  /** Affected exactly where the ranges or explicit versions say (OSV, secdb, a tracker fix). */
  RANGES,
  /** Affected, and no fix exists yet ({@code <unfixed>}). */
  UNFIXED,
  /** Affected; the distro will not issue a security update ({@code <no-dsa>}). */
  NO_DSA,
  /** Affected; the fix waits for a later update round ({@code <postponed>}). */
  POSTPONED,
  /** Affected; the distro decided not to fix ({@code <ignored>}). */
  IGNORED,
  /** Not affected in this release ({@code <not-affected>}): never a finding. */
  NOT_AFFECTED,
  /** The package left the release ({@code <removed>}): never a finding. */
  REMOVED;

  /** Whether every installed version is affected, whatever the ranges say. */
  public boolean affectsAllVersions() {
    return this == UNFIXED || this == NO_DSA || this == POSTPONED || this == IGNORED;
  }
}
