package io.portolan.vuln.match;

import io.portolan.vuln.severity.RatedSeverity;
import java.util.Set;

/**
 * One vulnerability of one installed package, after aliases were merged: CVE, GHSA and DSA records
 * that describe the same vulnerability give one finding.
 *
 * @param vulnerabilityId the canonical ID: the CVE when any record names one
 * @param aliases every other ID of the merged records
 * @param feed the feed whose verdict was used; distro trackers win over OSV for distro packages
 * @param advisoryId the ID of the record in that feed
 */
public record Finding(
    String vulnerabilityId,
    Set<String> aliases,
    FindingState state,
    String fixedVersion,
    RatedSeverity severity,
    String feed,
    String advisoryId) {
  public Finding {
    aliases = Set.copyOf(aliases);
  }
}
