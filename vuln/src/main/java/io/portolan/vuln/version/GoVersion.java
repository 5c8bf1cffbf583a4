package io.portolan.vuln.version;

/**
 * Go module versions, ordered as golang.org/x/mod/semver orders them: semver with a leading "v",
 * "v1" and "v1.2" as shorthands for v1.0.0 and v1.2.0, build metadata such as "+incompatible"
 * ignored, and pseudo-versions (v0.0.0-20191109021931-daa7c04131f5) ordered as the pre-releases
 * they are. Numbers are compared by length, then digit by digit, so they never overflow.
 *
 * <p>A version without the "v" (as OSV's Go ecosystem writes them) is read as if it had one. As in
 * x/mod/semver, an invalid version sorts below every valid one and all invalid versions are equal.
 */
final class GoVersion implements VersionScheme {
  @Override
  public String name() {
    return "go";
  }

  @Override
  public int compare(String a, String b) {
    Parsed x = Parsed.of(withV(a));
    Parsed y = Parsed.of(withV(b));
    if (x == null || y == null) {
      return x == null ? (y == null ? 0 : -1) : 1;
    }
    int c = compareInt(x.major, y.major);
    if (c == 0) {
      c = compareInt(x.minor, y.minor);
    }
    if (c == 0) {
      c = compareInt(x.patch, y.patch);
    }
    return c != 0 ? c : comparePrerelease(x.prerelease, y.prerelease);
  }

  @Override
  public boolean isValid(String version) {
    return Parsed.of(withV(version)) != null;
  }

  private static String withV(String v) {
    if (v == null) {
      return "";
    }
    return !v.isEmpty() && isDigit(v.charAt(0)) ? "v" + v : v;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isIdentChar(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || isDigit(c) || c == '-';
  }

  private static boolean isNum(String s) {
    return !s.isEmpty() && s.chars().allMatch(ch -> ch >= '0' && ch <= '9');
  }

  private static boolean isBadNum(String s) {
    return isNum(s) && s.length() > 1 && s.charAt(0) == '0';
  }

  private static int compareInt(String x, String y) {
    if (x.equals(y)) {
      return 0;
    }
    if (x.length() != y.length()) {
      return x.length() < y.length() ? -1 : 1;
    }
    return x.compareTo(y) < 0 ? -1 : 1;
  }

  private static int comparePrerelease(String x, String y) {
    if (x.equals(y)) {
      return 0;
    }
    if (x.isEmpty()) {
      return 1;
    }
    if (y.isEmpty()) {
      return -1;
    }
    String[] xs = x.substring(1).split("\\.", -1);
    String[] ys = y.substring(1).split("\\.", -1);
    for (int i = 0; i < Math.min(xs.length, ys.length); i++) {
      String dx = xs[i];
      String dy = ys[i];
      if (!dx.equals(dy)) {
        boolean ix = isNum(dx);
        boolean iy = isNum(dy);
        if (ix != iy) {
          return ix ? -1 : 1;
        }
        if (ix && dx.length() != dy.length()) {
          return dx.length() < dy.length() ? -1 : 1;
        }
        return dx.compareTo(dy) < 0 ? -1 : 1;
      }
    }
    return Integer.compare(xs.length, ys.length);
  }

  /** The pieces of a valid version; the prerelease keeps its leading "-". */
  private record Parsed(String major, String minor, String patch, String prerelease) {
    static Parsed of(String v) {
      if (v.isEmpty() || v.charAt(0) != 'v') {
        return null;
      }
      int[] pos = {1};
      String major = parseInt(v, pos);
      if (major == null) {
        return null;
      }
      if (pos[0] == v.length()) {
        return new Parsed(major, "0", "0", "");
      }
      if (v.charAt(pos[0]) != '.') {
        return null;
      }
      pos[0]++;
      String minor = parseInt(v, pos);
      if (minor == null) {
        return null;
      }
      if (pos[0] == v.length()) {
        return new Parsed(major, minor, "0", "");
      }
      if (v.charAt(pos[0]) != '.') {
        return null;
      }
      pos[0]++;
      String patch = parseInt(v, pos);
      if (patch == null) {
        return null;
      }
      String rest = v.substring(pos[0]);
      String prerelease = "";
      if (rest.startsWith("-")) {
        int plus = rest.indexOf('+');
        prerelease = plus < 0 ? rest : rest.substring(0, plus);
        if (!identifiers(prerelease.substring(1), true)) {
          return null;
        }
        rest = rest.substring(prerelease.length());
      }
      if (rest.startsWith("+")) {
        if (!identifiers(rest.substring(1), false)) {
          return null;
        }
        rest = "";
      }
      return rest.isEmpty() ? new Parsed(major, minor, patch, prerelease) : null;
    }

    private static String parseInt(String v, int[] pos) {
      int start = pos[0];
      int i = start;
      while (i < v.length() && isDigit(v.charAt(i))) {
        i++;
      }
      if (i == start || (v.charAt(start) == '0' && i != start + 1)) {
        return null;
      }
      pos[0] = i;
      return v.substring(start, i);
    }

    private static boolean identifiers(String s, boolean noLeadingZeros) {
      for (String id : s.split("\\.", -1)) {
        if (id.isEmpty() || !id.chars().allMatch(ch -> isIdentChar((char) ch))) {
          return false;
        }
        if (noLeadingZeros && isBadNum(id)) {
          return false;
        }
      }
      return true;
    }
  }
}
