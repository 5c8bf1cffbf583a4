package io.portolan.vuln.advisory;

import java.util.Locale;

/** The spelling of package names that matching compares, per ecosystem. */
public final class PackageNames {
  private PackageNames() {}

  /**
   * PyPI names compare by PEP 503 normalization; Composer, NuGet and distro names are
   * case-insensitive in practice; everything else (npm, Maven, Go, Cargo, RubyGems) is exact.
   */
  public static String normalize(String ecosystem, String name) {
    String n = name.trim();
    return switch (ecosystem) {
      case "pypi" -> n.toLowerCase(Locale.ROOT).replaceAll("[-_.]+", "-");
      case "composer", "nuget", "deb", "apk", "rpm" -> n.toLowerCase(Locale.ROOT);
      default -> n;
    };
  }
}
