package io.portolan.vuln.severity;

/**
 * A parsed CVSS vector and its score.
 *
 * @param version "2.0", "3.0", "3.1" or "4.0"
 * @param vector the vector as given, surrounding whitespace removed
 * @param baseScore for v2 and v3.x the base score (threat/temporal and environmental metrics are
 *     validated but do not change it); for v4.0 the score of all the metrics the vector carries
 *     (CVSS-B, -BT, -BE or -BTE), as FIRST's calculator reports it
 * @param severity the band of {@code baseScore}; v2 never reaches CRITICAL because NVD's v2 scale
 *     ends at HIGH (7.0-10.0)
 */
public record CvssScore(String version, String vector, double baseScore, Severity severity) {}
