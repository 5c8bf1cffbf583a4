package io.portolan.vuln.match;

/** What one advisory entry says about one installed version. */
public sealed interface Verdict {
  /** Affected; {@code fixedVersion} is empty when no fix is known. */
  record Affected(String fixedVersion, FindingState state) implements Verdict {}

  /** Not affected, and why ("fixed in 1.2-3", "not-affected: Vulnerable code not present"). */
  record NotAffected(String reason) implements Verdict {}
}
