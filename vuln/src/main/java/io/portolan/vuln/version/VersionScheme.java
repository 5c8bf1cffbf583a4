package io.portolan.vuln.version;

/**
 * The ordering of one packaging ecosystem's version strings, as its own tool orders them, so that
 * "installed is below fixed" means what the package manager would say.
 *
 * <p>{@link #compare} is total: it never throws, whatever the strings. Strings the scheme's grammar
 * rejects are still ordered; each implementation documents how.
 */
public interface VersionScheme {
  /** "dpkg", "rpm", "apk", "semver", "go", "maven", "pep440", "rubygems", "nuget", "composer". */
  String name();

  /** Negative, zero or positive as {@code a} sorts below, equal to or above {@code b}. */
  int compare(String a, String b);

  /** Whether {@code version} parses under this scheme's grammar. */
  boolean isValid(String version);
}
