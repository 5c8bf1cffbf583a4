package io.portolan.inventory.analyzer;

import java.util.Map;

/**
 * One installed package as a package database or manifest records it. Strings are empty, never
 * null, when the source does not say. {@code type} is the purl type ("deb", "apk", "rpm", "maven",
 * "npm", "pypi", ...). For distro packages {@code sourceName}/{@code sourceVersion} name the source
 * package that advisories are written against.
 */
public record Package(
    String type,
    String name,
    String version,
    String architecture,
    String sourceName,
    String sourceVersion,
    String license,
    String vendor,
    String purl,
    Map<String, String> properties) {
  public Package {
    properties = Map.copyOf(properties);
  }

  /** What identifies the package within one database file, across layers. */
  public String key() {
    return type + "/" + name + "/" + architecture;
  }
}
