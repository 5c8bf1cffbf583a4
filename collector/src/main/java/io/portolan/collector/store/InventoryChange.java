package io.portolan.collector.store;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A durable inventory result from an agent, applied in the same group commit as its host changes.
 * Both variants are keyed by natural IDs, so a replay changes nothing.
 */
public sealed interface InventoryChange {

  /** One (layer, analyzer, version) unit: stored once per fleet, whoever sends it first. */
  record LayerStored(LayerUnit unit, long sizeBytes, int packageCount, int errorCount, byte[] findings)
      implements InventoryChange {}

  /** An image's inventory, computed from its units; replaces any older one of the same image. */
  record ImageInventoried(
      String imageId,
      String unitsFingerprint,
      Optional<Os> os,
      List<PackageRow> packages,
      List<LayerChangeRow> layers,
      List<String> errors) implements InventoryChange {
    public ImageInventoried {
      packages = List.copyOf(packages);
      layers = List.copyOf(layers);
      errors = List.copyOf(errors);
    }
  }

  /** A (layer, analyzer, version) unit of inventory. */
  record LayerUnit(String diffId, String analyzer, int analyzerVersion) {
    public String key() {
      return diffId + "|" + analyzer + "|" + analyzerVersion;
    }
  }

  /** The image's distribution, with the end of its security support when known. */
  record Os(String id, String name, String versionId, String codename, String prettyName,
      Optional<LocalDate> endOfLife) {}

  /**
   * One package of an image: its identity ({@code distro} like "debian-12" scopes distro packages),
   * where it is (the file that records it, or inside it for a nested archive) and the layer that
   * last added or changed it. {@code properties} are what the analyzer recorded about this copy of
   * a language package; {@code languagePurls} the language packages an OS package ships.
   */
  record PackageRow(String type, String name, String version, String architecture, String sourceName,
      String sourceVersion, String distro, String license, String purl, String path, String diffId,
      Map<String, String> properties, List<String> languagePurls) {
    public PackageRow {
      properties = Map.copyOf(properties);
      languagePurls = List.copyOf(languagePurls);
    }

    public PackageRow(String type, String name, String version, String architecture, String sourceName,
        String sourceVersion, String distro, String license, String purl, String path, String diffId) {
      this(type, name, version, architecture, sourceName, sourceVersion, distro, license, purl, path, diffId,
          Map.of(), List.of());
    }

    /** The fleet-wide identity of the package, shared by every image that has it. */
    public String key() {
      return String.join("|", type, name, version, architecture, distro, sourceName, sourceVersion, purl);
    }
  }

  /** What one layer of the image added, changed and removed. */
  record LayerChangeRow(int index, String diffId, int added, int changed, int removed) {}
}
