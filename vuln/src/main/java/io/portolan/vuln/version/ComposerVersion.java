package io.portolan.vuln.version;

import java.math.BigInteger;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Composer (PHP) versions. Both sides are first normalised as composer/semver's
 * {@code VersionParser::normalize} does ("v1.0" → "1.0.0.0", "1.0.0RC1dev" → "1.0.0.0-RC1-dev",
 * "1.x-dev" → "1.9999999.9999999.9999999-dev", "master" → "dev-master", "+build" dropped), then
 * compared with PHP's {@code version_compare} (ext/standard/versioning.c), as Composer's
 * constraints do: "dev" < "alpha" = "a" < "beta" = "b" < "RC" = "rc" < numbers < "pl" = "p",
 * and any other word below "dev".
 *
 * <p>A string normalize rejects is compared as written, which is what version_compare does with
 * it. Two different "dev-" branches are not ordered by Composer at all; version_compare's answer
 * is used for them too. Digit runs are compared exactly, where PHP would saturate at its
 * largest integer, and two strings that both end in a separator compare by what precedes it,
 * where PHP calls either one smaller.
 */
final class ComposerVersion implements VersionScheme {
  private static final String MODIFIER =
      "[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\\d+)*+)?)?([.-]?dev)?";
  private static final Pattern ALIAS = Pattern.compile("^([^,\\s]++) ++as ++([^,\\s]++)$");
  private static final Pattern STABILITY_FLAG =
      Pattern.compile("@(?:stable|RC|beta|alpha|dev)$", Pattern.CASE_INSENSITIVE);
  private static final Pattern BUILD = Pattern.compile("^([^,\\s+]++)\\+[^\\s]++$");
  private static final Pattern CLASSICAL = Pattern.compile(
      "^v?(\\d{1,5}+)(\\.\\d++)?(\\.\\d++)?(\\.\\d++)?" + MODIFIER + "$", Pattern.CASE_INSENSITIVE);
  private static final Pattern DATETIME = Pattern.compile(
      "^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3}){0,2})" + MODIFIER + "$",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern DEV_SUFFIX =
      Pattern.compile("(.*?)[.-]?dev$", Pattern.CASE_INSENSITIVE);
  private static final Pattern BRANCH = Pattern.compile(
      "^v?(\\d++)(\\.(?:\\d++|[xX*]))?(\\.(?:\\d++|[xX*]))?(\\.(?:\\d++|[xX*]))?$",
      Pattern.CASE_INSENSITIVE);

  @Override
  public String name() {
    return "composer";
  }

  @Override
  public int compare(String a, String b) {
    String x = normalize(a == null ? "" : a);
    String y = normalize(b == null ? "" : b);
    return versionCompare(x == null ? a == null ? "" : a : x, y == null ? b == null ? "" : b : y);
  }

  @Override
  public boolean isValid(String version) {
    return version != null && normalize(version) != null;
  }

  /** VersionParser::normalize, or null where it throws. */
  static String normalize(String input) {
    String version = phpTrim(input);
    Matcher m = ALIAS.matcher(version);
    if (m.find()) {
      version = m.group(1);
    }
    m = STABILITY_FLAG.matcher(version);
    if (m.find()) {
      version = version.substring(0, m.start());
    }
    if (version.equals("master") || version.equals("trunk") || version.equals("default")) {
      version = "dev-" + version;
    }
    if (version.toLowerCase(Locale.ROOT).startsWith("dev-")) {
      return "dev-" + version.substring(4);
    }
    m = BUILD.matcher(version);
    if (m.find()) {
      version = m.group(1);
    }
    int index;
    m = CLASSICAL.matcher(version);
    if (m.find()) {
      version = m.group(1) + orDefault(m.group(2)) + orDefault(m.group(3)) + orDefault(m.group(4));
      index = 5;
    } else {
      m = DATETIME.matcher(version);
      if (!m.find()) {
        return devBranch(version);
      }
      version = m.group(1).replaceAll("\\D", ".");
      index = 2;
    }
    String stability = m.group(index);
    if (stability != null && !stability.isEmpty()) {
      if (stability.equals("stable")) {
        return version;
      }
      String number = m.group(index + 1);
      version += "-" + expandStability(stability)
          + (number == null || number.isEmpty() ? "" : number.replaceFirst("^[.-]+", ""));
    }
    String dev = m.group(index + 2);
    if (dev != null && !dev.isEmpty()) {
      version += "-dev";
    }
    return version;
  }

  private static String devBranch(String version) {
    Matcher m = DEV_SUFFIX.matcher(version);
    if (m.find()) {
      String normalized = normalizeBranch(m.group(1));
      if (!normalized.contains("dev-")) {
        return normalized;
      }
    }
    return null;
  }

  private static String normalizeBranch(String name) {
    String trimmed = phpTrim(name);
    Matcher m = BRANCH.matcher(trimmed);
    if (!m.find()) {
      return "dev-" + trimmed;
    }
    StringBuilder version = new StringBuilder();
    for (int i = 1; i < 5; i++) {
      version.append(m.group(i) != null ? m.group(i).replace('*', 'x').replace('X', 'x') : ".x");
    }
    return version.toString().replace("x", "9999999") + "-dev";
  }

  private static String orDefault(String part) {
    return part == null || part.isEmpty() ? ".0" : part;
  }

  private static String expandStability(String stability) {
    String s = stability.toLowerCase(Locale.ROOT);
    return switch (s) {
      case "a" -> "alpha";
      case "b" -> "beta";
      case "p", "pl" -> "patch";
      case "rc" -> "RC";
      default -> s;
    };
  }

  /** PHP's trim(): space, tab, newline, carriage return, NUL and vertical tab. */
  private static String phpTrim(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && " \t\n\r\0\u000B".indexOf(s.charAt(start)) >= 0) {
      start++;
    }
    while (end > start && " \t\n\r\0\u000B".indexOf(s.charAt(end - 1)) >= 0) {
      end--;
    }
    return s.substring(start, end);
  }

  // PHP's version_compare, ported from php_version_compare and php_canonicalize_version.

  static int versionCompare(String v1, String v2) {
    if (v1.isEmpty() || v2.isEmpty()) {
      return v1.isEmpty() && v2.isEmpty() ? 0 : (v1.isEmpty() ? -1 : 1);
    }
    String a = v1.charAt(0) == '#' ? v1 : canonicalize(v1);
    String b = v2.charAt(0) == '#' ? v2 : canonicalize(v2);
    int p1 = 0;
    int p2 = 0;
    int n1 = 0;
    int n2 = 0;
    int compare = 0;
    while (p1 < a.length() && p2 < b.length() && n1 >= 0 && n2 >= 0) {
      n1 = a.indexOf('.', p1);
      n2 = b.indexOf('.', p2);
      String s1 = a.substring(p1, n1 < 0 ? a.length() : n1);
      String s2 = b.substring(p2, n2 < 0 ? b.length() : n2);
      boolean d1 = !s1.isEmpty() && isDigit(s1.charAt(0));
      boolean d2 = !s2.isEmpty() && isDigit(s2.charAt(0));
      if (d1 && d2) {
        compare = leadingNumber(s1).compareTo(leadingNumber(s2));
      } else if (!d1 && !d2) {
        compare = compareSpecialForms(s1, s2);
      } else if (d1) {
        compare = compareSpecialForms("#N#", s2);
      } else {
        compare = compareSpecialForms(s1, "#N#");
      }
      if (compare != 0) {
        break;
      }
      if (n1 >= 0) {
        p1 = n1 + 1;
      }
      if (n2 >= 0) {
        p2 = n2 + 1;
      }
    }
    if (compare == 0) {
      if (n1 >= 0 && n2 >= 0) {
        // PHP answers -1 here when both strings end in a separator ("1." vs "1."); comparing the
        // remainders keeps the order antisymmetric and agrees with PHP everywhere else.
        compare = versionCompare(a.substring(p1), b.substring(p2));
      } else if (n1 >= 0) {
        compare = p1 < a.length() && isDigit(a.charAt(p1))
            ? 1 : versionCompare(a.substring(p1), "#N#");
      } else if (n2 >= 0) {
        compare = p2 < b.length() && isDigit(b.charAt(p2))
            ? -1 : versionCompare("#N#", b.substring(p2));
      }
    }
    return Integer.signum(compare);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** strtol on a part that starts with a digit; exact instead of saturating. */
  private static BigInteger leadingNumber(String s) {
    int i = 0;
    while (i < s.length() && isDigit(s.charAt(i))) {
      i++;
    }
    return new BigInteger(s.substring(0, i));
  }

  private static int specialFormOrder(String form) {
    String[] names = {"dev", "alpha", "a", "beta", "b", "RC", "rc", "#", "pl", "p"};
    int[] orders = {0, 1, 1, 2, 2, 3, 3, 4, 5, 5};
    for (int i = 0; i < names.length; i++) {
      if (form.startsWith(names[i])) {
        return orders[i];
      }
    }
    return -1;
  }

  private static int compareSpecialForms(String form1, String form2) {
    return Integer.signum(specialFormOrder(form1) - specialFormOrder(form2));
  }

  private static String canonicalize(String version) {
    StringBuilder q = new StringBuilder(version.length() * 2);
    char lp = version.charAt(0);
    q.append(lp);
    for (int i = 1; i < version.length(); i++) {
      char p = version.charAt(i);
      char last = q.charAt(q.length() - 1);
      if (p == '-' || p == '_' || p == '+') {
        if (last != '.') {
          q.append('.');
        }
      } else if ((isNonDigit(lp) && isDigit(p)) || (isDigit(lp) && isNonDigit(p))) {
        if (last != '.') {
          q.append('.');
        }
        q.append(p);
      } else if (!isAlnum(p)) {
        if (last != '.') {
          q.append('.');
        }
      } else {
        q.append(p);
      }
      lp = p;
    }
    return q.toString();
  }

  private static boolean isNonDigit(char c) {
    return !isDigit(c) && c != '.';
  }

  private static boolean isAlnum(char c) {
    return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
}
