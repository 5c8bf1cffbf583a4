package io.portolan.vuln.version;

import java.math.BigInteger;
import java.util.Locale;

/**
 * NuGet package versions, parsed as {@code NuGetVersion.TryParse} and ordered as
 * {@code VersionComparer.Default} (NuGet.Client, NuGet.Versioning): one to four numeric parts
 * (missing ones are 0, leading zeros allowed), an optional dot-separated release label compared
 * part by part, case-insensitively, numeric parts below alphanumeric ones, a release above any
 * pre-release of it, and "+metadata" ignored.
 *
 * <p>NuGet keeps version parts in an Int32; here they are arbitrary-precision so a huge part still
 * orders correctly, but {@link #isValid} rejects it as NuGet would. A release label part counts as
 * numeric, as in NuGet, only when it is digits that fit an Int32. Strings NuGet rejects sort below
 * every valid version, and among themselves in ordinal string order.
 */
final class NuGetVersion implements VersionScheme {
  private static final BigInteger INT32_MAX = BigInteger.valueOf(Integer.MAX_VALUE);

  @Override
  public String name() {
    return "nuget";
  }

  @Override
  public int compare(String a, String b) {
    Parsed x = Parsed.of(a);
    Parsed y = Parsed.of(b);
    if (x == null || y == null) {
      if (x != null || y != null) {
        return x == null ? -1 : 1;
      }
      return Integer.signum(String.valueOf(a).compareTo(String.valueOf(b)));
    }
    for (int i = 0; i < 4; i++) {
      int c = x.parts[i].compareTo(y.parts[i]);
      if (c != 0) {
        return c;
      }
    }
    boolean xRelease = x.labels.length == 0;
    boolean yRelease = y.labels.length == 0;
    if (xRelease || yRelease) {
      return Boolean.compare(xRelease, yRelease);
    }
    for (int i = 0; i < Math.min(x.labels.length, y.labels.length); i++) {
      int c = compareLabel(x.labels[i], y.labels[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(x.labels.length, y.labels.length);
  }

  @Override
  public boolean isValid(String version) {
    Parsed p = Parsed.of(version);
    if (p == null) {
      return false;
    }
    for (BigInteger part : p.parts) {
      if (part.compareTo(INT32_MAX) > 0) {
        return false;
      }
    }
    return true;
  }

  private static int compareLabel(String x, String y) {
    boolean xNum = isInt32(x);
    boolean yNum = isInt32(y);
    if (xNum && yNum) {
      return Integer.compare(Integer.parseInt(x), Integer.parseInt(y));
    }
    if (xNum != yNum) {
      return xNum ? -1 : 1;
    }
    // StringComparer.OrdinalIgnoreCase compares upper-cased UTF-16 units.
    return Integer.signum(x.toUpperCase(Locale.ROOT).compareTo(y.toUpperCase(Locale.ROOT)));
  }

  private static boolean isInt32(String s) {
    return isDigits(s) && new BigInteger(s).compareTo(INT32_MAX) <= 0;
  }

  private static boolean isDigits(String s) {
    return !s.isEmpty() && s.chars().allMatch(ch -> ch >= '0' && ch <= '9');
  }

  private static boolean isLabelPart(String s, boolean allowLeadingZeros) {
    if (s.isEmpty() || !s.chars().allMatch(ch -> (ch >= '0' && ch <= '9')
        || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '-')) {
      return false;
    }
    return allowLeadingZeros || !isDigits(s) || s.length() == 1 || s.charAt(0) != '0';
  }

  private record Parsed(BigInteger[] parts, String[] labels) {
    static Parsed of(String value) {
      if (value == null) {
        return null;
      }
      String v = value.strip();
      // ParseSections: the version ends at the first '-' or '+', the labels at the next '+'.
      int dash = -1;
      for (int i = 0; i < v.length(); i++) {
        if (v.charAt(i) == '-' || v.charAt(i) == '+') {
          dash = i;
          break;
        }
      }
      String core = dash < 0 ? v : v.substring(0, dash);
      String label = null;
      String metadata = null;
      if (dash >= 0) {
        String rest = v.substring(dash + 1);
        if (v.charAt(dash) == '+') {
          metadata = rest;
        } else {
          int plus = rest.indexOf('+');
          label = plus < 0 ? rest : rest.substring(0, plus);
          metadata = plus < 0 ? null : rest.substring(plus + 1);
        }
        if (rest.isEmpty()) {
          return null;
        }
      }
      String[] nums = core.split("\\.", -1);
      if (core.isEmpty() || nums.length > 4) {
        return null;
      }
      BigInteger[] parts = {BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO};
      for (int i = 0; i < nums.length; i++) {
        if (!isDigits(nums[i])) {
          return null;
        }
        parts[i] = new BigInteger(nums[i]);
      }
      String[] labels = label == null ? new String[0] : label.split("\\.", -1);
      for (String part : labels) {
        if (!isLabelPart(part, false)) {
          return null;
        }
      }
      if (metadata != null) {
        if (metadata.isEmpty()) {
          return null;
        }
        for (String part : metadata.split("\\.", -1)) {
          if (!isLabelPart(part, true)) {
            return null;
          }
        }
      }
      return new Parsed(parts, labels);
    }
  }
}
