package io.portolan.vuln.advisory;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * One vulnerability record as one feed describes it, normalized across OSV, the Debian tracker and
 * Alpine secdb. Strings are empty, never null; instants are null when the feed does not say.
 *
 * @param id the feed's own identifier (CVE-2023-38545, GHSA-..., PYSEC-..., DSA-5523-1)
 * @param aliases other identifiers of the same vulnerability (OSV {@code aliases}, and for Debian
 *     the DSA/DLA that fixed it), never including {@code id}; {@code related} ids are not aliases
 * @param withdrawn the feed withdrew it; importers still return it so a rematch can drop findings
 */
public record Advisory(
    String id,
    Set<String> aliases,
    String summary,
    String details,
    Instant published,
    Instant modified,
    boolean withdrawn,
    List<SeverityRating> severities,
    List<String> references,
    List<Affected> affected) {
  public Advisory {
    aliases = Set.copyOf(aliases);
    severities = List.copyOf(severities);
    references = List.copyOf(references);
    affected = List.copyOf(affected);
  }
}
