package io.portolan.vuln.version;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Python package versions as PEP 440 defines them, parsed and ordered as pypa/packaging's
 * {@code packaging.version.Version} does: the same regular expression (so "1.0-dev", "1.0.alpha",
 * "1.0c1", "1.0-5", "v1.0" and other alternative spellings are accepted and normalised), trailing
 * zeros of the release ignored, dev releases below pre-releases below the release below post
 * releases, and local versions ("+abc.5") above the same public version, numeric local segments
 * above alphanumeric ones. Numbers are arbitrary-precision.
 *
 * <p>Strings PEP 440 rejects sort below every valid version, and among themselves in ordinal
 * string order (packaging's old LegacyVersion fallback is gone upstream too).
 */
final class Pep440Version implements VersionScheme {
  private static final Pattern PATTERN = Pattern.compile(
      "v?"
          + "(?:(?<epoch>[0-9]+)!)?"
          + "(?<release>[0-9]+(?:\\.[0-9]+)*)"
          + "(?<pre>[-_.]?(?<preL>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<preN>[0-9]+)?)?"
          + "(?<post>(?:-(?<postN1>[0-9]+))"
          + "|(?:[-_.]?(?<postL>post|rev|r)[-_.]?(?<postN2>[0-9]+)?))?"
          + "(?<dev>[-_.]?(?<devL>dev)[-_.]?(?<devN>[0-9]+)?)?"
          + "(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?",
      Pattern.CASE_INSENSITIVE);

  @Override
  public String name() {
    return "pep440";
  }

  @Override
  public int compare(String a, String b) {
    Key x = Key.of(a);
    Key y = Key.of(b);
    if (x == null || y == null) {
      if (x != null || y != null) {
        return x == null ? -1 : 1;
      }
      return Integer.signum(String.valueOf(a).compareTo(String.valueOf(b)));
    }
    return x.compareTo(y);
  }

  @Override
  public boolean isValid(String version) {
    return Key.of(version) != null;
  }

  /** Python's str.strip(): Java's strip() misses no-break spaces such as U+202F. */
  private static String pythonStrip(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isPythonSpace(s.charAt(start))) {
      start++;
    }
    while (end > start && isPythonSpace(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(start, end);
  }

  private static boolean isPythonSpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || (c >= 0x1c && c <= 0x1f)
        || c == 0x85;
  }

  private static BigInteger num(String digits) {
    return digits == null ? BigInteger.ZERO : new BigInteger(digits);
  }

  /**
   * packaging's _cmpkey. {@code preRank} folds its Infinity/NegativeInfinity sentinels: 0 for a
   * dev-only release (below any pre-release), 1 for a pre-release, 2 for none.
   */
  private record Key(BigInteger epoch, List<BigInteger> release, int preRank, String preLetter,
      BigInteger preNumber, BigInteger post, BigInteger dev, List<String> local)
      implements Comparable<Key> {

    static Key of(String version) {
      if (version == null) {
        return null;
      }
      Matcher m = PATTERN.matcher(pythonStrip(version));
      if (!m.matches()) {
        return null;
      }
      List<BigInteger> release = new ArrayList<>();
      for (String part : m.group("release").split("\\.")) {
        release.add(new BigInteger(part));
      }
      while (!release.isEmpty() && release.get(release.size() - 1).signum() == 0) {
        release.remove(release.size() - 1);
      }
      String preLetter = "";
      if (m.group("preL") != null) {
        preLetter = switch (m.group("preL").toLowerCase(Locale.ROOT)) {
          case "alpha", "a" -> "a";
          case "beta", "b" -> "b";
          default -> "rc";
        };
      }
      BigInteger post = null;
      if (m.group("post") != null) {
        post = num(m.group("postN1") != null ? m.group("postN1") : m.group("postN2"));
      }
      BigInteger dev = m.group("dev") != null ? num(m.group("devN")) : null;
      int preRank;
      if (m.group("pre") == null && post == null && dev != null) {
        preRank = 0;
      } else {
        preRank = m.group("pre") == null ? 2 : 1;
      }
      List<String> local = null;
      if (m.group("local") != null) {
        local = List.of(m.group("local").toLowerCase(Locale.ROOT).split("[-_.]"));
      }
      return new Key(num(m.group("epoch")), release, preRank, preLetter, num(m.group("preN")),
          post, dev, local);
    }

    @Override
    public int compareTo(Key o) {
      int c = epoch.compareTo(o.epoch);
      if (c != 0) {
        return c;
      }
      for (int i = 0; i < Math.min(release.size(), o.release.size()); i++) {
        c = release.get(i).compareTo(o.release.get(i));
        if (c != 0) {
          return c;
        }
      }
      c = Integer.compare(release.size(), o.release.size());
      if (c != 0) {
        return c;
      }
      c = Integer.compare(preRank, o.preRank);
      if (c != 0) {
        return c;
      }
      if (preRank == 1) {
        c = preLetter.compareTo(o.preLetter);
        if (c == 0) {
          c = preNumber.compareTo(o.preNumber);
        }
        if (c != 0) {
          return Integer.signum(c);
        }
      }
      // A missing post release sorts first, a missing dev release last.
      c = compareNullable(post, o.post, -1);
      if (c != 0) {
        return c;
      }
      c = compareNullable(dev, o.dev, 1);
      return c != 0 ? c : compareLocal(local, o.local);
    }

    private static int compareNullable(BigInteger x, BigInteger y, int nullSign) {
      if (x == null || y == null) {
        return x == y ? 0 : (x == null ? nullSign : -nullSign);
      }
      return x.compareTo(y);
    }

    private static int compareLocal(List<String> x, List<String> y) {
      if (x == null || y == null) {
        return x == y ? 0 : (x == null ? -1 : 1);
      }
      for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
        String p = x.get(i);
        String q = y.get(i);
        boolean pNum = p.chars().allMatch(ch -> ch >= '0' && ch <= '9');
        boolean qNum = q.chars().allMatch(ch -> ch >= '0' && ch <= '9');
        int c;
        if (pNum && qNum) {
          c = new BigInteger(p).compareTo(new BigInteger(q));
        } else if (pNum != qNum) {
          c = pNum ? 1 : -1;
        } else {
          c = Integer.signum(p.compareTo(q));
        }
        if (c != 0) {
          return c;
        }
      }
      return Integer.compare(x.size(), y.size());
    }
  }
}
