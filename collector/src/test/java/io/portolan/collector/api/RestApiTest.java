package io.portolan.collector.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.portolan.collector.TestCollector;
import io.portolan.collector.store.HostChange;
import io.portolan.collector.store.HostFacts;
import io.portolan.collector.store.ImageFacts;
import io.portolan.collector.store.IngestBatch;
import io.portolan.collector.store.InventoryChange;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RestApiTest {
  @TempDir static Path dataDir;
  static TestCollector collector;
  static final ObjectMapper json = new ObjectMapper();
  static final String IMAGE = "sha256:" + "ab".repeat(32);

  @BeforeAll
  static void start() {
    collector = new TestCollector(dataDir);
    var store = collector.collector.store();
    Instant now = Clock.systemUTC().instant();
    store.registerHost("agent-1", "0.1.0", new HostFacts("web-1", List.of("10.0.0.5"), "Debian GNU/Linux 12",
        "6.1.0", "x86_64", "20.10.24", "1.41", Map.of(), "overlay2", "/var/lib/docker", 2, 1L << 33), now);
    var image = new ImageFacts(IMAGE, List.of("registry.example.com/team/app:1.0"), List.of(), now.minus(Duration.ofDays(3)),
        5_000_000, "linux", "amd64", "", List.of("sha256:" + "cd".repeat(32)),
        List.of(new ImageFacts.HistoryEntry(null, "COPY busybox /bin/busybox", false, "")),
        ImageFacts.Config.EMPTY, "", "");
    store.apply("agent-1", List.of(new HostChange.ImageUpserted(image)), 1, now);
    var os = new InventoryChange.Os("debian", "Debian GNU/Linux", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)",
        java.util.Optional.empty());
    var pkg = new InventoryChange.PackageRow("deb", "libcurl4", "7.88.1-10+deb12u3", "amd64", "curl",
        "7.88.1-10+deb12u3", "debian-12", "", "pkg:deb/debian/libcurl4@7.88.1-10+deb12u3?distro=debian-12",
        "var/lib/dpkg/status", "sha256:" + "cd".repeat(32));
    store.ingest(List.of(new IngestBatch("agent-1", java.util.Optional.empty(), List.of(),
        List.of(new InventoryChange.ImageInventoried(IMAGE, "fp", java.util.Optional.of(os), List.of(pkg),
            List.of(new InventoryChange.LayerChangeRow(0, "sha256:" + "cd".repeat(32), 1, 0, 0)), List.of())), 2)),
        now);
    collector.collector.match().inventoriesChanged(List.of(IMAGE));
  }

  static final String CURL_LISTS = """
      CVE-2023-38545 (This flaw makes curl overflow a heap based buffer in the SOCKS5 proxy ...)
      \t{DSA-5523-1}
      \t- curl 8.3.0-3
      CVE-2023-0001 (An imaginary unfixed curl issue ...)
      \t- curl <unfixed> (low)
      """.replace("\\t", "\t");

  static final String CURL_DSA = """
      [11 Oct 2023] DSA-5523-1 curl - security update
      \t{CVE-2023-38545 CVE-2023-38546}
      \t[bookworm] - curl 7.88.1-10+deb12u4
      """.replace("\\t", "\t");

  static byte[] zip(Map<String, String> entries) throws java.io.IOException {
    var out = new java.io.ByteArrayOutputStream();
    try (var z = new java.util.zip.ZipOutputStream(out)) {
      for (var e : entries.entrySet()) {
        z.putNextEntry(new java.util.zip.ZipEntry(e.getKey()));
        z.write(e.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        z.closeEntry();
      }
    }
    return out.toByteArray();
  }

  @Test
  void feedImportMatchesStoredInventoriesAndTheApiShowsIt() throws Exception {
    var imported = collector.post("/api/v1/feeds/debian/import?filename=tracker.zip",
        zip(Map.of("data/CVE/list", CURL_LISTS, "data/DSA/list", CURL_DSA)));
    assertThat(imported.status()).as(imported.body()).isEqualTo(200);
    JsonNode result = json.readTree(imported.body());
    assertThat(result.get("kind").asText()).isEqualTo("DEBIAN_TRACKER");
    assertThat(result.get("records").asInt()).isEqualTo(3);
    collector.collector.match().awaitIdle();

    JsonNode feeds = getJson("/api/v1/feeds", 200);
    assertThat(feeds.get(0).get("name").asText()).isEqualTo("debian");
    assertThat(feeds.get(0).get("recordCount").asInt()).isEqualTo(3);

    JsonNode groups = getJson("/api/v1/images/" + IMAGE + "/vulnerabilities", 200);
    assertThat(groups).hasSize(1);
    assertThat(groups.get(0).get("packageName").asText()).isEqualTo("libcurl4");
    // Worst first: the tracker rates CVE-2023-0001 low and has no urgency for the other two.
    assertThat(groups.get(0).get("vulnerabilities").findValuesAsText("id"))
        .containsExactly("CVE-2023-0001", "CVE-2023-38545", "CVE-2023-38546");
    assertThat(groups.get(0).get("worstSeverity").asText()).isEqualTo("LOW");
    JsonNode flat = getJson("/api/v1/images/" + IMAGE + "/vulnerabilities?group=flat&fixable=true", 200);
    assertThat(flat.findValuesAsText("fixedVersion")).containsOnly("7.88.1-10+deb12u4");
    JsonNode socks = flat.get(0).get("id").asText().equals("CVE-2023-38545") ? flat.get(0) : flat.get(1);
    assertThat(socks.get("title").asText()).contains("SOCKS5 proxy");
    assertThat(socks.get("aliases").toString()).contains("DSA-5523-1");
    assertThat(socks.get("layerIndex").asInt()).isZero();
    assertThat(getJson("/api/v1/images/" + IMAGE, 200).get("vulnerabilities").get("total").asInt()).isEqualTo(3);
    assertThat(getJson("/api/v1/images/" + IMAGE + "/vulnerabilities?group=flat&state=unfixed", 200)
        .findValuesAsText("id")).containsExactly("CVE-2023-0001");

    JsonNode listed = getJson("/api/v1/images?sort=risk&order=desc&severity=low", 200).get("items").get(0);
    assertThat(listed.get("vulnerabilities").get("assessed").asBoolean()).isTrue();
    assertThat(listed.get("vulnerabilities").get("total").asInt()).isEqualTo(3);
    JsonNode layers = getJson("/api/v1/images/" + IMAGE + "/layers", 200);
    assertThat(layers.get(0).get("diffId").asText()).isEqualTo("sha256:" + "cd".repeat(32));
    assertThat(layers.get(0).get("low").asInt() + layers.get(0).get("unknown").asInt()
        + layers.get(0).get("medium").asInt() + layers.get(0).get("high").asInt()).isEqualTo(3);

    JsonNode detail = getJson("/api/v1/vulnerabilities/dsa-5523-1", 200);
    assertThat(detail.get("id").asText()).isEqualTo("CVE-2023-38545");
    assertThat(detail.get("images").get(0).get("imageId").asText()).isEqualTo(IMAGE);
    assertThat(detail.get("hosts").get(0).get("hostId").asText()).isEqualTo("agent-1");
    assertThat(getJson("/api/v1/vulnerabilities?search=CVE-2023-3854", 200).findValuesAsText("id"))
        .containsExactly("CVE-2023-38545", "CVE-2023-38546");
    assertThat(getJson("/api/v1/vulnerabilities/CVE-1999-0000", 404).get("detail").asText())
        .contains("no vulnerability known as");

    // A broken upload changes nothing and says why.
    var broken = collector.post("/api/v1/feeds/debian/import?filename=x.json", "{ nope".getBytes());
    assertThat(broken.status()).isEqualTo(422);
    assertThat(json.readTree(broken.body()).get("detail").asText()).contains("not imported");
    assertThat(getJson("/api/v1/images/" + IMAGE + "/vulnerabilities?group=flat", 200)).hasSize(3);
    assertThat(collector.post("/api/v1/feeds/bad%20name/import", new byte[0]).status()).isEqualTo(400);
    assertThat(collector.post("/api/v1/feeds/nope/refresh", new byte[0]).status()).isEqualTo(404);
  }

  @AfterAll
  static void stop() {
    collector.close();
  }

  JsonNode getJson(String path, int expectedStatus) throws Exception {
    var r = collector.get(path);
    assertThat(r.status()).as(path + " -> " + r.body()).isEqualTo(expectedStatus);
    return json.readTree(r.body());
  }

  @Test
  void listsAndDetails() throws Exception {
    JsonNode images = getJson("/api/v1/images?search=team/app&sort=size&order=asc", 200);
    assertThat(images.get("total").asLong()).isEqualTo(1);
    assertThat(images.get("items").get(0).get("id").asText()).isEqualTo(IMAGE);
    JsonNode detail = getJson("/api/v1/images/" + "ab".repeat(6), 200);
    assertThat(detail.get("registry").asText()).isEqualTo("registry.example.com");
    assertThat(detail.get("layerCount").asInt()).isEqualTo(1);
    assertThat(detail.get("hostCount").asInt()).isEqualTo(1);
    JsonNode hosts = getJson("/api/v1/images/" + IMAGE + "/hosts", 200);
    assertThat(hosts.get("items").get(0).get("hostName").asText()).isEqualTo("web-1");
    assertThat(hosts.get("items").get(0).get("online").asBoolean()).isTrue();
    assertThat(getJson("/api/v1/hosts/agent-1", 200).get("dockerVersion").asText()).isEqualTo("20.10.24");
    assertThat(getJson("/api/v1/repositories", 200).get("items").get(0).get("repository").asText())
        .isEqualTo("registry.example.com/team/app");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "/api/v1/images?page=0|query parameter 'page' must be an integer from 1 to",
      "/api/v1/images?size=100000|query parameter 'size' must be an integer from 1 to 500",
      "/api/v1/images?page=abc|got 'abc'",
      "/api/v1/images?sort=colour|query parameter 'sort' must be one of id, repository, created",
      "/api/v1/images?order=sideways|must be one of asc, desc",
      "/api/v1/images?includeRemoved=perhaps|must be true or false",
      "/api/v1/images?serach=x|unknown query parameter 'serach'",
      "/api/v1/hosts?status=asleep|must be one of any, online, offline",
      "/api/v1/containers?state=zombie|must be one of any, running, stopped, removed",
      "/api/v1/images?severity=dire|query parameter 'severity' must be one of any, critical, high",
      "/api/v1/images?highPriority=maybe|must be true or false",
      "/api/v1/images/abab/vulnerabilities?group=layer|must be one of package, flat",
      "/api/v1/vulnerabilities|query parameter 'search' is required",
  })
  void badQueryParametersGetAProblemThatSaysWhatToFix(String path, String detail) throws Exception {
    var r = collector.get(path);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.contentType()).startsWith("application/problem+json");
    JsonNode body = json.readTree(r.body());
    assertThat(body.get("status").asInt()).isEqualTo(400);
    assertThat(body.get("title").asText()).isEqualTo("Bad Request");
    assertThat(body.get("detail").asText()).contains(detail);
    // Nothing stored is affected by a refused request.
    assertThat(getJson("/api/v1/images", 200).get("total").asLong()).isEqualTo(1);
  }

  @Test
  void unknownThingsAreProblemsToo() throws Exception {
    assertThat(getJson("/api/v1/images/" + "99".repeat(32), 404).get("detail").asText()).contains("no image");
    assertThat(getJson("/api/v1/hosts/nope", 404).get("detail").asText()).contains("no host with ID 'nope'");
    assertThat(getJson("/api/v1/nothing-here", 404).get("title").asText()).isEqualTo("Not Found");
  }

  @Test
  void openApiDescribesEveryEndpointAndItsParameters() throws Exception {
    JsonNode doc = getJson("/api/v1/openapi.json", 200);
    assertThat(doc.get("openapi").asText()).startsWith("3.1");
    List<String> paths = new java.util.ArrayList<>();
    doc.get("paths").fieldNames().forEachRemaining(paths::add);
    var api = new RestApi(collector.collector.store(), Clock.systemUTC(), Duration.ofMinutes(1), "test",
        collector.collector.feeds(), new io.portolan.collector.schedule.ScheduleService(collector.collector.store(),
            collector.collector.scans(), Clock.systemUTC(), () -> {}), collector.collector.scans());
    assertThat(paths).containsExactlyElementsOf(api.endpoints().stream().map(Endpoint::path).distinct().toList());
    JsonNode imagesParams = doc.get("paths").get("/api/v1/images").get("get").get("parameters");
    assertThat(imagesParams.findValuesAsText("name")).contains("search", "repository", "host", "sort", "page", "size");
    assertThat(doc.at("/components/schemas/PageOfImageSummary/properties/items/items/$ref").asText())
        .isEqualTo("#/components/schemas/ImageSummary");
  }

  @Test
  void healthAndMetrics() throws Exception {
    JsonNode health = getJson("/health", 200);
    assertThat(health.get("status").asText()).isEqualTo("UP");
    assertThat(health.get("database").asText()).isEqualTo("UP");
    var metrics = collector.get("/metrics");
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.body()).contains("portolan_collector_connected_agents");
  }
}
