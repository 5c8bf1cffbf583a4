package io.portolan.vuln.match;

import io.portolan.vuln.advisory.PackageNames;

/**
 * An installed package as matching sees it.
 *
 * @param ecosystem the purl type (deb, apk, rpm, npm, maven, ...)
 * @param namespace the distro release as {@link io.portolan.vuln.advisory.Namespaces} spells it,
 *     empty for language packages
 * @param name the binary package name, or for language packages the ecosystem's full name
 *     (see {@link #ofLanguage})
 * @param sourceName the source package (deb), origin (apk) or source RPM name; empty if unknown
 */
public record InstalledPackage(
    String ecosystem, String namespace, String name, String version, String sourceName, String sourceVersion) {

  /** The name that source-level advisories use, falling back to the binary name. */
  public String sourceOrName() {
    return sourceName.isEmpty() ? name : sourceName;
  }

  /** The version that source-level advisories compare against. */
  public String sourceOrVersion() {
    return sourceVersion.isEmpty() ? version : sourceVersion;
  }

  /**
   * A language package named the way OSV names it: Maven "group:artifact", npm "@scope/name", Go
   * and Composer "namespace/name".
   */
  public static InstalledPackage ofLanguage(String type, String purlNamespace, String purlName, String version) {
    String ns = purlNamespace == null ? "" : purlNamespace;
    String full = switch (type) {
      case "maven" -> ns.isEmpty() ? purlName : ns + ":" + purlName;
      case "npm" -> ns.isEmpty() ? purlName : (ns.startsWith("@") ? ns : "@" + ns) + "/" + purlName;
      case "golang", "composer", "github", "swift" -> ns.isEmpty() ? purlName : ns + "/" + purlName;
      default -> purlName;
    };
    return new InstalledPackage(type, "", PackageNames.normalize(type, full), version, "", "");
  }
}
