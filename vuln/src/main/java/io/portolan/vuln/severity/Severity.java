package io.portolan.vuln.severity;

import java.util.Locale;

/** The severity bands findings are reported and sorted in. */
public enum Severity {
  CRITICAL,
  HIGH,
  MEDIUM,
  LOW,
  NEGLIGIBLE,
  UNKNOWN;

  /**
   * The band of a CVSS base score on the v3/v4 qualitative rating scale: 9.0-10.0 CRITICAL, 7.0-8.9
   * HIGH, 4.0-6.9 MEDIUM, 0.1-3.9 LOW, 0.0 NEGLIGIBLE. A score outside 0-10 (or NaN) is UNKNOWN.
   */
  public static Severity fromScore(double cvssBaseScore) {
    if (Double.isNaN(cvssBaseScore) || cvssBaseScore < 0.0 || cvssBaseScore > 10.0) {
      return UNKNOWN;
    }
    // Lower bounds rather than the published closed ranges, so a score carrying more than one
    // decimal (3.95 from a careless feed) still lands in a band instead of falling between two.
    if (cvssBaseScore >= 9.0) {
      return CRITICAL;
    }
    if (cvssBaseScore >= 7.0) {
      return HIGH;
    }
    if (cvssBaseScore >= 4.0) {
      return MEDIUM;
    }
    if (cvssBaseScore > 0.0) {
      return LOW;
    }
    return NEGLIGIBLE;
  }

  /**
   * The band of a vendor's severity word, case-insensitively: Debian urgency ({@code unimportant},
   * {@code low}, {@code medium**}, ...), GHSA/OSV {@code database_specific.severity} ({@code LOW},
   * {@code MODERATE}, {@code HIGH}, {@code CRITICAL}), Ubuntu priority ({@code negligible} ...
   * {@code critical}) and Red Hat impact ({@code Low}, {@code Moderate}, {@code Important},
   * {@code Critical}). Words that carry no rating ({@code not yet assigned}, {@code end-of-life},
   * {@code untriaged}, empty) and words not understood give UNKNOWN.
   *
   * @param source who said it ("debian", "ghsa", "ubuntu", "redhat", ...); the vendors' words do
   *     not collide today, so the word alone decides, but callers pass it so that a vendor whose
   *     word means something else elsewhere can be told apart without an API change
   */
  public static Severity fromLabel(String source, String label) {
    if (label == null) {
      return UNKNOWN;
    }
    String word = label.strip().toLowerCase(Locale.ROOT);
    // Debian's tracker marks urgencies it has not reviewed with trailing asterisks ("low**");
    // the band is still the word's.
    int end = word.length();
    while (end > 0 && word.charAt(end - 1) == '*') {
      end--;
    }
    word = word.substring(0, end).strip();
    return switch (word) {
      case "critical" -> CRITICAL;
      case "high", "important" -> HIGH;
      case "medium", "moderate" -> MEDIUM;
      case "low" -> LOW;
      // "none" is NVD's word for a 0.0 score.
      case "negligible", "unimportant", "none" -> NEGLIGIBLE;
      default -> UNKNOWN;
    };
  }

  /** Higher for more severe bands: CRITICAL ranks highest, UNKNOWN lowest. */
  public int rank() {
    return values().length - 1 - ordinal();
  }
}
