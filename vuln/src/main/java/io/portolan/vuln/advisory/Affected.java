package io.portolan.vuln.advisory;

import java.util.List;

/**
 * What one advisory says about one package in one ecosystem namespace.
 *
 * @param ecosystem the purl type of the packages this applies to: deb, apk, rpm, npm, pypi, maven,
 *     golang, cargo, gem, nuget, composer, ...
 * @param namespace the distro release for distro packages, normalized by {@link Namespaces}
 *     ("debian:12", "alpine:3.11", "ubuntu:22.04", "rhel:9"); empty for language ecosystems
 * @param packageName the name as {@link PackageNames#normalize} gives it; for distro packages the
 *     source package (deb), origin (apk) or source RPM name when {@code sourcePackage} is true
 * @param sourcePackage whether {@code packageName} names a source package rather than a binary one
 * @param state {@link AffectedState#RANGES} when {@code ranges}/{@code versions} decide; otherwise
 *     a distro tracker state that holds for every installed version
 * @param ranges each range is evaluated on its own, OSV style; a version is affected if any range
 *     or the {@code versions} list says so
 * @param versions explicit affected versions (OSV {@code versions})
 * @param severity the distro's own rating for this package (Debian urgency such as "unimportant"
 *     or "low"), empty when there is none
 * @param note the feed's reason for the state ("Minor issue", "Vulnerable code not present")
 */
public record Affected(
    String ecosystem,
    String namespace,
    String packageName,
    boolean sourcePackage,
    AffectedState state,
    List<VersionRange> ranges,
    List<String> versions,
    String severity,
    String note) {
  public Affected {
    ranges = List.copyOf(ranges);
    versions = List.copyOf(versions);
  }
}
