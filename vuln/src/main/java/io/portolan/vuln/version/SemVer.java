package io.portolan.vuln.version;

import java.math.BigInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Semantic Versioning 2.0.0 precedence (semver.org item 11), read the way node-semver's loose mode
 * reads versions: leading {@code v}, {@code =} and spaces are dropped, a hyphen before the
 * pre-release may be missing ("1.2.3beta"), and so may minor and patch ("1", "1.2" mean 1.0.0 and
 * 1.2.0, as Go and npm's coerce read them). Build metadata never affects the order. Numbers are
 * compared as arbitrary-precision integers.
 *
 * <p>Strings that do not parse sort below every version that does, and among themselves in
 * ordinal string order.
 */
final class SemVer implements VersionScheme {
  private static final String IDENT = "(?:[0-9]+|[0-9]*[A-Za-z-][0-9A-Za-z-]*)";
  private static final Pattern LOOSE = Pattern.compile(
      "[v=\\s]*([0-9]+)(?:\\.([0-9]+)(?:\\.([0-9]+))?)?"
          + "(?:(?:-|(?=[A-Za-z]))(" + IDENT + "(?:\\." + IDENT + ")*))?"
          + "(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?\\s*");
  private static final String NUM = "(?:0|[1-9][0-9]*)";
  private static final String PRE_IDENT = "(?:" + NUM + "|[0-9]*[A-Za-z-][0-9A-Za-z-]*)";
  // The semver.org grammar, with an optional leading "v" or "=".
  private static final Pattern STRICT = Pattern.compile(
      "[v=]?" + NUM + "\\." + NUM + "\\." + NUM
          + "(?:-" + PRE_IDENT + "(?:\\." + PRE_IDENT + ")*)?"
          + "(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?");

  @Override
  public String name() {
    return "semver";
  }

  @Override
  public int compare(String a, String b) {
    Matcher x = a == null ? null : LOOSE.matcher(a);
    Matcher y = b == null ? null : LOOSE.matcher(b);
    boolean xOk = x != null && x.matches();
    boolean yOk = y != null && y.matches();
    if (!xOk || !yOk) {
      if (xOk != yOk) {
        return xOk ? 1 : -1;
      }
      return Integer.signum(String.valueOf(a).compareTo(String.valueOf(b)));
    }
    for (int g = 1; g <= 3; g++) {
      int c = number(x.group(g)).compareTo(number(y.group(g)));
      if (c != 0) {
        return c;
      }
    }
    return comparePrerelease(x.group(4), y.group(4));
  }

  @Override
  public boolean isValid(String version) {
    return version != null && STRICT.matcher(version).matches();
  }

  private static BigInteger number(String digits) {
    return digits == null ? BigInteger.ZERO : new BigInteger(digits);
  }

  private static int comparePrerelease(String x, String y) {
    if (x == null || y == null) {
      return x == null ? (y == null ? 0 : 1) : -1;
    }
    String[] xs = x.split("\\.");
    String[] ys = y.split("\\.");
    for (int i = 0; i < Math.min(xs.length, ys.length); i++) {
      int c = compareIdentifier(xs[i], ys[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(xs.length, ys.length);
  }

  private static int compareIdentifier(String x, String y) {
    boolean xNum = x.chars().allMatch(ch -> ch >= '0' && ch <= '9');
    boolean yNum = y.chars().allMatch(ch -> ch >= '0' && ch <= '9');
    if (xNum && yNum) {
      return new BigInteger(x).compareTo(new BigInteger(y));
    }
    if (xNum != yNum) {
      return xNum ? -1 : 1;
    }
    return Integer.signum(x.compareTo(y));
  }
}
