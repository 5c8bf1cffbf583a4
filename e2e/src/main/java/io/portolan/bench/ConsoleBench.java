package io.portolan.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.portolan.collector.advisory.AdvisoryCodec;
import io.portolan.collector.advisory.FeedService;
import io.portolan.collector.api.ApiServer;
import io.portolan.collector.api.RestApi;
import io.portolan.collector.console.Console;
import io.portolan.collector.scan.AgentLink;
import io.portolan.collector.scan.ScanService;
import io.portolan.collector.schedule.ScheduleService;
import io.portolan.collector.match.MatchService;
import io.portolan.collector.query.VulnerabilityViews;
import io.portolan.collector.store.HostChange;
import io.portolan.collector.store.HostFacts;
import io.portolan.collector.store.ImageFacts;
import io.portolan.collector.store.IngestBatch;
import io.portolan.collector.store.InventoryChange;
import io.portolan.collector.store.VulnerabilityStore.FeedStatus;
import io.portolan.collector.store.VulnerabilityStore.FindingRow;
import io.portolan.collector.store.VulnerabilityStore.ImageVulnerabilities;
import io.portolan.collector.store.VulnerabilityStore.StoredAdvisory;
import io.portolan.collector.store.jdbc.DatabaseSettings;
import io.portolan.collector.store.jdbc.JdbcStore;
import io.portolan.vuln.advisory.Advisory;
import io.portolan.vuln.advisory.Affected;
import io.portolan.vuln.advisory.AffectedState;
import io.portolan.vuln.advisory.VersionRange;
import io.portolan.vuln.match.AdvisoryIndex;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code portolan bench console}: the console's pages rendered by the collector's own HTTP server
 * (the same API server, console and store classes the collector wires) over a fleet of 10,000 images
 * on 2,000 hosts, and an image with 1,000 packages and 500 vulnerabilities. Each page is fetched over
 * HTTP, whole, as a browser asks for it: server time, rendering and transfer included.
 */
@Command(name = "console", mixinStandardHelpOptions = true,
    description = "Console pages at fleet scale (targets: images list 150 ms, image detail 200 ms).")
final class ConsoleBench implements Callable<Integer> {
  @Option(names = "--images", defaultValue = "10000", description = "Images (default: ${DEFAULT-VALUE})")
  int images;

  @Option(names = "--hosts", defaultValue = "2000", description = "Hosts (default: ${DEFAULT-VALUE})")
  int hosts;

  @Option(names = "--per-host", defaultValue = "25", description = "Images per host (default: ${DEFAULT-VALUE})")
  int perHost;

  @Option(names = "--packages", defaultValue = "1000", description = "Packages of the detail image (default: ${DEFAULT-VALUE})")
  int packages;

  @Option(names = "--vulnerabilities", defaultValue = "500",
      description = "(package, vulnerability) findings of the detail image (default: ${DEFAULT-VALUE})")
  int findings;

  @Option(names = "--runs", defaultValue = "25", description = "Timed fetches per page (default: ${DEFAULT-VALUE})")
  int runs;

  @Mixin BenchDatabase database;

  private static final String DETAIL_IMAGE = "sha256:" + "d".repeat(64);
  private static final String[] OS = {"Debian GNU/Linux 12 (bookworm)", "Alpine Linux v3.19",
      "Ubuntu 22.04.4 LTS", "Debian GNU/Linux 11 (bullseye)"};

  @Override
  public Integer call() throws Exception {
    Path dir = Files.createTempDirectory("portolan-console-bench");
    String schema = database.postgres() ? database.createSchema("bench_console") : null;
    DatabaseSettings db = schema == null ? DatabaseSettings.h2File(dir)
        : new DatabaseSettings(database.urlIn(schema, false), database.user, database.password, 10);
    try {
      Random random = new Random(42);
      long t0 = System.nanoTime();
      try (JdbcStore store = JdbcStore.open(db)) {
        populate(db, random);
        detailImage(store, random);
        analyze(db);
        System.out.printf("fleet: %,d images on %,d hosts (%d each), %,d containers; detail image: %,d packages,"
            + " %,d findings; setup %.1f s%n", images, hosts, perHost, hosts * 10, packages, findings,
            (System.nanoTime() - t0) / 1e9);
        try (MatchService match = new MatchService(store, Clock.systemUTC(), new SimpleMeterRegistry());
            FeedService feeds = new FeedService(store, match, Clock.systemUTC(), dir.resolve("feeds"), List.of())) {
          PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
          // The collector's HTTP side as Collector wires it; no agents, so no ingest and no matching run.
          // Scan and schedule services as Collector builds them, not started: with no agent connected the
          // bench only reads pages, and the images list's scan columns come from the store.
          var scans = new ScanService(store, new AgentLink() {
            @Override
            public boolean send(String agentId, io.portolan.proto.agent.v1.Command command) {
              return false;
            }

            @Override
            public java.util.Set<String> connectedAgents() {
              return java.util.Set.of();
            }

            @Override
            public void afterMatching(Runnable task) {
              task.run();
            }

            @Override
            public boolean matchPending(String imageId) {
              return false;
            }
          }, Clock.systemUTC(), ScanService.Settings.defaults(Duration.ofDays(3650)), "bench");
          var schedules = new ScheduleService(store, scans, Clock.systemUTC(), () -> { });
          var console = new Console(store, new VulnerabilityViews(store, feeds), feeds, scans, schedules,
              Clock.systemUTC(), Duration.ofDays(3650), "bench", "127.0.0.1:7071",
              Files.createDirectories(dir.resolve("uploads")));
          var api = new RestApi(store, Clock.systemUTC(), Duration.ofDays(3650), "bench", feeds, schedules, scans);
          try (ApiServer http = new ApiServer(api, "bench", metrics,
              () -> new ApiServer.Health("UP", "UP", "UP", 0), Optional.of(console)).start("127.0.0.1", 0)) {
            String base = "http://127.0.0.1:" + http.port();
            String detail = DETAIL_IMAGE.substring(7, 19);
            // api: the same question asked of the REST API, in the same round: the store's share of the time.
            record Target(String label, String path, long targetMs, String api) {}
            List<Target> targets = List.of(
                new Target("images, first page, worst severity >= high, by risk", "/images?severity=high&sort=risk&order=desc", 150,
                    "/api/v1/images?severity=high&sort=risk&order=desc"),
                new Target("images, search + assessed, by size", "/images?search=team-1&assessment=assessed&sort=size&order=asc", 150,
                    "/api/v1/images?search=team-1&assessment=assessed&sort=size&order=asc"),
                new Target("images, one host (by name), by critical", "/images?host=host-42&sort=critical&order=desc", 150,
                    "/api/v1/images?host=agent-42&sort=critical&order=desc"),
                new Target("images, OS filter, by repository", "/images?os=debian-12&sort=repository&order=asc", 150,
                    "/api/v1/images?os=debian-12&sort=repository&order=asc"),
                new Target("images, default (newest first)", "/images", 150, "/api/v1/images"),
                new Target("images, by scan status", "/images?sort=scan_status&order=desc", 150,
                    "/api/v1/images?sort=scan_status&order=desc"),
                new Target("images, not scanned, by last scanned", "/images?scanStatus=not_scanned&sort=last_scanned",
                    150, "/api/v1/images?scanStatus=not_scanned&sort=last_scanned"),
                new Target("image detail: vulnerabilities tab (default)", "/images/" + detail, 200,
                    "/api/v1/images/" + detail + "/vulnerabilities"),
                new Target("image detail: packages tab", "/images/" + detail + "/packages", 200,
                    "/api/v1/images/" + detail + "/packages"),
                new Target("image detail: layers tab", "/images/" + detail + "/layers", 200,
                    "/api/v1/images/" + detail + "/layers"),
                new Target("overview", "/", 0, ""));
            HttpClient client = HttpClient.newHttpClient();
            Map<String, long[]> times = new LinkedHashMap<>();
            Map<String, long[]> apiTimes = new LinkedHashMap<>();
            Map<String, Integer> bytes = new HashMap<>();
            for (Target t : targets) {
              times.put(t.label(), new long[runs]);
              apiTimes.put(t.label(), new long[runs]);
            }
            // Warm-up: class loading, JIT, caches of the database; then interleaved rounds.
            for (int w = 0; w < 5; w++) for (Target t : targets) fetch(client, base + t.path());
            for (int r = 0; r < runs; r++) {
              for (Target t : targets) {
                long s = System.nanoTime();
                bytes.put(t.label(), fetch(client, base + t.path()));
                times.get(t.label())[r] = (System.nanoTime() - s) / 1_000;
                if (!t.api().isEmpty()) {
                  long a = System.nanoTime();
                  fetch(client, base + t.api());
                  apiTimes.get(t.label())[r] = (System.nanoTime() - a) / 1_000;
                }
              }
            }
            StringBuilder result = new StringBuilder("RESULT console db=" + (database.postgres() ? "PostgreSQL" : "H2"));
            boolean allMet = true;
            for (Target t : targets) {
              long[] us = times.get(t.label());
              Arrays.sort(us);
              double median = us[us.length / 2] / 1000.0;
              double p90 = us[(int) (us.length * 0.9)] / 1000.0;
              long[] apiUs = apiTimes.get(t.label());
              Arrays.sort(apiUs);
              String apiNote = t.api().isEmpty() ? "" : String.format("  (same query as JSON: %.1f ms)", apiUs[apiUs.length / 2] / 1000.0);
              String target = t.targetMs() == 0 ? "" : String.format("   target <= %d ms   ratio %.2f", t.targetMs(),
                  median / t.targetMs());
              if (t.targetMs() > 0 && median > t.targetMs()) allMet = false;
              System.out.printf("%-52s median %6.1f ms  p90 %6.1f ms  (%,d bytes)%s%s%n", t.label(), median, p90,
                  bytes.get(t.label()), target, apiNote);
              result.append(' ').append(t.path().equals("/") ? "overview" : t.label().split("[,:]")[0]
                  .replace(' ', '_') + "_" + targets.indexOf(t)).append("_ms=").append(String.format("%.1f", median));
            }
            System.out.println(result.append(" targets_met=").append(allMet));
          }
        }
      }
    } finally {
      if (schema != null) database.dropSchema(schema);
    }
    return 0;
  }

  private static int fetch(HttpClient client, String url) throws Exception {
    HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(url + " answered " + r.statusCode() + ": "
          + new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
    }
    return r.body().length;
  }

  /** As autovacuum would after bulk loads (PostgreSQL plans by statistics). */
  private static void analyze(DatabaseSettings db) throws Exception {
    if (db.jdbcUrl().startsWith("jdbc:h2:")) return;
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement()) {
      for (String table : List.of("images", "image_inventory", "image_vulnerabilities", "host_images",
          "host_image_tags", "containers", "hosts", "packages", "image_packages", "findings")) {
        s.execute("VACUUM ANALYZE " + table);
      }
    }
  }

  /** The fleet, written with plain JDBC batches like the match benchmark: setup is not what is measured. */
  private void populate(DatabaseSettings db, Random random) throws Exception {
    Timestamp now = Timestamp.from(Instant.now());
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
      c.setAutoCommit(false);
      try (PreparedStatement img = c.prepareStatement("INSERT INTO images (id, created, size_bytes, os, architecture,"
          + " variant, author, docker_version, config, first_seen) VALUES (?, ?, ?, 'linux', 'amd64', '', '', '',"
          + " '{}', ?)");
          PreparedStatement inv = c.prepareStatement("INSERT INTO image_inventory (image_id, units_fingerprint,"
              + " status, os_id, os_name, os_version, os_codename, os_pretty_name, os_eol, package_count, errors,"
              + " updated) VALUES (?, 'bench', 'COMPLETE', ?, ?, ?, '', ?, NULL, ?, '', ?)");
          PreparedStatement vul = c.prepareStatement("INSERT INTO image_vulnerabilities (image_id, critical, high,"
              + " medium, low, negligible, unrated, total, fixable, priority, risk_base, worst_rank, matched_at)"
              + " VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)")) {
        for (int i = 0; i < images; i++) {
          String id = imageId(i);
          img.setString(1, id);
          img.setTimestamp(2, Timestamp.from(Instant.now().minusSeconds(random.nextInt(86400 * 365))));
          img.setLong(3, 5_000_000L + random.nextInt(900_000_000));
          img.setTimestamp(4, now);
          img.addBatch();
          int os = random.nextInt(OS.length);
          inv.setString(1, id);
          inv.setString(2, os == 1 ? "alpine" : os == 2 ? "ubuntu" : "debian");
          inv.setString(3, OS[os].replaceAll(" \\(.*", ""));
          inv.setString(4, os == 0 ? "12" : os == 3 ? "11" : os == 1 ? "3.19" : "22.04");
          inv.setString(5, OS[os]);
          inv.setInt(6, 50 + random.nextInt(400));
          inv.setTimestamp(7, now);
          inv.addBatch();
          if (i % 10 != 9) {
            int[] n = {random.nextInt(3), random.nextInt(12), random.nextInt(40), random.nextInt(60), random.nextInt(30)};
            int total = Arrays.stream(n).sum();
            int worst = n[0] > 0 ? 5 : n[1] > 0 ? 4 : n[2] > 0 ? 3 : n[3] > 0 ? 2 : n[4] > 0 ? 1 : -1;
            vul.setString(1, id);
            for (int k = 0; k < 5; k++) vul.setInt(2 + k, n[k]);
            vul.setInt(7, total);
            vul.setInt(8, total / 2);
            vul.setInt(9, n[0] + n[1] > 0 ? 1 : 0);
            vul.setDouble(10, n[0] * 10 + n[1] * 5 + n[2] * 2 + n[3] * 0.5);
            vul.setInt(11, Math.max(worst, 0));
            vul.setTimestamp(12, now);
            vul.addBatch();
          }
          if (i % 500 == 499) {
            img.executeBatch();
            inv.executeBatch();
            vul.executeBatch();
            c.commit();
          }
        }
        img.executeBatch();
        inv.executeBatch();
        vul.executeBatch();
        c.commit();
      }
      try (PreparedStatement host = c.prepareStatement("INSERT INTO hosts (id, name, ips, os, kernel, architecture,"
          + " docker_version, docker_api_version, agent_version, labels, storage_driver, docker_root_dir, cpus,"
          + " memory_bytes, first_seen, last_seen, last_seq) VALUES (?, ?, '[\"10.1.2.3\"]', 'Debian GNU/Linux 12',"
          + " '6.1.0', 'x86_64', '24.0.7', '1.43', '0.1', '{}', 'overlay2', '/var/lib/docker', 4, 8589934592, ?, ?, 0)");
          PreparedStatement hi = c.prepareStatement("INSERT INTO host_images (host_id, image_id, first_seen,"
              + " last_seen, present) VALUES (?, ?, ?, ?, TRUE)");
          PreparedStatement tag = c.prepareStatement("INSERT INTO host_image_tags (host_id, image_id, repository, tag)"
              + " VALUES (?, ?, ?, ?)");
          PreparedStatement ct = c.prepareStatement("INSERT INTO containers (host_id, id, name, names, image_id,"
              + " image_ref, state, status, command, exit_code, ports, labels, restart_count, present, updated)"
              + " VALUES (?, ?, ?, '[]', ?, ?, ?, ?, '/app/run', 0, '[]', '{}', 0, TRUE, ?)")) {
        for (int h = 0; h < hosts; h++) {
          String hostId = "agent-" + h;
          host.setString(1, hostId);
          host.setString(2, "host-" + h);
          host.setTimestamp(3, now);
          host.setTimestamp(4, now);
          host.addBatch();
          for (int j = 0; j < perHost; j++) {
            // Every image lands on hosts * perHost / images hosts, spread over the fleet.
            int im = (int) (((long) h * perHost + j) % images);
            hi.setString(1, hostId);
            hi.setString(2, imageId(im));
            hi.setTimestamp(3, now);
            hi.setTimestamp(4, now);
            hi.addBatch();
            tag.setString(1, hostId);
            tag.setString(2, imageId(im));
            tag.setString(3, repository(im));
            tag.setString(4, "v" + (im % 13));
            tag.addBatch();
            if (j < 10) {
              ct.setString(1, hostId);
              ct.setString(2, String.format("%064x", (long) h * 100 + j));
              ct.setString(3, "svc-" + j);
              ct.setString(4, imageId(im));
              ct.setString(5, repository(im) + ":v" + (im % 13));
              ct.setString(6, j < 5 ? "running" : "exited");
              ct.setString(7, j < 5 ? "Up 3 days" : "Exited (0)");
              ct.setTimestamp(8, now);
              ct.addBatch();
            }
          }
          if (h % 200 == 199) {
            host.executeBatch();
            hi.executeBatch();
            tag.executeBatch();
            ct.executeBatch();
            c.commit();
          }
        }
        host.executeBatch();
        hi.executeBatch();
        tag.executeBatch();
        ct.executeBatch();
        c.commit();
      }
    }
  }

  private static String imageId(int i) {
    return String.format("sha256:%064x", i + 1);
  }

  private static String repository(int i) {
    return "registry.example.com/team-" + (i % 40) + "/app-" + (i % 250);
  }

  /**
   * The image of the detail page, written through the store as ingest writes it: five layers, the
   * packages spread over them, and findings with their advisories (for the descriptions).
   */
  private void detailImage(JdbcStore store, Random random) {
    Instant now = Instant.now();
    List<String> layers = new ArrayList<>();
    List<ImageFacts.HistoryEntry> history = new ArrayList<>();
    for (int l = 0; l < 5; l++) {
      layers.add(String.format("sha256:%064x", 0xABC000L + l));
      history.add(new ImageFacts.HistoryEntry(now, "/bin/sh -c apt-get install -y layer-" + l, false, ""));
    }
    store.registerHost("agent-detail", "0.1", new HostFacts("detail-host", List.of("10.9.9.9"), "Debian GNU/Linux 12",
        "6.1.0", "x86_64", "24.0.7", "1.43", Map.of(), "overlay2", "/var/lib/docker", 4, 1L << 33), now);
    store.apply("agent-detail", List.of(new HostChange.ImageUpserted(new ImageFacts(DETAIL_IMAGE,
        List.of("registry.example.com/payments/api:2.4.1"), List.of(), now, 812_000_000L, "linux", "amd64", "", layers,
        history, ImageFacts.Config.EMPTY, "", ""))), 1, now);
    List<InventoryChange.PackageRow> rows = new ArrayList<>();
    for (int p = 0; p < packages; p++) {
      String name = "lib" + "pkg" + p;
      String version = "1." + (p % 9) + "-" + (1 + p % 3) + "+deb12u1";
      rows.add(new InventoryChange.PackageRow("deb", name, version, "amd64", "src" + (p / 2), version, "debian-12",
          "GPL-2.0", "pkg:deb/debian/" + name + "@" + version + "?arch=amd64&distro=debian-12",
          "var/lib/dpkg/status", layers.get(p * layers.size() / packages)));
    }
    List<InventoryChange.LayerChangeRow> changes = new ArrayList<>();
    for (int l = 0; l < layers.size(); l++) changes.add(new InventoryChange.LayerChangeRow(l, layers.get(l),
        packages / layers.size(), 0, 0));
    var os = new InventoryChange.Os("debian", "Debian GNU/Linux", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)",
        Optional.empty());
    store.ingest(List.of(new IngestBatch("agent-detail", Optional.empty(), List.of(),
        List.of(new InventoryChange.ImageInventoried(DETAIL_IMAGE, "bench", Optional.of(os), rows, changes, List.of())),
        2)), now);

    Map<String, Long> ids = new HashMap<>();
    store.forEachPackage(k -> ids.put(k.name(), k.id()));
    String[] severities = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"};
    int[] ranks = {5, 4, 3, 2, 1, 0};
    Map<Long, List<FindingRow>> byPackage = new HashMap<>();
    List<StoredAdvisory> advisories = new ArrayList<>();
    int[] counts = new int[6];
    int fixable = 0;
    for (int f = 0; f < findings; f++) {
      // Some packages carry several findings: about 300 package groups for 500 findings.
      int p = (f < 300 ? f * 3 : (f - 300) * 3) % packages;
      int s = random.nextInt(severities.length);
      counts[s]++;
      String cve = String.format("CVE-2024-%05d", 10_000 + f);
      boolean fixed = random.nextBoolean();
      if (fixed) fixable++;
      byPackage.computeIfAbsent(ids.get("libpkg" + p), k -> new ArrayList<>()).add(new FindingRow(cve, "DSA-" + (5000 + f)
          + "-1", fixed ? "fixed" : "unfixed", fixed ? "2.0-1+deb12u1" : "", severities[s], ranks[s], "debian",
          "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "debian", cve));
      Advisory a = new Advisory(cve, Set.of("DSA-" + (5000 + f) + "-1"), "Heap overflow in src" + (p / 2)
          + " when parsing crafted input", "A remote attacker can cause a heap-based buffer overflow in src" + (p / 2)
          + " by sending crafted input, which may lead to denial of service or code execution. ".repeat(3), now, now,
          false, List.of(), List.of("https://security-tracker.debian.org/tracker/" + cve),
          List.of(new Affected("deb", "debian:12", "src" + (p / 2), true, AffectedState.RANGES,
              List.of(VersionRange.fixedIn("2.0-1+deb12u1")), List.of(), "high", "")));
      byte[] body = AdvisoryCodec.encode(a);
      advisories.add(new StoredAdvisory("debian", cve, AdvisoryIndex.canonicalId(a), AdvisoryCodec.hash(body), false,
          now, body, AdvisoryCodec.ids(a)));
    }
    store.writeAdvisories("debian", advisories, List.of(), new FeedStatus("debian", "DEBIAN_TRACKER", "bench", "",
        "", now, now, now, advisories.size(), ""));
    store.replaceFindings(byPackage, 1);
    store.writeImageVulnerabilities(List.of(new ImageVulnerabilities(DETAIL_IMAGE, counts[0], counts[1], counts[2],
        counts[3], counts[4], counts[5], findings, fixable, counts[0] + counts[1], counts[0] * 10 + counts[1] * 5
        + counts[2] * 2 + counts[3] * 0.5, 5, now)), List.of());
  }
}
