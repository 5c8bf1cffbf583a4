package io.portolan.vuln.severity;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metric grammar of one CVSS version: which metrics exist, their values, which are mandatory.
 * The library that scores v2/v3 accepts some malformed vectors silently (it drops v3.0
 * environmental metrics, for one), so every version is checked here first, with one set of
 * messages.
 */
final class MetricVector {
  private final Map<String, List<String>> values;
  private final List<String> mandatory;

  /**
   * @param values each metric's allowed values, metrics in the specification's order
   * @param mandatory the metrics a vector must carry
   */
  MetricVector(Map<String, List<String>> values, List<String> mandatory) {
    this.values = values;
    this.mandatory = mandatory;
  }

  /**
   * The metrics of {@code body} ("AV:N/AC:L/..."), in the order written. Metrics may come in any
   * order: v2 and v3.x allow it, and for v4.0 feeds are not strict about it either.
   *
   * @param vector the whole vector, for messages
   */
  Map<String, String> parse(String vector, String body) {
    Map<String, String> metrics = new LinkedHashMap<>();
    if (body.isEmpty()) {
      throw new InvalidCvssException(vector, "no metrics");
    }
    for (String part : body.split("/", -1)) {
      int colon = part.indexOf(':');
      if (colon <= 0 || colon == part.length() - 1 || part.indexOf(':', colon + 1) >= 0) {
        throw new InvalidCvssException(vector, "\"" + part + "\" is not of the form METRIC:VALUE");
      }
      String metric = part.substring(0, colon);
      String value = part.substring(colon + 1);
      List<String> allowed = values.get(metric);
      if (allowed == null) {
        throw new InvalidCvssException(vector, "unknown metric \"" + metric + "\"");
      }
      if (metrics.containsKey(metric)) {
        throw new InvalidCvssException(vector, "metric " + metric + " is given more than once");
      }
      if (!allowed.contains(value)) {
        throw new InvalidCvssException(
            vector,
            "metric " + metric + " has value \"" + value + "\", expected one of " + allowed);
      }
      metrics.put(metric, value);
    }
    List<String> missing = mandatory.stream().filter(m -> !metrics.containsKey(m)).toList();
    if (!missing.isEmpty()) {
      throw new InvalidCvssException(vector, "mandatory metrics missing: " + missing);
    }
    return metrics;
  }

  /** The mandatory metrics of {@code metrics} in the specification's order: "AV:N/AC:L/...". */
  String canonicalBase(Map<String, String> metrics) {
    StringBuilder out = new StringBuilder();
    for (String metric : mandatory) {
      if (!out.isEmpty()) {
        out.append('/');
      }
      out.append(metric).append(':').append(metrics.get(metric));
    }
    return out.toString();
  }
}
