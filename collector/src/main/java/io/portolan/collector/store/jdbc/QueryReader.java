package io.portolan.collector.store.jdbc;

import static io.portolan.collector.store.jdbc.Columns.getTime;
import static io.portolan.collector.store.jdbc.Columns.likeLiteral;

import io.portolan.collector.store.ImageFacts;
import io.portolan.collector.store.Page;
import io.portolan.collector.store.Queries;
import io.portolan.collector.store.PageRequest;
import io.portolan.collector.store.Queries.ContainerQuery;
import io.portolan.collector.store.Queries.ContainerSummary;
import io.portolan.collector.store.Queries.Direction;
import io.portolan.collector.store.Queries.HostQuery;
import io.portolan.collector.store.Queries.HostStatus;
import io.portolan.collector.store.Queries.HostSummary;
import io.portolan.collector.store.Queries.ImageDetail;
import io.portolan.collector.store.Queries.ImageHost;
import io.portolan.collector.store.Queries.ImageQuery;
import io.portolan.collector.store.Queries.ImageSummary;
import io.portolan.collector.store.Queries.RepositoryQuery;
import io.portolan.collector.store.Queries.RepositorySummary;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The read side of {@link JdbcStore}: one paged query per view plus a COUNT for the total, and at
 * most one follow-up query per page for list-valued columns (tags). Nothing loads a whole table.
 */
final class QueryReader {
  private static final Pattern HEX = Pattern.compile("[0-9a-f]+");
  private static final String SHA256 = "sha256:";
  private static final int MIN_PREFIX = 4;

  /** Present-only counts, shared by the images list and the image detail. */
  private static final String IMAGE_SUMMARY_SELECT = """
      SELECT i.id, i.created, i.size_bytes, i.os, i.architecture, i.first_seen,
        (SELECT COUNT(*) FROM host_images hi WHERE hi.image_id = i.id AND hi.present = TRUE) AS host_count,
        (SELECT COUNT(*) FROM containers c WHERE c.image_id = i.id AND c.present = TRUE) AS container_count,
        (SELECT COUNT(*) FROM containers c WHERE c.image_id = i.id AND c.present = TRUE
           AND c.state = 'running') AS running_count,
        (SELECT MAX(hi.last_seen) FROM host_images hi WHERE hi.image_id = i.id) AS last_seen,
        (SELECT MIN(t.repository) FROM host_image_tags t JOIN host_images hi
           ON hi.host_id = t.host_id AND hi.image_id = t.image_id AND hi.present = TRUE
           WHERE t.image_id = i.id) AS first_repository,
        (SELECT MIN(t.tag) FROM host_image_tags t JOIN host_images hi
           ON hi.host_id = t.host_id AND hi.image_id = t.image_id AND hi.present = TRUE
           WHERE t.image_id = i.id) AS first_tag,
        inv.status AS inventory_status, inv.os_id, inv.os_version, inv.os_pretty_name, inv.os_eol,
        inv.package_count,
        iv.image_id AS assessed_id, iv.critical, iv.high, iv.medium, iv.low, iv.negligible, iv.unrated, iv.total,
        iv.fixable, iv.priority, iv.matched_at,
        ss.status AS scan_status, ss.phase AS scan_phase, ss.progress AS scan_progress, ss.reason AS scan_reason,
        ss.job_id AS scan_job_id, ss.host_id AS scan_host_id, ss.updated AS scan_updated, ss.last_scanned_at,
        -- RiskScore's exposure factor: doubled while a container runs from the image.
        iv.risk_base * (CASE WHEN EXISTS (SELECT 1 FROM containers c WHERE c.image_id = i.id AND c.present = TRUE
           AND c.state = 'running') THEN 2 ELSE 1 END) AS risk_score
      FROM images i LEFT JOIN image_inventory inv ON inv.image_id = i.id
        LEFT JOIN image_vulnerabilities iv ON iv.image_id = i.id
        LEFT JOIN image_scan_status ss ON ss.image_id = i.id
      """;

  private static final String HOST_SUMMARY_SELECT = """
      SELECT h.*,
        (SELECT COUNT(*) FROM host_images hi WHERE hi.host_id = h.id AND hi.present = TRUE) AS image_count,
        (SELECT COUNT(*) FROM containers c WHERE c.host_id = h.id AND c.present = TRUE) AS container_count,
        (SELECT COUNT(*) FROM containers c WHERE c.host_id = h.id AND c.present = TRUE
           AND c.state = 'running') AS running_count
      FROM hosts h
      """;

  /** WHERE clauses with their parameters, built together so they cannot drift apart. */
  private static final class Where {
    final List<String> clauses = new ArrayList<>();
    final List<Object> params = new ArrayList<>();

    Where add(String clause, Object... values) {
      clauses.add(clause);
      params.addAll(List.of(values));
      return this;
    }

    String sql() {
      return clauses.isEmpty() ? "" : " WHERE " + String.join(" AND ", clauses);
    }
  }

  private static PreparedStatement prepare(Connection c, String sql, List<Object> params) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    for (int i = 0; i < params.size(); i++) {
      Object p = params.get(i);
      if (p instanceof Instant t) Columns.setTime(ps, i + 1, t);
      else ps.setObject(i + 1, p);
    }
    return ps;
  }

  private static long count(Connection c, String sql, List<Object> params) throws SQLException {
    try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static List<Object> paged(List<Object> params, PageRequest page) {
    List<Object> all = new ArrayList<>(params);
    all.add(page.size());
    all.add(page.offset());
    return all;
  }

  private static String contains(String s) {
    return "%" + likeLiteral(s.toLowerCase(Locale.ROOT)) + "%";
  }

  // ---- hosts

  Page<HostSummary> hosts(Connection c, HostQuery q) throws SQLException {
    Where w = new Where();
    q.search().filter(s -> !s.isBlank()).ifPresent(s -> w.add(
        "(LOWER(h.name) LIKE ? ESCAPE '\\' OR LOWER(h.id) LIKE ? ESCAPE '\\' OR h.ips LIKE ? ESCAPE '\\')",
        contains(s), contains(s), contains(s)));
    statusFilter(w, "h.last_seen", q.status(), q.onlineSince());
    long total = count(c, "SELECT COUNT(*) FROM hosts h" + w.sql(), w.params);
    List<HostSummary> items = new ArrayList<>();
    try (PreparedStatement ps = prepare(c, HOST_SUMMARY_SELECT + w.sql() + " ORDER BY h.name, h.id LIMIT ? OFFSET ?",
            paged(w.params, q.page()));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) items.add(hostSummary(rs, q.onlineSince()));
    }
    return new Page<>(items, total, q.page().page(), q.page().size());
  }

  Optional<HostSummary> host(Connection c, String hostId, Instant onlineSince) throws SQLException {
    try (PreparedStatement ps = prepare(c, HOST_SUMMARY_SELECT + " WHERE h.id = ?", List.of(hostId));
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(hostSummary(rs, onlineSince)) : Optional.empty();
    }
  }

  private static void statusFilter(Where w, String lastSeen, HostStatus status, Instant onlineSince) {
    switch (status) {
      case ANY -> {}
      case ONLINE -> w.add(lastSeen + " >= ?", Columns.micros(onlineSince));
      case OFFLINE -> w.add(lastSeen + " < ?", Columns.micros(onlineSince));
    }
  }

  private static HostSummary hostSummary(ResultSet rs, Instant onlineSince) throws SQLException {
    Instant lastSeen = getTime(rs, "last_seen");
    return new HostSummary(rs.getString("id"), rs.getString("name"), Columns.strings(rs.getString("ips")),
        rs.getString("os"), rs.getString("kernel"), rs.getString("architecture"), rs.getString("docker_version"),
        rs.getString("docker_api_version"), rs.getString("agent_version"), Columns.stringMap(rs.getString("labels")),
        rs.getInt("cpus"), rs.getLong("memory_bytes"), getTime(rs, "first_seen"), lastSeen,
        !lastSeen.isBefore(Columns.micros(onlineSince)), rs.getLong("image_count"), rs.getLong("container_count"),
        rs.getLong("running_count"));
  }

  // ---- images

  Page<ImageSummary> images(Connection c, ImageQuery q) throws SQLException {
    Where w = new Where();
    if (!q.includeRemoved())
      w.add("EXISTS (SELECT 1 FROM host_images hi WHERE hi.image_id = i.id AND hi.present = TRUE)");
    q.search().map(String::trim).filter(s -> !s.isEmpty()).ifPresent(s -> {
      String lower = s.toLowerCase(Locale.ROOT);
      String idPrefix = SHA256 + likeLiteral(lower.startsWith(SHA256) ? lower.substring(SHA256.length()) : lower) + "%";
      w.add("(i.id LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM host_image_tags t WHERE t.image_id = i.id"
          + " AND LOWER(t.repository) || ':' || LOWER(t.tag) LIKE ? ESCAPE '\\'))", idPrefix, contains(s));
    });
    q.repository().filter(r -> !r.isBlank()).ifPresent(r -> w.add(
        "EXISTS (SELECT 1 FROM host_image_tags t WHERE t.image_id = i.id AND t.repository = ?)", r));
    q.hostId().filter(h -> !h.isBlank()).ifPresent(h -> w.add(
        "EXISTS (SELECT 1 FROM host_images hi WHERE hi.image_id = i.id AND hi.host_id = ?"
            + (q.includeRemoved() ? "" : " AND hi.present = TRUE") + ")", h));
    var f = q.filters();
    switch (f.severity()) {
      case ANY -> { }
      case NONE -> w.add("iv.total = 0");
      default -> w.add("iv.worst_rank >= ?", switch (f.severity()) {
        case CRITICAL -> 5;
        case HIGH -> 4;
        case MEDIUM -> 3;
        default -> 2;
      });
    }
    if (f.highPriority()) w.add("iv.priority > 0");
    if (f.fixable()) w.add("iv.fixable > 0");
    switch (f.assessment()) {
      case ANY -> { }
      case ASSESSED -> w.add("iv.image_id IS NOT NULL");
      case NOT_ASSESSED -> w.add("iv.image_id IS NULL");
    }
    switch (f.scanStatus()) {
      case ANY -> { }
      case NOT_SCANNED -> w.add("ss.image_id IS NULL");
      default -> w.add("ss.status = ?", f.scanStatus().name());
    }
    f.os().filter(o -> !o.isBlank()).ifPresent(o -> w.add(
        "(LOWER(inv.os_id) = ? OR LOWER(inv.os_id || '-' || inv.os_version) = ? OR LOWER(inv.os_pretty_name) LIKE ?"
            + " ESCAPE '\\')", o.toLowerCase(Locale.ROOT), o.toLowerCase(Locale.ROOT), contains(o)));
    long total = count(c, "SELECT COUNT(*) FROM images i LEFT JOIN image_inventory inv ON inv.image_id = i.id"
        + " LEFT JOIN image_vulnerabilities iv ON iv.image_id = i.id"
        + " LEFT JOIN image_scan_status ss ON ss.image_id = i.id" + w.sql(), w.params);

    String dir = q.direction() == Direction.DESC ? " DESC" : " ASC";
    // The sort key as an expression of its own: the page is chosen by computing only this, and the
    // summary columns (several subqueries each) are then read for the page's rows alone.
    String key = switch (q.sort()) {
      case ID -> null;
      case REPOSITORY -> "(SELECT MIN(t.repository) FROM host_image_tags t JOIN host_images hi ON hi.host_id ="
          + " t.host_id AND hi.image_id = t.image_id AND hi.present = TRUE WHERE t.image_id = i.id)";
      case CREATED -> "i.created";
      case SIZE -> "i.size_bytes";
      case HOSTS -> "(SELECT COUNT(*) FROM host_images hi WHERE hi.image_id = i.id AND hi.present = TRUE)";
      case CONTAINERS -> "(SELECT COUNT(*) FROM containers c WHERE c.image_id = i.id AND c.present = TRUE)";
      case LAST_SEEN -> "(SELECT MAX(hi.last_seen) FROM host_images hi WHERE hi.image_id = i.id)";
      case PACKAGES -> "inv.package_count";
      case RISK -> "iv.risk_base * (CASE WHEN EXISTS (SELECT 1 FROM containers c WHERE c.image_id = i.id"
          + " AND c.present = TRUE AND c.state = 'running') THEN 2 ELSE 1 END)";
      case CRITICAL -> "iv.critical";
      case HIGH -> "iv.high";
      case MEDIUM -> "iv.medium";
      case LOW -> "iv.low";
      case VULNERABILITIES -> "iv.total";
      case LAST_SCANNED -> "ss.last_scanned_at";
      case TAGS -> "(SELECT MIN(t.tag) FROM host_image_tags t JOIN host_images hi ON hi.host_id = t.host_id"
          + " AND hi.image_id = t.image_id AND hi.present = TRUE WHERE t.image_id = i.id)";
      case OS -> "inv.os_pretty_name";
      case SCAN_STATUS -> "(CASE ss.status WHEN 'SCANNED' THEN 1 WHEN 'CANCELLED' THEN 2 WHEN 'SCANNING' THEN 3"
          + " WHEN 'SCAN_EXCEPTION' THEN 4 ELSE 0 END)";
    };
    // Images without a value (no tag, unknown creation) sort last either way; id breaks ties.
    String order = (key == null ? "" : key + dir + " NULLS LAST, ") + "i.id" + dir;
    List<String> pageIds = new ArrayList<>();
    try (PreparedStatement ps = prepare(c, "SELECT i.id FROM images i LEFT JOIN image_inventory inv ON inv.image_id"
            + " = i.id LEFT JOIN image_vulnerabilities iv ON iv.image_id = i.id"
            + " LEFT JOIN image_scan_status ss ON ss.image_id = i.id" + w.sql() + " ORDER BY " + order
            + " LIMIT ? OFFSET ?", paged(w.params, q.page()));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) pageIds.add(rs.getString(1));
    }
    Map<String, ImageSummary> byId = new java.util.HashMap<>();
    if (!pageIds.isEmpty()) {
      try (PreparedStatement ps = prepare(c, IMAGE_SUMMARY_SELECT + " WHERE i.id IN ("
              + Dialect.placeholders(pageIds) + ")", List.copyOf(pageIds));
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ImageSummary row = imageSummary(rs, List.of());
          byId.put(row.id(), row);
        }
      }
    }
    List<ImageSummary> rows = pageIds.stream().map(byId::get).filter(java.util.Objects::nonNull).toList();
    Map<String, List<String>> tags = presentTags(c, rows.stream().map(ImageSummary::id).toList());
    List<ImageSummary> items = rows.stream().map(r -> withTags(r, tags.getOrDefault(r.id(), List.of()))).toList();
    return new Page<>(items, total, q.page().page(), q.page().size());
  }

  private static ImageSummary imageSummary(ResultSet rs, List<String> repoTags) throws SQLException {
    return new ImageSummary(rs.getString("id"), repoTags, List.of(), getTime(rs, "created"), rs.getLong("size_bytes"),
        rs.getString("os"), rs.getString("architecture"), rs.getLong("host_count"), rs.getLong("container_count"),
        rs.getLong("running_count"), getTime(rs, "first_seen"), getTime(rs, "last_seen"), inventory(rs),
        vulnerabilities(rs), scan(rs));
  }

  private static Queries.Scan scan(ResultSet rs) throws SQLException {
    String status = rs.getString("scan_status");
    if (status == null) return Queries.Scan.NOT_SCANNED;
    return new Queries.Scan(status, rs.getString("scan_phase"), rs.getInt("scan_progress"),
        rs.getString("scan_reason"), rs.getString("scan_job_id"), rs.getString("scan_host_id"),
        getTime(rs, "scan_updated"), getTime(rs, "last_scanned_at"));
  }

  private static Queries.Vulnerabilities vulnerabilities(ResultSet rs) throws SQLException {
    if (rs.getString("assessed_id") == null) return Queries.Vulnerabilities.NOT_ASSESSED;
    return new Queries.Vulnerabilities(true, rs.getInt("critical"), rs.getInt("high"), rs.getInt("medium"),
        rs.getInt("low"), rs.getInt("negligible"), rs.getInt("unrated"), rs.getInt("total"), rs.getInt("fixable"),
        rs.getInt("priority") > 0, Math.round(rs.getDouble("risk_score") * 10) / 10.0, getTime(rs, "matched_at"));
  }

  private static Queries.Inventory inventory(ResultSet rs) throws SQLException {
    String status = rs.getString("inventory_status");
    if (status == null) return Queries.Inventory.PENDING;
    java.sql.Date eol = rs.getDate("os_eol");
    return new Queries.Inventory(status, rs.getString("os_id"), rs.getString("os_version"),
        rs.getString("os_pretty_name"), eol == null ? null : eol.toLocalDate(), rs.getInt("package_count"));
  }

  private static ImageSummary withTags(ImageSummary s, List<String> repoTags) {
    TreeSet<String> repositories = new TreeSet<>();
    for (String rt : repoTags) repositories.add(rt.substring(0, rt.lastIndexOf(':')));
    return new ImageSummary(s.id(), repoTags, List.copyOf(repositories), s.created(), s.sizeBytes(), s.os(),
        s.architecture(), s.hostCount(), s.containerCount(), s.runningContainerCount(), s.firstSeen(), s.lastSeen(),
        s.inventory(), s.vulnerabilities(), s.scan());
  }

  /** Distinct "repo:tag" per image, across the hosts where the image is present. */
  static Map<String, List<String>> presentTags(Connection c, List<String> imageIds) throws SQLException {
    Map<String, List<String>> tags = new LinkedHashMap<>();
    if (imageIds.isEmpty()) return tags;
    try (PreparedStatement ps = prepare(c, "SELECT DISTINCT t.image_id, t.repository, t.tag FROM host_image_tags t"
            + " JOIN host_images hi ON hi.host_id = t.host_id AND hi.image_id = t.image_id AND hi.present = TRUE"
            + " WHERE t.image_id IN (" + Dialect.placeholders(imageIds) + ") ORDER BY t.image_id, t.repository, t.tag",
            List.copyOf(imageIds));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next())
        tags.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2) + ":" + rs.getString(3));
    }
    return tags;
  }

  Optional<ImageDetail> image(Connection c, String imageId) throws SQLException {
    ImageSummary summary;
    String variant;
    String author;
    String dockerVersion;
    String config;
    try (PreparedStatement ps = prepare(c, IMAGE_SUMMARY_SELECT.replace("SELECT i.id,",
            "SELECT i.variant, i.author, i.docker_version, i.config, i.id,") + " WHERE i.id = ?", List.of(imageId));
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) return Optional.empty();
      summary = imageSummary(rs, List.of());
      variant = rs.getString("variant");
      author = rs.getString("author");
      dockerVersion = rs.getString("docker_version");
      config = rs.getString("config");
    }
    summary = withTags(summary, presentTags(c, List.of(imageId)).getOrDefault(imageId, List.of()));
    List<String> digests = new ArrayList<>();
    try (PreparedStatement ps = prepare(c, "SELECT DISTINCT repo_digest FROM host_image_digests WHERE image_id = ?"
            + " ORDER BY repo_digest", List.of(imageId));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) digests.add(rs.getString(1));
    }
    List<String> layers = new ArrayList<>();
    try (PreparedStatement ps = prepare(c, "SELECT diff_id FROM image_layers WHERE image_id = ? ORDER BY idx",
            List.of(imageId));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) layers.add(rs.getString(1));
    }
    List<ImageFacts.HistoryEntry> history = new ArrayList<>();
    try (PreparedStatement ps = prepare(c, "SELECT created, created_by, empty_layer, comment FROM image_history"
            + " WHERE image_id = ? ORDER BY idx", List.of(imageId));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next())
        history.add(new ImageFacts.HistoryEntry(getTime(rs, "created"), rs.getString("created_by"),
            rs.getBoolean("empty_layer"), rs.getString("comment")));
    }
    String registry = summary.repositories().isEmpty() ? "" : registryOf(summary.repositories().get(0));
    return Optional.of(new ImageDetail(summary, registry, "docker", digests, layers, history,
        Columns.config(config), author, dockerVersion, variant));
  }

  /** Docker's rule: the first path component is a registry only if it looks like a host name. */
  static String registryOf(String repository) {
    int slash = repository.indexOf('/');
    if (slash < 0) return "docker.io";
    String first = repository.substring(0, slash);
    return first.contains(".") || first.contains(":") || first.equals("localhost") ? first : "docker.io";
  }

  Optional<String> resolveImageId(Connection c, String idOrPrefix) throws SQLException {
    String s = idOrPrefix.trim();
    try (PreparedStatement ps = prepare(c, "SELECT id FROM images WHERE id = ?", List.of(s));
        ResultSet rs = ps.executeQuery()) {
      if (rs.next()) return Optional.of(rs.getString(1));
    }
    String hex = s.toLowerCase(Locale.ROOT);
    if (hex.startsWith(SHA256)) hex = hex.substring(SHA256.length());
    if (hex.length() < MIN_PREFIX || !HEX.matcher(hex).matches()) return Optional.empty();
    List<String> found = new ArrayList<>();
    try (PreparedStatement ps = prepare(c, "SELECT id FROM images WHERE id LIKE ? ORDER BY id LIMIT 2",
            List.of(SHA256 + hex + "%"));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) found.add(rs.getString(1));
    }
    if (found.size() > 1) throw new IllegalArgumentException("ambiguous image ID prefix: " + idOrPrefix);
    return found.stream().findFirst();
  }

  Page<ImageHost> imageHosts(Connection c, String imageId, HostStatus status, Instant onlineSince, PageRequest page)
      throws SQLException {
    Where w = new Where().add("hi.image_id = ?", imageId);
    statusFilter(w, "h.last_seen", status, onlineSince);
    String from = " FROM host_images hi JOIN hosts h ON h.id = hi.host_id";
    long total = count(c, "SELECT COUNT(*)" + from + w.sql(), w.params);
    record Row(String hostId, String name, String ips, String dockerVersion, Instant hostLastSeen, boolean present,
        Instant firstSeen, Instant lastSeen) {}
    List<Row> rows = new ArrayList<>();
    try (PreparedStatement ps = prepare(c, "SELECT hi.host_id, h.name, h.ips, h.docker_version,"
            + " h.last_seen AS host_last_seen, hi.present, hi.first_seen, hi.last_seen" + from + w.sql()
            + " ORDER BY h.name, h.id LIMIT ? OFFSET ?", paged(w.params, page));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next())
        rows.add(new Row(rs.getString("host_id"), rs.getString("name"), rs.getString("ips"),
            rs.getString("docker_version"), getTime(rs, "host_last_seen"), rs.getBoolean("present"),
            getTime(rs, "first_seen"), getTime(rs, "last_seen")));
    }
    Map<String, List<String>> tags = new LinkedHashMap<>();
    if (!rows.isEmpty()) {
      List<Object> params = new ArrayList<>();
      params.add(imageId);
      rows.forEach(r -> params.add(r.hostId()));
      try (PreparedStatement ps = prepare(c, "SELECT host_id, repository, tag FROM host_image_tags WHERE image_id = ?"
              + " AND host_id IN (" + Dialect.placeholders(rows.stream().map(Row::hostId).toList())
              + ") ORDER BY repository, tag", params);
          ResultSet rs = ps.executeQuery()) {
        while (rs.next())
          tags.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2) + ":" + rs.getString(3));
      }
    }
    Instant since = Columns.micros(onlineSince);
    List<ImageHost> items = rows.stream().map(r -> new ImageHost(r.hostId(), r.name(), Columns.strings(r.ips()),
        r.dockerVersion(), !r.hostLastSeen().isBefore(since), r.present(), tags.getOrDefault(r.hostId(), List.of()),
        r.firstSeen(), r.lastSeen())).toList();
    return new Page<>(items, total, page.page(), page.size());
  }

  // ---- containers

  Page<ContainerSummary> containers(Connection c, ContainerQuery q) throws SQLException {
    Where w = new Where();
    q.hostId().filter(h -> !h.isBlank()).ifPresent(h -> w.add("c.host_id = ?", h));
    q.imageId().filter(i -> !i.isBlank()).ifPresent(i -> w.add("c.image_id = ?", i));
    q.search().map(String::trim).filter(s -> !s.isEmpty()).ifPresent(s -> w.add(
        "(LOWER(c.name) LIKE ? ESCAPE '\\' OR c.id LIKE ? ESCAPE '\\' OR LOWER(c.image_ref) LIKE ? ESCAPE '\\')",
        contains(s), likeLiteral(s.toLowerCase(Locale.ROOT)) + "%", contains(s)));
    switch (q.state()) {
      case ANY -> w.add("c.present = TRUE");
      case RUNNING -> w.add("c.present = TRUE AND c.state = 'running'");
      case STOPPED -> w.add("c.present = TRUE AND c.state <> 'running'");
      case REMOVED -> w.add("c.present = FALSE");
    }
    String from = " FROM containers c JOIN hosts h ON h.id = c.host_id";
    long total = count(c, "SELECT COUNT(*)" + from + w.sql(), w.params);
    List<ContainerSummary> items = new ArrayList<>();
    try (PreparedStatement ps = prepare(c, "SELECT c.*, h.name AS host_name" + from + w.sql()
            + " ORDER BY c.name, c.host_id, c.id LIMIT ? OFFSET ?", paged(w.params, q.page()));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next())
        items.add(new ContainerSummary(rs.getString("host_id"), rs.getString("host_name"), rs.getString("id"),
            rs.getString("name"), rs.getString("image_id"), rs.getString("image_ref"), rs.getString("state"),
            rs.getString("status"), rs.getString("command"), getTime(rs, "created"), getTime(rs, "started"),
            getTime(rs, "finished"), rs.getInt("exit_code"), Columns.ports(rs.getString("ports")),
            Columns.stringMap(rs.getString("labels")), rs.getBoolean("present"), getTime(rs, "updated")));
    }
    return new Page<>(items, total, q.page().page(), q.page().size());
  }

  // ---- repositories

  Page<RepositorySummary> repositories(Connection c, RepositoryQuery q) throws SQLException {
    Where w = new Where();
    q.search().map(String::trim).filter(s -> !s.isEmpty())
        .ifPresent(s -> w.add("LOWER(t.repository) LIKE ? ESCAPE '\\'", contains(s)));
    String from = " FROM host_image_tags t JOIN host_images hi"
        + " ON hi.host_id = t.host_id AND hi.image_id = t.image_id AND hi.present = TRUE";
    long total = count(c, "SELECT COUNT(DISTINCT t.repository)" + from + w.sql(), w.params);
    List<RepositorySummary> items = new ArrayList<>();
    try (PreparedStatement ps = prepare(c, "SELECT t.repository, COUNT(DISTINCT t.tag) AS tag_count,"
            + " COUNT(DISTINCT t.image_id) AS image_count, COUNT(DISTINCT t.host_id) AS host_count,"
            + " MAX(CASE WHEN iv.total > 0 THEN iv.worst_rank END) AS worst_rank" + from
            + " LEFT JOIN image_vulnerabilities iv ON iv.image_id = t.image_id" + w.sql()
            + " GROUP BY t.repository ORDER BY t.repository LIMIT ? OFFSET ?", paged(w.params, q.page()));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        int worst = rs.getInt(5);
        if (rs.wasNull()) worst = -1;
        items.add(new RepositorySummary(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), worst));
      }
    }
    return new Page<>(items, total, q.page().page(), q.page().size());
  }

  // ---- overview

  Queries.FleetOverview overview(Connection c, Instant onlineSince) throws SQLException {
    Instant since = Columns.micros(onlineSince);
    long[] fleet = new long[4];
    try (PreparedStatement ps = prepare(c, "SELECT"
            + " (SELECT COUNT(*) FROM hosts WHERE last_seen >= ?),"
            + " (SELECT COUNT(*) FROM hosts WHERE last_seen < ?),"
            + " (SELECT COUNT(*) FROM containers WHERE present = TRUE),"
            + " (SELECT COUNT(*) FROM containers WHERE present = TRUE AND state = 'running')", List.of(since, since));
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      for (int i = 0; i < fleet.length; i++) fleet[i] = rs.getLong(i + 1);
    }
    // Buckets: -2 not assessed, -1 assessed without findings, else the worst rank.
    Map<Integer, Long> buckets = new java.util.HashMap<>();
    try (PreparedStatement ps = prepare(c, "SELECT b.bucket, COUNT(*) FROM (SELECT CASE"
            + " WHEN iv.image_id IS NULL THEN -2 WHEN iv.total = 0 THEN -1 ELSE iv.worst_rank END AS bucket"
            + " FROM images i LEFT JOIN image_vulnerabilities iv ON iv.image_id = i.id"
            + " WHERE EXISTS (SELECT 1 FROM host_images hi WHERE hi.image_id = i.id AND hi.present = TRUE)) b"
            + " GROUP BY b.bucket", List.of());
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) buckets.put(rs.getInt(1), rs.getLong(2));
    }
    long images = buckets.values().stream().mapToLong(Long::longValue).sum();
    return new Queries.FleetOverview(fleet[0], fleet[1], images, buckets.getOrDefault(5, 0L),
        buckets.getOrDefault(4, 0L), buckets.getOrDefault(3, 0L), buckets.getOrDefault(2, 0L),
        buckets.getOrDefault(1, 0L) + buckets.getOrDefault(0, 0L), buckets.getOrDefault(-1, 0L),
        buckets.getOrDefault(-2, 0L), fleet[2], fleet[3]);
  }
}
