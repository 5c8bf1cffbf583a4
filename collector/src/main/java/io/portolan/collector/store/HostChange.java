package io.portolan.collector.store;

import java.util.List;

/**
 * One durable change reported by an agent. Every variant is an upsert or removal keyed by natural IDs,
 * so applying the same change twice leaves the store as applying it once.
 */
public sealed interface HostChange {

  /**
   * One chunk of a full snapshot. When the chunk marked {@code last} is applied, every image and
   * container of the host that no chunk with this {@code snapshotId} mentioned is marked removed.
   */
  record SnapshotChunk(String snapshotId, boolean last, List<ImageFacts> images, List<ContainerFacts> containers)
      implements HostChange {
    public SnapshotChunk {
      images = List.copyOf(images);
      containers = List.copyOf(containers);
    }
  }

  record ImageUpserted(ImageFacts image) implements HostChange {}

  record ImageRemoved(String imageId) implements HostChange {}

  record ContainerUpserted(ContainerFacts container) implements HostChange {}

  record ContainerRemoved(String containerId) implements HostChange {}
}
