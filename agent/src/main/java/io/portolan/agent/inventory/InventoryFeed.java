package io.portolan.agent.inventory;

import io.portolan.agent.docker.InventoryListener;
import io.portolan.proto.agent.v1.Container;
import io.portolan.proto.agent.v1.Image;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Passes what the Docker watcher sees to the outbox first, then tells the inventory scheduler which
 * images exist, so new images are inventoried and removed ones forgotten.
 */
public final class InventoryFeed implements InventoryListener {
  private final InventoryListener outbox;
  private final Supplier<InventoryScheduler> scheduler;

  public InventoryFeed(InventoryListener outbox, Supplier<InventoryScheduler> scheduler) {
    this.outbox = outbox;
    this.scheduler = scheduler;
  }

  @Override
  public void snapshot(Instant takenAt, List<Image> images, List<Container> containers) {
    outbox.snapshot(takenAt, images, containers);
    InventoryScheduler s = scheduler.get();
    Set<String> present = new HashSet<>();
    for (Image i : images) {
      present.add(i.getId());
      s.imageSeen(i.getId(), i.getLayerDiffIdsList());
    }
    s.retainOnly(present);
    // The snapshot replaced older outbox entries, inventory messages among them: offer again.
    s.outboxReplaced();
    s.collectGarbage();
  }

  @Override
  public void imageUpserted(Instant observedAt, Image image) {
    outbox.imageUpserted(observedAt, image);
    scheduler.get().imageSeen(image.getId(), image.getLayerDiffIdsList());
  }

  @Override
  public void imageRemoved(Instant observedAt, String imageId) {
    outbox.imageRemoved(observedAt, imageId);
    scheduler.get().imageGone(imageId);
  }

  @Override
  public void containerUpserted(Instant observedAt, Container container) {
    outbox.containerUpserted(observedAt, container);
  }

  @Override
  public void containerRemoved(Instant observedAt, String containerId) {
    outbox.containerRemoved(observedAt, containerId);
  }
}
