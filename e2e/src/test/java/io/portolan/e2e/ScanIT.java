package io.portolan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scans end to end on a real engine, real agents and a real PostgreSQL. The agents run with
 * automatic inventory off, so everything they read, they read because a scan asked them to.
 */
class ScanIT {
  static final String OS_RELEASE = "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"
      + "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n";
  static final String STATUS = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\n"
      + "Version: 2.36-9+deb12u3\n\n";
  /** Big layers of many files: a read through the save stream takes seconds and can stop between files. */
  static final int BIG_LAYERS = 4;
  static final int FILES_PER_LAYER = 100;

  static Engine engine;
  static String big;
  @TempDir Path work;
  Postgres db;
  PortolanProcess collector;
  final List<PortolanProcess> agents = new ArrayList<>();
  Api api;
  int grpc;

  @BeforeAll
  static void buildLargeImage() {
    engine = new Engine();
    big = engine.buildLargeImage("portolan-scanit/big:" + engine.run, BIG_LAYERS, FILES_PER_LAYER, OS_RELEASE, STATUS);
  }

  @AfterAll
  static void removeImages() {
    if (engine != null) engine.close();
  }

  @BeforeEach
  void startCollector() {
    db = Postgres.freshSchema();
    int http = PortolanProcess.freePort();
    grpc = PortolanProcess.freePort();
    // Hosts go offline fast, so waiting for one costs seconds, not minutes.
    collector = PortolanProcess.collector(work, "collector", http, grpc, db.url(), db.user(), db.password(),
        "--offline-after", "6s").start();
    api = new Api(http);
    await("collector healthy").atMost(Duration.ofSeconds(60)).until(api::healthy);
  }

  @AfterEach
  void stop() {
    for (PortolanProcess a : agents) a.close();
    if (collector != null) collector.close();
    if (db != null) db.close();
  }

  PortolanProcess agent(String host, String... extra) {
    List<String> args = new ArrayList<>(List.of("--no-auto-inventory"));
    args.addAll(List.of(extra));
    PortolanProcess a = PortolanProcess.agent(work, host, grpc, args.toArray(String[]::new)).start();
    agents.add(a);
    return a;
  }

  void awaitHostOnline(String host, String image) {
    await(host + " reports " + image).atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      List<JsonNode> hosts = api.all("/api/v1/images/" + image + "/hosts?status=online");
      assertThat(hosts).extracting(h -> h.get("hostName").asText()).contains(host);
    });
  }

  String build(String tag, Map<String, String> files) throws Exception {
    Path ctx = Files.createTempDirectory(work, "ctx");
    for (var f : files.entrySet()) {
      Path p = ctx.resolve("root").resolve(f.getKey());
      Files.createDirectories(p.getParent());
      Files.writeString(p, f.getValue());
    }
    Files.writeString(ctx.resolve("Dockerfile"), "FROM scratch\nCOPY root /\nLABEL " + Engine.LABEL + "="
        + engine.run + " tag=" + tag + "\n");
    String id = engine.docker.buildImageCmd(ctx.toFile()).withTags(Set.of(tag)).withPull(false)
        .exec(new BuildImageResultCallback()).awaitImageId();
    return engine.docker.inspectImageCmd(id).exec().getId();
  }

  JsonNode job(String id) {
    return api.get("/api/v1/scans/" + id + "?size=1");
  }

  /** The job's images, every page of them. */
  Map<String, JsonNode> items(String id) {
    Map<String, JsonNode> out = new TreeMap<>();
    for (int page = 1; ; page++) {
      JsonNode p = api.get("/api/v1/scans/" + id + "?size=500&page=" + page).get("images");
      p.get("items").forEach(i -> out.put(i.get("imageId").asText(), i));
      if (out.size() >= p.get("total").asLong() || p.get("items").isEmpty()) return out;
    }
  }

  JsonNode awaitFinal(String id, Duration within) {
    await("scan job " + id + " finished").atMost(within).pollInterval(Duration.ofMillis(250)).until(() ->
        Set.of("SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED").contains(job(id).get("job").get("state").asText()));
    return job(id).get("job");
  }

  @Test
  void scanNowOverASelectionThenOverEverythingWithProgressOutcomesAndHistory() throws Exception {
    String good = build("portolan-scanit/good:" + engine.run, Map.of("etc/os-release", OS_RELEASE,
        "var/lib/dpkg/status", STATUS));
    // The dpkg database of this one is garbage: its packages cannot be known, so its scan is an exception.
    String corrupt = build("portolan-scanit/corrupt:" + engine.run, Map.of("etc/os-release", OS_RELEASE,
        "var/lib/dpkg/status", "\u00ff\u00fe garbage, not a dpkg status file\n"));
    agent("scan-host-a");
    agent("scan-host-b");
    awaitHostOnline("scan-host-a", big);
    awaitHostOnline("scan-host-b", big);

    JsonNode started = api.post("/api/v1/scans", "{\"scope\":{\"kind\":\"images\",\"ids\":[\"" + good + "\",\""
        + corrupt + "\",\"" + big + "\"]},\"requestedBy\":\"scan-it\"}");
    String id = started.get("id").asText();
    assertThat(started.get("images").asInt()).isEqualTo(3);
    // Progress through the API while the large image is read: its progress moves before the job ends.
    List<Integer> seen = new ArrayList<>();
    await("the large image in progress").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> {
          JsonNode item = items(id).get(big);
          seen.add(job(id).get("job").get("progressPercent").asInt());
          return item.get("state").asText().equals("SCANNING") && item.get("progress").asInt() > 0
              || item.get("state").asText().equals("SCANNED");
        });
    JsonNode done = awaitFinal(id, Duration.ofSeconds(120));
    seen.add(done.get("progressPercent").asInt());
    assertThat(seen).as("job progress seen over time").contains(100).anyMatch(p -> p < 100);
    assertThat(done.get("state").asText()).isEqualTo("FAILED");
    assertThat(done.get("counts").get("scanned").asInt()).isEqualTo(2);
    assertThat(done.get("counts").get("failed").asInt()).isEqualTo(1);

    Map<String, JsonNode> items = items(id);
    assertThat(items.get(good).get("state").asText()).isEqualTo("SCANNED");
    assertThat(items.get(big).get("state").asText()).isEqualTo("SCANNED");
    assertThat(items.get(corrupt).get("state").asText()).isEqualTo("SCAN_EXCEPTION");
    assertThat(items.get(corrupt).get("reason").asText()).startsWith("inventory partial:")
        .contains("var/lib/dpkg/status");
    // Each image was scanned once, on one of the two hosts that have it.
    assertThat(items.values()).allSatisfy(i -> assertThat(i.get("hostName").asText()).startsWith("scan-host-"));
    JsonNode history = api.get("/api/v1/images/" + good + "/scans");
    assertThat(history.get("total").asInt()).isEqualTo(1);
    assertThat(history.get("items").get(0).get("after").get("assessed").asBoolean()).isTrue();
    assertThat(api.get("/api/v1/images/" + corrupt).get("scan").get("status").asText()).isEqualTo("SCAN_EXCEPTION");
    assertThat(api.get("/api/v1/images/" + corrupt).get("inventory").get("status").asText()).isEqualTo("PARTIAL");

    // Everything the fleet has, scanned again: the three above from the agents' caches in a blink.
    String all = api.post("/api/v1/scans", "{\"scope\":{\"kind\":\"all\"}}").get("id").asText();
    JsonNode allDone = awaitFinal(all, Duration.ofSeconds(180));
    assertThat(allDone.get("images").asInt()).isGreaterThanOrEqualTo(3);
    Map<String, JsonNode> allItems = items(all);
    assertThat(allItems.get(good).get("state").asText()).isEqualTo("SCANNED");
    assertThat(allItems.get(big).get("state").asText()).isEqualTo("SCANNED");
    assertThat(allItems.get(corrupt).get("state").asText()).isEqualTo("SCAN_EXCEPTION");
    assertThat(api.get("/api/v1/images/" + good + "/scans").get("total").asInt()).isEqualTo(2);
    assertThat(api.get("/api/v1/images?scanStatus=not_scanned&size=1").get("total").asInt()).isZero();
  }

  @Test
  void cancelInTheMiddleOfALargeImageStopsTheAgentBetweenFiles() {
    agent("cancel-host", "--layer-source", "save");
    awaitHostOnline("cancel-host", big);
    String id = api.post("/api/v1/images/scan", "{\"images\":[\"" + big + "\"],\"requestedBy\":\"scan-it\"}")
        .get("id").asText();
    // Some of its layers are read, not all: the middle of the image.
    await("the agent is into the image").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
        .until(() -> {
          JsonNode item = items(id).get(big);
          assertThat(item.get("state").asText()).isIn("QUEUED", "DISPATCHED", "SCANNING");
          return item.get("progress").asInt() > 0;
        });
    JsonNode cancelled = api.post("/api/v1/images/cancel-scan", "{\"images\":[\"" + big + "\"],"
        + "\"requestedBy\":\"scan-it\"}");
    assertThat(cancelled.get("cancelled").asInt()).isEqualTo(1);
    assertThat(items(id).get(big).get("state").asText()).isEqualTo("CANCELLED");

    // The agent confirms where it stopped: inside the image, not at its end.
    await("the agent stops").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(items(id).get(big).get("reason").asText()).contains("the agent on host").contains("stopped"));
    String reason = items(id).get(big).get("reason").asText();
    System.out.println("cancelled scan: " + reason);
    Matcher m = Pattern.compile("after (\\d+) entries").matcher(reason);
    if (m.find()) {
      assertThat(Integer.parseInt(m.group(1))).as(reason).isLessThan(FILES_PER_LAYER);
    } else {
      assertThat(reason).as("stopped before reading a layer").contains("cancelled between layers");
    }
    assertThat(awaitFinal(id, Duration.ofSeconds(10)).get("state").asText()).isEqualTo("CANCELLED");
    JsonNode status = api.get("/api/v1/images/" + big).get("scan");
    assertThat(status.get("status").asText()).isEqualTo("CANCELLED");
    assertThat(api.get("/api/v1/images/" + big + "/scans").get("items").get(0).get("outcome").asText())
        .isEqualTo("CANCELLED");
  }

  @Test
  void anAgentKilledDuringAScanGetsTheImageAgainAndAHostOfflineAtScanTimeIsScannedWhenItReturns() {
    PortolanProcess agent = agent("crash-host", "--layer-source", "save");
    awaitHostOnline("crash-host", big);
    String id = api.post("/api/v1/images/scan", "{\"images\":[\"" + big + "\"]}").get("id").asText();
    await("the agent reads the image").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
        .until(() -> items(id).get(big).get("state").asText().equals("SCANNING"));
    agent.kill();
    agents.remove(agent);
    PortolanProcess again = agent("crash-host", "--layer-source", "save");
    JsonNode done = awaitFinal(id, Duration.ofSeconds(120));
    JsonNode item = items(id).get(big);
    System.out.println("scan across an agent restart: " + item);
    // Back within the offline delay, the agent gets the image again; slower than that (a loaded
    // machine), the image fails saying the agent was lost. Either way it does not stay in flight.
    if (item.get("state").asText().equals("SCANNED")) {
      assertThat(item.get("attempts").asInt()).as("sent again after the restart").isGreaterThanOrEqualTo(2);
      assertThat(done.get("state").asText()).isEqualTo("SUCCEEDED");
    } else {
      assertThat(item.get("state").asText()).as(item.toString()).isEqualTo("SCAN_EXCEPTION");
      assertThat(item.get("reason").asText()).containsAnyOf("went offline during the scan", "reconnected");
      assertThat(done.get("state").asText()).isEqualTo("FAILED");
    }

    // The host goes away; a scan of its image waits for it, visibly, and runs when it is back.
    again.close();
    agents.remove(again);
    await("crash-host offline").atMost(Duration.ofSeconds(30)).until(() ->
        api.all("/api/v1/images/" + big + "/hosts?status=online").isEmpty());
    String waiting = api.post("/api/v1/images/scan", "{\"images\":[\"" + big + "\"]}").get("id").asText();
    await("the scan waits for the host").atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      JsonNode w = items(waiting).get(big);
      assertThat(w.get("state").asText()).isEqualTo("WAITING");
      assertThat(w.get("reason").asText()).startsWith("waiting for host crash-host (offline since ");
      JsonNode status = api.get("/api/v1/images/" + big).get("scan");
      assertThat(status.get("phase").asText()).isEqualTo("WAITING");
      assertThat(status.get("reason").asText()).contains("crash-host");
    });
    agent("crash-host", "--layer-source", "save");
    JsonNode returned = awaitFinal(waiting, Duration.ofSeconds(120));
    assertThat(returned.get("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(items(waiting).get(big).get("hostName").asText()).isEqualTo("crash-host");
  }
}
