package io.portolan.inventory.analyzer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one file of one layer says, as that layer alone shows it: the packages it records, the OS
 * it names, and, for a package database, which files its packages installed ({@code owned}). An
 * image's inventory is the overlay of these per path, which is why a layer's findings can be
 * cached and shared.
 */
public record FileFindings(String path, String analyzer, List<Package> packages, Optional<OsRelease> os,
    List<OwnedFiles> owned) {
  public FileFindings {
    packages = List.copyOf(packages);
    owned = List.copyOf(owned);
  }

  public FileFindings(String path, String analyzer, List<Package> packages, Optional<OsRelease> os) {
    this(path, analyzer, packages, os, List.of());
  }

  /**
   * The same findings for a hard link to this file: the path changes, and so does every package
   * location ({@code path} property) inside it, e.g. {@code app.jar!/lib/x.jar}.
   */
  public FileFindings relocated(String newPath) {
    List<Package> moved = new ArrayList<>(packages.size());
    for (Package p : packages) {
      String location = p.properties().get("path");
      if (location != null && (location.equals(path) || location.startsWith(path + "!/"))) {
        Map<String, String> props = new LinkedHashMap<>(p.properties());
        props.put("path", newPath + location.substring(path.length()));
        p = new Package(p.type(), p.name(), p.version(), p.architecture(), p.sourceName(), p.sourceVersion(),
            p.license(), p.vendor(), p.purl(), props);
      }
      moved.add(p);
    }
    return new FileFindings(newPath, analyzer, moved, os, owned);
  }
}
