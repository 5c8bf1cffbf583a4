package io.portolan.vuln.severity;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CVSS v4.0 scoring as FIRST's reference calculator (github.com/FIRSTdotorg/cvss-v4-calculator,
 * {@code cvss_score.js}) does it: the vector falls into a macrovector (equivalence classes
 * EQ1-EQ6) whose expert-assigned score is looked up, and the score is lowered by the vector's mean
 * proportional distance from the most severe vectors of that macrovector towards the next lower
 * macrovectors.
 */
final class CvssV4 {
  private static final String PREFIX = "CVSS:4.0/";
  private static final MetricVector GRAMMAR = grammar();

  /**
   * Macrovector scores, copied from {@code cvss_lookup.js} (RedHatProductSecurity/
   * cvss-v4-calculator commit b0c4b8f, identical in its {@code cvss40.js}) in its own notation so
   * the two can be diffed. Digits are EQ1..EQ6; missing combinations do not exist.
   */
  private static final String LOOKUP_SOURCE =
      """
      "000000": 10, "000001": 9.9, "000010": 9.8, "000011": 9.5, "000020": 9.5, "000021": 9.2,
      "000100": 10, "000101": 9.6, "000110": 9.3, "000111": 8.7, "000120": 9.1, "000121": 8.1,
      "000200": 9.3, "000201": 9, "000210": 8.9, "000211": 8, "000220": 8.1, "000221": 6.8,
      "001000": 9.8, "001001": 9.5, "001010": 9.5, "001011": 9.2, "001020": 9, "001021": 8.4,
      "001100": 9.3, "001101": 9.2, "001110": 8.9, "001111": 8.1, "001120": 8.1, "001121": 6.5,
      "001200": 8.8, "001201": 8, "001210": 7.8, "001211": 7, "001220": 6.9, "001221": 4.8,
      "002001": 9.2, "002011": 8.2, "002021": 7.2, "002101": 7.9, "002111": 6.9, "002121": 5,
      "002201": 6.9, "002211": 5.5, "002221": 2.7,
      "010000": 9.9, "010001": 9.7, "010010": 9.5, "010011": 9.2, "010020": 9.2, "010021": 8.5,
      "010100": 9.5, "010101": 9.1, "010110": 9, "010111": 8.3, "010120": 8.4, "010121": 7.1,
      "010200": 9.2, "010201": 8.1, "010210": 8.2, "010211": 7.1, "010220": 7.2, "010221": 5.3,
      "011000": 9.5, "011001": 9.3, "011010": 9.2, "011011": 8.5, "011020": 8.5, "011021": 7.3,
      "011100": 9.2, "011101": 8.2, "011110": 8, "011111": 7.2, "011120": 7, "011121": 5.9,
      "011200": 8.4, "011201": 7, "011210": 7.1, "011211": 5.2, "011220": 5, "011221": 3,
      "012001": 8.6, "012011": 7.5, "012021": 5.2, "012101": 7.1, "012111": 5.2, "012121": 2.9,
      "012201": 6.3, "012211": 2.9, "012221": 1.7,
      "100000": 9.8, "100001": 9.5, "100010": 9.4, "100011": 8.7, "100020": 9.1, "100021": 8.1,
      "100100": 9.4, "100101": 8.9, "100110": 8.6, "100111": 7.4, "100120": 7.7, "100121": 6.4,
      "100200": 8.7, "100201": 7.5, "100210": 7.4, "100211": 6.3, "100220": 6.3, "100221": 4.9,
      "101000": 9.4, "101001": 8.9, "101010": 8.8, "101011": 7.7, "101020": 7.6, "101021": 6.7,
      "101100": 8.6, "101101": 7.6, "101110": 7.4, "101111": 5.8, "101120": 5.9, "101121": 5,
      "101200": 7.2, "101201": 5.7, "101210": 5.7, "101211": 5.2, "101220": 5.2, "101221": 2.5,
      "102001": 8.3, "102011": 7, "102021": 5.4, "102101": 6.5, "102111": 5.8, "102121": 2.6,
      "102201": 5.3, "102211": 2.1, "102221": 1.3,
      "110000": 9.5, "110001": 9, "110010": 8.8, "110011": 7.6, "110020": 7.6, "110021": 7,
      "110100": 9, "110101": 7.7, "110110": 7.5, "110111": 6.2, "110120": 6.1, "110121": 5.3,
      "110200": 7.7, "110201": 6.6, "110210": 6.8, "110211": 5.9, "110220": 5.2, "110221": 3,
      "111000": 8.9, "111001": 7.8, "111010": 7.6, "111011": 6.7, "111020": 6.2, "111021": 5.8,
      "111100": 7.4, "111101": 5.9, "111110": 5.7, "111111": 5.7, "111120": 4.7, "111121": 2.3,
      "111200": 6.1, "111201": 5.2, "111210": 5.7, "111211": 2.9, "111220": 2.4, "111221": 1.6,
      "112001": 7.1, "112011": 5.9, "112021": 3, "112101": 5.8, "112111": 2.6, "112121": 1.5,
      "112201": 2.3, "112211": 1.3, "112221": 0.6,
      "200000": 9.3, "200001": 8.7, "200010": 8.6, "200011": 7.2, "200020": 7.5, "200021": 5.8,
      "200100": 8.6, "200101": 7.4, "200110": 7.4, "200111": 6.1, "200120": 5.6, "200121": 3.4,
      "200200": 7, "200201": 5.4, "200210": 5.2, "200211": 4, "200220": 4, "200221": 2.2,
      "201000": 8.5, "201001": 7.5, "201010": 7.4, "201011": 5.5, "201020": 6.2, "201021": 5.1,
      "201100": 7.2, "201101": 5.7, "201110": 5.5, "201111": 4.1, "201120": 4.6, "201121": 1.9,
      "201200": 5.3, "201201": 3.6, "201210": 3.4, "201211": 1.9, "201220": 1.9, "201221": 0.8,
      "202001": 6.4, "202011": 5.1, "202021": 2, "202101": 4.7, "202111": 2.1, "202121": 1.1,
      "202201": 2.4, "202211": 0.9, "202221": 0.4,
      "210000": 8.8, "210001": 7.5, "210010": 7.3, "210011": 5.3, "210020": 6, "210021": 5,
      "210100": 7.3, "210101": 5.5, "210110": 5.9, "210111": 4, "210120": 4.1, "210121": 2,
      "210200": 5.4, "210201": 4.3, "210210": 4.5, "210211": 2.2, "210220": 2, "210221": 1.1,
      "211000": 7.5, "211001": 5.5, "211010": 5.8, "211011": 4.5, "211020": 4, "211021": 2.1,
      "211100": 6.1, "211101": 5.1, "211110": 4.8, "211111": 1.8, "211120": 2, "211121": 0.9,
      "211200": 4.6, "211201": 1.8, "211210": 1.7, "211211": 0.7, "211220": 0.8, "211221": 0.2,
      "212001": 5.3, "212011": 2.4, "212021": 1.4, "212101": 2.4, "212111": 1.2, "212121": 0.5,
      "212201": 1, "212211": 0.3, "212221": 0.1
      """;

  /** Macrovector scores in tenths, so that the interpolation below stays exact. */
  static final Map<String, Integer> LOOKUP = lookup();

  // The most severe vectors of each EQ level, copied from max_composed.js. EQ3 and EQ6 are scored
  // together, so their table is indexed by the EQ3 level and then the EQ6 level.
  private static final List<List<String>> EQ1_MAX =
      List.of(
          List.of("AV:N/PR:N/UI:N/"),
          List.of("AV:A/PR:N/UI:N/", "AV:N/PR:L/UI:N/", "AV:N/PR:N/UI:P/"),
          List.of("AV:P/PR:N/UI:N/", "AV:A/PR:L/UI:P/"));
  private static final List<List<String>> EQ2_MAX =
      List.of(List.of("AC:L/AT:N/"), List.of("AC:H/AT:N/", "AC:L/AT:P/"));
  private static final List<List<List<String>>> EQ3_EQ6_MAX =
      List.of(
          List.of(
              List.of("VC:H/VI:H/VA:H/CR:H/IR:H/AR:H/"),
              List.of("VC:H/VI:H/VA:L/CR:M/IR:M/AR:H/", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M/")),
          List.of(
              List.of("VC:L/VI:H/VA:H/CR:H/IR:H/AR:H/", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H/"),
              List.of(
                  "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H/",
                  "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M/",
                  "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M/",
                  "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H/",
                  "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M/")),
          // EQ3 level 2 with EQ6 level 0 cannot happen: EQ6 0 needs a High impact.
          List.of(List.of(), List.of("VC:L/VI:L/VA:L/CR:H/IR:H/AR:H/")));
  private static final List<List<String>> EQ4_MAX =
      List.of(List.of("SC:H/SI:S/SA:S/"), List.of("SC:H/SI:H/SA:H/"), List.of("SC:L/SI:L/SA:L/"));
  private static final List<List<String>> EQ5_MAX =
      List.of(List.of("E:A/"), List.of("E:P/"), List.of("E:U/"));

  // Depth of each EQ level in severity-distance steps (max_severity.js, which lists them "+1").
  private static final int[] EQ1_DEPTH = {1, 4, 5};
  private static final int[] EQ2_DEPTH = {1, 2};
  private static final int[][] EQ3_EQ6_DEPTH = {{7, 6}, {8, 8}, {0, 10}};
  private static final int[] EQ4_DEPTH = {6, 5, 4};

  // Each metric value's severity level in steps of 0.1 (cvss_score.js); 0 is the most severe.
  private static final Map<String, Map<String, Integer>> LEVELS =
      Map.ofEntries(
          Map.entry("AV", Map.of("N", 0, "A", 1, "L", 2, "P", 3)),
          Map.entry("PR", Map.of("N", 0, "L", 1, "H", 2)),
          Map.entry("UI", Map.of("N", 0, "P", 1, "A", 2)),
          Map.entry("AC", Map.of("L", 0, "H", 1)),
          Map.entry("AT", Map.of("N", 0, "P", 1)),
          Map.entry("VC", Map.of("H", 0, "L", 1, "N", 2)),
          Map.entry("VI", Map.of("H", 0, "L", 1, "N", 2)),
          Map.entry("VA", Map.of("H", 0, "L", 1, "N", 2)),
          Map.entry("SC", Map.of("H", 1, "L", 2, "N", 3)),
          Map.entry("SI", Map.of("S", 0, "H", 1, "L", 2, "N", 3)),
          Map.entry("SA", Map.of("S", 0, "H", 1, "L", 2, "N", 3)),
          Map.entry("CR", Map.of("H", 0, "M", 1, "L", 2)),
          Map.entry("IR", Map.of("H", 0, "M", 1, "L", 2)),
          Map.entry("AR", Map.of("H", 0, "M", 1, "L", 2)));
  private static final List<String> DISTANCE_METRICS =
      List.of("AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR");

  // Divisible by every EQ depth (1, 2, 4, 5, 6, 7, 8, 10): a common denominator for the mean.
  private static final long DEPTH_LCM = 2520;

  private CvssV4() {}

  static CvssScore parse(String vector, String body) {
    Map<String, String> metrics = GRAMMAR.parse(vector, body);
    double score = score(metrics);
    return new CvssScore("4.0", vector, score, Severity.fromScore(score));
  }

  /** The macrovector ("EQ1..EQ6" digits) a valid v4.0 vector falls into. */
  static String macroVector(String vector) {
    String body = vector.startsWith(PREFIX) ? vector.substring(PREFIX.length()) : vector;
    return key(macroVector(new Effective(GRAMMAR.parse(vector, body))));
  }

  /** The score of validated metrics (absent optional metrics count as X). */
  static double score(Map<String, String> metrics) {
    Effective m = new Effective(metrics);
    if (List.of("VC", "VI", "VA", "SC", "SI", "SA").stream().allMatch(k -> m.get(k).equals("N"))) {
      return 0.0;
    }
    int[] eq = macroVector(m);
    int value = LOOKUP.get(key(eq));

    Integer lower1 = LOOKUP.get(key(eq[0] + 1, eq[1], eq[2], eq[3], eq[4], eq[5]));
    Integer lower2 = LOOKUP.get(key(eq[0], eq[1] + 1, eq[2], eq[3], eq[4], eq[5]));
    Integer lower36 = lowerEq3Eq6(eq);
    Integer lower4 = LOOKUP.get(key(eq[0], eq[1], eq[2], eq[3] + 1, eq[4], eq[5]));
    Integer lower5 = LOOKUP.get(key(eq[0], eq[1], eq[2], eq[3], eq[4] + 1, eq[5]));

    Map<String, Integer> distance = distanceFromMax(m, eq);
    int d1 = distance.get("AV") + distance.get("PR") + distance.get("UI");
    int d2 = distance.get("AC") + distance.get("AT");
    int d36 =
        distance.get("VC") + distance.get("VI") + distance.get("VA")
            + distance.get("CR") + distance.get("IR") + distance.get("AR");
    int d4 = distance.get("SC") + distance.get("SI") + distance.get("SA");

    // mean = sum(available * distance / depth) / n, over the EQs that have a lower macrovector.
    // EQ5 takes part in n but always adds 0: its levels have no depth.
    long numerator = 0;
    int n = 0;
    if (lower1 != null) {
      n++;
      numerator += (long) (value - lower1) * d1 * (DEPTH_LCM / EQ1_DEPTH[eq[0]]);
    }
    if (lower2 != null) {
      n++;
      numerator += (long) (value - lower2) * d2 * (DEPTH_LCM / EQ2_DEPTH[eq[1]]);
    }
    if (lower36 != null) {
      n++;
      numerator += (long) (value - lower36) * d36 * (DEPTH_LCM / EQ3_EQ6_DEPTH[eq[2]][eq[5]]);
    }
    if (lower4 != null) {
      n++;
      numerator += (long) (value - lower4) * d4 * (DEPTH_LCM / EQ4_DEPTH[eq[3]]);
    }
    if (lower5 != null) {
      n++;
    }
    if (n == 0) {
      return value / 10.0;
    }
    // In exact rational arithmetic (tenths, over denominator n * 2520) instead of the reference's
    // doubles: its floating-point result can sit one ULP below an x.x5 tie and round the wrong way,
    // which FIRST's calculator patches with a 1e-6 nudge before rounding. Exact values are spaced
    // at least 1/126000 apart, so rounding them half up gives what the nudged reference gives.
    long denominator = n * DEPTH_LCM;
    long scaled = value * denominator - numerator;
    scaled = Math.max(0, Math.min(100 * denominator, scaled));
    long tenths = Math.floorDiv(2 * scaled + denominator, 2 * denominator);
    return tenths / 10.0;
  }

  private static Integer lowerEq3Eq6(int[] eq) {
    int eq3 = eq[2];
    int eq6 = eq[5];
    if (eq3 == 0 && eq6 == 0) {
      // Two ways down (00 -> 01 and 00 -> 10); the reference takes the higher-scored one.
      Integer left = LOOKUP.get(key(eq[0], eq[1], eq3, eq[3], eq[4], eq6 + 1));
      Integer right = LOOKUP.get(key(eq[0], eq[1], eq3 + 1, eq[3], eq[4], eq6));
      if (left == null || right == null) {
        return left == null ? right : left;
      }
      return Math.max(left, right);
    }
    if (eq3 == 1 && eq6 == 0) {
      return LOOKUP.get(key(eq[0], eq[1], eq3, eq[3], eq[4], eq6 + 1));
    }
    if (eq6 == 1 && eq3 < 2) {
      return LOOKUP.get(key(eq[0], eq[1], eq3 + 1, eq[3], eq[4], eq6));
    }
    return null;
  }

  /**
   * Severity distances (in steps) of the vector from the first of its macrovector's most severe
   * vectors that is at least as severe in every metric; the reference keeps the last candidate's
   * distances if none is, and so does this.
   */
  private static Map<String, Integer> distanceFromMax(Effective m, int[] eq) {
    Map<String, Integer> distance = Map.of();
    for (String max1 : EQ1_MAX.get(eq[0])) {
      for (String max2 : EQ2_MAX.get(eq[1])) {
        for (String max36 : EQ3_EQ6_MAX.get(eq[2]).get(eq[5])) {
          for (String max4 : EQ4_MAX.get(eq[3])) {
            for (String max5 : EQ5_MAX.get(eq[4])) {
              Map<String, String> max = fragment(max1 + max2 + max36 + max4 + max5);
              distance = new HashMap<>();
              boolean reachable = true;
              for (String metric : DISTANCE_METRICS) {
                Map<String, Integer> levels = LEVELS.get(metric);
                int d = levels.get(m.get(metric)) - levels.get(max.get(metric));
                distance.put(metric, d);
                reachable &= d >= 0;
              }
              if (reachable) {
                return distance;
              }
            }
          }
        }
      }
    }
    return distance;
  }

  private static int[] macroVector(Effective m) {
    String av = m.get("AV");
    String pr = m.get("PR");
    String ui = m.get("UI");
    int eq1;
    if (av.equals("N") && pr.equals("N") && ui.equals("N")) {
      eq1 = 0;
    } else if ((av.equals("N") || pr.equals("N") || ui.equals("N")) && !av.equals("P")) {
      eq1 = 1;
    } else {
      eq1 = 2;
    }
    int eq2 = m.get("AC").equals("L") && m.get("AT").equals("N") ? 0 : 1;
    String vc = m.get("VC");
    String vi = m.get("VI");
    String va = m.get("VA");
    int eq3;
    if (vc.equals("H") && vi.equals("H")) {
      eq3 = 0;
    } else if (vc.equals("H") || vi.equals("H") || va.equals("H")) {
      eq3 = 1;
    } else {
      eq3 = 2;
    }
    int eq4;
    if (m.get("MSI").equals("S") || m.get("MSA").equals("S")) {
      eq4 = 0;
    } else if (m.get("SC").equals("H") || m.get("SI").equals("H") || m.get("SA").equals("H")) {
      eq4 = 1;
    } else {
      eq4 = 2;
    }
    int eq5 =
        switch (m.get("E")) {
          case "A" -> 0;
          case "P" -> 1;
          default -> 2;
        };
    boolean highNeed =
        (m.get("CR").equals("H") && vc.equals("H"))
            || (m.get("IR").equals("H") && vi.equals("H"))
            || (m.get("AR").equals("H") && va.equals("H"));
    int eq6 = highNeed ? 0 : 1;
    return new int[] {eq1, eq2, eq3, eq4, eq5, eq6};
  }

  /** Metric values as scoring sees them: modified metrics override, X means the worst case. */
  private record Effective(Map<String, String> metrics) {
    String get(String metric) {
      String selected = metrics.getOrDefault(metric, "X");
      return switch (metric) {
        case "E" -> selected.equals("X") ? "A" : selected;
        case "CR", "IR", "AR" -> selected.equals("X") ? "H" : selected;
        default -> {
          String modified = metrics.getOrDefault("M" + metric, "X");
          yield modified.equals("X") ? selected : modified;
        }
      };
    }
  }

  private static Map<String, String> fragment(String metrics) {
    Map<String, String> out = new HashMap<>();
    for (String part : metrics.split("/")) {
      int colon = part.indexOf(':');
      out.put(part.substring(0, colon), part.substring(colon + 1));
    }
    return out;
  }

  private static String key(int... eq) {
    StringBuilder out = new StringBuilder(6);
    for (int level : eq) {
      out.append(level);
    }
    return out.toString();
  }

  private static Map<String, Integer> lookup() {
    Map<String, Integer> out = new HashMap<>();
    Matcher entry = Pattern.compile("\"(\\d{6})\":\\s*([0-9.]+)").matcher(LOOKUP_SOURCE);
    while (entry.find()) {
      out.put(entry.group(1), (int) Math.round(Double.parseDouble(entry.group(2)) * 10));
    }
    return Map.copyOf(out);
  }

  private static MetricVector grammar() {
    List<String> impact = List.of("H", "L", "N");
    List<String> requirement = List.of("X", "H", "M", "L");
    List<String> modifiedImpact = List.of("X", "H", "L", "N");
    List<String> modifiedSubsequent = List.of("X", "S", "H", "L", "N");
    Map<String, List<String>> values = new LinkedHashMap<>();
    values.put("AV", List.of("N", "A", "L", "P"));
    values.put("AC", List.of("L", "H"));
    values.put("AT", List.of("N", "P"));
    values.put("PR", List.of("N", "L", "H"));
    values.put("UI", List.of("N", "P", "A"));
    for (String metric : List.of("VC", "VI", "VA", "SC", "SI", "SA")) {
      values.put(metric, impact);
    }
    values.put("E", List.of("X", "A", "P", "U"));
    for (String metric : List.of("CR", "IR", "AR")) {
      values.put(metric, requirement);
    }
    values.put("MAV", List.of("X", "N", "A", "L", "P"));
    values.put("MAC", List.of("X", "L", "H"));
    values.put("MAT", List.of("X", "N", "P"));
    values.put("MPR", List.of("X", "N", "L", "H"));
    values.put("MUI", List.of("X", "N", "P", "A"));
    for (String metric : List.of("MVC", "MVI", "MVA", "MSC")) {
      values.put(metric, modifiedImpact);
    }
    values.put("MSI", modifiedSubsequent);
    values.put("MSA", modifiedSubsequent);
    // Supplemental metrics: parsed and validated, never scored.
    values.put("S", List.of("X", "N", "P"));
    values.put("AU", List.of("X", "N", "Y"));
    values.put("R", List.of("X", "A", "U", "I"));
    values.put("V", List.of("X", "D", "C"));
    values.put("RE", List.of("X", "L", "M", "H"));
    values.put("U", List.of("X", "Clear", "Green", "Amber", "Red"));
    return new MetricVector(
        values, List.of("AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"));
  }
}
