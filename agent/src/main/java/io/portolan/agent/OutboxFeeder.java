package io.portolan.agent;

import com.google.protobuf.Timestamp;
import io.portolan.agent.cache.AgentState;
import io.portolan.agent.cache.Supersedes;
import io.portolan.agent.docker.InventoryListener;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.Container;
import io.portolan.proto.agent.v1.Delta;
import io.portolan.proto.agent.v1.Image;
import io.portolan.proto.agent.v1.SnapshotChunk;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Turns what the watcher sees into outbox messages: snapshots in bounded chunks, and one delta
 * per object so that compaction keeps exactly the newest state of each object.
 */
public final class OutboxFeeder implements InventoryListener {

  /** Objects per snapshot chunk. */
  public static final int MAX_OBJECTS_PER_CHUNK = 200;
  /** Serialized size at which a chunk is closed early, far below the 16 MiB wire limit. */
  public static final int MAX_CHUNK_BYTES = 1024 * 1024;

  private final AgentState state;
  private final Runnable onAppend;

  public OutboxFeeder(AgentState state, Runnable onAppend) {
    this.state = Objects.requireNonNull(state, "state");
    this.onAppend = Objects.requireNonNull(onAppend, "onAppend");
  }

  @Override
  public synchronized void snapshot(Instant takenAt, List<Image> images, List<Container> containers) {
    String snapshotId = UUID.randomUUID().toString();
    Timestamp at = timestamp(takenAt);
    int chunkIndex = 0;
    SnapshotChunk.Builder chunk = SnapshotChunk.newBuilder();
    int objects = 0;
    long bytes = 0;
    int total = images.size() + containers.size();
    int written = 0;
    for (int i = 0; i < total; i++) {
      if (i < images.size()) {
        chunk.addImages(images.get(i));
        bytes += images.get(i).getSerializedSize() + 8;
      } else {
        Container container = containers.get(i - images.size());
        chunk.addContainers(container);
        bytes += container.getSerializedSize() + 8;
      }
      objects++;
      written++;
      if (written < total && (objects >= MAX_OBJECTS_PER_CHUNK || bytes >= MAX_CHUNK_BYTES)) {
        appendChunk(chunk, snapshotId, chunkIndex++, false, at);
        chunk = SnapshotChunk.newBuilder();
        objects = 0;
        bytes = 0;
      }
    }
    appendChunk(chunk, snapshotId, chunkIndex, true, at);
    onAppend.run();
  }

  private void appendChunk(SnapshotChunk.Builder chunk, String snapshotId, int index, boolean last, Timestamp at) {
    chunk.setSnapshotId(snapshotId).setChunkIndex(index).setLast(last).setTakenAt(at);
    // The first chunk supersedes everything older; later chunks must not drop their siblings.
    Supersedes supersedes = index == 0 ? Supersedes.everything() : Supersedes.nothing();
    state.append(AgentMessage.newBuilder().setSnapshot(chunk), supersedes);
  }

  @Override
  public synchronized void imageUpserted(Instant observedAt, Image image) {
    delta("i:" + image.getId(), Delta.newBuilder().setObservedAt(timestamp(observedAt)).addUpsertedImages(image));
  }

  @Override
  public synchronized void imageRemoved(Instant observedAt, String imageId) {
    delta("i:" + imageId, Delta.newBuilder().setObservedAt(timestamp(observedAt)).addRemovedImageIds(imageId));
  }

  @Override
  public synchronized void containerUpserted(Instant observedAt, Container container) {
    delta("c:" + container.getId(),
        Delta.newBuilder().setObservedAt(timestamp(observedAt)).addUpsertedContainers(container));
  }

  @Override
  public synchronized void containerRemoved(Instant observedAt, String containerId) {
    delta("c:" + containerId,
        Delta.newBuilder().setObservedAt(timestamp(observedAt)).addRemovedContainerIds(containerId));
  }

  private void delta(String objectKey, Delta.Builder delta) {
    state.append(AgentMessage.newBuilder().setDelta(delta), Supersedes.object(objectKey));
    onAppend.run();
  }

  private static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
  }
}
