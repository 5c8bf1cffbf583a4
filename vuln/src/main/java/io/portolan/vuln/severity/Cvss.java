package io.portolan.vuln.severity;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parses CVSS vectors of versions 2.0, 3.0, 3.1 and 4.0 and scores them. */
public final class Cvss {
  private static final MetricVector V2 = v2Grammar();
  private static final MetricVector V3 = v3Grammar();

  private Cvss() {}

  /**
   * Parses and scores a vector: v2 bare ("AV:N/AC:L/Au:N/C:P/I:P/A:P", NVD's parenthesized form
   * too), "CVSS:3.0/...", "CVSS:3.1/..." or "CVSS:4.0/...". Metric names and values are
   * case-sensitive, as the specifications write them.
   *
   * @throws InvalidCvssException for an unknown version or metric, a duplicate or missing mandatory
   *     metric, or a value the metric does not have
   */
  public static CvssScore parse(String vector) throws InvalidCvssException {
    if (vector == null) {
      throw new InvalidCvssException(null, "no vector");
    }
    String trimmed = vector.strip();
    if (trimmed.isEmpty()) {
      throw new InvalidCvssException(vector, "empty");
    }
    if (!trimmed.startsWith("CVSS:")) {
      return v2(trimmed);
    }
    int slash = trimmed.indexOf('/');
    String version = trimmed.substring("CVSS:".length(), slash < 0 ? trimmed.length() : slash);
    String body = slash < 0 ? "" : trimmed.substring(slash + 1);
    return switch (version) {
      case "3.0", "3.1" -> v3(trimmed, version, body);
      case "4.0" -> CvssV4.parse(trimmed, body);
      default ->
          throw new InvalidCvssException(vector, "unsupported CVSS version \"" + version + "\"");
    };
  }

  private static CvssScore v2(String vector) {
    String body = vector;
    if (body.startsWith("(") && body.endsWith(")")) {
      body = body.substring(1, body.length() - 1);
    }
    Map<String, String> metrics = V2.parse(vector, body);
    double score = libraryBaseScore(vector, "(" + V2.canonicalBase(metrics) + ")");
    Severity severity = Severity.fromScore(score);
    // NVD's v2 scale tops out at HIGH; calling a v2 10.0 CRITICAL would outrank how it was rated.
    return new CvssScore(
        "2.0", vector, score, severity == Severity.CRITICAL ? Severity.HIGH : severity);
  }

  private static CvssScore v3(String vector, String version, String body) {
    Map<String, String> metrics = V3.parse(vector, body);
    // Only the base metrics go to the library: the base score does not depend on the others, and
    // its v3.0 parser would otherwise drop environmental metrics without a word.
    double score = libraryBaseScore(vector, "CVSS:" + version + "/" + V3.canonicalBase(metrics));
    return new CvssScore(version, vector, score, Severity.fromScore(score));
  }

  private static double libraryBaseScore(String vector, String canonical) {
    us.springett.cvss.Cvss parsed;
    try {
      parsed = us.springett.cvss.Cvss.fromVector(canonical);
    } catch (RuntimeException e) {
      throw new InvalidCvssException(vector, e.getMessage(), e);
    }
    if (parsed == null) {
      throw new InvalidCvssException(vector, "not understood by the CVSS calculator");
    }
    return parsed.calculateScore().getBaseScore();
  }

  private static MetricVector v2Grammar() {
    Map<String, List<String>> values = new LinkedHashMap<>();
    values.put("AV", List.of("L", "A", "N"));
    values.put("AC", List.of("H", "M", "L"));
    values.put("Au", List.of("M", "S", "N"));
    values.put("C", List.of("N", "P", "C"));
    values.put("I", List.of("N", "P", "C"));
    values.put("A", List.of("N", "P", "C"));
    values.put("E", List.of("U", "POC", "F", "H", "ND"));
    values.put("RL", List.of("OF", "TF", "W", "U", "ND"));
    values.put("RC", List.of("UC", "UR", "C", "ND"));
    values.put("CDP", List.of("N", "L", "LM", "MH", "H", "ND"));
    values.put("TD", List.of("N", "L", "M", "H", "ND"));
    values.put("CR", List.of("L", "M", "H", "ND"));
    values.put("IR", List.of("L", "M", "H", "ND"));
    values.put("AR", List.of("L", "M", "H", "ND"));
    return new MetricVector(values, List.of("AV", "AC", "Au", "C", "I", "A"));
  }

  private static MetricVector v3Grammar() {
    Map<String, List<String>> values = new LinkedHashMap<>();
    values.put("AV", List.of("N", "A", "L", "P"));
    values.put("AC", List.of("L", "H"));
    values.put("PR", List.of("N", "L", "H"));
    values.put("UI", List.of("N", "R"));
    values.put("S", List.of("U", "C"));
    values.put("C", List.of("H", "L", "N"));
    values.put("I", List.of("H", "L", "N"));
    values.put("A", List.of("H", "L", "N"));
    values.put("E", List.of("X", "H", "F", "P", "U"));
    values.put("RL", List.of("X", "U", "W", "T", "O"));
    values.put("RC", List.of("X", "C", "R", "U"));
    values.put("CR", List.of("X", "H", "M", "L"));
    values.put("IR", List.of("X", "H", "M", "L"));
    values.put("AR", List.of("X", "H", "M", "L"));
    values.put("MAV", List.of("X", "N", "A", "L", "P"));
    values.put("MAC", List.of("X", "L", "H"));
    values.put("MPR", List.of("X", "N", "L", "H"));
    values.put("MUI", List.of("X", "N", "R"));
    values.put("MS", List.of("X", "U", "C"));
    values.put("MC", List.of("X", "H", "L", "N"));
    values.put("MI", List.of("X", "H", "L", "N"));
    values.put("MA", List.of("X", "H", "L", "N"));
    return new MetricVector(values, List.of("AV", "AC", "PR", "UI", "S", "C", "I", "A"));
  }
}
