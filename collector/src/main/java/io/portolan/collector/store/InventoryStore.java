package io.portolan.collector.store;

import io.portolan.collector.store.InventoryChange.LayerUnit;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The layer inventory side of the store: units kept once per fleet, and per-image results. */
public interface InventoryStore {

  /** The keys ({@link LayerUnit#key()}) of the units not stored yet. */
  Set<String> missingUnits(Collection<LayerUnit> units);

  /** The fingerprint of the units the image's current inventory was built from, if it has one. */
  Optional<String> inventoryFingerprint(String imageId);

  /** The fingerprints of these images' current inventories, for those that have one. */
  Map<String, String> inventoryFingerprints(Collection<String> imageIds);

  /** The raw findings of stored units, by unit key. */
  Map<String, byte[]> layerFindings(Collection<LayerUnit> units);

  /** Every build step of the image, oldest first, with its layer and what the layer changed. */
  List<LayerView> imageLayers(String imageId);

  Page<PackageView> imagePackages(String imageId, PackageQuery query);

  /** Every package of the image, for the SBOM (an image holds thousands at most). */
  List<PackageView> allImagePackages(String imageId);

  Optional<InventorySummary> imageInventory(String imageId);

  /**
   * One step of the image's history. {@code diffId} is empty and {@code index} -1 for steps that
   * made no layer (ENV, CMD...). The counts are packages the layer added, changed and removed.
   */
  record LayerView(int index, String diffId, long sizeBytes, Instant created, String createdBy, boolean emptyLayer,
      int added, int changed, int removed) {}

  /**
   * A package of an image and the layer that last added or changed it. {@code path} is where it is
   * ({@code app.jar!/BOOT-INF/lib/x.jar} for a nested archive); {@code properties} what its analyzer
   * recorded (a jar's {@code identity}, {@code confidence} and {@code sha1}, a lock file's {@code
   * dev}); {@code languagePurls} the language packages an OS package ships.
   */
  record PackageView(String type, String name, String version, String architecture, String sourceName,
      String sourceVersion, String distro, String license, String purl, String path, String diffId, int layerIndex,
      Map<String, String> properties, List<String> languagePurls) {}

  /**
   * Filters of the packages tab: a name substring, a purl type (or {@code os} / {@code language}
   * for every OS or every language type), a layer (diff ID or index).
   */
  record PackageQuery(Optional<String> search, Optional<String> type, Optional<String> layer, PageRequest page) {}

  /** Where an image's inventory stands: COMPLETE, PARTIAL (some layers failed) or FAILED. */
  record InventorySummary(String status, Optional<InventoryChange.Os> os, int packageCount, List<String> errors,
      Instant updated) {}
}
