package io.portolan.collector.match;

import io.portolan.vuln.severity.Severity;

/**
 * The image risk score: what to fix first, as one number.
 *
 * <pre>
 *   risk = exposure x sum over findings of ( severity weight x fix factor )
 *   severity weight: Critical 10, High 5, Medium 2, Low 0.5, Unknown 1, Negligible 0
 *   fix factor:      1.0 when a fixed version exists, 0.5 when none does yet
 *   exposure:        2 when at least one container runs from the image, 1 otherwise
 * </pre>
 *
 * Severity dominates (one Critical outweighs four Mediums); a finding you can fix today counts
 * twice one you cannot; an image that runs counts twice one that only sits on disk. The score is
 * unbounded on purpose: a cap would tie the worst images together at the top of the list. The
 * exposure factor is applied where images are listed (QueryReader), since running containers
 * change without any rematch.
 * "High priority" is any Critical or High finding with a fix available.
 */
public final class RiskScore {
  private RiskScore() {}

  public static double weight(Severity severity, boolean fixAvailable) {
    double w = switch (severity) {
      case CRITICAL -> 10;
      case HIGH -> 5;
      case MEDIUM -> 2;
      case LOW -> 0.5;
      case UNKNOWN -> 1;
      case NEGLIGIBLE -> 0;
    };
    return fixAvailable ? w : w / 2;
  }

  public static boolean highPriority(Severity severity, boolean fixAvailable) {
    return fixAvailable && (severity == Severity.CRITICAL || severity == Severity.HIGH);
  }

  /** Severity as a number for storage and sorting: Critical 5 ... Unknown 0. */
  public static int rank(Severity severity) {
    return switch (severity) {
      case CRITICAL -> 5;
      case HIGH -> 4;
      case MEDIUM -> 3;
      case LOW -> 2;
      case NEGLIGIBLE -> 1;
      case UNKNOWN -> 0;
    };
  }

  /** The severity stored under {@code rank}. */
  public static Severity ofRank(int rank) {
    for (Severity s : Severity.values()) {
      if (rank(s) == rank) return s;
    }
    throw new IllegalArgumentException("no severity has rank " + rank);
  }
}
