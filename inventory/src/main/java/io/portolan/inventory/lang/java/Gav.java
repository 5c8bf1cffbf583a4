package io.portolan.inventory.lang.java;

/**
 * Maven coordinates. {@code group} is empty when the source names only an artifact (a file name);
 * the package is then reported under the artifact alone, which OSV's {@code group:artifact} names
 * never match, so an incomplete identity cannot produce a false match.
 */
public record Gav(String group, String artifact, String version) {
  public Gav {
    group = group == null ? "" : group;
    artifact = artifact == null ? "" : artifact;
    version = version == null ? "" : version;
  }

  /** The package name as reported: {@code group:artifact}, or the artifact alone. */
  public String name() {
    return group.isEmpty() ? artifact : group + ":" + artifact;
  }
}
