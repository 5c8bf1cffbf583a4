package io.portolan.vuln.advisory;

/**
 * One severity statement and who made it.
 *
 * @param source who rated it: "nvd", "ghsa", "debian", "alpine", the OSV record's source, ...
 * @param type CVSS_V2, CVSS_V3, CVSS_V4 (value is the vector) or LABEL (value is the vendor's
 *     word: "HIGH", "unimportant", "low*")
 */
public record SeverityRating(String source, String type, String value) {}
