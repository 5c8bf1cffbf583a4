package io.portolan.collector.store.jdbc;

import static io.portolan.collector.store.jdbc.Columns.getTime;
import static io.portolan.collector.store.jdbc.Columns.json;
import static io.portolan.collector.store.jdbc.Columns.setTime;
import static io.portolan.collector.store.jdbc.Columns.strings;

import io.portolan.collector.store.InventoryChange;
import io.portolan.collector.store.InventoryChange.ImageInventoried;
import io.portolan.collector.store.InventoryChange.LayerStored;
import io.portolan.collector.store.InventoryChange.LayerUnit;
import io.portolan.collector.store.InventoryChange.PackageRow;
import io.portolan.collector.store.InventoryStore.InventorySummary;
import io.portolan.collector.store.InventoryStore.LayerView;
import io.portolan.collector.store.InventoryStore.PackageQuery;
import io.portolan.collector.store.InventoryStore.PackageView;
import io.portolan.collector.store.Page;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads and writes the layer inventory tables. Units are insert-if-absent (the first collector to
 * store a layer wins; a concurrent duplicate is retried by the transaction and then found present).
 * An image's inventory is replaced whole, which keeps replays idempotent.
 */
final class InventoryJdbc {
  private static final int IN_LIST = 300;

  void write(Connection c, List<InventoryChange> changes, Instant now) throws SQLException {
    Map<String, LayerStored> layers = new TreeMap<>();
    Map<String, ImageInventoried> images = new TreeMap<>();
    for (InventoryChange change : changes) {
      switch (change) {
        case LayerStored l -> layers.putIfAbsent(l.unit().key(), l);
        case ImageInventoried i -> images.put(i.imageId(), i); // the last one of a batch wins
      }
    }
    if (!layers.isEmpty()) storeLayers(c, layers, now);
    for (ImageInventoried image : images.values()) storeImage(c, image, now);
  }

  private void storeLayers(Connection c, Map<String, LayerStored> layers, Instant now) throws SQLException {
    Set<String> missing = missingUnits(c, layers.values().stream().map(LayerStored::unit).toList());
    if (missing.isEmpty()) return;
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO layer_findings (diff_id, analyzer,"
        + " analyzer_version, size_bytes, package_count, error_count, findings, analyzed_at)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (LayerStored l : layers.values()) {
        if (!missing.contains(l.unit().key())) continue;
        ps.setString(1, l.unit().diffId());
        ps.setString(2, l.unit().analyzer());
        ps.setInt(3, l.unit().analyzerVersion());
        ps.setLong(4, l.sizeBytes());
        ps.setInt(5, l.packageCount());
        ps.setInt(6, l.errorCount());
        ps.setBytes(7, l.findings());
        setTime(ps, 8, now);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private void storeImage(Connection c, ImageInventoried image, Instant now) throws SQLException {
    Map<String, Long> ids = packageIds(c, image.packages());
    for (String table : List.of("image_packages", "image_layer_changes", "image_inventory")) {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE image_id = ?")) {
        ps.setString(1, image.imageId());
        ps.executeUpdate();
      }
    }
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO image_packages (image_id, package_id, path, diff_id, properties, language_purls)"
            + " VALUES (?, ?, ?, ?, ?, ?)")) {
      Set<String> seen = new HashSet<>();
      for (PackageRow p : image.packages()) {
        long id = ids.get(p.key());
        if (!seen.add(id + "|" + p.path())) continue;
        ps.setString(1, image.imageId());
        ps.setLong(2, id);
        ps.setString(3, truncate(p.path(), 1024));
        ps.setString(4, p.diffId());
        ps.setString(5, p.properties().isEmpty() ? "" : json(new java.util.TreeMap<>(p.properties())));
        ps.setString(6, p.languagePurls().isEmpty() ? "" : json(p.languagePurls()));
        ps.addBatch();
      }
      ps.executeBatch();
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO image_layer_changes"
        + " (image_id, idx, diff_id, added, changed, removed) VALUES (?, ?, ?, ?, ?, ?)")) {
      for (var l : image.layers()) {
        ps.setString(1, image.imageId());
        ps.setInt(2, l.index());
        ps.setString(3, l.diffId());
        ps.setInt(4, l.added());
        ps.setInt(5, l.changed());
        ps.setInt(6, l.removed());
        ps.addBatch();
      }
      ps.executeBatch();
    }
    String status = image.errors().isEmpty() ? "COMPLETE" : image.layers().isEmpty() ? "FAILED" : "PARTIAL";
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO image_inventory (image_id, units_fingerprint,"
        + " status, os_id, os_name, os_version, os_codename, os_pretty_name, os_eol, package_count, errors, updated)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      var os = image.os();
      ps.setString(1, image.imageId());
      ps.setString(2, image.unitsFingerprint());
      ps.setString(3, status);
      ps.setString(4, os.map(InventoryChange.Os::id).orElse(""));
      ps.setString(5, os.map(InventoryChange.Os::name).orElse(""));
      ps.setString(6, os.map(InventoryChange.Os::versionId).orElse(""));
      ps.setString(7, os.map(InventoryChange.Os::codename).orElse(""));
      ps.setString(8, os.map(InventoryChange.Os::prettyName).orElse(""));
      ps.setDate(9, os.flatMap(InventoryChange.Os::endOfLife).map(Date::valueOf).orElse(null));
      ps.setInt(10, (int) image.packages().stream().map(PackageRow::key).distinct().count());
      ps.setString(11, json(image.errors()));
      setTime(ps, 12, now);
      ps.executeUpdate();
    }
  }

  /** The fleet-wide ID of every package, inserting the ones never seen. */
  private Map<String, Long> packageIds(Connection c, List<PackageRow> packages) throws SQLException {
    Map<String, PackageRow> byKey = new LinkedHashMap<>();
    for (PackageRow p : packages) byKey.putIfAbsent(p.key(), p);
    Map<String, Long> ids = lookupPackages(c, byKey.keySet());
    if (ids.size() < byKey.size()) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO packages (pkg_key, type, name, version,"
          + " architecture, source_name, source_version, distro, license, purl) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        for (PackageRow p : byKey.values()) {
          if (ids.containsKey(p.key())) continue;
          int i = 0;
          ps.setString(++i, p.key());
          ps.setString(++i, p.type());
          ps.setString(++i, p.name());
          ps.setString(++i, p.version());
          ps.setString(++i, p.architecture());
          ps.setString(++i, p.sourceName());
          ps.setString(++i, p.sourceVersion());
          ps.setString(++i, p.distro());
          ps.setString(++i, truncate(p.license(), 2048));
          ps.setString(++i, p.purl());
          ps.addBatch();
        }
        ps.executeBatch();
      }
      ids = lookupPackages(c, byKey.keySet());
    }
    return ids;
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }

  private Map<String, Long> lookupPackages(Connection c, Collection<String> keys) throws SQLException {
    Map<String, Long> ids = new HashMap<>();
    List<String> all = List.copyOf(keys);
    for (int from = 0; from < all.size(); from += IN_LIST) {
      List<String> part = all.subList(from, Math.min(all.size(), from + IN_LIST));
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT pkg_key, id FROM packages WHERE pkg_key IN (" + Dialect.placeholders(part) + ")")) {
        for (int i = 0; i < part.size(); i++) ps.setString(i + 1, part.get(i));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) ids.put(rs.getString(1), rs.getLong(2));
        }
      }
    }
    return ids;
  }

  Set<String> missingUnits(Connection c, Collection<LayerUnit> units) throws SQLException {
    Set<String> missing = new HashSet<>();
    units.forEach(u -> missing.add(u.key()));
    forUnits(c, units, "diff_id, analyzer, analyzer_version", rs -> missing.remove(
        new LayerUnit(rs.getString(1), rs.getString(2), rs.getInt(3)).key()));
    return missing;
  }

  Map<String, byte[]> findings(Connection c, Collection<LayerUnit> units) throws SQLException {
    Map<String, byte[]> out = new HashMap<>();
    forUnits(c, units, "diff_id, analyzer, analyzer_version, findings", rs -> out.put(
        new LayerUnit(rs.getString(1), rs.getString(2), rs.getInt(3)).key(), rs.getBytes(4)));
    return out;
  }

  @FunctionalInterface
  private interface RowConsumer {
    void accept(ResultSet rs) throws SQLException;
  }

  private void forUnits(Connection c, Collection<LayerUnit> units, String columns, RowConsumer row)
      throws SQLException {
    List<LayerUnit> all = List.copyOf(new java.util.LinkedHashSet<>(units));
    for (int from = 0; from < all.size(); from += IN_LIST) {
      List<LayerUnit> part = all.subList(from, Math.min(all.size(), from + IN_LIST));
      String in = String.join(", ", part.stream().map(u -> "(?, ?, ?)").toList());
      try (PreparedStatement ps = c.prepareStatement("SELECT " + columns + " FROM layer_findings"
          + " WHERE (diff_id, analyzer, analyzer_version) IN (" + in + ")")) {
        int i = 0;
        for (LayerUnit u : part) {
          ps.setString(++i, u.diffId());
          ps.setString(++i, u.analyzer());
          ps.setInt(++i, u.analyzerVersion());
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) row.accept(rs);
        }
      }
    }
  }

  Optional<String> fingerprint(Connection c, String imageId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT units_fingerprint FROM image_inventory WHERE image_id = ?")) {
      ps.setString(1, imageId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  Map<String, String> fingerprints(Connection c, Collection<String> imageIds) throws SQLException {
    Map<String, String> out = new HashMap<>();
    List<String> all = List.copyOf(new java.util.TreeSet<>(imageIds));
    for (int from = 0; from < all.size(); from += IN_LIST) {
      List<String> part = all.subList(from, Math.min(all.size(), from + IN_LIST));
      try (PreparedStatement ps = c.prepareStatement("SELECT image_id, units_fingerprint FROM image_inventory"
          + " WHERE image_id IN (" + Dialect.placeholders(part) + ")")) {
        for (int i = 0; i < part.size(); i++) ps.setString(i + 1, part.get(i));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) out.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    return out;
  }

  Optional<InventorySummary> summary(Connection c, String imageId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM image_inventory WHERE image_id = ?")) {
      ps.setString(1, imageId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) return Optional.empty();
        Date eol = rs.getDate("os_eol");
        Optional<InventoryChange.Os> os = rs.getString("os_id").isEmpty() ? Optional.empty()
            : Optional.of(new InventoryChange.Os(rs.getString("os_id"), rs.getString("os_name"),
                rs.getString("os_version"), rs.getString("os_codename"), rs.getString("os_pretty_name"),
                Optional.ofNullable(eol).map(Date::toLocalDate)));
        return Optional.of(new InventorySummary(rs.getString("status"), os, rs.getInt("package_count"),
            strings(rs.getString("errors")), getTime(rs, "updated")));
      }
    }
  }

  List<LayerView> layers(Connection c, String imageId) throws SQLException {
    List<String> diffIds = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT diff_id FROM image_layers WHERE image_id = ? ORDER BY idx")) {
      ps.setString(1, imageId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) diffIds.add(rs.getString(1));
      }
    }
    Map<Integer, int[]> counts = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT idx, added, changed, removed FROM image_layer_changes WHERE image_id = ?")) {
      ps.setString(1, imageId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) counts.put(rs.getInt(1), new int[] {rs.getInt(2), rs.getInt(3), rs.getInt(4)});
      }
    }
    List<LayerView> out = new ArrayList<>();
    int layer = 0;
    try (PreparedStatement ps = c.prepareStatement("SELECT created, created_by, empty_layer, size_bytes"
        + " FROM image_history WHERE image_id = ? ORDER BY idx")) {
      ps.setString(1, imageId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          boolean empty = rs.getBoolean("empty_layer");
          if (empty || layer >= diffIds.size()) {
            out.add(new LayerView(-1, "", rs.getLong("size_bytes"), getTime(rs, "created"),
                rs.getString("created_by"), true, 0, 0, 0));
          } else {
            int[] n = counts.getOrDefault(layer, new int[3]);
            out.add(new LayerView(layer, diffIds.get(layer), rs.getLong("size_bytes"), getTime(rs, "created"),
                rs.getString("created_by"), false, n[0], n[1], n[2]));
            layer++;
          }
        }
      }
    }
    // An image without history (imported tarballs) still lists its layers.
    for (; layer < diffIds.size(); layer++) {
      int[] n = counts.getOrDefault(layer, new int[3]);
      out.add(new LayerView(layer, diffIds.get(layer), 0, null, "", false, n[0], n[1], n[2]));
    }
    return out;
  }

  Page<PackageView> packages(Connection c, String imageId, PackageQuery q) throws SQLException {
    StringBuilder where = new StringBuilder(" FROM image_packages ip JOIN packages p ON p.id = ip.package_id"
        + " WHERE ip.image_id = ?");
    List<Object> args = new ArrayList<>(List.of(imageId));
    q.search().ifPresent(s -> {
      where.append(" AND (LOWER(p.name) LIKE ? OR LOWER(p.source_name) LIKE ?)");
      String like = "%" + s.toLowerCase(java.util.Locale.ROOT).replace("%", "\\%").replace("_", "\\_") + "%";
      args.add(like);
      args.add(like);
    });
    q.type().ifPresent(t -> {
      switch (t) {
        case "os" -> where.append(" AND p.type IN ('deb', 'apk', 'rpm')");
        case "language" -> where.append(" AND p.type NOT IN ('deb', 'apk', 'rpm')");
        default -> {
          where.append(" AND p.type = ?");
          args.add(t);
        }
      }
    });
    List<String> diffIds = imageDiffIds(c, imageId);
    if (q.layer().isPresent()) {
      String layer = q.layer().get();
      String diffId = layer.matches("\\d+") && Integer.parseInt(layer) < diffIds.size()
          ? diffIds.get(Integer.parseInt(layer)) : layer;
      where.append(" AND ip.diff_id = ?");
      args.add(diffId);
    }
    long total;
    try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*)" + where)) {
      bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        total = rs.getLong(1);
      }
    }
    List<PackageView> items = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT p.*, ip.path, ip.diff_id, ip.properties, ip.language_purls"
        + where
        + " ORDER BY p.name, p.version, p.architecture, ip.path LIMIT ? OFFSET ?")) {
      List<Object> paged = new ArrayList<>(args);
      paged.add(q.page().size());
      paged.add(q.page().offset());
      bind(ps, paged);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) items.add(packageView(rs, diffIds));
      }
    }
    return new Page<>(items, total, q.page().page(), q.page().size());
  }

  List<PackageView> allPackages(Connection c, String imageId) throws SQLException {
    List<String> diffIds = imageDiffIds(c, imageId);
    List<PackageView> items = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT p.*, ip.path, ip.diff_id, ip.properties, ip.language_purls"
        + " FROM image_packages ip"
        + " JOIN packages p ON p.id = ip.package_id WHERE ip.image_id = ? ORDER BY p.type, p.name, p.version, ip.path")) {
      ps.setString(1, imageId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) items.add(packageView(rs, diffIds));
      }
    }
    return items;
  }

  private static List<String> imageDiffIds(Connection c, String imageId) throws SQLException {
    List<String> diffIds = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT diff_id FROM image_layers WHERE image_id = ? ORDER BY idx")) {
      ps.setString(1, imageId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) diffIds.add(rs.getString(1));
      }
    }
    return diffIds;
  }

  private static PackageView packageView(ResultSet rs, List<String> diffIds) throws SQLException {
    String diffId = rs.getString("diff_id");
    return new PackageView(rs.getString("type"), rs.getString("name"), rs.getString("version"),
        rs.getString("architecture"), rs.getString("source_name"), rs.getString("source_version"),
        rs.getString("distro"), rs.getString("license"), rs.getString("purl"), rs.getString("path"), diffId,
        diffIds.indexOf(diffId), emptyOr(rs.getString("properties"), Columns::stringMap, Map.of()),
        emptyOr(rs.getString("language_purls"), Columns::strings, List.of()));
  }

  private static <T> T emptyOr(String json, java.util.function.Function<String, T> read, T empty) {
    return json == null || json.isEmpty() ? empty : read.apply(json);
  }

  private static void bind(PreparedStatement ps, List<Object> args) throws SQLException {
    for (int i = 0; i < args.size(); i++) {
      Object a = args.get(i);
      if (a instanceof Integer n) ps.setInt(i + 1, n);
      else if (a instanceof Long n) ps.setLong(i + 1, n);
      else ps.setString(i + 1, (String) a);
    }
  }
}
