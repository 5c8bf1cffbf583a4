package io.portolan.agent.docker;

import io.portolan.proto.agent.v1.Container;
import io.portolan.proto.agent.v1.Image;
import java.time.Instant;
import java.util.List;

/**
 * Receives what the {@link DockerWatcher} sees on the engine. Calls come from one thread, in the
 * order the changes were observed.
 */
public interface InventoryListener {

  /** Everything on the engine at {@code takenAt}; anything not listed is gone. */
  void snapshot(Instant takenAt, List<Image> images, List<Container> containers);

  /** An image appeared or its tags/digests changed. */
  void imageUpserted(Instant observedAt, Image image);

  /** An image (by config digest) is no longer on the engine. */
  void imageRemoved(Instant observedAt, String imageId);

  /** A container appeared or changed state. */
  void containerUpserted(Instant observedAt, Container container);

  /** A container is no longer on the engine. */
  void containerRemoved(Instant observedAt, String containerId);
}
