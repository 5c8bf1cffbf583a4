package io.portolan.collector.store.jdbc;

import static io.portolan.collector.store.jdbc.Columns.json;
import static io.portolan.collector.store.jdbc.Columns.nonNull;
import static io.portolan.collector.store.jdbc.Columns.setTime;

import io.portolan.collector.store.ContainerFacts;
import io.portolan.collector.store.HostChange;
import io.portolan.collector.store.HostFacts;
import io.portolan.collector.store.ImageFacts;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The write side of {@link JdbcStore}. Changes are folded per image and container ID (last one
 * wins) and then written as a handful of JDBC batches, so an initial sync costs a fixed number of
 * round trips per agent rather than one per row. Rows are written in ID order so that concurrent
 * agents inserting the same new images take row locks in the same order and cannot deadlock.
 */
final class ChangeWriter {
  /** Bounded IN lists: both databases accept far more, but huge statements defeat statement caches. */
  private static final int IN_LIST = 500;

  private static final List<String> HOST_COLUMNS = List.of("id", "name", "ips", "os", "kernel", "architecture",
      "docker_version", "docker_api_version", "agent_version", "labels", "storage_driver", "docker_root_dir", "cpus",
      "memory_bytes", "first_seen", "last_seen", "last_seq");
  private static final List<String> IMAGE_COLUMNS = List.of("id", "created", "size_bytes", "os", "architecture",
      "variant", "author", "docker_version", "config", "first_seen");
  private static final List<String> HOST_IMAGE_COLUMNS = List.of("host_id", "image_id", "first_seen", "last_seen",
      "present", "removed_at", "snapshot_id");
  private static final List<String> CONTAINER_COLUMNS = List.of("host_id", "id", "name", "names", "image_id",
      "image_ref", "state", "status", "command", "created", "started", "finished", "exit_code", "ports", "labels",
      "restart_count", "present", "removed_at", "updated", "snapshot_id");
  /** The container columns that are facts: a change in any of them moves {@code updated}. */
  private static final List<String> CONTAINER_FACTS = CONTAINER_COLUMNS.subList(2, 16);

  private final String upsertHost;
  private final String insertImage;
  private final String insertLayer;
  private final String insertHistory;
  private final String upsertHostImage;
  private final String upsertContainer;

  ChangeWriter(Dialect dialect) {
    upsertHost = dialect.upsert("hosts", HOST_COLUMNS, List.of("id"), String.join(", ",
        HOST_COLUMNS.subList(1, 14).stream().map(c -> c + " = " + Dialect.NEW + c).toList())
        + ", last_seen = " + Dialect.NEW + "last_seen");
    insertImage = dialect.insertIgnore("images", IMAGE_COLUMNS, List.of("id"));
    insertLayer = dialect.insertIgnore("image_layers", List.of("image_id", "idx", "diff_id"), List.of("image_id", "idx"));
    insertHistory = dialect.insertIgnore("image_history",
        List.of("image_id", "idx", "created", "created_by", "empty_layer", "comment"), List.of("image_id", "idx"));
    upsertHostImage = dialect.upsert("host_images", HOST_IMAGE_COLUMNS, List.of("host_id", "image_id"),
        "last_seen = {new}.last_seen, present = TRUE, removed_at = NULL, "
            + "snapshot_id = COALESCE({new}.snapshot_id, t.snapshot_id)");
    String changed = "t.present = FALSE OR " + String.join(" OR ",
        CONTAINER_FACTS.stream().map(c -> "t." + c + " IS DISTINCT FROM {new}." + c).toList());
    upsertContainer = dialect.upsert("containers", CONTAINER_COLUMNS, List.of("host_id", "id"),
        String.join(", ", CONTAINER_FACTS.stream().map(c -> c + " = {new}." + c).toList())
            + ", present = TRUE, removed_at = NULL, snapshot_id = COALESCE({new}.snapshot_id, t.snapshot_id)"
            + ", updated = CASE WHEN " + changed + " THEN {new}.updated ELSE t.updated END");
  }

  long registerHost(Connection c, String agentId, String agentVersion, HostFacts f, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(upsertHost)) {
      int i = 0;
      ps.setString(++i, agentId);
      ps.setString(++i, nonNull(f.hostName()));
      ps.setString(++i, json(f.ips()));
      ps.setString(++i, nonNull(f.os()));
      ps.setString(++i, nonNull(f.kernel()));
      ps.setString(++i, nonNull(f.architecture()));
      ps.setString(++i, nonNull(f.dockerVersion()));
      ps.setString(++i, nonNull(f.dockerApiVersion()));
      ps.setString(++i, nonNull(agentVersion));
      ps.setString(++i, json(new TreeMap<>(f.labels())));
      ps.setString(++i, nonNull(f.storageDriver()));
      ps.setString(++i, nonNull(f.dockerRootDir()));
      ps.setInt(++i, f.cpus());
      ps.setLong(++i, f.memoryBytes());
      setTime(ps, ++i, now);
      setTime(ps, ++i, now);
      ps.setLong(++i, 0);
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT last_seq FROM hosts WHERE id = ?")) {
      ps.setString(1, agentId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  void touchHosts(Connection c, List<String> agentIds, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE hosts SET last_seen = ? WHERE id = ?")) {
      for (String id : agentIds) {
        setTime(ps, 1, now);
        ps.setString(2, id);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  void apply(Connection c, String agentId, List<HostChange> changes, long lastSeq, Instant now) throws SQLException {
    // First, so the host row lock serializes two sessions of one agent (a reconnect racing the old one).
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE hosts SET last_seq = GREATEST(last_seq, ?), last_seen = ? WHERE id = ?")) {
      ps.setLong(1, lastSeq);
      setTime(ps, 2, now);
      ps.setString(3, agentId);
      if (ps.executeUpdate() == 0)
        throw new IllegalStateException("agent " + agentId + " is not registered; call registerHost first");
    }
    Pending pending = new Pending();
    for (HostChange change : changes) {
      switch (change) {
        case HostChange.SnapshotChunk chunk -> {
          for (ImageFacts image : chunk.images()) pending.upsert(image, chunk.snapshotId());
          for (ContainerFacts container : chunk.containers()) pending.upsert(container, chunk.snapshotId());
          if (chunk.last()) {
            flush(c, agentId, pending, now);
            pending = new Pending();
            sweep(c, agentId, chunk.snapshotId(), now);
          }
        }
        case HostChange.ImageUpserted u -> pending.upsert(u.image(), null);
        case HostChange.ImageRemoved r -> pending.removeImage(r.imageId());
        case HostChange.ContainerUpserted u -> pending.upsert(u.container(), null);
        case HostChange.ContainerRemoved r -> pending.removeContainer(r.containerId());
      }
    }
    flush(c, agentId, pending, now);
  }

  /** An image offered by a change; {@code snapshotId} is null for deltas, which keep the row's. */
  private record ImageOp(ImageFacts facts, String snapshotId) {}

  private record ContainerOp(ContainerFacts facts, String snapshotId) {}

  private record Tag(String repository, String tag) {}

  /** The net effect of a run of changes: per ID the last change wins; a null op means removed. */
  private static final class Pending {
    final TreeMap<String, ImageOp> images = new TreeMap<>();
    final TreeMap<String, ContainerOp> containers = new TreeMap<>();
    /** Which pending image claims each tag, so a tag moved within one batch ends on the last image. */
    final Map<Tag, String> tagOwners = new LinkedHashMap<>();
    final Map<String, Set<Tag>> tags = new TreeMap<>();

    void upsert(ImageFacts image, String snapshotId) {
      ImageOp previous = images.get(image.id());
      String snap = snapshotId != null ? snapshotId : previous == null ? null : previous.snapshotId();
      images.put(image.id(), new ImageOp(image, snap));
      Set<Tag> own = new TreeSet<>((a, b) -> a.repository().equals(b.repository())
          ? a.tag().compareTo(b.tag()) : a.repository().compareTo(b.repository()));
      for (String repoTag : image.repoTags()) {
        Tag tag = parseTag(repoTag);
        if (tag == null) continue;
        own.add(tag);
        String owner = tagOwners.put(tag, image.id());
        if (owner != null && !owner.equals(image.id()) && tags.containsKey(owner)) tags.get(owner).remove(tag);
      }
      tags.put(image.id(), own);
    }

    void removeImage(String imageId) {
      images.put(imageId, null);
      Set<Tag> own = tags.remove(imageId);
      if (own != null) own.forEach(t -> tagOwners.remove(t, imageId));
    }

    void upsert(ContainerFacts container, String snapshotId) {
      ContainerOp previous = containers.get(container.id());
      String snap = snapshotId != null ? snapshotId : previous == null ? null : previous.snapshotId();
      containers.put(container.id(), new ContainerOp(container, snap));
    }

    void removeContainer(String containerId) {
      containers.put(containerId, null);
    }
  }

  /**
   * Splits "repo:tag" at the last colon after the last slash (a registry port is not a tag).
   * Docker's "&lt;none&gt;:&lt;none&gt;" placeholder is no tag at all.
   */
  static Tag parseTag(String repoTag) {
    if (repoTag == null || repoTag.isEmpty() || repoTag.startsWith("<none>")) return null;
    int colon = repoTag.lastIndexOf(':');
    if (colon <= repoTag.lastIndexOf('/')) return new Tag(repoTag, "latest");
    return new Tag(repoTag.substring(0, colon), repoTag.substring(colon + 1));
  }

  private void flush(Connection c, String hostId, Pending p, Instant now) throws SQLException {
    List<ImageOp> upserts = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    p.images.forEach((id, op) -> {
      if (op == null) removed.add(id);
      else upserts.add(op);
    });
    if (!upserts.isEmpty()) writeImages(c, hostId, upserts, p.tags, now);
    if (!removed.isEmpty()) removeImages(c, hostId, removed, now);

    List<ContainerOp> containerUpserts = new ArrayList<>();
    List<String> containerRemovals = new ArrayList<>();
    p.containers.forEach((id, op) -> {
      if (op == null) containerRemovals.add(id);
      else containerUpserts.add(op);
    });
    if (!containerUpserts.isEmpty()) writeContainers(c, hostId, containerUpserts, now);
    if (!containerRemovals.isEmpty()) removeContainers(c, hostId, containerRemovals, now);
  }

  private void writeImages(Connection c, String hostId, List<ImageOp> ops, Map<String, Set<Tag>> tags, Instant now)
      throws SQLException {
    // Image facts are immutable per ID and shared by the fleet: only IDs never seen are written.
    Set<String> known = existingImageIds(c, ops.stream().map(op -> op.facts().id()).toList());
    List<ImageFacts> fresh = ops.stream().map(ImageOp::facts).filter(f -> !known.contains(f.id())).toList();
    if (!fresh.isEmpty()) insertImages(c, fresh, now);

    try (PreparedStatement ps = c.prepareStatement(upsertHostImage)) {
      for (ImageOp op : ops) {
        ps.setString(1, hostId);
        ps.setString(2, op.facts().id());
        setTime(ps, 3, now);
        setTime(ps, 4, now);
        ps.setBoolean(5, true);
        setTime(ps, 6, null);
        ps.setString(7, op.snapshotId());
        ps.addBatch();
      }
      ps.executeBatch();
    }
    List<String> ids = ops.stream().map(op -> op.facts().id()).toList();
    List<Tag> claimed = ops.stream().flatMap(op -> tags.getOrDefault(op.facts().id(), Set.<Tag>of()).stream()).toList();
    // Replaces the tags of the offered images and, because a tag names one image per host, takes
    // each claimed tag from whichever other image had it: one statement instead of one per tag.
    for (int from = 0; from < Math.max(ids.size(), claimed.size()); from += IN_LIST) {
      List<String> idPart = ids.subList(Math.min(from, ids.size()), Math.min(ids.size(), from + IN_LIST));
      List<Tag> tagPart = claimed.subList(Math.min(from, claimed.size()), Math.min(claimed.size(), from + IN_LIST));
      List<String> conditions = new ArrayList<>();
      if (!idPart.isEmpty()) conditions.add("image_id IN (" + Dialect.placeholders(idPart) + ")");
      if (!tagPart.isEmpty())
        conditions.add("(repository, tag) IN (" + String.join(", ", tagPart.stream().map(t -> "(?, ?)").toList()) + ")");
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM host_image_tags WHERE host_id = ? AND (" + String.join(" OR ", conditions) + ")")) {
        int i = 0;
        ps.setString(++i, hostId);
        for (String id : idPart) ps.setString(++i, id);
        for (Tag t : tagPart) {
          ps.setString(++i, t.repository());
          ps.setString(++i, t.tag());
        }
        ps.executeUpdate();
      }
    }
    for (int from = 0; from < ids.size(); from += IN_LIST) {
      List<String> idPart = ids.subList(from, Math.min(ids.size(), from + IN_LIST));
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM host_image_digests WHERE host_id = ? AND image_id IN ("
          + Dialect.placeholders(idPart) + ")")) {
        ps.setString(1, hostId);
        for (int i = 0; i < idPart.size(); i++) ps.setString(i + 2, idPart.get(i));
        ps.executeUpdate();
      }
    }
    if (!claimed.isEmpty()) {
      try (PreparedStatement insert = c.prepareStatement(
          Dialect.insert("host_image_tags", List.of("host_id", "image_id", "repository", "tag")))) {
        for (ImageOp op : ops) {
          for (Tag tag : tags.getOrDefault(op.facts().id(), Set.of())) {
            insert.setString(1, hostId);
            insert.setString(2, op.facts().id());
            insert.setString(3, tag.repository());
            insert.setString(4, tag.tag());
            insert.addBatch();
          }
        }
        insert.executeBatch();
      }
    }
    boolean anyDigests = ops.stream().anyMatch(op -> !op.facts().repoDigests().isEmpty());
    if (anyDigests) {
      try (PreparedStatement insert = c.prepareStatement(
          Dialect.insert("host_image_digests", List.of("host_id", "image_id", "repo_digest")))) {
        for (ImageOp op : ops) {
          for (String digest : new TreeSet<>(op.facts().repoDigests())) {
            if (digest == null || digest.isEmpty() || digest.startsWith("<none>")) continue;
            insert.setString(1, hostId);
            insert.setString(2, op.facts().id());
            insert.setString(3, digest);
            insert.addBatch();
          }
        }
        insert.executeBatch();
      }
    }
  }

  private Set<String> existingImageIds(Connection c, List<String> ids) throws SQLException {
    Set<String> known = new HashSet<>();
    for (int from = 0; from < ids.size(); from += IN_LIST) {
      List<String> part = ids.subList(from, Math.min(ids.size(), from + IN_LIST));
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT id FROM images WHERE id IN (" + Dialect.placeholders(part) + ")")) {
        for (int i = 0; i < part.size(); i++) ps.setString(i + 1, part.get(i));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) known.add(rs.getString(1));
        }
      }
    }
    return known;
  }

  private void insertImages(Connection c, List<ImageFacts> images, Instant now) throws SQLException {
    // Insert-if-absent, not plain insert: another agent may add the same new image concurrently.
    try (PreparedStatement img = c.prepareStatement(insertImage);
        PreparedStatement layer = c.prepareStatement(insertLayer);
        PreparedStatement hist = c.prepareStatement(insertHistory)) {
      boolean anyLayer = false;
      boolean anyHistory = false;
      for (ImageFacts f : images) {
        int i = 0;
        img.setString(++i, f.id());
        setTime(img, ++i, f.created());
        img.setLong(++i, f.sizeBytes());
        img.setString(++i, nonNull(f.os()));
        img.setString(++i, nonNull(f.architecture()));
        img.setString(++i, nonNull(f.variant()));
        img.setString(++i, nonNull(f.author()));
        img.setString(++i, nonNull(f.dockerVersion()));
        img.setString(++i, json(f.config() == null ? ImageFacts.Config.EMPTY : sortedConfig(f.config())));
        setTime(img, ++i, now);
        img.addBatch();
        for (int idx = 0; idx < f.layerDiffIds().size(); idx++) {
          layer.setString(1, f.id());
          layer.setInt(2, idx);
          layer.setString(3, f.layerDiffIds().get(idx));
          layer.addBatch();
          anyLayer = true;
        }
        for (int idx = 0; idx < f.history().size(); idx++) {
          ImageFacts.HistoryEntry h = f.history().get(idx);
          hist.setString(1, f.id());
          hist.setInt(2, idx);
          setTime(hist, 3, h.created());
          hist.setString(4, nonNull(h.createdBy()));
          hist.setBoolean(5, h.emptyLayer());
          hist.setString(6, nonNull(h.comment()));
          hist.addBatch();
          anyHistory = true;
        }
      }
      img.executeBatch();
      if (anyLayer) layer.executeBatch();
      if (anyHistory) hist.executeBatch();
    }
  }

  private static ImageFacts.Config sortedConfig(ImageFacts.Config config) {
    return new ImageFacts.Config(config.entrypoint(), config.cmd(), config.envNames(), nonNull(config.user()),
        config.exposedPorts(), new TreeMap<>(config.labels()), nonNull(config.workingDir()));
  }

  private void removeImages(Connection c, String hostId, List<String> imageIds, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
            "UPDATE host_images SET present = FALSE, removed_at = ? WHERE host_id = ? AND image_id = ? AND present = TRUE");
        PreparedStatement tags = c.prepareStatement(
            "DELETE FROM host_image_tags WHERE host_id = ? AND image_id = ?")) {
      for (String id : imageIds) {
        setTime(ps, 1, now);
        ps.setString(2, hostId);
        ps.setString(3, id);
        ps.addBatch();
        tags.setString(1, hostId);
        tags.setString(2, id);
        tags.addBatch();
      }
      ps.executeBatch();
      tags.executeBatch();
    }
  }

  private void writeContainers(Connection c, String hostId, List<ContainerOp> ops, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(upsertContainer)) {
      for (ContainerOp op : ops) {
        ContainerFacts f = op.facts();
        int i = 0;
        ps.setString(++i, hostId);
        ps.setString(++i, f.id());
        ps.setString(++i, nonNull(f.name()));
        ps.setString(++i, json(f.names()));
        ps.setString(++i, nonNull(f.imageId()));
        ps.setString(++i, nonNull(f.imageRef()));
        ps.setString(++i, nonNull(f.state()));
        ps.setString(++i, nonNull(f.status()));
        ps.setString(++i, nonNull(f.command()));
        setTime(ps, ++i, f.created());
        setTime(ps, ++i, f.started());
        setTime(ps, ++i, f.finished());
        ps.setInt(++i, f.exitCode());
        ps.setString(++i, json(f.ports()));
        ps.setString(++i, json(new TreeMap<>(f.labels())));
        ps.setInt(++i, f.restartCount());
        ps.setBoolean(++i, true);
        setTime(ps, ++i, null);
        setTime(ps, ++i, now);
        ps.setString(++i, op.snapshotId());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private void removeContainers(Connection c, String hostId, List<String> ids, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE containers SET present = FALSE, removed_at = ?, updated = ?"
        + " WHERE host_id = ? AND id = ? AND present = TRUE")) {
      for (String id : ids) {
        setTime(ps, 1, now);
        setTime(ps, 2, now);
        ps.setString(3, hostId);
        ps.setString(4, id);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** Ends a snapshot: whatever the host has that no chunk of it mentioned is gone. */
  private void sweep(Connection c, String hostId, String snapshotId, Instant now) throws SQLException {
    String stale = " host_id = ? AND present = TRUE AND (snapshot_id IS NULL OR snapshot_id <> ?)";
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM host_image_tags WHERE host_id = ? AND image_id IN"
        + " (SELECT image_id FROM host_images WHERE" + stale + ")")) {
      ps.setString(1, hostId);
      ps.setString(2, hostId);
      ps.setString(3, snapshotId);
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE host_images SET present = FALSE, removed_at = ? WHERE" + stale)) {
      setTime(ps, 1, now);
      ps.setString(2, hostId);
      ps.setString(3, snapshotId);
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE containers SET present = FALSE, removed_at = ?, updated = ? WHERE" + stale)) {
      setTime(ps, 1, now);
      setTime(ps, 2, now);
      ps.setString(3, hostId);
      ps.setString(4, snapshotId);
      ps.executeUpdate();
    }
  }
}
