package io.portolan.vuln.severity;

/**
 * The severity chosen for a finding and where it came from.
 *
 * @param severity the band reported
 * @param source who gave that band ("debian", "ghsa", "nvd", ...); empty when the band is UNKNOWN
 *     because nobody rated it
 * @param cvssVector the best CVSS vector available, null when there is none; it need not be the
 *     one the band came from (a distro label may have decided the band)
 * @param cvssScore the score of {@code cvssVector}, null exactly when it is null
 */
public record RatedSeverity(
    Severity severity, String source, String cvssVector, Double cvssScore) {}
