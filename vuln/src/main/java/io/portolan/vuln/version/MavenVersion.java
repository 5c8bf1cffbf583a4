package io.portolan.vuln.version;

import org.apache.maven.artifact.versioning.ComparableVersion;

/**
 * Maven versions, ordered by Maven's own {@link ComparableVersion} (maven-artifact), the reference
 * implementation of the ordering Maven resolves ranges with.
 *
 * <p>Maven accepts any string as a version; {@link #isValid} only rejects what cannot be a version
 * in a POM: empty strings and strings with whitespace or control characters. A null is read as
 * the empty string. Should ComparableVersion ever throw on an odd string, that string sorts below
 * every string it accepts, and such strings order among themselves by ordinal string order.
 */
final class MavenVersion implements VersionScheme {
  @Override
  public String name() {
    return "maven";
  }

  @Override
  public int compare(String a, String b) {
    ComparableVersion x = parse(a);
    ComparableVersion y = parse(b);
    if (x == null || y == null) {
      if (x != null || y != null) {
        return x == null ? -1 : 1;
      }
      return Integer.signum(String.valueOf(a).compareTo(String.valueOf(b)));
    }
    return Integer.signum(x.compareTo(y));
  }

  @Override
  public boolean isValid(String version) {
    return version != null && !version.isEmpty()
        && version.codePoints()
            .noneMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))
        && parse(version) != null;
  }

  private static ComparableVersion parse(String v) {
    try {
      return new ComparableVersion(v == null ? "" : v);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
