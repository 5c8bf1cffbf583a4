package io.portolan.inventory.analyzer;

import java.util.List;

/**
 * What one file of one layer says, as that layer alone shows it. An image's inventory is the
 * overlay of these per path, which is why a layer's findings can be cached and shared.
 */
public record FileFindings(String path, String analyzer, List<Package> packages, java.util.Optional<OsRelease> os) {
  public FileFindings {
    packages = List.copyOf(packages);
  }
}
