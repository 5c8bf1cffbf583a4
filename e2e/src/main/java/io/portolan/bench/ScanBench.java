package io.portolan.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code portolan bench scan}: a full scan of a fleet whose layers are all cached on the agents, as
 * a schedule would start it. Simulated agents sync their snapshots and send every distinct image's
 * inventory once (setup, not measured); then one scan job over all images runs to its end: the
 * collector dispatches each image to one least-busy host, every agent answers from its cache, and
 * the collector records results after matching. Reports the time to complete, the collector's CPU
 * and the database size.
 */
@Command(name = "scan", mixinStandardHelpOptions = true,
    description = "Full scan over N simulated agents with all layers cached (target: 5,000 x 50 in 2 minutes).")
final class ScanBench implements Callable<Integer> {
  private static final double TARGET_S = 120;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--agents", defaultValue = "5000", description = "Simulated agents (default: ${DEFAULT-VALUE})")
  int agents;

  @Option(names = "--images", defaultValue = "50", description = "Images per host (default: ${DEFAULT-VALUE})")
  int images;

  @Option(names = "--containers", defaultValue = "5", description = "Containers per host (default: ${DEFAULT-VALUE})")
  int containers;

  @Option(names = "--image-pool", defaultValue = "2000",
      description = "Distinct images in the fleet; each host draws its images from it (default: ${DEFAULT-VALUE})")
  int imagePool;

  @Mixin BenchDatabase database;

  @Option(names = "--timeout-seconds", defaultValue = "900", description = "Give up after (default: ${DEFAULT-VALUE})")
  int timeoutSeconds;

  @Option(names = "--keep", description = "Keep the PostgreSQL schema and the H2 data directory")
  boolean keep;

  @Override
  public Integer call() throws Exception {
    boolean postgres = database.postgres();
    Path work = BenchProcess.workDir("scan");
    String schema = postgres ? database.createSchema("scanbench") : null;
    BenchProcess.Database db = postgres
        ? new BenchProcess.Database(database.urlIn(schema, true), database.user, database.password) : null;
    int httpPort = BenchProcess.freePort();
    int grpcPort = BenchProcess.freePort();
    Duration timeout = Duration.ofSeconds(timeoutSeconds);
    try (BenchProcess collector = BenchProcess.collector(work, httpPort, grpcPort, db, Duration.ofSeconds(10))
        .start()) {
      CollectorApi api = new CollectorApi(httpPort);
      api.awaitHealthy(collector, Duration.ofSeconds(90));
      long pid = collector.pid();
      Fleet fleet = new Fleet(42, imagePool);
      try (ScanSimulator sim = new ScanSimulator(grpcPort, fleet, agents, images, containers)) {
        long t0 = System.nanoTime();
        System.out.printf("setup: %d agents x %d images from a pool of %d, syncing...%n", agents, images, imagePool);
        sim.sync(timeout);
        sim.heartbeats(Duration.ofSeconds(10));
        System.out.printf("setup: synced in %.1f s; sending each distinct image's inventory once...%n",
            (System.nanoTime() - t0) / 1e9);
        long t1 = System.nanoTime();
        int distinct = sim.inventory(timeout);
        System.out.printf("setup: %d image inventories stored in %.1f s (%d layer units)%n", distinct,
            (System.nanoTime() - t1) / 1e9, sim.unitsSent());
        awaitMatched(api, collector, distinct, timeout);
        if (postgres) vacuum(db);
        awaitIdle(collector, pid);

        double cpu0 = ProcStats.cpuSeconds(pid);
        long s0 = System.nanoTime();
        JsonNode job = post(httpPort, "/api/v1/scans", "{\"scope\":{\"kind\":\"all\"},\"requestedBy\":\"bench\"}");
        String id = job.get("id").asText();
        JsonNode detail = awaitDone(api, collector, id, timeout);
        double seconds = (System.nanoTime() - s0) / 1e9;
        double cpu = ProcStats.cpuSeconds(pid) - cpu0;
        double peakRss = ProcStats.peakRssMb(pid);
        collector.requireAlive();
        JsonNode counts = detail.get("job").get("counts");
        int scanned = counts.get("scanned").asInt();
        int total = detail.get("job").get("images").asInt();
        Map<String, Long> sizes = postgres ? sizes(db) : Map.of();

        System.out.println();
        System.out.println("=== scan: " + agents + " agents x " + images + " images on " + (postgres ? "PostgreSQL" : "H2")
            + " ===");
        System.out.printf("  fleet                  pool %d images, %d distinct present, %d host-image pairs%n",
            imagePool, total, (long) agents * images);
        System.out.printf("  full scan              %.1f s (POST /scans -> job %s)   target <= %.0f s: %s (%.2fx target)%n",
            seconds, detail.get("job").get("state").asText(), TARGET_S, seconds <= TARGET_S ? "MET" : "MISSED",
            seconds / TARGET_S);
        System.out.printf("  images                 %d scanned, %d failed, %d cancelled of %d; %d commands to agents,"
            + " %d results%n", scanned, counts.get("failed").asInt(), counts.get("cancelled").asInt(), total,
            sim.commands(), sim.scanResults());
        System.out.printf("  collector CPU          %.1f s (%.0f%% of one core on average); peak RSS %.0f MB%n", cpu,
            cpu / seconds * 100, peakRss);
        if (postgres) {
          System.out.printf("  database               %s schema total; scan tables: %s%n", mb(sizes.get("total")),
              scanTables(sizes));
        }
        System.out.printf("RESULT scan agents=%d images_per_host=%d distinct_images=%d db=%s seconds=%.1f cpu_s=%.1f"
            + " scanned=%d db_mb=%.1f%n", agents, images, total, postgres ? "postgres" : "h2", seconds, cpu, scanned,
            sizes.getOrDefault("total", 0L) / 1e6);
        if (scanned != total || sim.streamErrors() > 0) {
          System.err.println("FAILED: " + (total - scanned) + " images not scanned, " + sim.streamErrors()
              + " broken streams (" + sim.firstError() + "); collector log " + collector.log());
          return 1;
        }
        return 0;
      }
    } finally {
      if (postgres && !keep) {
        try {
          database.dropSchema(schema);
        } catch (SQLException e) {
          System.err.println("could not drop schema " + schema + ": " + e.getMessage());
        }
      }
    }
  }

  private static String mb(Long bytes) {
    return bytes == null ? "?" : String.format("%.1f MB", bytes / 1e6);
  }

  private static String scanTables(Map<String, Long> sizes) {
    StringBuilder sb = new StringBuilder();
    for (String t : new String[] {"scan_items", "scan_records", "image_scan_status", "scan_jobs"}) {
      if (!sb.isEmpty()) sb.append(", ");
      sb.append(t).append(' ').append(mb(sizes.get(t)));
    }
    return sb.toString();
  }

  /**
   * Until the collector used under 5% of a core for a whole second, so that the setup's background
   * work (matching, statistics) is not billed to the scan; at most a minute, then says so.
   */
  private static void awaitIdle(BenchProcess collector, long pid) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    double before = ProcStats.cpuSeconds(pid);
    while (System.nanoTime() < deadline) {
      collector.requireAlive();
      Thread.sleep(1_000);
      double now = ProcStats.cpuSeconds(pid);
      if (now - before < 0.05) return;
      before = now;
    }
    System.out.println("setup: the collector was still busy after a minute; measuring anyway");
  }

  private void awaitMatched(CollectorApi api, BenchProcess collector, int distinct, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      collector.requireAlive();
      long notYet = api.total("/api/v1/images?assessment=not_assessed&size=1");
      if (notYet == 0) return;
      Thread.sleep(500);
    }
    throw new IllegalStateException("the inventories were not all matched within " + timeout.toSeconds() + " s");
  }

  private JsonNode awaitDone(CollectorApi api, BenchProcess collector, String id, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int lastPercent = -1;
    while (System.nanoTime() < deadline) {
      collector.requireAlive();
      JsonNode d = api.getOrNull("/api/v1/scans/" + id + "?size=1");
      if (d != null) {
        String state = d.get("job").get("state").asText();
        if (Set.of("SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED").contains(state)) return d;
        int percent = d.get("job").get("progressPercent").asInt();
        if (percent / 10 != lastPercent / 10) {
          System.out.printf("  ... %d%% (%s)%n", percent, d.get("job").get("counts"));
          lastPercent = percent;
        }
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the scan did not finish within " + timeout.toSeconds() + " s; log "
        + collector.log() + ":\n" + collector.logTail(30));
  }

  private static JsonNode post(int port, String path, String body) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + port + path)).header("Content-Type", "application/json").timeout(Duration.ofSeconds(120))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new IllegalStateException("POST " + path + ": " + r.statusCode() + " " + r.body());
    return JSON.readTree(r.body());
  }

  /** Statistics after the bulk load, as autovacuum would leave them in production. */
  private static void vacuum(BenchProcess.Database db) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
        Statement s = c.createStatement()) {
      s.execute("ANALYZE");
    }
  }

  /** Bytes per table of the schema (tables with their indexes and TOAST), and their total. */
  private static Map<String, Long> sizes(BenchProcess.Database db) throws SQLException {
    Map<String, Long> out = new LinkedHashMap<>();
    long total = 0;
    try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c"
            + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
            + " AND c.relkind = 'r' ORDER BY 2 DESC")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
        total += rs.getLong(2);
      }
    }
    out.put("total", total);
    return out;
  }
}
