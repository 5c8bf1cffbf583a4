package io.portolan.vuln.version;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Picks the version ordering for a package by its package-URL type. */
public final class VersionSchemes {
  private static final VersionScheme SEMVER = new SemVer();

  private static final Map<String, VersionScheme> BY_PURL_TYPE = Map.ofEntries(
      Map.entry("deb", new DpkgVersion()),
      Map.entry("rpm", new RpmVersion()),
      Map.entry("apk", new ApkVersion()),
      Map.entry("npm", SEMVER),
      Map.entry("cargo", SEMVER),
      Map.entry("hex", SEMVER),
      Map.entry("pub", SEMVER),
      Map.entry("golang", new GoVersion()),
      Map.entry("maven", new MavenVersion()),
      Map.entry("pypi", new Pep440Version()),
      Map.entry("gem", new RubyGemsVersion()),
      Map.entry("nuget", new NuGetVersion()),
      Map.entry("composer", new ComposerVersion()));

  private VersionSchemes() {}

  /**
   * By purl type: deb→dpkg, rpm→rpm, apk→apk, npm/cargo/hex/pub→semver, golang→go, maven→maven,
   * pypi→pep440, gem→rubygems, nuget→nuget, composer→composer. Empty for unknown types. The
   * purl spec makes types lowercase, so "DEB" is accepted as "deb".
   */
  public static Optional<VersionScheme> forEcosystem(String purlType) {
    if (purlType == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(BY_PURL_TYPE.get(purlType.toLowerCase(Locale.ROOT)));
  }
}
