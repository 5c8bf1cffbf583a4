package io.portolan.collector.store.jdbc;

import static io.portolan.collector.store.jdbc.Bulk.bool;
import static io.portolan.collector.store.jdbc.Bulk.integer;
import static io.portolan.collector.store.jdbc.Bulk.text;
import static io.portolan.collector.store.jdbc.Bulk.time;
import static io.portolan.collector.store.jdbc.Columns.getTime;

import io.portolan.collector.store.Page;
import io.portolan.collector.store.PageRequest;
import io.portolan.collector.store.ScanStore.AgentResult;
import io.portolan.collector.store.ScanStore.Candidate;
import io.portolan.collector.store.ScanStore.Counts;
import io.portolan.collector.store.ScanStore.Dispatch;
import io.portolan.collector.store.ScanStore.ImageScanStatus;
import io.portolan.collector.store.ScanStore.InFlight;
import io.portolan.collector.store.ScanStore.ItemNote;
import io.portolan.collector.store.ScanStore.ItemRow;
import io.portolan.collector.store.ScanStore.JobQuery;
import io.portolan.collector.store.ScanStore.JobRow;
import io.portolan.collector.store.ScanStore.NewImage;
import io.portolan.collector.store.ScanStore.NewJob;
import io.portolan.collector.store.ScanStore.PendingItem;
import io.portolan.collector.store.ScanStore.Progress;
import io.portolan.collector.store.ScanStore.QueuedCommand;
import io.portolan.collector.store.ScanStore.RequestImage;
import io.portolan.collector.store.ScanStore.ScanRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The SQL behind {@link io.portolan.collector.store.ScanStore}. Items change state through a few
 * guarded transitions: the rows are locked and re-read first ({@code FOR UPDATE}), so two
 * collectors ending the same item (a cancel racing a result) write one outcome and one record.
 */
final class ScanJdbc {
  static final List<String> FINAL = List.of("SCANNED", "CANCELLED", "SCAN_EXCEPTION");
  static final List<String> IN_FLIGHT = List.of("DISPATCHED", "SCANNING", "COMPLETING");
  static final List<String> UNFINISHED = List.of("QUEUED", "WAITING", "DISPATCHED", "SCANNING", "COMPLETING");
  private static final List<String> FINAL_JOB = List.of("SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED");
  private static final int IN_CHUNK = 500;
  private static final int MAX_REASON = 2000;

  private final Dialect dialect;
  private final Bulk insertItems;
  private final Bulk upsertStatus;
  private final Bulk dispatchItems;
  private final Bulk waitItems;
  private final Bulk requeueItems;
  private final Bulk endItems;
  private final Bulk progressItems;
  private final Bulk progressStatus;
  private final Bulk completeItems;
  private final Bulk completeStatus;
  private final Bulk insertRecords;
  private final Bulk upsertSession;
  private final Bulk deleteSession;

  ScanJdbc(Dialect dialect) {
    this.dialect = dialect;
    insertItems = dialect.insert("scan_items", List.of(text("job_id"), text("image_id"), text("state"),
        integer("progress"), text("reason"), integer("attempts"), time("queued_at"), time("updated_at")));
    upsertStatus = dialect.upsert("image_scan_status", List.of(text("image_id"), text("status"), text("phase"),
            integer("progress"), text("reason"), text("job_id"), text("host_id"), time("updated"),
            time("last_scanned_at")), List.of("image_id"),
        "status = {new}.status, phase = {new}.phase, progress = {new}.progress, reason = {new}.reason,"
            + " job_id = {new}.job_id, host_id = {new}.host_id, updated = {new}.updated,"
            + " last_scanned_at = COALESCE({new}.last_scanned_at, t.last_scanned_at)");
    dispatchItems = dialect.keyed("UPDATE scan_items t SET state = 'DISPATCHED', progress = 0, host_id = :host_id,"
            + " request_id = :request_id, reason = '', attempts = t.attempts + 1, dispatched_at = :ts,"
            + " updated_at = :ts, before_assessed = :assessed, before_critical = :critical, before_high = :high,"
            + " before_medium = :medium, before_low = :low, before_negligible = :negligible,"
            + " before_unknown = :unknown, before_total = :total{rows}"
            + " WHERE t.job_id = :job_id AND t.image_id = :image_id AND t.state IN ('QUEUED', 'WAITING')",
        List.of(text("host_id"), text("request_id"), time("ts"), bool("assessed"), integer("critical"),
            integer("high"), integer("medium"), integer("low"), integer("negligible"), integer("unknown"),
            integer("total"), text("job_id"), text("image_id")));
    waitItems = dialect.keyed("UPDATE scan_items t SET state = 'WAITING', reason = :reason, updated_at = :ts{rows}"
            + " WHERE t.job_id = :job_id AND t.image_id = :image_id AND t.state IN ('QUEUED', 'WAITING')",
        List.of(text("reason"), time("ts"), text("job_id"), text("image_id")));
    requeueItems = dialect.keyed("UPDATE scan_items t SET state = 'QUEUED', progress = 0, host_id = NULL,"
            + " request_id = NULL, reason = :reason, updated_at = :ts{rows}"
            + " WHERE t.job_id = :job_id AND t.image_id = :image_id",
        List.of(text("reason"), time("ts"), text("job_id"), text("image_id")));
    // A COMPLETING item keeps the time its agent finished; the others end now.
    endItems = dialect.keyed("UPDATE scan_items t SET state = :state, reason = :reason, updated_at = :ts,"
            + " finished_at = :finished, progress = :progress{rows} WHERE t.job_id = :job_id AND t.image_id = :image_id",
        List.of(text("state"), text("reason"), time("ts"), time("finished"), integer("progress"), text("job_id"),
            text("image_id")));
    progressItems = dialect.keyed("UPDATE scan_items t SET state = 'SCANNING', progress = :progress,"
            + " updated_at = :ts{rows} WHERE t.request_id = :request_id AND t.image_id = :image_id"
            + " AND t.state IN ('DISPATCHED', 'SCANNING')",
        List.of(integer("progress"), time("ts"), text("request_id"), text("image_id")));
    progressStatus = dialect.keyed("UPDATE image_scan_status t SET phase = 'RUNNING', progress = :progress,"
            + " updated = :ts{rows} WHERE t.image_id = :image_id AND t.status = 'SCANNING'"
            + " AND t.phase IN ('DISPATCHED', 'RUNNING')",
        List.of(integer("progress"), time("ts"), text("image_id")));
    completeItems = dialect.keyed("UPDATE scan_items t SET state = 'COMPLETING', progress = 100, updated_at = :ts,"
            + " finished_at = :ts{rows} WHERE t.request_id = :request_id AND t.image_id = :image_id"
            + " AND t.state IN ('DISPATCHED', 'SCANNING')",
        List.of(time("ts"), text("request_id"), text("image_id")));
    completeStatus = dialect.keyed("UPDATE image_scan_status t SET phase = 'COMPLETING', progress = 100,"
            + " updated = :ts{rows} WHERE t.image_id = :image_id AND t.status = 'SCANNING'",
        List.of(time("ts"), text("image_id")));
    List<Bulk.Column> record = new ArrayList<>(List.of(text("image_id"), text("job_id"), text("host_id"),
        text("trigger_kind"), text("outcome"), text("reason"), time("started"), time("finished"),
        Bulk.bigint("duration_ms")));
    for (String when : List.of("before", "after")) {
      record.add(bool(when + "_assessed"));
      for (String s : List.of("critical", "high", "medium", "low", "negligible", "unknown", "total")) {
        record.add(integer(when + "_" + s));
      }
    }
    insertRecords = dialect.insert("scan_records", record);
    upsertSession = dialect.upsert("agent_sessions", List.of(text("agent_id"), text("collector_id"),
        time("connected_at")), List.of("agent_id"), "collector_id = {new}.collector_id,"
        + " connected_at = {new}.connected_at");
    deleteSession = dialect.keyed("DELETE FROM agent_sessions t{rows} WHERE t.agent_id = :agent_id"
        + " AND t.collector_id = :collector_id", List.of(text("agent_id"), text("collector_id")));
  }

  // ---- small helpers

  @FunctionalInterface
  private interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  private static <T> List<T> query(Connection c, String sql, List<?> params, RowMapper<T> mapper)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, params);
      List<T> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(mapper.map(rs));
      }
      return out;
    }
  }

  private static int update(Connection c, String sql, List<? extends Object> params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, params);
      return ps.executeUpdate();
    }
  }

  private static void bind(PreparedStatement ps, List<?> params) throws SQLException {
    for (int i = 0; i < params.size(); i++) {
      Object p = params.get(i);
      if (p instanceof Instant t) Columns.setTime(ps, i + 1, t);
      else if (p == null) ps.setNull(i + 1, java.sql.Types.VARCHAR);
      else ps.setObject(i + 1, p);
    }
  }

  private static String in(Collection<?> values) {
    return "(" + Dialect.placeholders(values.stream().map(String::valueOf).toList()) + ")";
  }

  private static <T> List<List<T>> chunks(Collection<T> all) {
    List<List<T>> out = new ArrayList<>();
    List<T> list = List.copyOf(all);
    for (int i = 0; i < list.size(); i += IN_CHUNK) out.add(list.subList(i, Math.min(list.size(), i + IN_CHUNK)));
    return out;
  }

  static String clip(String s) {
    if (s == null) return "";
    return s.length() <= MAX_REASON ? s : s.substring(0, MAX_REASON - 3) + "...";
  }

  private static String statusOf(String itemState) {
    return switch (itemState) {
      case "SCANNED", "CANCELLED", "SCAN_EXCEPTION" -> itemState;
      default -> "SCANNING";
    };
  }

  private static String phaseOf(String itemState) {
    return switch (itemState) {
      case "QUEUED", "WAITING", "DISPATCHED", "COMPLETING" -> itemState;
      case "SCANNING" -> "RUNNING";
      default -> "";
    };
  }

  private static Object[] statusRow(String imageId, String itemState, int progress, String reason, String jobId,
      String hostId, Instant now) {
    return new Object[] {imageId, statusOf(itemState), phaseOf(itemState), progress, clip(reason), jobId, hostId,
        now, itemState.equals("SCANNED") ? now : null};
  }

  // ---- jobs

  List<String> scopeImages(Connection c, String kind, List<String> ids) throws SQLException {
    String present = "EXISTS (SELECT 1 FROM host_images hi WHERE hi.image_id = i.id AND hi.present = TRUE)";
    if (kind.equals("ALL_IMAGES")) {
      return query(c, "SELECT i.id FROM images i WHERE " + present + " ORDER BY i.id", List.of(), rs -> rs.getString(1));
    }
    TreeSet<String> out = new TreeSet<>();
    for (List<String> part : chunks(new TreeSet<>(ids))) {
      String sql = switch (kind) {
        case "IMAGES" -> "SELECT i.id FROM images i WHERE i.id IN " + in(part);
        case "HOSTS" -> "SELECT DISTINCT hi.image_id FROM host_images hi WHERE hi.present = TRUE AND hi.host_id IN "
            + in(part);
        case "REPOSITORIES" -> "SELECT DISTINCT t.image_id FROM host_image_tags t JOIN host_images hi"
            + " ON hi.host_id = t.host_id AND hi.image_id = t.image_id AND hi.present = TRUE"
            + " WHERE t.repository IN " + in(part);
        default -> throw new IllegalArgumentException("unknown scope kind " + kind);
      };
      out.addAll(query(c, sql, part, rs -> rs.getString(1)));
    }
    return List.copyOf(out);
  }

  void createJob(Connection c, NewJob job, List<String> imageIds) throws SQLException {
    update(c, "INSERT INTO scan_jobs (id, trigger_kind, scope_kind, scope_ids, categories, requested_by, force_read,"
        + " schedule_id, state, state_reason, created, expires_at, owner, lease_until, image_count)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'QUEUED', '', ?, ?, ?, ?, ?)", java.util.Arrays.asList(job.id(), job.trigger(),
        job.scopeKind(), Columns.json(job.scopeIds()), String.join(",", job.categories()), clip(job.requestedBy()),
        job.force(), job.scheduleId().orElse(null), job.created(), job.expiresAt(), job.owner(), job.leaseUntil(),
        imageIds.size()));
    List<Object[]> items = new ArrayList<>();
    List<Object[]> statuses = new ArrayList<>();
    for (String image : new TreeSet<>(imageIds)) {
      items.add(new Object[] {job.id(), image, "QUEUED", 0, "", 0, job.created(), job.created()});
      statuses.add(statusRow(image, "QUEUED", 0, "", job.id(), null, job.created()));
    }
    insertItems.run(c, items);
    upsertStatus.run(c, statuses);
  }

  private static final String JOB_SELECT = "SELECT j.* FROM scan_jobs j";

  private static JobRow job(ResultSet rs, Map<String, Integer> items, int progressSum) throws SQLException {
    String categories = rs.getString("categories");
    return new JobRow(rs.getString("id"), rs.getString("trigger_kind"), rs.getString("scope_kind"),
        Columns.strings(rs.getString("scope_ids")), categories.isEmpty() ? List.of() : List.of(categories.split(",")),
        rs.getString("requested_by"), rs.getBoolean("force_read"), Optional.ofNullable(rs.getString("schedule_id")),
        rs.getString("state"), rs.getString("state_reason"), getTime(rs, "created"), getTime(rs, "started"),
        getTime(rs, "finished"), getTime(rs, "expires_at"), rs.getString("owner"), getTime(rs, "lease_until"),
        rs.getInt("image_count"), items, progressSum);
  }

  /** Item counts per state and the summed progress of each job, in one grouped read. */
  private record Tally(Map<String, Integer> states, int progress) {}

  private static Map<String, Tally> tallies(Connection c, Collection<String> jobIds) throws SQLException {
    Map<String, Map<String, Integer>> states = new HashMap<>();
    Map<String, Integer> progress = new HashMap<>();
    for (List<String> part : chunks(jobIds)) {
      try (PreparedStatement ps = c.prepareStatement("SELECT job_id, state, COUNT(*), SUM(CASE WHEN state IN"
          + " ('DISPATCHED', 'SCANNING', 'COMPLETING') THEN progress ELSE 0 END) FROM scan_items WHERE job_id IN "
          + in(part) + " GROUP BY job_id, state")) {
        bind(ps, part);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            states.computeIfAbsent(rs.getString(1), k -> new TreeMap<>()).put(rs.getString(2), rs.getInt(3));
            progress.merge(rs.getString(1), rs.getInt(4), Integer::sum);
          }
        }
      }
    }
    Map<String, Tally> out = new HashMap<>();
    for (String id : jobIds) out.put(id, new Tally(states.getOrDefault(id, Map.of()), progress.getOrDefault(id, 0)));
    return out;
  }

  private static List<JobRow> withTallies(Connection c, String sql, List<?> params) throws SQLException {
    List<String> ids = query(c, sql.replace("SELECT j.*", "SELECT j.id"), params, rs -> rs.getString(1));
    if (ids.isEmpty()) return List.of();
    Map<String, Tally> tallies = tallies(c, ids);
    return query(c, sql, params, rs -> {
      Tally t = tallies.getOrDefault(rs.getString("id"), new Tally(Map.of(), 0));
      return job(rs, t.states(), t.progress());
    });
  }

  Optional<JobRow> job(Connection c, String jobId) throws SQLException {
    return withTallies(c, JOB_SELECT + " WHERE j.id = ?", List.of(jobId)).stream().findFirst();
  }

  Page<JobRow> jobs(Connection c, JobQuery q) throws SQLException {
    List<String> where = new ArrayList<>();
    List<Object> params = new ArrayList<>();
    q.state().ifPresent(s -> {
      where.add("j.state = ?");
      params.add(s);
    });
    q.trigger().ifPresent(t -> {
      where.add("j.trigger_kind = ?");
      params.add(t);
    });
    q.scheduleId().ifPresent(s -> {
      where.add("j.schedule_id = ?");
      params.add(s);
    });
    String w = where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where);
    long total = query(c, "SELECT COUNT(*) FROM scan_jobs j" + w, params, rs -> rs.getLong(1)).get(0);
    List<Object> paged = new ArrayList<>(params);
    paged.add(q.page().size());
    paged.add(q.page().offset());
    List<JobRow> rows = withTallies(c, JOB_SELECT + w + " ORDER BY j.created DESC, j.id DESC LIMIT ? OFFSET ?",
        paged);
    return new Page<>(rows, total, q.page().page(), q.page().size());
  }

  Page<ItemRow> jobItems(Connection c, String jobId, Optional<String> state, PageRequest page) throws SQLException {
    List<Object> params = new ArrayList<>(List.of(jobId));
    String w = " WHERE si.job_id = ?";
    if (state.isPresent()) {
      w += " AND si.state = ?";
      params.add(state.get());
    }
    long total = query(c, "SELECT COUNT(*) FROM scan_items si" + w, params, rs -> rs.getLong(1)).get(0);
    List<Object> paged = new ArrayList<>(params);
    paged.add(page.size());
    paged.add(page.offset());
    List<ItemRow> rows = query(c, "SELECT si.*, h.name AS host_name FROM scan_items si LEFT JOIN hosts h"
        + " ON h.id = si.host_id" + w + " ORDER BY si.image_id LIMIT ? OFFSET ?", paged, rs -> new ItemRow(
        rs.getString("job_id"), rs.getString("image_id"), List.of(), rs.getString("state"), rs.getInt("progress"),
        rs.getString("host_id"), rs.getString("host_name"), rs.getString("request_id"), rs.getString("reason"),
        rs.getInt("attempts"), getTime(rs, "queued_at"), getTime(rs, "dispatched_at"), getTime(rs, "updated_at"),
        getTime(rs, "finished_at")));
    Map<String, List<String>> tags = tags(c, rows.stream().map(ItemRow::imageId).toList());
    List<ItemRow> items = rows.stream().map(r -> new ItemRow(r.jobId(), r.imageId(),
        tags.getOrDefault(r.imageId(), List.of()), r.state(), r.progress(), r.hostId(), r.hostName(), r.requestId(),
        r.reason(), r.attempts(), r.queuedAt(), r.dispatchedAt(), r.updatedAt(), r.finishedAt())).toList();
    return new Page<>(items, total, page.page(), page.size());
  }

  private static Map<String, List<String>> tags(Connection c, List<String> imageIds) throws SQLException {
    Map<String, List<String>> out = new HashMap<>();
    for (List<String> part : chunks(new TreeSet<>(imageIds))) {
      for (String[] row : query(c, "SELECT DISTINCT image_id, repository, tag FROM host_image_tags WHERE image_id IN "
          + in(part) + " ORDER BY image_id, repository, tag", part,
          rs -> new String[] {rs.getString(1), rs.getString(2) + ":" + rs.getString(3)})) {
        out.computeIfAbsent(row[0], k -> new ArrayList<>()).add(row[1]);
      }
    }
    return out;
  }

  List<JobRow> claimJobs(Connection c, String owner, Instant now, Instant leaseUntil) throws SQLException {
    // A row another collector renews concurrently is re-checked after its lock: not taken.
    update(c, "UPDATE scan_jobs SET owner = ?, lease_until = ? WHERE state NOT IN " + in(FINAL_JOB)
        + " AND (owner = ? OR owner IS NULL OR lease_until IS NULL OR lease_until < ?)",
        concat(List.of(owner, leaseUntil), FINAL_JOB, List.of(owner, now)));
    return withTallies(c, JOB_SELECT + " WHERE j.owner = ? AND j.state NOT IN " + in(FINAL_JOB)
        + " ORDER BY j.created, j.id", concat(List.of(owner), FINAL_JOB, List.of()));
  }

  private static List<Object> concat(List<?> a, List<?> b, List<?> c) {
    List<Object> out = new ArrayList<>(a);
    out.addAll(b);
    out.addAll(c);
    return out;
  }

  boolean setJobState(Connection c, String jobId, Collection<String> from, String to, String reason, Instant now)
      throws SQLException {
    String stamps = (to.equals("RUNNING") ? ", started = COALESCE(started, ?)" : "")
        + (FINAL_JOB.contains(to) ? ", finished = ?" : "");
    List<Object> params = new ArrayList<>(List.of(to, clip(reason)));
    if (to.equals("RUNNING")) params.add(now);
    if (FINAL_JOB.contains(to)) params.add(now);
    params.add(jobId);
    params.addAll(from);
    return update(c, "UPDATE scan_jobs SET state = ?, state_reason = ?" + stamps + " WHERE id = ? AND state IN "
        + in(from), params) > 0;
  }

  // ---- dispatch

  List<PendingItem> pendingItems(Connection c, String jobId, int limit) throws SQLException {
    // Items are read first (bounded), then the hosts of their images.
    record Item(String imageId, String state, String reason, int attempts) {}
    List<Item> items = query(c, "SELECT si.image_id, si.state, si.reason, si.attempts FROM scan_items si"
        + " WHERE si.job_id = ?"
        + " AND si.state IN ('QUEUED', 'WAITING') AND NOT EXISTS (SELECT 1 FROM scan_items o WHERE"
        + " o.image_id = si.image_id AND o.job_id <> si.job_id AND o.state IN ('DISPATCHED', 'SCANNING', 'COMPLETING'))"
        + " ORDER BY si.image_id LIMIT ?", List.of(jobId, limit),
        rs -> new Item(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4)));
    Map<String, List<Candidate>> hosts = new HashMap<>();
    for (List<Item> part : chunks(items)) {
      List<String> ids = part.stream().map(Item::imageId).toList();
      try (PreparedStatement ps = c.prepareStatement("SELECT hi.image_id, h.id, h.name, h.last_seen FROM host_images hi"
          + " JOIN hosts h ON h.id = hi.host_id WHERE hi.present = TRUE AND hi.image_id IN " + in(ids))) {
        bind(ps, ids);
        ps.setFetchSize(10_000);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            hosts.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                .add(new Candidate(rs.getString(2), rs.getString(3), getTime(rs, "last_seen")));
          }
        }
      }
    }
    List<PendingItem> out = new ArrayList<>(items.size());
    for (Item i : items) {
      out.add(new PendingItem(jobId, i.imageId(), i.state(), i.reason(), i.attempts(),
          hosts.getOrDefault(i.imageId(), List.of())));
    }
    return out;
  }

  Map<String, Integer> hostLoad(Connection c) throws SQLException {
    Map<String, Integer> out = new HashMap<>();
    for (Object[] row : query(c, "SELECT host_id, COUNT(*) FROM scan_items WHERE state IN"
        + " ('DISPATCHED', 'SCANNING', 'COMPLETING') AND host_id IS NOT NULL GROUP BY host_id", List.of(),
        rs -> new Object[] {rs.getString(1), rs.getInt(2)})) {
      out.put((String) row[0], (Integer) row[1]);
    }
    return out;
  }

  /** Current vulnerability counts of images (absent: never assessed). */
  private static Map<String, Counts> counts(Connection c, Collection<String> imageIds) throws SQLException {
    Map<String, Counts> out = new HashMap<>();
    for (List<String> part : chunks(new TreeSet<>(imageIds))) {
      for (Object[] row : query(c, "SELECT image_id, critical, high, medium, low, negligible, unrated, total"
          + " FROM image_vulnerabilities WHERE image_id IN " + in(part), part, rs -> new Object[] {rs.getString(1),
          new Counts(true, rs.getInt(2), rs.getInt(3), rs.getInt(4), rs.getInt(5), rs.getInt(6), rs.getInt(7),
              rs.getInt(8))})) {
        out.put((String) row[0], (Counts) row[1]);
      }
    }
    return out;
  }

  void markDispatched(Connection c, List<Dispatch> dispatches, Instant now) throws SQLException {
    if (dispatches.isEmpty()) return;
    Map<String, Counts> before = counts(c, dispatches.stream().map(Dispatch::imageId).toList());
    List<Object[]> rows = new ArrayList<>();
    List<Object[]> statuses = new ArrayList<>();
    for (Dispatch d : inItemOrder(dispatches, Dispatch::jobId, Dispatch::imageId)) {
      Counts b = before.getOrDefault(d.imageId(), Counts.NONE);
      rows.add(new Object[] {d.hostId(), d.requestId(), now, b.assessed(), b.critical(), b.high(), b.medium(), b.low(),
          b.negligible(), b.unknown(), b.total(), d.jobId(), d.imageId()});
      statuses.add(statusRow(d.imageId(), "DISPATCHED", 0, "", d.jobId(), d.hostId(), now));
    }
    dispatchItems.run(c, rows);
    upsertStatus.run(c, dedupeStatuses(statuses));
  }

  /**
   * Items in (job, image) order, the order their rows are locked and written in, so that two
   * collectors writing overlapping batches cannot deadlock.
   */
  private static <T> List<T> inItemOrder(Collection<T> items, java.util.function.Function<T, String> jobId,
      java.util.function.Function<T, String> imageId) {
    List<T> out = new ArrayList<>(items);
    out.sort(java.util.Comparator.comparing(jobId).thenComparing(imageId));
    return out;
  }

  /** One status row per image (PostgreSQL refuses to upsert a row twice in one statement), in ID order. */
  private static List<Object[]> dedupeStatuses(List<Object[]> rows) {
    Map<String, Object[]> byImage = new TreeMap<>();
    for (Object[] r : rows) byImage.put((String) r[0], r);
    return List.copyOf(byImage.values());
  }

  void markWaiting(Connection c, List<ItemNote> items, Instant now) throws SQLException {
    if (items.isEmpty()) return;
    List<Object[]> rows = new ArrayList<>();
    List<Object[]> statuses = new ArrayList<>();
    for (ItemNote n : sortedNotes(items)) {
      rows.add(new Object[] {clip(n.reason()), now, n.jobId(), n.imageId()});
      statuses.add(statusRow(n.imageId(), "WAITING", 0, n.reason(), n.jobId(), null, now));
    }
    waitItems.run(c, rows);
    upsertStatus.run(c, dedupeStatuses(statuses));
  }

  private static List<ItemNote> sortedNotes(Collection<ItemNote> notes) {
    return inItemOrder(notes, ItemNote::jobId, ItemNote::imageId);
  }

  void requeue(Connection c, List<ItemNote> items, Instant now) throws SQLException {
    if (items.isEmpty()) return;
    List<ItemNote> locked = lockNotes(c, items, List.of("DISPATCHED", "SCANNING"));
    List<Object[]> rows = new ArrayList<>();
    List<Object[]> statuses = new ArrayList<>();
    for (ItemNote n : locked) {
      rows.add(new Object[] {clip(n.reason()), now, n.jobId(), n.imageId()});
      statuses.add(statusRow(n.imageId(), "QUEUED", 0, n.reason(), n.jobId(), null, now));
    }
    requeueItems.run(c, rows);
    upsertStatus.run(c, dedupeStatuses(statuses));
  }

  private static final String INFLIGHT_COLUMNS = "si.job_id, si.image_id, si.state, si.host_id, si.request_id,"
      + " si.attempts, si.dispatched_at, si.updated_at";

  private static InFlight inFlight(ResultSet rs) throws SQLException {
    return new InFlight(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
        rs.getInt(6), getTime(rs, "dispatched_at"), getTime(rs, "updated_at"), null, null);
  }

  List<InFlight> inFlight(Connection c, Optional<String> jobId, Optional<String> hostId) throws SQLException {
    List<Object> params = new ArrayList<>(IN_FLIGHT);
    String w = " WHERE si.state IN " + in(IN_FLIGHT);
    if (jobId.isPresent()) {
      w += " AND si.job_id = ?";
      params.add(jobId.get());
    }
    if (hostId.isPresent()) {
      w += " AND si.host_id = ?";
      params.add(hostId.get());
    }
    return query(c, "SELECT " + INFLIGHT_COLUMNS + ", h.name, h.last_seen FROM scan_items si LEFT JOIN hosts h"
        + " ON h.id = si.host_id" + w + " ORDER BY si.job_id, si.image_id", params, rs -> new InFlight(
        rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getInt(6),
        getTime(rs, "dispatched_at"), getTime(rs, "updated_at"), rs.getString("name"), getTime(rs, "last_seen")));
  }

  /** The named items still in one of {@code states}, locked for this transaction, with their reasons. */
  private static List<ItemNote> lockNotes(Connection c, Collection<ItemNote> notes, List<String> states)
      throws SQLException {
    Map<String, ItemNote> byKey = new TreeMap<>();
    for (ItemNote n : notes) byKey.put(n.jobId() + "\u0000" + n.imageId(), n);
    List<ItemNote> out = new ArrayList<>();
    for (List<ItemNote> part : chunks(byKey.values())) {
      List<Object> params = new ArrayList<>();
      StringBuilder keys = new StringBuilder();
      for (ItemNote n : part) {
        keys.append(keys.isEmpty() ? "" : " OR ").append("(si.job_id = ? AND si.image_id = ?)");
        params.add(n.jobId());
        params.add(n.imageId());
      }
      params.addAll(states);
      for (String[] k : query(c, "SELECT si.job_id, si.image_id FROM scan_items si WHERE (" + keys
          + ") AND si.state IN " + in(states) + " ORDER BY si.job_id, si.image_id FOR UPDATE", params,
          rs -> new String[] {rs.getString(1), rs.getString(2)})) {
        out.add(byKey.get(k[0] + "\u0000" + k[1]));
      }
    }
    return out;
  }

  /** What ending an item needs: where and when it ran, the job's trigger, the counts before. */
  private record Ending(String jobId, String imageId, String hostId, Instant dispatchedAt, Instant finishedAt,
      String trigger, Counts before) {}

  private static List<Ending> endings(Connection c, Collection<ItemNote> notes) throws SQLException {
    List<Ending> out = new ArrayList<>();
    for (List<ItemNote> part : chunks(notes)) {
      List<Object> params = new ArrayList<>();
      StringBuilder keys = new StringBuilder();
      for (ItemNote n : part) {
        keys.append(keys.isEmpty() ? "" : " OR ").append("(si.job_id = ? AND si.image_id = ?)");
        params.add(n.jobId());
        params.add(n.imageId());
      }
      out.addAll(query(c, "SELECT si.job_id, si.image_id, si.host_id, si.dispatched_at, j.trigger_kind,"
          + " si.before_assessed, si.before_critical, si.before_high, si.before_medium, si.before_low,"
          + " si.before_negligible, si.before_unknown, si.before_total, si.finished_at FROM scan_items si"
          + " JOIN scan_jobs j ON j.id = si.job_id WHERE " + keys, params, rs -> new Ending(rs.getString(1),
          rs.getString(2), rs.getString(3), getTime(rs, "dispatched_at"), getTime(rs, "finished_at"),
          rs.getString(5), rs.getObject(6) == null ? null
          : new Counts(rs.getBoolean(6), rs.getInt(7), rs.getInt(8), rs.getInt(9), rs.getInt(10), rs.getInt(11),
              rs.getInt(12), rs.getInt(13)))));
    }
    return out;
  }

  /**
   * Ends locked items with {@code outcome}, writing their statuses and records. {@code reasons}
   * and {@code outcomes} are by job and image; counts after are the image's counts now.
   */
  private void end(Connection c, List<ItemNote> locked, Map<String, String> outcomes, Instant now)
      throws SQLException {
    if (locked.isEmpty()) return;
    Map<String, String> reasons = new HashMap<>();
    for (ItemNote n : locked) reasons.put(n.jobId() + "\u0000" + n.imageId(), n.reason());
    List<Ending> endings = endings(c, locked);
    Map<String, Counts> after = counts(c, endings.stream().map(Ending::imageId).toList());
    List<Object[]> items = new ArrayList<>();
    List<Object[]> statuses = new ArrayList<>();
    List<Object[]> records = new ArrayList<>();
    endings.sort((a, b) -> {
      int x = a.jobId().compareTo(b.jobId());
      return x != 0 ? x : a.imageId().compareTo(b.imageId());
    });
    for (Ending e : endings) {
      String key = e.jobId() + "\u0000" + e.imageId();
      String outcome = outcomes.get(key);
      String reason = clip(reasons.get(key));
      Counts now2 = after.getOrDefault(e.imageId(), Counts.NONE);
      Counts before = e.before() != null ? e.before() : now2;
      Instant finished = e.finishedAt() != null ? e.finishedAt() : now;
      items.add(new Object[] {outcome, reason, now, finished, outcome.equals("SCANNED") ? 100 : 0, e.jobId(),
          e.imageId()});
      Object[] status = statusRow(e.imageId(), outcome, outcome.equals("SCANNED") ? 100 : 0, reason, e.jobId(),
          e.hostId(), now);
      if (outcome.equals("SCANNED")) status[8] = finished; // the last scan is when the agent finished it
      statuses.add(status);
      records.add(record(e, outcome, reason, finished, before, now2));
    }
    endItems.run(c, items);
    upsertStatus.run(c, dedupeStatuses(statuses));
    insertRecords.run(c, records);
  }

  private static Object[] record(Ending e, String outcome, String reason, Instant finished, Counts before,
      Counts after) {
    Long duration = e.dispatchedAt() == null ? null : Duration.between(e.dispatchedAt(), finished).toMillis();
    return new Object[] {e.imageId(), e.jobId(), e.hostId(), e.trigger(), outcome, reason, e.dispatchedAt(),
        finished, duration, before.assessed(), before.critical(), before.high(), before.medium(), before.low(),
        before.negligible(), before.unknown(), before.total(), after.assessed(), after.critical(), after.high(),
        after.medium(), after.low(), after.negligible(), after.unknown(), after.total()};
  }

  void endItems(Connection c, List<ItemNote> items, String outcome, Instant now) throws SQLException {
    List<ItemNote> locked = lockNotes(c, items, UNFINISHED);
    Map<String, String> outcomes = new HashMap<>();
    for (ItemNote n : locked) outcomes.put(n.jobId() + "\u0000" + n.imageId(), outcome);
    end(c, locked, outcomes, now);
  }

  List<InFlight> cancelItems(Connection c, Optional<String> jobId, Collection<String> imageIds, String reason,
      Instant now) throws SQLException {
    List<InFlight> unfinished = new ArrayList<>();
    if (jobId.isPresent() && imageIds.isEmpty()) {
      unfinished.addAll(query(c, "SELECT " + INFLIGHT_COLUMNS + " FROM scan_items si WHERE si.job_id = ? AND si.state IN "
          + in(UNFINISHED) + " ORDER BY si.job_id, si.image_id FOR UPDATE", concat(List.of(jobId.get()), UNFINISHED,
          List.of()), ScanJdbc::inFlight));
    } else {
      for (List<String> part : chunks(new TreeSet<>(imageIds))) {
        List<Object> params = new ArrayList<>(part);
        String w = "si.image_id IN " + in(part);
        if (jobId.isPresent()) {
          w += " AND si.job_id = ?";
          params.add(jobId.get());
        }
        params.addAll(UNFINISHED);
        unfinished.addAll(query(c, "SELECT " + INFLIGHT_COLUMNS + " FROM scan_items si WHERE " + w
            + " AND si.state IN " + in(UNFINISHED) + " ORDER BY si.job_id, si.image_id FOR UPDATE", params,
            ScanJdbc::inFlight));
      }
    }
    List<ItemNote> notes = unfinished.stream().map(f -> new ItemNote(f.jobId(), f.imageId(), reason)).toList();
    Map<String, String> outcomes = new HashMap<>();
    for (ItemNote n : notes) outcomes.put(n.jobId() + "\u0000" + n.imageId(), "CANCELLED");
    end(c, notes, outcomes, now);
    return unfinished;
  }

  List<InFlight> pauseItems(Connection c, String jobId, String reason, Instant now) throws SQLException {
    List<InFlight> flying = query(c, "SELECT " + INFLIGHT_COLUMNS + " FROM scan_items si WHERE si.job_id = ?"
        + " AND si.state IN ('DISPATCHED', 'SCANNING') ORDER BY si.job_id, si.image_id FOR UPDATE", List.of(jobId),
        ScanJdbc::inFlight);
    List<Object[]> rows = new ArrayList<>();
    List<Object[]> statuses = new ArrayList<>();
    for (InFlight f : flying) {
      rows.add(new Object[] {clip(reason), now, f.jobId(), f.imageId()});
      statuses.add(statusRow(f.imageId(), "QUEUED", 0, reason, f.jobId(), null, now));
    }
    requeueItems.run(c, rows);
    upsertStatus.run(c, dedupeStatuses(statuses));
    // Queued items show the pause too, so the images list says why nothing moves.
    update(c, "UPDATE scan_items SET reason = ? WHERE job_id = ? AND state IN ('QUEUED', 'WAITING')",
        List.of(clip(reason), jobId));
    return flying;
  }

  int expireItems(Connection c, String jobId, String reason, Instant now) throws SQLException {
    List<InFlight> unfinished = query(c, "SELECT " + INFLIGHT_COLUMNS + " FROM scan_items si WHERE si.job_id = ?"
        + " AND si.state IN " + in(UNFINISHED) + " ORDER BY si.job_id, si.image_id FOR UPDATE",
        concat(List.of(jobId), UNFINISHED, List.of()), ScanJdbc::inFlight);
    List<ItemNote> notes = new ArrayList<>();
    Map<String, String> outcomes = new HashMap<>();
    // A waiting item already says which host it waited for; keep that in the final reason.
    Map<String, String> waiting = new HashMap<>();
    for (String[] r : query(c, "SELECT image_id, reason FROM scan_items WHERE job_id = ? AND state = 'WAITING'",
        List.of(jobId), rs -> new String[] {rs.getString(1), rs.getString(2)})) {
      waiting.put(r[0], r[1]);
    }
    for (InFlight f : unfinished) {
      String why = waiting.containsKey(f.imageId()) ? reason + " (" + waiting.get(f.imageId()) + ")" : reason;
      notes.add(new ItemNote(f.jobId(), f.imageId(), why));
      outcomes.put(f.jobId() + "\u0000" + f.imageId(), "SCAN_EXCEPTION");
    }
    end(c, notes, outcomes, now);
    return notes.size();
  }

  Map<String, Integer> itemStates(Connection c, String jobId) throws SQLException {
    return tallies(c, List.of(jobId)).get(jobId).states();
  }

  // ---- agents' reports

  void recordProgress(Connection c, List<Progress> progress, Instant now) throws SQLException {
    if (progress.isEmpty()) return;
    Map<String, Progress> latest = new TreeMap<>();
    for (Progress p : progress) latest.put(p.requestId() + "\u0000" + p.imageId(), p);
    List<Object[]> items = new ArrayList<>();
    Map<String, Object[]> statuses = new TreeMap<>();
    for (Progress p : latest.values()) {
      int percent = Math.max(0, Math.min(99, p.percent()));
      items.add(new Object[] {percent, now, p.requestId(), p.imageId()});
      statuses.put(p.imageId(), new Object[] {percent, now, p.imageId()});
    }
    progressItems.run(c, items);
    progressStatus.run(c, List.copyOf(statuses.values()));
  }

  /**
   * Applies the agents' per-image results inside the ingest transaction that stores the inventory
   * before them: DONE marks items COMPLETING (finished after matching), FAILED ends them as
   * SCAN_EXCEPTION, CANCELLED as CANCELLED; an item already cancelled keeps the agent's detail.
   */
  void applyResults(Connection c, List<AgentResult> results, Instant now) throws SQLException {
    if (results.isEmpty()) return;
    Map<String, AgentResult> byKey = new TreeMap<>();
    for (AgentResult r : results) byKey.put(r.requestId() + "\u0000" + r.imageId(), r);
    List<Object[]> done = new ArrayList<>();
    Map<String, Object[]> doneStatus = new TreeMap<>();
    List<AgentResult> ended = new ArrayList<>();
    for (AgentResult r : byKey.values()) {
      if (r.outcome().equals("DONE")) {
        done.add(new Object[] {now, r.requestId(), r.imageId()});
        doneStatus.put(r.imageId(), new Object[] {now, r.imageId()});
      } else {
        ended.add(r);
      }
    }
    completeItems.run(c, done);
    completeStatus.run(c, List.copyOf(doneStatus.values()));
    if (ended.isEmpty()) return;
    List<ItemNote> notes = new ArrayList<>();
    Map<String, String> outcomes = new HashMap<>();
    Map<String, String> hostNames = new HashMap<>();
    for (List<AgentResult> part : chunks(ended)) {
      List<Object> params = new ArrayList<>();
      StringBuilder keys = new StringBuilder();
      for (AgentResult r : part) {
        keys.append(keys.isEmpty() ? "" : " OR ").append("(si.request_id = ? AND si.image_id = ?)");
        params.add(r.requestId());
        params.add(r.imageId());
      }
      List<Object[]> rows = query(c, "SELECT si.job_id, si.image_id, si.request_id, si.state, si.reason, si.host_id"
          + " FROM scan_items si WHERE (" + keys + ") ORDER BY si.job_id, si.image_id FOR UPDATE", params,
          rs -> new Object[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
              rs.getString(6)});
      List<String> hostIds = rows.stream().map(r -> (String) r[5]).filter(h -> h != null && !hostNames.containsKey(h))
          .distinct().toList();
      if (!hostIds.isEmpty()) {
        for (String[] h : query(c, "SELECT id, name FROM hosts WHERE id IN " + in(hostIds), hostIds,
            rs -> new String[] {rs.getString(1), rs.getString(2)})) {
          hostNames.put(h[0], h[1]);
        }
      }
      for (Object[] row : rows) {
        AgentResult r = byKey.get(row[2] + "\u0000" + row[1]);
        String state = (String) row[3];
        String jobId = (String) row[0];
        String host = row[5] == null ? "" : " on host " + hostNames.getOrDefault((String) row[5], (String) row[5]);
        if (IN_FLIGHT.contains(state) && !state.equals("COMPLETING")) {
          boolean cancelled = r.outcome().equals("CANCELLED");
          String why = cancelled ? "cancelled: the agent" + host + " stopped (" + r.message() + ")"
              : "the agent" + host + " could not scan the image: " + r.message();
          notes.add(new ItemNote(jobId, r.imageId(), why));
          outcomes.put(jobId + "\u0000" + r.imageId(), cancelled ? "CANCELLED" : "SCAN_EXCEPTION");
        } else if (state.equals("CANCELLED") && r.outcome().equals("CANCELLED")) {
          String detail = clip(row[4] + "; the agent" + host + " stopped: " + r.message());
          update(c, "UPDATE scan_items SET reason = ? WHERE job_id = ? AND image_id = ?",
              List.of(detail, jobId, r.imageId()));
          update(c, "UPDATE scan_records SET reason = ? WHERE job_id = ? AND image_id = ? AND outcome = 'CANCELLED'",
              List.of(detail, jobId, r.imageId()));
          update(c, "UPDATE image_scan_status SET reason = ? WHERE image_id = ? AND job_id = ? AND status = 'CANCELLED'",
              List.of(detail, r.imageId(), jobId));
        }
      }
    }
    end(c, sortedNotes(notes), outcomes, now);
  }

  List<ItemNote> itemsOfRequest(Connection c, String requestId) throws SQLException {
    return query(c, "SELECT job_id, image_id FROM scan_items WHERE request_id = ? AND state IN"
        + " ('DISPATCHED', 'SCANNING') ORDER BY job_id, image_id", List.of(requestId),
        rs -> new ItemNote(rs.getString(1), rs.getString(2), ""));
  }

  int finishCompleted(Connection c, Collection<RequestImage> items, Optional<Instant> completingBefore, Instant now)
      throws SQLException {
    List<String[]> locked = new ArrayList<>();
    String columns = "SELECT si.job_id, si.image_id FROM scan_items si WHERE ";
    if (completingBefore.isPresent()) {
      locked.addAll(query(c, columns + "si.state = 'COMPLETING' AND si.updated_at < ? ORDER BY si.job_id,"
          + " si.image_id FOR UPDATE", List.of(completingBefore.get()), rs -> new String[] {rs.getString(1),
          rs.getString(2)}));
    }
    Set<String> seen = new TreeSet<>();
    for (List<RequestImage> part : chunks(new ArrayList<>(new java.util.LinkedHashSet<>(items)))) {
      if (part.isEmpty()) continue;
      List<Object> params = new ArrayList<>();
      StringBuilder keys = new StringBuilder();
      for (RequestImage r : part) {
        keys.append(keys.isEmpty() ? "" : " OR ").append("(si.request_id = ? AND si.image_id = ?)");
        params.add(r.requestId());
        params.add(r.imageId());
      }
      locked.addAll(query(c, columns + "si.state = 'COMPLETING' AND (" + keys + ") ORDER BY si.job_id, si.image_id"
          + " FOR UPDATE", params, rs -> new String[] {rs.getString(1), rs.getString(2)}));
    }
    List<ItemNote> notes = new ArrayList<>();
    Map<String, String> outcomes = new HashMap<>();
    Map<String, String[]> inventories = new HashMap<>();
    List<String> images = locked.stream().map(k -> k[1]).distinct().toList();
    for (List<String> part : chunks(images)) {
      for (String[] row : query(c, "SELECT image_id, status, errors FROM image_inventory WHERE image_id IN "
          + in(part), part, rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)})) {
        inventories.put(row[0], row);
      }
    }
    for (String[] k : locked) {
      if (!seen.add(k[0] + "\u0000" + k[1])) continue;
      String[] inv = inventories.get(k[1]);
      String outcome;
      String reason;
      if (inv == null) {
        outcome = "SCAN_EXCEPTION";
        reason = "the agent reported the scan done, but no inventory of the image arrived";
      } else if (inv[1].equals("COMPLETE")) {
        outcome = "SCANNED";
        reason = "";
      } else {
        outcome = "SCAN_EXCEPTION";
        List<String> errors = Columns.strings(inv[2]);
        reason = "inventory " + inv[1].toLowerCase(java.util.Locale.ROOT) + ": "
            + String.join("; ", errors.subList(0, Math.min(5, errors.size())))
            + (errors.size() > 5 ? " (and " + (errors.size() - 5) + " more)" : "");
      }
      notes.add(new ItemNote(k[0], k[1], reason));
      outcomes.put(k[0] + "\u0000" + k[1], outcome);
    }
    end(c, sortedNotes(notes), outcomes, now);
    return notes.size();
  }

  // ---- images

  Page<ScanRecord> scanHistory(Connection c, String imageId, PageRequest page) throws SQLException {
    long total = query(c, "SELECT COUNT(*) FROM scan_records WHERE image_id = ?", List.of(imageId),
        rs -> rs.getLong(1)).get(0);
    List<ScanRecord> rows = query(c, "SELECT r.*, h.name AS host_name FROM scan_records r LEFT JOIN hosts h"
        + " ON h.id = r.host_id WHERE r.image_id = ? ORDER BY r.finished DESC, r.id DESC LIMIT ? OFFSET ?",
        List.of(imageId, page.size(), page.offset()), rs -> new ScanRecord(rs.getLong("id"), rs.getString("image_id"),
            rs.getString("job_id"), rs.getString("host_id"), rs.getString("host_name"), rs.getString("trigger_kind"),
            rs.getString("outcome"), rs.getString("reason"), getTime(rs, "started"), getTime(rs, "finished"),
            rs.getObject("duration_ms") == null ? null : rs.getLong("duration_ms"), counts(rs, "before"),
            counts(rs, "after")));
    return new Page<>(rows, total, page.page(), page.size());
  }

  private static Counts counts(ResultSet rs, String prefix) throws SQLException {
    return new Counts(rs.getBoolean(prefix + "_assessed"), rs.getInt(prefix + "_critical"),
        rs.getInt(prefix + "_high"), rs.getInt(prefix + "_medium"), rs.getInt(prefix + "_low"),
        rs.getInt(prefix + "_negligible"), rs.getInt(prefix + "_unknown"), rs.getInt(prefix + "_total"));
  }

  Optional<ImageScanStatus> imageScanStatus(Connection c, String imageId) throws SQLException {
    return query(c, "SELECT * FROM image_scan_status WHERE image_id = ?", List.of(imageId), ScanJdbc::status)
        .stream().findFirst();
  }

  static ImageScanStatus status(ResultSet rs) throws SQLException {
    return new ImageScanStatus(rs.getString("image_id"), rs.getString("status"), rs.getString("phase"),
        rs.getInt("progress"), rs.getString("reason"), rs.getString("job_id"), rs.getString("host_id"),
        getTime(rs, "updated"), getTime(rs, "last_scanned_at"));
  }

  List<NewImage> imagesFirstSeenAfter(Connection c, Instant after, int limit) throws SQLException {
    return query(c, "SELECT id, first_seen FROM images WHERE first_seen > ? ORDER BY first_seen, id LIMIT ?",
        List.of(after, limit), rs -> new NewImage(rs.getString(1), getTime(rs, "first_seen")));
  }

  // ---- collectors, sessions, commands

  void heartbeatCollector(Connection c, String id, Instant started, Instant now) throws SQLException {
    if (update(c, "UPDATE collector_nodes SET heartbeat_at = ? WHERE id = ?", List.of(now, id)) == 0) {
      update(c, "INSERT INTO collector_nodes (id, started, heartbeat_at) VALUES (?, ?, ?)", List.of(id, started, now));
    }
    // Nodes silent for a day are gone for good; their sessions with them.
    update(c, "DELETE FROM agent_sessions WHERE collector_id IN (SELECT id FROM collector_nodes WHERE heartbeat_at < ?)",
        List.of(now.minus(Duration.ofDays(1))));
    update(c, "DELETE FROM collector_nodes WHERE heartbeat_at < ?", List.of(now.minus(Duration.ofDays(1))));
  }

  void recordSessions(Connection c, String collectorId, Collection<String> connected, Collection<String> disconnected,
      Instant now) throws SQLException {
    List<Object[]> gone = new ArrayList<>();
    for (String a : new TreeSet<>(disconnected)) gone.add(new Object[] {a, collectorId});
    deleteSession.run(c, gone);
    List<Object[]> up = new ArrayList<>();
    for (String a : new TreeSet<>(connected)) up.add(new Object[] {a, collectorId, now});
    upsertSession.run(c, up);
  }

  Map<String, String> liveSessions(Connection c, Collection<String> agentIds, Instant aliveSince) throws SQLException {
    Map<String, String> out = new HashMap<>();
    for (List<String> part : chunks(new TreeSet<>(agentIds))) {
      List<Object> params = new ArrayList<>(part);
      params.add(aliveSince);
      for (String[] row : query(c, "SELECT s.agent_id, s.collector_id FROM agent_sessions s JOIN collector_nodes n"
          + " ON n.id = s.collector_id WHERE s.agent_id IN " + in(part) + " AND n.heartbeat_at >= ?", params,
          rs -> new String[] {rs.getString(1), rs.getString(2)})) {
        out.put(row[0], row[1]);
      }
    }
    return out;
  }

  static final String NOTIFY_CHANNEL = "portolan_commands";

  void queueCommands(Connection c, List<QueuedCommand> commands, Instant now, Instant expiresAt)
      throws SQLException {
    if (commands.isEmpty()) return;
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO agent_commands (collector_id, agent_id, command,"
        + " created, expires_at) VALUES (?, ?, ?, ?, ?)")) {
      for (QueuedCommand q : commands) {
        ps.setString(1, q.collectorId());
        ps.setString(2, q.agentId());
        ps.setBytes(3, q.command());
        Columns.setTime(ps, 4, now);
        Columns.setTime(ps, 5, expiresAt);
        ps.addBatch();
      }
      ps.executeBatch();
    }
    if (dialect == Dialect.POSTGRESQL) {
      // Delivered at commit: the listening collectors wake and take their rows.
      for (String collector : new TreeSet<>(commands.stream().map(QueuedCommand::collectorId).toList())) {
        query(c, "SELECT pg_notify(?, ?)", List.of(NOTIFY_CHANNEL, collector), rs -> 0);
      }
    }
  }

  List<QueuedCommand> takeCommands(Connection c, String collectorId, Instant now, int limit) throws SQLException {
    update(c, "DELETE FROM agent_commands WHERE expires_at < ?", List.of(now));
    List<QueuedCommand> out = query(c, "SELECT id, collector_id, agent_id, command FROM agent_commands"
        + " WHERE collector_id = ? ORDER BY id LIMIT ? FOR UPDATE", List.of(collectorId, limit),
        rs -> new QueuedCommand(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getBytes(4)));
    for (List<QueuedCommand> part : chunks(out)) {
      List<Long> ids = part.stream().map(QueuedCommand::id).toList();
      update(c, "DELETE FROM agent_commands WHERE id IN " + in(ids), ids);
    }
    return out;
  }

  // ---- leases and settings

  boolean holdLease(Connection c, String name, String owner, Instant now, Instant until) throws SQLException {
    if (update(c, "UPDATE scan_leases SET owner = ?, expires_at = ? WHERE name = ? AND (owner = ? OR expires_at < ?)",
        List.of(owner, until, name, owner, now)) > 0) {
      return true;
    }
    if (!query(c, "SELECT 1 FROM scan_leases WHERE name = ?", List.of(name), rs -> 1).isEmpty()) return false;
    // A concurrent first insert loses on the key; the transaction is retried and then finds the row.
    update(c, "INSERT INTO scan_leases (name, owner, expires_at) VALUES (?, ?, ?)", List.of(name, owner, until));
    return true;
  }

  Optional<String> setting(Connection c, String name) throws SQLException {
    return query(c, "SELECT setting_value FROM settings WHERE name = ?", List.of(name), rs -> rs.getString(1)).stream()
        .findFirst();
  }

  void putSetting(Connection c, String name, String value, Instant now) throws SQLException {
    if (update(c, "UPDATE settings SET setting_value = ?, updated = ? WHERE name = ?", List.of(value, now, name)) == 0) {
      update(c, "INSERT INTO settings (name, setting_value, updated) VALUES (?, ?, ?)", List.of(name, value, now));
    }
  }
}
