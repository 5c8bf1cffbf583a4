package io.portolan.inventory.image;

import io.portolan.inventory.analyzer.OsRelease;
import io.portolan.inventory.analyzer.Package;
import java.util.List;
import java.util.Optional;

/**
 * An image's final inventory: the packages that survive every layer's changes and whiteouts, each
 * attributed to the layer that last added or changed it, plus what each layer added, changed and
 * removed. It is a pure function of the ordered per-layer findings.
 */
public record ImageInventory(
    Optional<OsRelease> os,
    List<InstalledPackage> packages,
    List<LayerChanges> layers,
    List<LayerFindings.LayerError> errors) {
  public ImageInventory {
    packages = List.copyOf(packages);
    layers = List.copyOf(layers);
    errors = List.copyOf(errors);
  }

  /**
   * A package in the final image; {@code path} is the database or manifest that records it. An
   * OS package lists in {@code linked} the language packages found in files it installed, which
   * are not reported apart (see {@code PackageOwnership}).
   */
  public record InstalledPackage(Package pkg, String path, String diffId, List<Package> linked) {
    public InstalledPackage {
      linked = List.copyOf(linked);
    }

    public InstalledPackage(Package pkg, String path, String diffId) {
      this(pkg, path, diffId, List.of());
    }

    /**
     * Where the package is: the file that records it, or inside it for packages nested in an
     * archive ({@code app.jar!/BOOT-INF/lib/x.jar}, the analyzer's {@code path} property).
     */
    public String location() {
      String nested = pkg.properties().get("path");
      return nested != null && nested.startsWith(path) ? nested : path;
    }
  }

  /** One layer's effect on the package set, in image order. */
  public record LayerChanges(String diffId, List<Package> added, List<Package> changed, List<Package> removed) {
    public LayerChanges {
      added = List.copyOf(added);
      changed = List.copyOf(changed);
      removed = List.copyOf(removed);
    }
  }
}
