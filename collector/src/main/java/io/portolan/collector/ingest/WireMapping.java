package io.portolan.collector.ingest;

import com.google.protobuf.Timestamp;
import io.portolan.collector.store.ContainerFacts;
import io.portolan.collector.store.HostChange;
import io.portolan.collector.store.HostFacts;
import io.portolan.collector.store.ImageFacts;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.Container;
import io.portolan.proto.agent.v1.Delta;
import io.portolan.proto.agent.v1.Image;
import io.portolan.proto.agent.v1.SnapshotChunk;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Turns wire messages into store changes, refusing what the store must never see: missing or
 * malformed IDs and absurd sizes. Rejections name the field so an operator can find the bad agent.
 */
final class WireMapping {
  private static final Pattern IMAGE_ID = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final Pattern CONTAINER_ID = Pattern.compile("[0-9a-f]{64}");
  private static final int MAX_TEXT = 64 * 1024;

  private WireMapping() {}

  /** A message the collector refuses; the stream goes on without it. */
  static final class InvalidMessageException extends RuntimeException {
    InvalidMessageException(String message) {
      super(message);
    }
  }

  static HostFacts hostFacts(io.portolan.proto.agent.v1.HostFacts h) {
    return new HostFacts(
        text("host.host_name", h.getHostName()),
        h.getIpsList(),
        text("host.os", h.getOs()),
        text("host.kernel", h.getKernel()),
        h.getArchitecture(),
        h.getDockerVersion(),
        h.getDockerApiVersion(),
        h.getLabelsMap(),
        h.getStorageDriver(),
        h.getDockerRootDir(),
        h.getCpus(),
        h.getMemoryBytes());
  }

  /**
   * The per-image result a durable command update carries; empty for updates about a whole
   * command, or with a status that is not a result.
   */
  static java.util.Optional<io.portolan.collector.store.ScanStore.AgentResult> scanResult(
      io.portolan.proto.agent.v1.CommandUpdate u) {
    if (u.getImageId().isEmpty()) return java.util.Optional.empty();
    String outcome = switch (u.getStatus()) {
      case COMMAND_STATUS_DONE -> "DONE";
      case COMMAND_STATUS_FAILED, COMMAND_STATUS_REJECTED -> "FAILED";
      case COMMAND_STATUS_CANCELLED -> "CANCELLED";
      default -> null;
    };
    if (outcome == null) return java.util.Optional.empty();
    if (u.getRequestId().isEmpty() || u.getRequestId().length() > 64) {
      throw new InvalidMessageException("a scan result needs a request_id of at most 64 characters");
    }
    return java.util.Optional.of(new io.portolan.collector.store.ScanStore.AgentResult(u.getRequestId(),
        imageId(u.getImageId()), outcome, text("command_update.message", u.getMessage())));
  }

  /** The durable changes one agent message carries; empty for messages that carry none. */
  static List<HostChange> changes(AgentMessage m) {
    return switch (m.getBodyCase()) {
      case SNAPSHOT -> List.of(snapshot(m.getSnapshot()));
      case DELTA -> delta(m.getDelta());
      default -> List.of();
    };
  }

  private static HostChange snapshot(SnapshotChunk s) {
    if (s.getSnapshotId().isBlank()) throw new InvalidMessageException("snapshot.snapshot_id is empty");
    return new HostChange.SnapshotChunk(
        text("snapshot.snapshot_id", s.getSnapshotId()),
        s.getLast(),
        s.getImagesList().stream().map(WireMapping::image).toList(),
        s.getContainersList().stream().map(WireMapping::container).toList());
  }

  private static List<HostChange> delta(Delta d) {
    List<HostChange> out = new ArrayList<>();
    for (Image i : d.getUpsertedImagesList()) out.add(new HostChange.ImageUpserted(image(i)));
    for (String id : d.getRemovedImageIdsList()) out.add(new HostChange.ImageRemoved(imageId(id)));
    for (Container c : d.getUpsertedContainersList()) out.add(new HostChange.ContainerUpserted(container(c)));
    for (String id : d.getRemovedContainerIdsList()) out.add(new HostChange.ContainerRemoved(containerId(id)));
    return out;
  }

  static ImageFacts image(Image i) {
    var c = i.getConfig();
    return new ImageFacts(
        imageId(i.getId()),
        i.getRepoTagsList(),
        i.getRepoDigestsList(),
        instant(i.hasCreated(), i.getCreated()),
        nonNegative("image.size_bytes", i.getSizeBytes()),
        i.getOs(),
        i.getArchitecture(),
        i.getVariant(),
        i.getLayerDiffIdsList(),
        i.getHistoryList().stream()
            .map(h -> new ImageFacts.HistoryEntry(
                instant(h.hasCreated(), h.getCreated()),
                text("image.history.created_by", h.getCreatedBy()),
                h.getEmptyLayer(),
                h.getComment()))
            .toList(),
        new ImageFacts.Config(
            c.getEntrypointList(), c.getCmdList(), c.getEnvNamesList(), c.getUser(),
            c.getExposedPortsList(), c.getLabelsMap(), c.getWorkingDir()),
        i.getAuthor(),
        i.getDockerVersion());
  }

  static ContainerFacts container(Container c) {
    return new ContainerFacts(
        containerId(c.getId()),
        c.getNamesList(),
        c.getImageId().isEmpty() ? "" : imageId(c.getImageId()),
        c.getImageRef(),
        c.getState(),
        c.getStatus(),
        text("container.command", c.getCommand()),
        instant(c.hasCreated(), c.getCreated()),
        instant(c.hasStarted(), c.getStarted()),
        instant(c.hasFinished(), c.getFinished()),
        c.getExitCode(),
        c.getPortsList().stream()
            .map(p -> new ContainerFacts.Port(p.getIp(), p.getPrivatePort(), p.getPublicPort(), p.getProtocol()))
            .toList(),
        c.getLabelsMap(),
        c.getRestartCount());
  }

  static String imageId(String id) {
    if (!IMAGE_ID.matcher(id).matches())
      throw new InvalidMessageException("image id must look like sha256:<64 hex>, got '" + abbreviate(id) + "'");
    return id;
  }

  static String containerId(String id) {
    if (!CONTAINER_ID.matcher(id).matches())
      throw new InvalidMessageException("container id must be 64 hex digits, got '" + abbreviate(id) + "'");
    return id;
  }

  private static String text(String field, String value) {
    if (value.length() > MAX_TEXT)
      throw new InvalidMessageException(field + " is longer than " + MAX_TEXT + " characters");
    return value;
  }

  private static long nonNegative(String field, long value) {
    if (value < 0) throw new InvalidMessageException(field + " is negative");
    return value;
  }

  private static Instant instant(boolean present, Timestamp t) {
    if (!present || (t.getSeconds() == 0 && t.getNanos() == 0)) return null;
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
