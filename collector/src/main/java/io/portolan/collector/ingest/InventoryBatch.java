package io.portolan.collector.ingest;

import io.portolan.collector.ingest.WireMapping.InvalidMessageException;
import io.portolan.collector.inventory.InventoryComputer;
import io.portolan.collector.store.InventoryChange;
import io.portolan.collector.store.InventoryChange.LayerUnit;
import io.portolan.collector.store.InventoryStore;
import io.portolan.proto.agent.v1.ImageInventory;
import io.portolan.proto.agent.v1.LayerInventory;
import io.portolan.proto.agent.v1.LayerRef;
import io.portolan.proto.agent.v1.LayerWant;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The inventory part of one agent's commit: layer units to store, and image inventories computed
 * from units that arrived in this batch or are already stored. An image whose units are not all
 * there yet is not computed; the agent is asked for the missing ones instead.
 */
final class InventoryBatch {
  private final InventoryStore store;
  private final Map<String, LayerInventory> arrived = new HashMap<>();
  private final List<InventoryChange> changes = new ArrayList<>();
  private final List<ImageInventory> images = new ArrayList<>();
  private final List<LayerWant> wants = new ArrayList<>();

  InventoryBatch(InventoryStore store) {
    this.store = store;
  }

  void layer(LayerInventory layer) {
    LayerRef ref = layer.getRef();
    WireMapping.imageId(ref.getDiffId()); // diff IDs share the digest form of image IDs
    if (ref.getAnalyzer().isBlank() || ref.getAnalyzer().length() > 64)
      throw new InvalidMessageException("layer inventory names no (or an overlong) analyzer");
    LayerUnit unit = InventoryComputer.unit(ref);
    arrived.put(unit.key(), layer);
    int packages = layer.getFilesList().stream().mapToInt(f -> f.getPackagesCount()).sum();
    changes.add(new InventoryChange.LayerStored(unit, layer.getSizeBytes(), packages, layer.getErrorsCount(),
        layer.toByteArray()));
  }

  void image(ImageInventory image) {
    WireMapping.imageId(image.getImageId());
    images.add(image);
  }

  /** The changes to commit; reads the stored units the images need. */
  List<InventoryChange> resolve() {
    for (ImageInventory image : images) {
      Set<LayerUnit> needed = new LinkedHashSet<>();
      for (LayerRef ref : image.getLayersList()) {
        LayerUnit u = InventoryComputer.unit(ref);
        if (!arrived.containsKey(u.key())) needed.add(u);
      }
      Map<String, LayerInventory> units = new HashMap<>(arrived);
      if (!needed.isEmpty()) {
        for (Map.Entry<String, byte[]> stored : store.layerFindings(needed).entrySet()) {
          try {
            units.put(stored.getKey(), LayerInventory.parseFrom(stored.getValue()));
          } catch (InvalidProtocolBufferException e) {
            // A damaged row is as good as missing: the agent sends the unit again.
          }
        }
      }
      List<LayerRef> missing = image.getLayersList().stream()
          .filter(ref -> !units.containsKey(InventoryComputer.unit(ref).key())).toList();
      if (!missing.isEmpty()) {
        wants.add(LayerWant.newBuilder().setImageId(image.getImageId()).addAllWanted(missing).build());
        continue;
      }
      changes.add(InventoryComputer.compute(image.getImageId(), image.getLayersList(), units, image.getErrorsList()));
    }
    return changes;
  }

  List<LayerWant> wants() {
    return wants;
  }
}
