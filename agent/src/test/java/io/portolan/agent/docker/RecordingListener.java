package io.portolan.agent.docker;

import io.portolan.proto.agent.v1.Container;
import io.portolan.proto.agent.v1.Image;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records everything a watcher reports, in order, as messages the tests can search. */
final class RecordingListener implements InventoryListener {

  sealed interface Seen permits Snapshot, ImageUp, ImageGone, ContainerUp, ContainerGone {
  }

  record Snapshot(List<Image> images, List<Container> containers) implements Seen {
  }

  record ImageUp(Image image) implements Seen {
  }

  record ImageGone(String id) implements Seen {
  }

  record ContainerUp(Container container) implements Seen {
  }

  record ContainerGone(String id) implements Seen {
  }

  final List<Seen> seen = new CopyOnWriteArrayList<>();

  @Override
  public void snapshot(Instant takenAt, List<Image> images, List<Container> containers) {
    seen.add(new Snapshot(images, containers));
  }

  @Override
  public void imageUpserted(Instant observedAt, Image image) {
    seen.add(new ImageUp(image));
  }

  @Override
  public void imageRemoved(Instant observedAt, String imageId) {
    seen.add(new ImageGone(imageId));
  }

  @Override
  public void containerUpserted(Instant observedAt, Container container) {
    seen.add(new ContainerUp(container));
  }

  @Override
  public void containerRemoved(Instant observedAt, String containerId) {
    seen.add(new ContainerGone(containerId));
  }

  int snapshots() {
    return (int) seen.stream().filter(Snapshot.class::isInstance).count();
  }

  Optional<Image> lastImageUpsert(String id) {
    return seen.reversed().stream()
        .flatMap(s -> s instanceof ImageUp(Image image) && image.getId().equals(id) ? java.util.stream.Stream.of(image) : java.util.stream.Stream.empty())
        .findFirst();
  }

  Optional<Container> lastContainerUpsert(String id) {
    return seen.reversed().stream()
        .flatMap(s -> s instanceof ContainerUp(Container c) && c.getId().equals(id) ? java.util.stream.Stream.of(c) : java.util.stream.Stream.empty())
        .findFirst();
  }

  boolean imageRemoved(String id) {
    return seen.contains(new ImageGone(id));
  }

  boolean containerRemoved(String id) {
    return seen.contains(new ContainerGone(id));
  }

  /** Everything reported, serialized, to search for things that must never leave the host. */
  String allText() {
    StringBuilder text = new StringBuilder();
    for (Seen s : seen) {
      text.append(s).append('\n');
    }
    return text.toString();
  }
}
