package io.portolan.collector.inventory;

import io.portolan.collector.store.InventoryChange;
import io.portolan.collector.store.InventoryChange.ImageInventoried;
import io.portolan.collector.store.InventoryChange.LayerChangeRow;
import io.portolan.collector.store.InventoryChange.PackageRow;
import io.portolan.inventory.analyzer.OsRelease;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.image.ImageInventories;
import io.portolan.inventory.image.ImageInventory;
import io.portolan.inventory.image.LayerFindings;
import io.portolan.inventory.purl.Purls;
import io.portolan.proto.agent.v1.LayerInventory;
import io.portolan.proto.agent.v1.LayerRef;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds an image's inventory in the collector from the layer units it already stores: the same
 * pure overlay the agent's library runs, so nothing about an image is ever sent twice.
 */
public final class InventoryComputer {
  private static final Set<String> DISTRO_TYPES = Set.of("deb", "apk", "rpm");

  private InventoryComputer() {}

  public static InventoryChange.LayerUnit unit(LayerRef ref) {
    return new InventoryChange.LayerUnit(ref.getDiffId(), ref.getAnalyzer(), ref.getAnalyzerVersion());
  }

  private static String withDistro(String purl, OsRelease os) {
    try {
      return Purls.withDistro(purl, os);
    } catch (IllegalArgumentException e) {
      return purl; // an analyzer's malformed purl is still worth showing as it came
    }
  }

  /** Names the exact set of units an inventory was built from, so a repeated offer is recognised. */
  public static String fingerprint(List<LayerRef> units) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (LayerRef u : units) sha.update((unit(u).key() + "\n").getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The inventory of {@code imageId} from its units, base layer first; {@code stored} must hold
   * every unit (keyed by {@link InventoryChange.LayerUnit#key()}).
   */
  public static ImageInventoried compute(String imageId, List<LayerRef> units, Map<String, LayerInventory> stored,
      List<String> imageErrors) {
    List<String> diffIds = new ArrayList<>();
    List<LayerFindings> findings = new ArrayList<>();
    String previous = null;
    for (LayerRef u : units) {
      if (!u.getDiffId().equals(previous)) diffIds.add(u.getDiffId());
      previous = u.getDiffId();
      LayerInventory w = stored.get(unit(u).key());
      if (w == null) throw new IllegalArgumentException("unit " + unit(u).key() + " of " + imageId + " is not stored");
      findings.add(WireFindings.fromWire(w));
    }
    ImageInventory inv = ImageInventories.of(diffIds, findings);
    Optional<OsRelease> os = inv.os();
    List<PackageRow> packages = new ArrayList<>();
    for (ImageInventory.InstalledPackage ip : inv.packages()) {
      Package p = ip.pkg();
      boolean distroPackage = DISTRO_TYPES.contains(p.type()) && os.isPresent();
      String distro = distroPackage ? Purls.distroQualifier(os.get()) : "";
      String purl = distroPackage ? withDistro(p.purl(), os.get()) : p.purl();
      Map<String, String> properties = new TreeMap<>(p.properties());
      properties.remove("path"); // the row's path already says where the package is
      if (DISTRO_TYPES.contains(p.type())) properties.clear(); // database bookkeeping, kept in the layer unit
      packages.add(new PackageRow(p.type(), p.name(), p.version(), p.architecture(), p.sourceName(),
          p.sourceVersion(), distro, p.license(), purl, ip.location(), ip.diffId(), properties,
          ip.linked().stream().map(Package::purl).filter(u -> !u.isEmpty()).distinct().toList()));
    }
    List<LayerChangeRow> layers = new ArrayList<>();
    for (int i = 0; i < inv.layers().size(); i++) {
      ImageInventory.LayerChanges c = inv.layers().get(i);
      layers.add(new LayerChangeRow(i, c.diffId(), c.added().size(), c.changed().size(), c.removed().size()));
    }
    List<String> errors = new ArrayList<>(imageErrors);
    for (LayerFindings.LayerError e : inv.errors()) errors.add(e.path() + ": " + e.message());
    return new ImageInventoried(imageId, fingerprint(units),
        os.map(o -> new InventoryChange.Os(o.id(), o.name(), o.versionId(), o.codename(), o.prettyName(),
            o.endOfLife())),
        packages, layers, errors);
  }
}
