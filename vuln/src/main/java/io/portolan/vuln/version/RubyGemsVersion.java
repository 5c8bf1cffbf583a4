package io.portolan.vuln.version;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * RubyGems versions, ordered as {@code Gem::Version#<=>} (rubygems lib/rubygems/version.rb): a
 * hyphen means ".pre.", the string is split into runs of digits and runs of letters, trailing zero
 * segments are dropped from the numeric part and from the part after the first letter, missing
 * segments count as 0, any letter segment (a prerelease) sorts below any number, and letter
 * segments compare as strings. "" is "0". Numbers are arbitrary-precision, as Ruby's Integer is.
 *
 * <p>Strings Gem::Version rejects sort below every valid version, and among themselves in ordinal
 * string order.
 */
final class RubyGemsVersion implements VersionScheme {
  // Gem::Version::ANCHORED_VERSION_PATTERN; Ruby's \s is ASCII whitespace.
  private static final Pattern ANCHORED = Pattern.compile(
      "[ \\t\\r\\n\\f\\x0B]*([0-9]+(?:\\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?)?"
          + "[ \\t\\r\\n\\f\\x0B]*");
  private static final Pattern SEGMENT = Pattern.compile("[0-9]+|[a-zA-Z]+");

  @Override
  public String name() {
    return "rubygems";
  }

  @Override
  public int compare(String a, String b) {
    List<Object> x = canonicalSegments(a);
    List<Object> y = canonicalSegments(b);
    if (x == null || y == null) {
      if (x != null || y != null) {
        return x == null ? -1 : 1;
      }
      return Integer.signum(String.valueOf(a).compareTo(String.valueOf(b)));
    }
    int limit = Math.max(x.size(), y.size());
    for (int i = 0; i < limit; i++) {
      Object l = i < x.size() ? x.get(i) : BigInteger.ZERO;
      Object r = i < y.size() ? y.get(i) : BigInteger.ZERO;
      if (l.equals(r)) {
        continue;
      }
      if (l instanceof String ls && r instanceof String rs) {
        return Integer.signum(ls.compareTo(rs));
      }
      if (l instanceof BigInteger ln && r instanceof BigInteger rn) {
        return ln.compareTo(rn);
      }
      return l instanceof String ? -1 : 1;
    }
    return 0;
  }

  @Override
  public boolean isValid(String version) {
    return version != null && ANCHORED.matcher(version).matches();
  }

  private static List<Object> canonicalSegments(String version) {
    if (version == null) {
      return null;
    }
    Matcher m = ANCHORED.matcher(version);
    if (!m.matches()) {
      return null;
    }
    String v = m.group(1) == null ? "0" : m.group(1).replace("-", ".pre.");
    List<Object> numeric = new ArrayList<>();
    List<Object> rest = new ArrayList<>();
    Matcher s = SEGMENT.matcher(v);
    while (s.find()) {
      String seg = s.group();
      Object value = Character.isDigit(seg.charAt(0)) ? new BigInteger(seg) : seg;
      if (value instanceof String || !rest.isEmpty()) {
        rest.add(value);
      } else {
        numeric.add(value);
      }
    }
    dropTrailingZeros(numeric);
    dropTrailingZeros(rest);
    numeric.addAll(rest);
    return numeric;
  }

  private static void dropTrailingZeros(List<Object> segments) {
    while (!segments.isEmpty() && BigInteger.ZERO.equals(segments.get(segments.size() - 1))) {
      segments.remove(segments.size() - 1);
    }
  }
}
