package io.portolan.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.portolan.collector.advisory.AdvisoryCodec;
import io.portolan.collector.match.MatchService;
import io.portolan.collector.store.VulnerabilityStore.FeedStatus;
import io.portolan.collector.store.VulnerabilityStore.StoredAdvisory;
import io.portolan.collector.store.jdbc.DatabaseSettings;
import io.portolan.collector.store.jdbc.JdbcStore;
import io.portolan.vuln.advisory.Advisory;
import io.portolan.vuln.advisory.Affected;
import io.portolan.vuln.advisory.AffectedState;
import io.portolan.vuln.advisory.SeverityRating;
import io.portolan.vuln.advisory.VersionRange;
import io.portolan.vuln.match.AdvisoryIndex;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code portolan bench match}: matching at fleet scale, in the collector's own classes against a
 * real database. Synthesizes N images x P packages drawn from a Debian-like universe of source
 * packages and versions, a tracker-sized feed (30,000 CVEs over those sources, with every tracker
 * state), and a fleet of hosts and running containers; then measures a full rematch, an
 * incremental rematch after one advisory changes, and the "where is CVE-X" query.
 */
@Command(name = "match", mixinStandardHelpOptions = true,
    description = "Full and incremental rematch and impact query at fleet scale (targets: 10 s, 200 ms, 100 ms).")
final class MatchBench implements Callable<Integer> {
  @Option(names = "--images", defaultValue = "5000", description = "Images (default: ${DEFAULT-VALUE})")
  int images;

  @Option(names = "--packages", defaultValue = "200", description = "Packages per image (default: ${DEFAULT-VALUE})")
  int packagesPerImage;

  @Option(names = "--sources", defaultValue = "2500", description = "Distinct source packages (default: ${DEFAULT-VALUE})")
  int sources;

  @Option(names = "--versions", defaultValue = "8", description = "Versions per source in the fleet (default: ${DEFAULT-VALUE})")
  int versions;

  @Option(names = "--cves", defaultValue = "30000", description = "CVEs in the feed (default: ${DEFAULT-VALUE})")
  int cves;

  @Option(names = "--hosts", defaultValue = "5000", description = "Hosts (default: ${DEFAULT-VALUE})")
  int hosts;

  @Mixin BenchDatabase database;

  @Override
  public Integer call() throws Exception {
    Path dir = Files.createTempDirectory("portolan-match-bench");
    String schema = database.postgres() ? database.createSchema("bench_match") : null;
    DatabaseSettings db = schema == null ? DatabaseSettings.h2File(dir)
        : new DatabaseSettings(database.urlIn(schema, false), database.user, database.password, 10);
    Random random = new Random(42);
    try {
      try (JdbcStore store = JdbcStore.open(db)) {
        long t0 = System.nanoTime();
        int distinct = populate(db, random);
        analyze(db);
        System.out.printf("fleet: %d images x %d packages = %,d package instances, %,d distinct packages, %d hosts%n",
            images, packagesPerImage, (long) images * packagesPerImage, distinct, hosts);
        List<Advisory> feed = feed(random);
        List<StoredAdvisory> rows = new ArrayList<>();
        for (Advisory a : feed) {
          byte[] body = AdvisoryCodec.encode(a);
          rows.add(new StoredAdvisory("debian", a.id(), AdvisoryIndex.canonicalId(a), AdvisoryCodec.hash(body),
              false, a.modified(), body, AdvisoryCodec.ids(a)));
        }
        Instant now = Instant.now();
        System.out.printf("setup: %.1f s (feed: %,d CVEs)%n", (System.nanoTime() - t0) / 1e9, feed.size());

        try (MatchService match = new MatchService(store, Clock.systemUTC(), new SimpleMeterRegistry())) {
          // No advisories yet: every image is assessed clean. Then the whole feed arrives at once and
          // every package and image must be rematched: the worst full rematch, measured end to end
          // (advisory commit, index build, matching, findings and image counts written).
          match.start(Map.of()).get();
          long s0 = System.nanoTime();
          store.writeAdvisories("debian", rows, List.of(),
              new FeedStatus("debian", "DEBIAN_TRACKER", "synthetic", "", "", now, now, now, rows.size(), ""));
          long importMs = (System.nanoTime() - s0) / 1_000_000;
          Map<String, Advisory> all = new LinkedHashMap<>();
          feed.forEach(a -> all.put(a.id(), a));
          long s1 = System.nanoTime();
          MatchService.Result cold = match.feedChanged("debian", true, all, Set.of(), "bench: whole feed").get();
          // Index rebuild included: what a feed import costs after its records are committed.
          long coldMs = (System.nanoTime() - s1) / 1_000_000;
          System.out.printf("whole feed new: advisory commit %,d ms, then rematch %,d ms (%s; %,d packages changed,"
              + " %,d images updated)%n", importMs, coldMs, cold.phases(), cold.packagesChanged(), cold.imagesUpdated());
          analyze(db);
          long[] full = new long[3];
          for (int i = 0; i < full.length; i++) full[i] = match.rematchAll("bench: full rematch").millis();
          Arrays.sort(full);

          long[] incremental = new long[9];
          for (int i = 0; i < incremental.length; i++) {
            Advisory changed = mutate(feed.get(random.nextInt(feed.size())), i);
            byte[] body = AdvisoryCodec.encode(changed);
            long s = System.nanoTime();
            store.writeAdvisories("debian", List.of(new StoredAdvisory("debian", changed.id(),
                AdvisoryIndex.canonicalId(changed), AdvisoryCodec.hash(body), false, changed.modified(), body,
                AdvisoryCodec.ids(changed))), List.of(), new FeedStatus("debian", "DEBIAN_TRACKER", "synthetic", "", "",
                now, now, Instant.now(), rows.size(), ""));
            match.feedChanged("debian", true, Map.of(changed.id(), changed), Set.of(), "bench: one advisory").get();
            incremental[i] = (System.nanoTime() - s) / 1_000_000;
          }
          Arrays.sort(incremental);

          List<String> cves = spread(db);
          Instant online = Instant.now().minusSeconds(3600);
          String[] labels = {"worst (on the most images)", "typical (median spread)"};
          long[][] impacts = new long[2][];
          int[][] found = new int[2][];
          // The first question loads the fleet's (host, image) memberships into the store's cache.
          long firstStart = System.nanoTime();
          store.impact(cves.get(1), online, 200);
          long firstMs = (System.nanoTime() - firstStart) / 1_000_000;
          for (int k = 0; k < 2; k++) {
            long[] impact = new long[21];
            for (int i = 0; i < impact.length; i++) {
              long s = System.nanoTime();
              var r = store.impact(cves.get(k), online, 200);
              impact[i] = (System.nanoTime() - s) / 1_000_000;
              found[k] = new int[] {r.imageCount(), r.hostCount(), r.runningContainerCount()};
            }
            Arrays.sort(impact);
            impacts[k] = impact;
          }

          String databaseName = database.postgres() ? "PostgreSQL" : "H2";
          System.out.printf("full rematch (%s), whole feed new, every finding and image rewritten: %,d ms"
              + "   target <= 10,000 ms   ratio %.2f   (plus %,d ms committing the 30,000 records)%n", databaseName, coldMs,
              coldMs / 10_000.0, importMs);
          System.out.printf("full rematch (%s), feed unchanged (median of %d): %,d ms   ratio %.2f%n", databaseName,
              full.length, full[full.length / 2], full[full.length / 2] / 10_000.0);
          System.out.printf("incremental rematch, one advisory changed (median of %d, incl. its commit): %,d ms"
              + "   target <= 200 ms   ratio %.2f%n", incremental.length, incremental[incremental.length / 2],
              incremental[incremental.length / 2] / 200.0);
          System.out.printf("impact, first question after start (loads %d hosts' memberships): %,d ms%n", hosts, firstMs);
          for (int k = 0; k < 2; k++) {
            long median = impacts[k][impacts[k].length / 2];
            System.out.printf("impact of %s, %s: %d images, %d hosts, %d running containers; median of %d: %,d ms"
                + "   target <= 100 ms   ratio %.2f%n", cves.get(k), labels[k], found[k][0], found[k][1], found[k][2],
                impacts[k].length, median, median / 100.0);
          }
          System.out.printf("RESULT match db=%s full_ms=%d import_ms=%d unchanged_full_ms=%d incremental_ms=%d"
              + " impact_ms=%d%n", databaseName, coldMs, importMs, full[full.length / 2], incremental[incremental.length / 2], impacts[0][impacts[0].length / 2]);
        }
      }
    } finally {
      if (schema != null) database.dropSchema(schema);
    }
    return 0;
  }

  /**
   * PostgreSQL plans by statistics and reads indexes alone only where its visibility map is set;
   * autovacuum keeps both current in production, here right after bulk loads we ask for it.
   */
  private static void analyze(DatabaseSettings db) throws Exception {
    if (db.jdbcUrl().startsWith("jdbc:h2:")) return;
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement()) {
      for (String table : List.of("packages", "image_packages", "findings", "host_images", "containers", "hosts",
          "image_vulnerabilities")) {
        s.execute("VACUUM ANALYZE " + table);
      }
    }
  }

  private static String source(int i) {
    return "src" + i;
  }

  private static String version(int v) {
    return "1." + v + "-1+deb12u" + (v + 1);
  }

  /** Images, hosts, containers and packages, written with plain JDBC batches: setup is not measured. */
  private int populate(DatabaseSettings db, Random random) throws Exception {
    Instant now = Instant.now();
    Timestamp ts = Timestamp.from(now);
    Map<String, Long> packageIds = new LinkedHashMap<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
      c.setAutoCommit(false);
      try (PreparedStatement img = c.prepareStatement("INSERT INTO images (id, created, size_bytes, os, architecture,"
          + " variant, author, docker_version, config, first_seen) VALUES (?, ?, 0, 'linux', 'amd64', '', '', '', '{}', ?)");
          PreparedStatement inv = c.prepareStatement("INSERT INTO image_inventory (image_id, units_fingerprint, status,"
              + " os_id, os_name, os_version, os_codename, os_pretty_name, os_eol, package_count, errors, updated)"
              + " VALUES (?, 'bench', 'COMPLETE', 'debian', 'Debian GNU/Linux', '12', 'bookworm',"
              + " 'Debian GNU/Linux 12 (bookworm)', NULL, ?, '', ?)");
          PreparedStatement pkg = c.prepareStatement("INSERT INTO packages (id, pkg_key, type, name, version,"
              + " architecture, source_name, source_version, distro, license, purl) VALUES (?, ?, 'deb', ?, ?,"
              + " 'amd64', ?, ?, 'debian-12', '', ?)");
          PreparedStatement ip = c.prepareStatement("INSERT INTO image_packages (image_id, package_id, path, diff_id)"
              + " VALUES (?, ?, '', ?)")) {
        // The first BASE sources are everybody's base image; the rest vary per image.
        final int base = Math.min(60, packagesPerImage);
        int[] order = new int[sources - base];
        for (int i = 0; i < order.length; i++) order[i] = base + i;
        for (int im = 0; im < images; im++) {
          String imageId = String.format("sha256:%064x", im);
          img.setString(1, imageId);
          img.setTimestamp(2, ts);
          img.setTimestamp(3, ts);
          img.addBatch();
          inv.setString(1, imageId);
          inv.setInt(2, packagesPerImage);
          inv.setTimestamp(3, ts);
          inv.addBatch();
          int varying = packagesPerImage - base;
          for (int k = 0; k < varying; k++) {
            int swap = k + random.nextInt(order.length - k);
            int tmp = order[k];
            order[k] = order[swap];
            order[swap] = tmp;
          }
          for (int k = 0; k < packagesPerImage; k++) {
            int s = k < base ? k : order[k - base];
            int v = Math.min(versions - 1, (int) Math.abs(random.nextGaussian() * versions / 3));
            String key = s + "/" + v;
            Long id = packageIds.get(key);
            if (id == null) {
              id = (long) packageIds.size() + 1;
              packageIds.put(key, id);
              pkg.setLong(1, id);
              pkg.setString(2, "deb|lib" + source(s) + "|" + version(v));
              pkg.setString(3, "lib" + source(s));
              pkg.setString(4, version(v));
              pkg.setString(5, source(s));
              pkg.setString(6, version(v));
              pkg.setString(7, "pkg:deb/debian/lib" + source(s) + "@" + version(v) + "?distro=debian-12");
              pkg.addBatch();
            }
            ip.setString(1, imageId);
            ip.setLong(2, id);
            ip.setString(3, "sha256:layer" + (k * 5 / packagesPerImage));
            ip.addBatch();
          }
          if (im % 200 == 199) {
            img.executeBatch();
            inv.executeBatch();
            pkg.executeBatch();
            ip.executeBatch();
            c.commit();
          }
        }
        img.executeBatch();
        inv.executeBatch();
        pkg.executeBatch();
        ip.executeBatch();
        c.commit();
      }
      // Identity columns were bypassed above; move the sequence past them.
      try (Statement s = c.createStatement()) {
        s.execute(db.jdbcUrl().startsWith("jdbc:h2:")
            ? "ALTER TABLE packages ALTER COLUMN id RESTART WITH " + (packageIds.size() + 1)
            : "SELECT setval(pg_get_serial_sequence('packages', 'id'), " + (packageIds.size() + 1) + ")");
      }
      try (PreparedStatement host = c.prepareStatement("INSERT INTO hosts (id, name, ips, os, kernel, architecture,"
          + " docker_version, docker_api_version, agent_version, labels, storage_driver, docker_root_dir, cpus,"
          + " memory_bytes, first_seen, last_seen, last_seq) VALUES (?, ?, '[]', 'Debian', '6.1', 'amd64', '27.0',"
          + " '1.41', '0.1', '{}', 'overlay2', '/var/lib/docker', 2, 0, ?, ?, 0)");
          PreparedStatement hi = c.prepareStatement("INSERT INTO host_images (host_id, image_id, first_seen,"
              + " last_seen, present) VALUES (?, ?, ?, ?, TRUE)");
          PreparedStatement ct = c.prepareStatement("INSERT INTO containers (host_id, id, name, names, image_id,"
              + " image_ref, state, status, command, exit_code, ports, labels, restart_count, present, updated)"
              + " VALUES (?, ?, ?, '[]', ?, '', 'running', 'Up', '', 0, '[]', '{}', 0, TRUE, ?)")) {
        for (int h = 0; h < hosts; h++) {
          String hostId = "host-" + h;
          host.setString(1, hostId);
          host.setString(2, hostId);
          host.setTimestamp(3, ts);
          host.setTimestamp(4, ts);
          host.addBatch();
          Set<Integer> chosen = new java.util.TreeSet<>();
          while (chosen.size() < Math.min(20, images)) chosen.add(random.nextInt(images));
          int n = 0;
          for (int im : chosen) {
            String imageId = String.format("sha256:%064x", im);
            hi.setString(1, hostId);
            hi.setString(2, imageId);
            hi.setTimestamp(3, ts);
            hi.setTimestamp(4, ts);
            hi.addBatch();
            if (n++ < 10) {
              ct.setString(1, hostId);
              ct.setString(2, String.format("%064x", (long) h * 100 + n));
              ct.setString(3, "c" + n);
              ct.setString(4, imageId);
              ct.setTimestamp(5, ts);
              ct.addBatch();
            }
          }
          if (h % 500 == 499) {
            host.executeBatch();
            hi.executeBatch();
            ct.executeBatch();
            c.commit();
          }
        }
        host.executeBatch();
        hi.executeBatch();
        ct.executeBatch();
        c.commit();
      }
    }
    return packageIds.size();
  }

  /** A tracker-shaped feed: every state, fixes at varying versions, some CVEs on two sources. */
  private List<Advisory> feed(Random random) {
    List<Advisory> out = new ArrayList<>();
    String[] urgencies = {"", "low", "medium", "high", "unimportant"};
    for (int i = 0; i < cves; i++) {
      List<Affected> affected = new ArrayList<>();
      int n = random.nextInt(10) == 0 ? 2 : 1;
      for (int k = 0; k < n; k++) {
        String src = source(random.nextInt(sources));
        String urgency = urgencies[random.nextInt(urgencies.length)];
        int kind = random.nextInt(10);
        Affected bookworm = switch (kind) {
          case 0 -> new Affected("deb", "debian:12", src, true, AffectedState.UNFIXED, List.of(), List.of(), urgency, "");
          case 1 -> new Affected("deb", "debian:12", src, true, AffectedState.NO_DSA, List.of(), List.of(), urgency,
              "Minor issue");
          case 2 -> new Affected("deb", "debian:12", src, true, AffectedState.NOT_AFFECTED, List.of(), List.of(), "",
              "Vulnerable code not present");
          case 3 -> null;
          default -> new Affected("deb", "debian:12", src, true, AffectedState.RANGES,
              List.of(VersionRange.fixedIn(version(random.nextInt(versions + 2)))), List.of(), urgency, "");
        };
        if (bookworm != null) affected.add(bookworm);
        affected.add(new Affected("deb", "debian:unstable", src, true, AffectedState.RANGES,
            List.of(VersionRange.fixedIn("2." + random.nextInt(5) + "-1")), List.of(), urgency, ""));
      }
      List<SeverityRating> ratings = random.nextBoolean()
          ? List.of(new SeverityRating("nvd", "CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"))
          : List.of();
      String id = String.format("CVE-%d-%05d", 2000 + i % 25, i);
      out.add(new Advisory(id, Set.of(), "synthetic " + id, "", null, Instant.now(), false, ratings, List.of(),
          affected));
    }
    return out;
  }

  private static Advisory mutate(Advisory a, int round) {
    List<Affected> changed = new ArrayList<>();
    for (Affected af : a.affected()) {
      changed.add(af.namespace().equals("debian:12")
          ? new Affected(af.ecosystem(), af.namespace(), af.packageName(), true, AffectedState.RANGES,
              List.of(VersionRange.fixedIn(version(round % 4))), List.of(), "high", "")
          : af);
    }
    return new Advisory(a.id(), a.aliases(), a.summary(), a.details(), a.published(), Instant.now(), false,
        a.severities(), a.references(), changed);
  }

  /** The CVE on the most images (the worst case for the impact query) and one of median spread. */
  private static List<String> spread(DatabaseSettings db) throws Exception {
    List<String> byReach = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT f.vuln_id, COUNT(*) AS n FROM findings f JOIN image_packages ip"
            + " ON ip.package_id = f.package_id GROUP BY f.vuln_id ORDER BY n DESC, f.vuln_id")) {
      while (rs.next()) byReach.add(rs.getString(1));
    }
    if (byReach.isEmpty()) return List.of("CVE-none", "CVE-none");
    return List.of(byReach.get(0), byReach.get(byReach.size() / 2));
  }

}
