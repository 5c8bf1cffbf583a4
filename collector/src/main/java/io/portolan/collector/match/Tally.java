package io.portolan.collector.match;

import io.portolan.collector.store.VulnerabilityStore.FindingRow;
import io.portolan.collector.store.VulnerabilityStore.ImageVulnerabilities;
import io.portolan.vuln.severity.Severity;
import java.time.Instant;
import java.util.List;

/**
 * Additive per-image counts: an image's tally is the sum of its packages' tallies, so a rematch
 * that changes a few packages adjusts image rows by difference instead of recounting them.
 */
final class Tally {
  /** Indexed by {@link RiskScore#rank}. */
  final int[] bySeverity = new int[6];
  int fixable;
  int priority;
  double risk;

  static Tally of(List<FindingRow> findings) {
    Tally t = new Tally();
    for (FindingRow f : findings) {
      Severity s = Severity.valueOf(f.severity());
      boolean fix = !f.fixedVersion().isEmpty();
      t.bySeverity[RiskScore.rank(s)]++;
      if (fix) t.fixable++;
      if (RiskScore.highPriority(s, fix)) t.priority++;
      t.risk += RiskScore.weight(s, fix);
    }
    return t;
  }

  static Tally of(ImageVulnerabilities v) {
    Tally t = new Tally();
    t.bySeverity[5] = v.critical();
    t.bySeverity[4] = v.high();
    t.bySeverity[3] = v.medium();
    t.bySeverity[2] = v.low();
    t.bySeverity[1] = v.negligible();
    t.bySeverity[0] = v.unknown();
    t.fixable = v.fixable();
    t.priority = v.priority();
    t.risk = v.riskBase();
    return t;
  }

  void add(Tally o, int sign) {
    for (int i = 0; i < bySeverity.length; i++) bySeverity[i] += sign * o.bySeverity[i];
    fixable += sign * o.fixable;
    priority += sign * o.priority;
    risk += sign * o.risk;
  }

  boolean isEmpty() {
    for (int c : bySeverity) if (c != 0) return false;
    return true;
  }

  ImageVulnerabilities toSummary(String imageId, Instant at) {
    int total = 0;
    int worst = -1;
    for (int i = 0; i < bySeverity.length; i++) {
      total += bySeverity[i];
      if (bySeverity[i] > 0) worst = i;
    }
    return new ImageVulnerabilities(imageId, bySeverity[5], bySeverity[4], bySeverity[3], bySeverity[2],
        bySeverity[1], bySeverity[0], total, fixable, priority, Math.max(0, risk), worst, at);
  }
}
