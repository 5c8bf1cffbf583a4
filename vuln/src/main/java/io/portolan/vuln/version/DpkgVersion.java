package io.portolan.vuln.version;

import java.util.regex.Pattern;

/**
 * Debian versions, {@code [epoch:]upstream[-revision]}, ordered as dpkg's {@code verrevcmp} in
 * lib/dpkg/version.c orders them: epochs numerically, then upstream, then revision, where {@code ~}
 * sorts before everything (even the end of the string) and letters sort before other characters.
 *
 * <p>dpkg refuses to compare strings it cannot parse. Here such strings are still split the same
 * way (an epoch only when everything before the first colon is digits, otherwise epoch 0 and the
 * whole text before the last hyphen as upstream), and ordered by the same rules. Characters outside
 * ASCII count as non-letters ordered by their UTF-16 value. Epochs are compared as digit strings,
 * so an epoch longer than an int does not overflow.
 */
final class DpkgVersion implements VersionScheme {
  // Debian policy 5.6.12: upstream starts with a digit; a hyphen only when there is a revision.
  private static final Pattern VALID = Pattern.compile(
      "(?:[0-9]+:)?[0-9][A-Za-z0-9.+~:-]*(?:-[A-Za-z0-9.+~]+)?");

  @Override
  public String name() {
    return "dpkg";
  }

  @Override
  public int compare(String a, String b) {
    Parsed x = Parsed.of(a);
    Parsed y = Parsed.of(b);
    int c = compareDigits(x.epoch, y.epoch);
    if (c != 0) {
      return c;
    }
    c = verrevcmp(x.upstream, y.upstream);
    return c != 0 ? c : verrevcmp(x.revision, y.revision);
  }

  @Override
  public boolean isValid(String version) {
    if (version == null) {
      return false;
    }
    String v = version.strip();
    if (!VALID.matcher(v).matches()) {
      return false;
    }
    // A colon in upstream is only allowed when an epoch is present.
    int colon = v.indexOf(':');
    return colon < 0 || v.substring(0, colon).chars().allMatch(ch -> ch >= '0' && ch <= '9');
  }

  private record Parsed(String epoch, String upstream, String revision) {
    static Parsed of(String s) {
      String v = s == null ? "" : s.strip();
      String epoch = "0";
      int colon = v.indexOf(':');
      if (colon > 0 && v.substring(0, colon).chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
        epoch = v.substring(0, colon);
        v = v.substring(colon + 1);
      }
      int hyphen = v.lastIndexOf('-');
      if (hyphen < 0) {
        return new Parsed(epoch, v, "");
      }
      return new Parsed(epoch, v.substring(0, hyphen), v.substring(hyphen + 1));
    }
  }

  private static int compareDigits(String a, String b) {
    String x = stripZeros(a);
    String y = stripZeros(b);
    if (x.length() != y.length()) {
      return x.length() < y.length() ? -1 : 1;
    }
    return Integer.signum(x.compareTo(y));
  }

  private static String stripZeros(String digits) {
    int i = 0;
    while (i < digits.length() - 1 && digits.charAt(i) == '0') {
      i++;
    }
    return digits.substring(i);
  }

  private static int order(int c) {
    if (isDigit(c)) {
      return 0;
    } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
      return c;
    } else if (c == '~') {
      return -1;
    } else if (c != 0) {
      return c + 256;
    }
    return 0;
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  private static int at(String s, int i) {
    return i < s.length() ? s.charAt(i) : 0;
  }

  static int verrevcmp(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() || j < b.length()) {
      int firstDiff = 0;
      while ((i < a.length() && !isDigit(a.charAt(i)))
          || (j < b.length() && !isDigit(b.charAt(j)))) {
        int ac = order(at(a, i));
        int bc = order(at(b, j));
        if (ac != bc) {
          return Integer.signum(ac - bc);
        }
        i++;
        j++;
      }
      while (at(a, i) == '0') {
        i++;
      }
      while (at(b, j) == '0') {
        j++;
      }
      while (isDigit(at(a, i)) && isDigit(at(b, j))) {
        if (firstDiff == 0) {
          firstDiff = at(a, i) - at(b, j);
        }
        i++;
        j++;
      }
      if (isDigit(at(a, i))) {
        return 1;
      }
      if (isDigit(at(b, j))) {
        return -1;
      }
      if (firstDiff != 0) {
        return Integer.signum(firstDiff);
      }
    }
    return 0;
  }
}
