package io.portolan.collector.store.jdbc;

import static io.portolan.collector.store.jdbc.Bulk.bigint;
import static io.portolan.collector.store.jdbc.Bulk.bool;
import static io.portolan.collector.store.jdbc.Bulk.integer;
import static io.portolan.collector.store.jdbc.Bulk.text;
import static io.portolan.collector.store.jdbc.Bulk.time;
import static io.portolan.collector.store.jdbc.Columns.json;
import static io.portolan.collector.store.jdbc.Columns.nonNull;
import static io.portolan.collector.store.jdbc.Columns.setTime;

import io.portolan.collector.store.ContainerFacts;
import io.portolan.collector.store.HostChange;
import io.portolan.collector.store.HostFacts;
import io.portolan.collector.store.ImageFacts;
import io.portolan.collector.store.IngestBatch;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The write side of {@link JdbcStore}. One write takes the registrations and changes of any number
 * of agents and issues a fixed number of statements for all of them together: each kind of row
 * (hosts, images, host images, tags, digests, containers, removals, snapshot sweeps) is one bulk
 * statement over every agent's rows (see {@link Bulk}), so a group commit of thousands of agents
 * costs a few dozen round trips rather than a dozen per agent.
 *
 * <p>Changes are folded per host and image or container ID (last one wins). Rows are written in
 * (host ID, object ID) order, and host rows are locked first in host ID order, so concurrent
 * writers inserting the same new images take row locks in one order and cannot deadlock.
 */
final class ChangeWriter {
  /** Bounded IN lists: both databases accept far more, but huge statements defeat statement caches. */
  private static final int IN_LIST = 500;

  private static final List<Bulk.Column> HOST_COLUMNS = List.of(text("id"), text("name"), text("ips"), text("os"),
      text("kernel"), text("architecture"), text("docker_version"), text("docker_api_version"),
      text("agent_version"), text("labels"), text("storage_driver"), text("docker_root_dir"), integer("cpus"),
      bigint("memory_bytes"), time("first_seen"), time("last_seen"), bigint("last_seq"));
  private static final List<Bulk.Column> IMAGE_COLUMNS = List.of(text("id"), time("created"), bigint("size_bytes"),
      text("os"), text("architecture"), text("variant"), text("author"), text("docker_version"), text("config"),
      time("first_seen"));
  private static final List<Bulk.Column> HOST_IMAGE_COLUMNS = List.of(text("host_id"), text("image_id"),
      time("first_seen"), time("last_seen"), bool("present"), time("removed_at"), text("snapshot_id"));
  private static final List<Bulk.Column> CONTAINER_COLUMNS = List.of(text("host_id"), text("id"), text("name"),
      text("names"), text("image_id"), text("image_ref"), text("state"), text("status"), text("command"),
      time("created"), time("started"), time("finished"), integer("exit_code"), text("ports"), text("labels"),
      integer("restart_count"), bool("present"), time("removed_at"), time("updated"), text("snapshot_id"));
  /** The container columns that are facts: a change in any of them moves {@code updated}. */
  private static final List<String> CONTAINER_FACTS =
      CONTAINER_COLUMNS.subList(2, 16).stream().map(Bulk.Column::name).toList();
  /** Rows of the host being written that the snapshot being ended did not mention. */
  private static final String STALE =
      " AND t.present = TRUE AND (t.snapshot_id IS NULL OR t.snapshot_id <> :snapshot_id)";

  private final Bulk upsertHost;
  private final Bulk insertImage;
  private final Bulk insertLayer;
  private final Bulk insertHistory;
  private final Bulk upsertHostImage;
  private final Bulk deleteTagsOfImage;
  private final Bulk deleteTagsByName;
  private final Bulk deleteDigestsOfImage;
  private final Bulk insertTag;
  private final Bulk insertDigest;
  private final Bulk removeHostImage;
  private final Bulk upsertContainer;
  private final Bulk removeContainer;
  private final Bulk sweepTags;
  private final Bulk sweepImages;
  private final Bulk sweepContainers;

  ChangeWriter(Dialect dialect) {
    upsertHost = dialect.upsert("hosts", HOST_COLUMNS, List.of("id"), String.join(", ",
        HOST_COLUMNS.subList(1, 14).stream().map(c -> c.name() + " = " + Dialect.NEW + c.name()).toList())
        + ", last_seen = " + Dialect.NEW + "last_seen");
    insertImage = dialect.insertIgnore("images", IMAGE_COLUMNS, List.of("id"));
    insertLayer = dialect.insertIgnore("image_layers", List.of(text("image_id"), integer("idx"), text("diff_id")),
        List.of("image_id", "idx"));
    insertHistory = dialect.insertIgnore("image_history", List.of(text("image_id"), integer("idx"), time("created"),
        text("created_by"), bool("empty_layer"), text("comment")), List.of("image_id", "idx"));
    upsertHostImage = dialect.upsert("host_images", HOST_IMAGE_COLUMNS, List.of("host_id", "image_id"),
        "last_seen = {new}.last_seen, present = TRUE, removed_at = NULL, "
            + "snapshot_id = COALESCE({new}.snapshot_id, t.snapshot_id)");
    String changed = "t.present = FALSE OR " + String.join(" OR ",
        CONTAINER_FACTS.stream().map(c -> "t." + c + " IS DISTINCT FROM {new}." + c).toList());
    upsertContainer = dialect.upsert("containers", CONTAINER_COLUMNS, List.of("host_id", "id"),
        String.join(", ", CONTAINER_FACTS.stream().map(c -> c + " = {new}." + c).toList())
            + ", present = TRUE, removed_at = NULL, snapshot_id = COALESCE({new}.snapshot_id, t.snapshot_id)"
            + ", updated = CASE WHEN " + changed + " THEN {new}.updated ELSE t.updated END");

    List<Bulk.Column> hostImage = List.of(text("host_id"), text("image_id"));
    deleteTagsOfImage = dialect.keyed(
        "DELETE FROM host_image_tags t{rows} WHERE t.host_id = :host_id AND t.image_id = :image_id", hostImage);
    deleteTagsByName = dialect.keyed("DELETE FROM host_image_tags t{rows}"
        + " WHERE t.host_id = :host_id AND t.repository = :repository AND t.tag = :tag",
        List.of(text("host_id"), text("repository"), text("tag")));
    deleteDigestsOfImage = dialect.keyed(
        "DELETE FROM host_image_digests t{rows} WHERE t.host_id = :host_id AND t.image_id = :image_id", hostImage);
    insertTag = dialect.insert("host_image_tags",
        List.of(text("host_id"), text("image_id"), text("repository"), text("tag")));
    insertDigest = dialect.insert("host_image_digests",
        List.of(text("host_id"), text("image_id"), text("repo_digest")));
    removeHostImage = dialect.keyed("UPDATE host_images t SET present = FALSE, removed_at = :ts{rows}"
        + " WHERE t.host_id = :host_id AND t.image_id = :image_id AND t.present = TRUE",
        List.of(time("ts"), text("host_id"), text("image_id")));
    removeContainer = dialect.keyed("UPDATE containers t SET present = FALSE, removed_at = :ts, updated = :ts{rows}"
        + " WHERE t.host_id = :host_id AND t.id = :id AND t.present = TRUE",
        List.of(time("ts"), text("host_id"), text("id")));

    // A tag row goes with its host image; EXISTS (rather than IN) lets PostgreSQL semi-join per host.
    sweepTags = dialect.keyed("DELETE FROM host_image_tags t{rows} WHERE t.host_id = :host_id AND EXISTS (SELECT 1"
        + " FROM host_images hi WHERE hi.host_id = t.host_id AND hi.image_id = t.image_id AND hi.present = TRUE"
        + " AND (hi.snapshot_id IS NULL OR hi.snapshot_id <> :snapshot_id))",
        List.of(text("host_id"), text("snapshot_id")));
    List<Bulk.Column> sweep = List.of(time("ts"), text("host_id"), text("snapshot_id"));
    sweepImages = dialect.keyed("UPDATE host_images t SET present = FALSE, removed_at = :ts{rows}"
        + " WHERE t.host_id = :host_id" + STALE, sweep);
    sweepContainers = dialect.keyed("UPDATE containers t SET present = FALSE, removed_at = :ts, updated = :ts{rows}"
        + " WHERE t.host_id = :host_id" + STALE, sweep);
  }

  /**
   * One agent's share of a write: a registration (may be null) and, if {@code applies}, its changes
   * up to {@code lastSeq}.
   */
  record AgentWork(String agentId, IngestBatch.Registration registration, List<HostChange> changes, long lastSeq,
      boolean applies) {}

  /**
   * Writes the work of many agents. Per agent, a registration comes before its changes, and an
   * agent listed twice is written as if by two calls in list order.
   *
   * @return per agent, the committed seq: the registered host's seq before its changes (-1 without a
   *     registration), raised to {@code lastSeq} when changes were applied
   */
  Map<String, Long> write(Connection c, List<AgentWork> works, Instant now) throws SQLException {
    // An agent twice in one call (a reconnect racing its old session) goes to a later wave, which
    // keeps "one row per key per statement" that upserts need, and the order of its two batches.
    List<List<AgentWork>> waves = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (AgentWork w : works) {
      int wave = seen.merge(w.agentId(), 1, Integer::sum) - 1;
      if (wave == waves.size()) waves.add(new ArrayList<>());
      waves.get(wave).add(w);
    }
    Map<String, Long> committed = new HashMap<>();
    for (List<AgentWork> wave : waves) {
      // Agents in a stable order, so concurrent group commits lock host rows in one order.
      wave.sort(Comparator.comparing(AgentWork::agentId));
      writeWave(c, wave, now, committed);
    }
    return committed;
  }

  private void writeWave(Connection c, List<AgentWork> works, Instant now, Map<String, Long> committed)
      throws SQLException {
    List<AgentWork> registrations = works.stream().filter(w -> w.registration() != null).toList();
    register(c, registrations, now);
    Map<String, Long> seqs = lastSeqs(c, registrations.stream().map(AgentWork::agentId).toList());
    for (AgentWork w : works) committed.put(w.agentId(), seqs.getOrDefault(w.agentId(), -1L));

    List<AgentWork> applies = works.stream().filter(AgentWork::applies).toList();
    if (applies.isEmpty()) return;
    // First, so the host row locks (taken in agent ID order) serialize two sessions of one agent.
    markApplied(c, applies, now);
    for (AgentWork w : applies) committed.merge(w.agentId(), w.lastSeq(), Math::max);

    // Each agent's changes become rounds: what to write, then (if a snapshot ended) which snapshot
    // to sweep. Round k of every agent is written together; more than one round is rare.
    List<List<Round>> rounds = new ArrayList<>();
    for (AgentWork w : applies) {
      List<Round> own = rounds(w);
      for (int k = 0; k < own.size(); k++) {
        if (k == rounds.size()) rounds.add(new ArrayList<>());
        rounds.get(k).add(own.get(k));
      }
    }
    for (List<Round> round : rounds) {
      flush(c, round, now);
      sweep(c, round.stream().filter(r -> r.sweep() != null).toList(), now);
    }
  }

  private void register(Connection c, List<AgentWork> registrations, Instant now) throws SQLException {
    List<Object[]> rows = new ArrayList<>();
    for (AgentWork w : registrations) {
      HostFacts f = w.registration().facts();
      rows.add(new Object[] {w.agentId(), nonNull(f.hostName()), json(f.ips()), nonNull(f.os()), nonNull(f.kernel()),
          nonNull(f.architecture()), nonNull(f.dockerVersion()), nonNull(f.dockerApiVersion()),
          nonNull(w.registration().agentVersion()), json(new TreeMap<>(f.labels())), nonNull(f.storageDriver()),
          nonNull(f.dockerRootDir()), f.cpus(), f.memoryBytes(), now, now, 0L});
    }
    upsertHost.run(c, rows);
  }

  private static Map<String, Long> lastSeqs(Connection c, List<String> agentIds) throws SQLException {
    Map<String, Long> seqs = new HashMap<>();
    for (int from = 0; from < agentIds.size(); from += IN_LIST) {
      List<String> part = agentIds.subList(from, Math.min(agentIds.size(), from + IN_LIST));
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT id, last_seq FROM hosts WHERE id IN (" + Dialect.placeholders(part) + ")")) {
        for (int i = 0; i < part.size(); i++) ps.setString(i + 1, part.get(i));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) seqs.put(rs.getString(1), rs.getLong(2));
        }
      }
    }
    return seqs;
  }

  /** Records each agent's seq; a JDBC batch in both dialects, because its row counts find the unregistered. */
  private static void markApplied(Connection c, List<AgentWork> applies, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE hosts SET last_seq = GREATEST(last_seq, ?), last_seen = ?, membership_version = membership_version + 1"
            + " WHERE id = ?")) {
      for (AgentWork w : applies) {
        ps.setLong(1, w.lastSeq());
        setTime(ps, 2, now);
        ps.setString(3, w.agentId());
        ps.addBatch();
      }
      int[] counts = ps.executeBatch();
      for (int i = 0; i < counts.length; i++) {
        if (counts[i] == 0)
          throw new IllegalStateException("agent " + applies.get(i).agentId()
              + " is not registered; call registerHost first");
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

  /** One host's changes up to (and including) the end of a snapshot, or to the end of its batch. */
  private record Round(String hostId, Pending pending, String sweep) {}

  private static List<Round> rounds(AgentWork w) {
    List<Round> rounds = new ArrayList<>();
    Pending pending = new Pending();
    for (HostChange change : w.changes()) {
      switch (change) {
        case HostChange.SnapshotChunk chunk -> {
          for (ImageFacts image : chunk.images()) pending.upsert(image, chunk.snapshotId());
          for (ContainerFacts container : chunk.containers()) pending.upsert(container, chunk.snapshotId());
          if (chunk.last()) {
            rounds.add(new Round(w.agentId(), pending, chunk.snapshotId()));
            pending = new Pending();
          }
        }
        case HostChange.ImageUpserted u -> pending.upsert(u.image(), null);
        case HostChange.ImageRemoved r -> pending.removeImage(r.imageId());
        case HostChange.ContainerUpserted u -> pending.upsert(u.container(), null);
        case HostChange.ContainerRemoved r -> pending.removeContainer(r.containerId());
      }
    }
    if (!pending.images.isEmpty() || !pending.containers.isEmpty()) rounds.add(new Round(w.agentId(), pending, null));
    return rounds;
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

  /**
   * Writes the net changes of many hosts. Rounds come in host ID order and each host's rows in
   * object ID order, so every bulk statement touches rows in (host, ID) order.
   */
  private void flush(Connection c, List<Round> rounds, Instant now) throws SQLException {
    // Image facts are immutable per ID and shared by the fleet: only IDs never seen are written,
    // as the first host (in ID order) offers them.
    Map<String, ImageFacts> offered = new TreeMap<>();
    List<Object[]> hostImages = new ArrayList<>();
    List<Object[]> tagsOfImage = new ArrayList<>();
    List<Object[]> tagsByName = new ArrayList<>();
    List<Object[]> digestsOfImage = new ArrayList<>();
    List<Object[]> tags = new ArrayList<>();
    List<Object[]> digests = new ArrayList<>();
    List<Object[]> imageRemovals = new ArrayList<>();
    List<Object[]> containers = new ArrayList<>();
    List<Object[]> containerRemovals = new ArrayList<>();
    for (Round r : rounds) {
      String host = r.hostId();
      Pending p = r.pending();
      for (Map.Entry<String, ImageOp> e : p.images.entrySet()) {
        String id = e.getKey();
        ImageOp op = e.getValue();
        // Tags of offered images are replaced, and those of removed images dropped.
        tagsOfImage.add(new Object[] {host, id});
        if (op == null) {
          imageRemovals.add(new Object[] {now, host, id});
          continue;
        }
        offered.putIfAbsent(id, op.facts());
        hostImages.add(new Object[] {host, id, now, now, true, null, op.snapshotId()});
        digestsOfImage.add(new Object[] {host, id});
        for (Tag tag : p.tags.getOrDefault(id, Set.of())) {
          tags.add(new Object[] {host, id, tag.repository(), tag.tag()});
          // A tag names one image per host: a claimed tag leaves whichever other image had it.
          tagsByName.add(new Object[] {host, tag.repository(), tag.tag()});
        }
        for (String digest : new TreeSet<>(op.facts().repoDigests())) {
          if (digest == null || digest.isEmpty() || digest.startsWith("<none>")) continue;
          digests.add(new Object[] {host, id, digest});
        }
      }
      for (Map.Entry<String, ContainerOp> e : p.containers.entrySet()) {
        ContainerOp op = e.getValue();
        if (op == null) containerRemovals.add(new Object[] {now, host, e.getKey()});
        else containers.add(containerRow(host, op, now));
      }
    }
    // Host-scoped rows of one host are only written under its host row lock, so the order of rows
    // by (host, repository, tag) need not match the (host, image) order of the others.
    tagsByName.sort(Comparator.comparing((Object[] row) -> (String) row[0])
        .thenComparing(row -> (String) row[1]).thenComparing(row -> (String) row[2]));

    if (!offered.isEmpty()) insertImages(c, offered, now);
    upsertHostImage.run(c, hostImages);
    deleteTagsOfImage.run(c, tagsOfImage);
    deleteTagsByName.run(c, tagsByName);
    deleteDigestsOfImage.run(c, digestsOfImage);
    insertTag.run(c, tags);
    insertDigest.run(c, digests);
    removeHostImage.run(c, imageRemovals);
    upsertContainer.run(c, containers);
    removeContainer.run(c, containerRemovals);
  }

  private void insertImages(Connection c, Map<String, ImageFacts> offered, Instant now) throws SQLException {
    Set<String> known = existingImageIds(c, List.copyOf(offered.keySet()));
    List<Object[]> images = new ArrayList<>();
    List<Object[]> layers = new ArrayList<>();
    List<Object[]> history = new ArrayList<>();
    for (ImageFacts f : offered.values()) {
      if (known.contains(f.id())) continue;
      images.add(new Object[] {f.id(), f.created(), f.sizeBytes(), nonNull(f.os()), nonNull(f.architecture()),
          nonNull(f.variant()), nonNull(f.author()), nonNull(f.dockerVersion()),
          json(f.config() == null ? ImageFacts.Config.EMPTY : sortedConfig(f.config())), now});
      for (int idx = 0; idx < f.layerDiffIds().size(); idx++)
        layers.add(new Object[] {f.id(), idx, f.layerDiffIds().get(idx)});
      for (int idx = 0; idx < f.history().size(); idx++) {
        ImageFacts.HistoryEntry h = f.history().get(idx);
        history.add(new Object[] {f.id(), idx, h.created(), nonNull(h.createdBy()), h.emptyLayer(),
            nonNull(h.comment())});
      }
    }
    // Insert-if-absent, not plain insert: another writer may add the same new image concurrently.
    insertImage.run(c, images);
    insertLayer.run(c, layers);
    insertHistory.run(c, history);
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

  private static ImageFacts.Config sortedConfig(ImageFacts.Config config) {
    return new ImageFacts.Config(config.entrypoint(), config.cmd(), config.envNames(), nonNull(config.user()),
        config.exposedPorts(), new TreeMap<>(config.labels()), nonNull(config.workingDir()));
  }

  private static Object[] containerRow(String host, ContainerOp op, Instant now) {
    ContainerFacts f = op.facts();
    return new Object[] {host, f.id(), nonNull(f.name()), json(f.names()), nonNull(f.imageId()),
        nonNull(f.imageRef()), nonNull(f.state()), nonNull(f.status()), nonNull(f.command()), f.created(),
        f.started(), f.finished(), f.exitCode(), json(f.ports()), json(new TreeMap<>(f.labels())), f.restartCount(),
        true, null, now, op.snapshotId()};
  }

  /** Ends snapshots: whatever a host has that no chunk of its snapshot mentioned is gone. */
  private void sweep(Connection c, List<Round> ended, Instant now) throws SQLException {
    if (ended.isEmpty()) return;
    List<Object[]> tags = new ArrayList<>();
    List<Object[]> rows = new ArrayList<>();
    for (Round r : ended) {
      tags.add(new Object[] {r.hostId(), r.sweep()});
      rows.add(new Object[] {now, r.hostId(), r.sweep()});
    }
    // Tags first: they are found through the host images the next statement marks removed.
    sweepTags.run(c, tags);
    sweepImages.run(c, rows);
    sweepContainers.run(c, rows);
  }
}
