package io.portolan.collector.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.portolan.collector.TestCollector;
import io.portolan.collector.store.HostChange;
import io.portolan.collector.store.HostFacts;
import io.portolan.collector.store.ImageFacts;
import io.portolan.collector.store.IngestBatch;
import io.portolan.collector.store.InventoryChange;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The console's pages rendered by a whole collector on an embedded database: every view answers
 * HTML with what the store holds, bad input gets an HTML error that says what to change, and the
 * export and the feed import go through the same code as the API.
 */
class ConsoleTest {
  @TempDir static Path dataDir;
  static TestCollector collector;
  static final ObjectMapper json = new ObjectMapper();
  static final HttpClient http = HttpClient.newHttpClient();
  static final String LAYER = "sha256:" + "cd".repeat(32);
  static final List<String> IMAGES = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    collector = new TestCollector(dataDir);
    var store = collector.collector.store();
    Instant now = Clock.systemUTC().instant();
    for (String host : List.of("web-1", "web-2")) {
      store.registerHost("agent-" + host, "0.1.0", new HostFacts(host, List.of("10.0.0." + host.charAt(4)),
          "Debian GNU/Linux 12", "6.1.0", "x86_64", "20.10.24", "1.41", Map.of("team", "payments"), "overlay2",
          "/var/lib/docker", 2, 1L << 33), now);
    }
    // 60 images: more than a page; the first one is on both hosts, runs, and has a curl inventory.
    List<HostChange> changes = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String id = "sha256:%02x".formatted(i) + "ab".repeat(31);
      IMAGES.add(id);
      changes.add(new HostChange.ImageUpserted(new ImageFacts(id, List.of("registry.example.com/team/app" + (i % 7)
          + ":" + i), List.of("registry.example.com/team/app" + (i % 7) + "@sha256:" + "ef".repeat(32)),
          now.minus(Duration.ofDays(i)), 1_000_000L * (i + 1), "linux", "amd64", "", List.of(LAYER),
          List.of(new ImageFacts.HistoryEntry(null, "/bin/sh -c apt-get install -y curl", false, "")),
          ImageFacts.Config.EMPTY, "", "")));
    }
    changes.add(new HostChange.ContainerUpserted(new io.portolan.collector.store.ContainerFacts("c".repeat(64),
        List.of("payments-api"), IMAGES.get(0), "registry.example.com/team/app0:0", "running", "Up 2 hours",
        "/usr/bin/app --serve", now, now, null, 0, List.of(), Map.of(), 0)));
    store.apply("agent-web-1", changes, 1, now);
    store.apply("agent-web-2", List.of(changes.get(0)), 1, now);
    var os = new InventoryChange.Os("debian", "Debian GNU/Linux", "12", "bookworm",
        "Debian GNU/Linux 12 (bookworm)", Optional.empty());
    var pkg = new InventoryChange.PackageRow("deb", "libcurl4", "7.88.1-10+deb12u3", "amd64", "curl",
        "7.88.1-10+deb12u3", "debian-12", "curl", "pkg:deb/debian/libcurl4@7.88.1-10+deb12u3?distro=debian-12",
        "var/lib/dpkg/status", LAYER);
    store.ingest(List.of(new IngestBatch("agent-web-1", Optional.empty(), List.of(),
        List.of(new InventoryChange.ImageInventoried(IMAGES.get(0), "fp", Optional.of(os), List.of(pkg),
            List.of(new InventoryChange.LayerChangeRow(0, LAYER, 1, 0, 0)), List.of())), 2)), now);
    collector.collector.match().inventoriesChanged(List.of(IMAGES.get(0)));
    var imported = postMultipart("/feeds/import", "debian", "tracker.zip", zip(Map.of(
        "data/CVE/list", """
            CVE-2023-38545 (This flaw makes curl overflow a heap based buffer in the SOCKS5 proxy ...)
            \t{DSA-5523-1}
            \t- curl 8.3.0-3
            CVE-2023-0001 (An imaginary unfixed curl issue ...)
            \t- curl <unfixed> (low)
            """,
        "data/DSA/list", """
            [11 Oct 2023] DSA-5523-1 curl - security update
            \t{CVE-2023-38545 CVE-2023-38546}
            \t[bookworm] - curl 7.88.1-10+deb12u4
            """)), Map.of());
    assertThat(imported.statusCode()).as(imported.body()).isEqualTo(200);
    assertThat(imported.body()).contains("Feed <strong>debian</strong> imported: 3 records");
    collector.collector.match().awaitIdle();
  }

  @AfterAll
  static void stop() {
    collector.close();
  }

  static byte[] zip(Map<String, String> entries) throws java.io.IOException {
    var out = new ByteArrayOutputStream();
    try (var z = new java.util.zip.ZipOutputStream(out)) {
      for (var e : entries.entrySet()) {
        z.putNextEntry(new java.util.zip.ZipEntry(e.getKey()));
        z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
        z.closeEntry();
      }
    }
    return out.toByteArray();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + collector.collector.httpPort() + path);
  }

  static HttpResponse<String> postMultipart(String path, String name, String fileName, byte[] file,
      Map<String, String> headers) throws Exception {
    String boundary = "----portolan" + System.nanoTime();
    var body = new ByteArrayOutputStream();
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n" + name + "\r\n")
        .getBytes(StandardCharsets.UTF_8));
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + fileName
        + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.write(file);
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    var request = HttpRequest.newBuilder(uri(path)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
    headers.forEach(request::header);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String html(String path) throws Exception {
    HttpResponse<String> r = get(path);
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/html");
    return r.body();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/", "/images", "/hosts", "/containers", "/repositories", "/vulnerabilities", "/scans",
      "/schedules", "/feeds"})
  void everySectionRendersWithTheMenuAndMarksItselfActive(String path) throws Exception {
    String page = html(path);
    assertThat(page).contains("<nav aria-label=\"Sections\">", "href=\"/static/console.css\"",
        "/webjars/htmx.org/2.0.4/dist/htmx.min.js");
    assertThat(page).containsPattern("<a href=\"" + java.util.regex.Pattern.quote(path) + "\" aria-current=\"page\">");
  }

  @Test
  void staticFilesAndHtmxAreServed() throws Exception {
    assertThat(get("/static/console.css").statusCode()).isEqualTo(200);
    var htmx = get("/webjars/htmx.org/2.0.4/dist/htmx.min.js");
    assertThat(htmx.statusCode()).isEqualTo(200);
    assertThat(htmx.body()).contains("htmx");
  }

  @Test
  void overviewCountsTheFleet() throws Exception {
    String page = html("/");
    assertThat(page).contains("2 online", "0 offline", ">60<", "59 not assessed", "Top 10 risky images",
        "registry.example.com/team/app0:0", "debian");
  }

  @Test
  void imagesArePagedWithATotalAndSortedByAnyColumn() throws Exception {
    String first = html("/images");
    assertThat(first).contains("Showing 1–50 of <strong>60</strong> images", "rel=\"next\"");
    assertThat(html("/images?page=2")).contains("Showing 51–60 of <strong>60</strong> images");
    for (ImageColumn c : ImageColumn.values()) {
      String page = html("/images?sort=" + c.sortParam() + "&order=asc");
      assertThat(page).contains("aria-sort=\"ascending\"");
    }
    // Size descending: the largest image (the 60th) first.
    String bySize = html("/images?sort=size&order=desc&size=1");
    assertThat(bySize).contains(Format.shortId(IMAGES.get(59)));
  }

  @Test
  void imagesFilterBySearchSeverityHostAndRepository() throws Exception {
    assertThat(html("/images?search=app3")).contains("of <strong>9</strong> images");
    assertThat(html("/images?severity=low")).contains("of <strong>1</strong> images", Format.shortId(IMAGES.get(0)));
    assertThat(html("/images?assessment=not_assessed")).contains("of <strong>59</strong> images");
    // A host filter takes a host name as people type it.
    assertThat(html("/images?host=web-2")).contains("of <strong>1</strong> images");
    assertThat(html("/images?host=nowhere")).contains("No host has the name or ID", "No image matches these filters");
    assertThat(html("/images?repository=registry.example.com/team/app0")).contains("of <strong>9</strong> images");
    assertThat(html("/images?os=debian-12&fixable=true")).contains("of <strong>1</strong> images");
    assertThat(html("/images?highPriority=true")).contains("No image matches these filters");
  }

  @Test
  void badParametersGetAnHtmlErrorThatSaysWhatToChangeAndTheApiKeepsProblemJson() throws Exception {
    var r = get("/images?severity=dreadful");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/html");
    assertThat(r.body()).contains("query parameter 'severity' must be one of");
    var unknown = get("/images?colour=red");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.body()).contains("unknown query parameter 'colour'");
    var missing = get("/images/ffffffffffff");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("no image with ID or prefix");
    assertThat(get("/nowhere").statusCode()).isEqualTo(404);
    assertThat(get("/nowhere").body()).contains("<main");
    var api = get("/api/v1/images?severity=dreadful");
    assertThat(api.statusCode()).isEqualTo(400);
    assertThat(api.headers().firstValue("content-type").orElse("")).startsWith("application/problem+json");
    assertThat(get("/api/v1/nowhere").headers().firstValue("content-type").orElse(""))
        .startsWith("application/problem+json");
  }

  @Test
  void anImagePageShowsItsHeaderAndEveryTab() throws Exception {
    String id = Format.shortId(IMAGES.get(0));
    String vulns = html("/images/" + id);
    assertThat(vulns).contains("registry.example.com/team/app0:0", "Debian GNU/Linux 12 (bookworm)",
        "Download SBOM (CycloneDX)", "/api/v1/images/" + IMAGES.get(0) + "/sbom?format=cyclonedx",
        "aria-current=\"page\">Vulnerabilities<");
    assertThat(vulns).contains("libcurl4", "CVE-2023-38545", "CVE-2023-0001", "7.88.1-10+deb12u4",
        "SOCKS5 proxy", "3</strong> vulnerabilities in 1 package");
    assertThat(html("/images/" + id + "/vulnerabilities?state=unfixed")).contains("CVE-2023-0001")
        .doesNotContain("CVE-2023-38545");
    assertThat(html("/images/" + id + "/packages")).contains("libcurl4", "pkg:deb/debian/libcurl4");
    assertThat(html("/images/" + id + "/packages?layer=1")).contains("No package matches these filters");
    String layers = html("/images/" + id + "/layers");
    assertThat(layers).contains("RUN apt-get install -y curl", "/images/" + id + "/packages?layer=0",
        "/images/" + id + "/vulnerabilities?layer=0");
    assertThat(html("/images/" + id + "/servers")).contains("web-1", "web-2", "10.0.0.1", "20.10.24", "online");
    assertThat(html("/images/" + id + "/servers?status=offline")).contains("No server with this status");
    assertThat(html("/images/" + id + "/containers")).contains("payments-api", "/usr/bin/app --serve", "web-1");
    assertThat(html("/images/" + id + "/history")).contains("This image has not been scanned yet");
    assertThat(get("/images/" + id + "/nonsense").statusCode()).isEqualTo(404);
  }

  @Test
  void hostsContainersRepositoriesAndVulnerabilities() throws Exception {
    assertThat(html("/hosts")).contains("web-1", "web-2", "Debian GNU/Linux 12", "online");
    assertThat(html("/hosts/agent-web-1")).contains("team=payments", "Images (60)", "of <strong>60</strong> images");
    assertThat(html("/hosts/agent-web-1/containers")).contains("payments-api");
    assertThat(html("/containers?state=running&host=web-1")).contains("payments-api");
    assertThat(html("/containers?state=stopped")).contains("No container matches these filters");
    assertThat(html("/repositories")).contains("registry.example.com/team/app0", "of <strong>7</strong> repositories",
        "sev-low");
    assertThat(html("/vulnerabilities?search=CVE-2023")).contains("CVE-2023-38545", "CVE-2023-0001");
    var exact = http.send(HttpRequest.newBuilder(uri("/vulnerabilities?search=dsa-5523-1")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(exact.statusCode()).isEqualTo(302);
    String detail = html("/vulnerabilities/CVE-2023-38545");
    assertThat(detail).contains("DSA-5523-1", "libcurl4", "web-1", "payments-api", Format.shortId(IMAGES.get(0)));
    assertThat(html("/vulnerabilities?search=CVE-1999")).contains("No vulnerability known as");
    assertThat(get("/vulnerabilities/CVE-1999-0001").statusCode()).isEqualTo(404);
  }

  @Test
  void exportWritesTheWholeFilteredListAsTheApiListsIt() throws Exception {
    var csv = get("/images/export.csv?search=app3&sort=size&order=asc");
    assertThat(csv.statusCode()).isEqualTo(200);
    assertThat(csv.headers().firstValue("content-disposition").orElse("")).contains("attachment", ".csv");
    List<String> lines = csv.body().lines().toList();
    assertThat(lines.get(0)).startsWith("Image ID,Repository,Tags,Risk score,Critical,High,Medium,Low,OS");
    JsonNode api = json.readTree(get("/api/v1/images?search=app3&sort=size&order=asc&size=500").body());
    assertThat(lines).hasSize(1 + api.get("total").asInt());
    for (int i = 0; i < api.get("items").size(); i++) {
      JsonNode item = api.get("items").get(i);
      assertThat(lines.get(i + 1)).startsWith(item.get("id").asText() + ",registry.example.com/team/app3,");
      assertThat(lines.get(i + 1)).contains("," + item.get("sizeBytes").asLong() + ",");
    }
    // Every page of the list, not the page on screen.
    assertThat(get("/images/export.csv").body().lines().count()).isEqualTo(61);
    JsonNode exported = json.readTree(get("/images/export.json?severity=low").body());
    assertThat(exported).hasSize(1);
    assertThat(exported.get(0).get("id").asText()).isEqualTo(IMAGES.get(0));
    assertThat(exported.get(0).get("vulnerabilities").get("total").asInt()).isEqualTo(3);
  }

  @Test
  void aBrokenFeedUploadIsRefusedWithItsReasonAndKeepsWhatTheFeedHeld() throws Exception {
    var bad = postMultipart("/feeds/import", "debian", "broken.json", "{ not a feed".getBytes(StandardCharsets.UTF_8),
        Map.of());
    assertThat(bad.statusCode()).isEqualTo(422);
    assertThat(bad.body()).contains("Feed debian was not imported", "What it held before is unchanged");
    assertThat(html("/images/" + Format.shortId(IMAGES.get(0)))).contains("CVE-2023-38545");
    assertThat(html("/feeds")).contains("3", "error-text");

    var noName = postMultipart("/feeds/import", "", "x.json", "{}".getBytes(StandardCharsets.UTF_8), Map.of());
    assertThat(noName.statusCode()).isEqualTo(400);
    assertThat(noName.body()).contains("Give the feed a name");
    var badName = postMultipart("/feeds/import", "no/slashes", "x.json", "{}".getBytes(StandardCharsets.UTF_8),
        Map.of());
    assertThat(badName.statusCode()).isEqualTo(400);

    var crossSite = postMultipart("/feeds/import", "debian", "x.json", "{}".getBytes(StandardCharsets.UTF_8),
        Map.of("Sec-Fetch-Site", "cross-site"));
    assertThat(crossSite.statusCode()).isEqualTo(403);
    assertThat(html("/images/" + Format.shortId(IMAGES.get(0)))).contains("CVE-2023-38545");
  }
}
