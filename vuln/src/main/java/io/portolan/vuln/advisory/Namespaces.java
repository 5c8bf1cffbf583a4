package io.portolan.vuln.advisory;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One spelling for a distro release, shared by feeds and inventories: "debian:12", "alpine:3.11",
 * "ubuntu:22.04", "rhel:9". Debian's tracker speaks codenames, OSV speaks numbers, os-release has
 * both; matching compares only this form.
 */
public final class Namespaces {
  private static final Map<String, String> DEBIAN_CODENAMES = Map.ofEntries(
      Map.entry("squeeze", "6"), Map.entry("wheezy", "7"), Map.entry("jessie", "8"),
      Map.entry("stretch", "9"), Map.entry("buster", "10"), Map.entry("bullseye", "11"),
      Map.entry("bookworm", "12"), Map.entry("trixie", "13"), Map.entry("forky", "14"),
      Map.entry("duke", "15"), Map.entry("sid", "unstable"), Map.entry("unstable", "unstable"));

  private Namespaces() {}

  /** The namespace of a Debian release named by codename or number; empty if unknown. */
  public static Optional<String> debian(String release) {
    String r = release.trim().toLowerCase(Locale.ROOT);
    if (r.matches("\\d+(\\.\\d+)*")) {
      return Optional.of("debian:" + r.replaceFirst("\\..*", ""));
    }
    return Optional.ofNullable(DEBIAN_CODENAMES.get(r)).map(n -> "debian:" + n);
  }

  /** "v3.11", "3.11", "3.11.5" and "edge" all name an Alpine branch; patch levels do not count. */
  public static Optional<String> alpine(String release) {
    String r = release.trim().toLowerCase(Locale.ROOT);
    if (r.startsWith("v")) {
      r = r.substring(1);
    }
    if (r.equals("edge")) {
      return Optional.of("alpine:edge");
    }
    var m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(r);
    return m.find() ? Optional.of("alpine:" + m.group(1) + "." + m.group(2)) : Optional.empty();
  }

  /** "22.04", "Pro:22.04:LTS" and "jammy 22.04.3" name Ubuntu 22.04; codenames alone do not. */
  public static Optional<String> ubuntu(String release) {
    var m = java.util.regex.Pattern.compile("(?<![\\d.])(\\d{2}\\.\\d{2})(?!\\d)").matcher(release);
    return m.find() ? Optional.of("ubuntu:" + m.group(1)) : Optional.empty();
  }

  /**
   * The namespace of a release of an RPM distro that matches on the major version only, as
   * {@link #ofOsRelease} spells it: ("rhel", "9.2") is "rhel:9", ("rocky", "8") is "rocky:8".
   */
  public static Optional<String> majorRelease(String distroId, String release) {
    var m = java.util.regex.Pattern.compile("\\d+").matcher(release);
    if (!m.find()) {
      return Optional.empty();
    }
    String major = m.group().replaceFirst("^0+(?=\\d)", "");
    return Optional.of(distroId.toLowerCase(Locale.ROOT) + ":" + major);
  }

  /**
   * The namespace of an installed distro package, from os-release's ID and VERSION_ID (or the
   * codename when VERSION_ID is missing, as on Debian testing). Empty when the distro is unknown.
   */
  public static Optional<String> ofOsRelease(String id, String versionId, String codename) {
    String os = id.trim().toLowerCase(Locale.ROOT);
    String version = versionId.trim();
    return switch (os) {
      case "debian" -> version.isEmpty() ? debian(codename) : debian(version);
      case "alpine" -> alpine(version);
      case "ubuntu" -> version.isEmpty() ? Optional.empty() : Optional.of("ubuntu:" + version);
      case "" -> Optional.empty();
      default -> version.isEmpty()
          ? Optional.empty()
          : Optional.of(os + ":" + version.replaceFirst("\\..*", ""));
    };
  }
}
