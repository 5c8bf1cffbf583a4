package io.portolan.vuln.version;

import java.util.regex.Pattern;

/**
 * RPM {@code [epoch:]version[-release]} strings. Each part is compared with rpmvercmp (rpm's
 * rpmio/rpmvercmp.c): alphanumeric segments, digits above letters, {@code ~} below everything and
 * {@code ^} below everything but the end of the string; other characters only separate.
 *
 * <p>As in rpm's {@code rpmverCmp}, a missing epoch is 0 and the releases are compared only when
 * both sides have one, so "1.0" equals both "1.0-1" and "1.0-2" (a fixed version given without
 * release covers every release). Digit runs are compared by length after dropping leading zeros,
 * as rpm does, so they never overflow. Characters outside ASCII are separators, since rpm's
 * character classes are ASCII-only.
 */
final class RpmVersion implements VersionScheme {
  private static final Pattern VALID = Pattern.compile(
      "(?:[0-9]+:)?[A-Za-z0-9._+~^]+(?:-[A-Za-z0-9._+~^]+)?");

  @Override
  public String name() {
    return "rpm";
  }

  @Override
  public int compare(String a, String b) {
    Evr x = Evr.of(a);
    Evr y = Evr.of(b);
    int c = rpmvercmp(x.epoch, y.epoch);
    if (c == 0) {
      c = rpmvercmp(x.version, y.version);
      if (c == 0 && !x.release.isEmpty() && !y.release.isEmpty()) {
        c = rpmvercmp(x.release, y.release);
      }
    }
    return c;
  }

  @Override
  public boolean isValid(String version) {
    return version != null && VALID.matcher(version.strip()).matches();
  }

  private record Evr(String epoch, String version, String release) {
    // rpm's parseEVR: leading digits before ':' are the epoch; the last '-' starts the release.
    static Evr of(String s) {
      String v = s == null ? "" : s.strip();
      int i = 0;
      while (i < v.length() && isDigit(v.charAt(i))) {
        i++;
      }
      String epoch = "0";
      if (i < v.length() && v.charAt(i) == ':') {
        epoch = i == 0 ? "0" : v.substring(0, i);
        v = v.substring(i + 1);
      }
      int hyphen = v.lastIndexOf('-');
      if (hyphen < 0) {
        return new Evr(epoch, v, "");
      }
      return new Evr(epoch, v.substring(0, hyphen), v.substring(hyphen + 1));
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean isSeparator(char c) {
    return !isDigit(c) && !isAlpha(c) && c != '~' && c != '^';
  }

  static int rpmvercmp(String a, String b) {
    if (a.equals(b)) {
      return 0;
    }
    int one = 0;
    int two = 0;
    int na = a.length();
    int nb = b.length();
    while (one < na || two < nb) {
      while (one < na && isSeparator(a.charAt(one))) {
        one++;
      }
      while (two < nb && isSeparator(b.charAt(two))) {
        two++;
      }
      boolean tildeA = one < na && a.charAt(one) == '~';
      boolean tildeB = two < nb && b.charAt(two) == '~';
      if (tildeA || tildeB) {
        if (!tildeA) {
          return 1;
        }
        if (!tildeB) {
          return -1;
        }
        one++;
        two++;
        continue;
      }
      boolean caretA = one < na && a.charAt(one) == '^';
      boolean caretB = two < nb && b.charAt(two) == '^';
      if (caretA || caretB) {
        if (one >= na) {
          return -1;
        }
        if (two >= nb) {
          return 1;
        }
        if (!caretA) {
          return 1;
        }
        if (!caretB) {
          return -1;
        }
        one++;
        two++;
        continue;
      }
      if (one >= na || two >= nb) {
        break;
      }
      int end1 = one;
      int end2 = two;
      boolean numeric = isDigit(a.charAt(one));
      if (numeric) {
        while (end1 < na && isDigit(a.charAt(end1))) {
          end1++;
        }
        while (end2 < nb && isDigit(b.charAt(end2))) {
          end2++;
        }
      } else {
        while (end1 < na && isAlpha(a.charAt(end1))) {
          end1++;
        }
        while (end2 < nb && isAlpha(b.charAt(end2))) {
          end2++;
        }
      }
      // The segments are of different kinds: a number is newer than letters.
      if (end2 == two) {
        return numeric ? 1 : -1;
      }
      String seg1 = a.substring(one, end1);
      String seg2 = b.substring(two, end2);
      if (numeric) {
        seg1 = seg1.replaceFirst("^0+", "");
        seg2 = seg2.replaceFirst("^0+", "");
        if (seg1.length() != seg2.length()) {
          return seg1.length() > seg2.length() ? 1 : -1;
        }
      }
      int rc = seg1.compareTo(seg2);
      if (rc != 0) {
        return rc < 0 ? -1 : 1;
      }
      one = end1;
      two = end2;
    }
    if (one >= na && two >= nb) {
      return 0;
    }
    return one < na ? 1 : -1;
  }
}
