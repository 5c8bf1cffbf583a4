package io.portolan.collector.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.portolan.collector.TestCollector;
import io.portolan.collector.store.HostChange;
import io.portolan.collector.store.HostFacts;
import io.portolan.collector.store.ImageFacts;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's scan and schedule pages on a whole collector with an embedded database and no agent:
 * empty states, batch and single scan actions through the scan service (the hosts are offline, so
 * the work waits, and the flash says so), job pages, cancel, and the schedule forms with the API's
 * own field-by-field validation shown next to each field.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleScanTest {
  @TempDir static Path dataDir;
  static TestCollector collector;
  static final ObjectMapper json = new ObjectMapper();
  /** Follows no redirect: each test looks at the 303 and its flash. Keeps the session cookie. */
  static final HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
  static final List<String> IMAGES = new ArrayList<>();

  @BeforeAll
  static void start() {
    collector = new TestCollector(dataDir);
    var store = collector.collector.store();
    // Last heard from long ago: offline, so scans wait for the host rather than reaching an agent.
    Instant then = Instant.parse("2020-01-01T00:00:00Z");
    store.registerHost("agent-old", "0.1.0", new HostFacts("old-host", List.of("10.0.0.9"), "Debian GNU/Linux 12",
        "6.1.0", "x86_64", "20.10.24", "1.41", Map.of(), "overlay2", "/var/lib/docker", 2, 1L << 33), then);
    List<HostChange> changes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String id = "sha256:%02x".formatted(i) + "cd".repeat(31);
      IMAGES.add(id);
      changes.add(new HostChange.ImageUpserted(new ImageFacts(id, List.of("registry.example.com/scan/app" + i + ":1"),
          List.of(), then, 1_000_000L, "linux", "amd64", "", List.of("sha256:" + "ee".repeat(32)), List.of(),
          ImageFacts.Config.EMPTY, "", "")));
    }
    store.apply("agent-old", changes, 1, then);
  }

  @AfterAll
  static void stop() {
    collector.close();
  }

  static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + collector.collector.httpPort() + path);
  }

  static HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  static String html(String path) throws Exception {
    HttpResponse<String> r = get(path);
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/html");
    return r.body();
  }

  /** A form POST as a browser sends it; {@code fields} are name, value pairs (names may repeat). */
  static HttpResponse<String> post(String path, String... fields) throws Exception {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < fields.length; i += 2) {
      if (body.length() > 0) body.append('&');
      body.append(URLEncoder.encode(fields[i], StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(fields[i + 1], StandardCharsets.UTF_8));
    }
    return http.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/x-www-form-urlencoded")
        .header("Sec-Fetch-Site", "same-origin").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The page a 303 leads to, with the flash the action left. */
  static String follow(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
    return html(r.headers().firstValue("location").orElseThrow());
  }

  @Test
  @Order(1)
  void beforeAnyScanTheViewsSayWhatToDo() throws Exception {
    assertThat(html("/scans")).contains("No scan has run yet", "href=\"/schedules/new\"",
        "<a href=\"/scans\" aria-current=\"page\">Scans</a>");
    assertThat(html("/schedules")).contains("No schedule yet", "<a href=\"/schedules\" aria-current=\"page\">");
    assertThat(html("/")).contains("Last scans", "No scan has run yet");
    String images = html("/images");
    assertThat(images).contains("Scan now", "Cancel scanning", "id=\"pick-all\"", "name=\"image\"",
        "title=\"Sort by Scan status\"", "title=\"Sort by Last scanned\"", "never");
    String image = html("/images/" + Format.shortId(IMAGES.get(0)) + "/history");
    assertThat(image).contains("This image has not been scanned yet", ">Scan now</button>",
        "aria-current=\"page\">Scan history<");
    assertThat(html("/images?scanStatus=not_scanned")).contains("of <strong>3</strong> images");
    assertThat(html("/images?sort=scan_status&order=desc")).contains("aria-sort=\"descending\"");
  }

  @Test
  @Order(2)
  void batchScanNowQueuesOneJobAndSaysTheHostIsOffline() throws Exception {
    String page = follow(post("/images/batch", "action", "scan", "image", IMAGES.get(0), "image",
        Format.shortId(IMAGES.get(1)), "back", "/images?sort=id"));
    assertThat(page).contains("banner warn", "Queued 2 images for scanning.", "only on offline hosts",
        "Follow scan job");
    // The flash is shown once.
    assertThat(html("/images?sort=id")).doesNotContain("Queued 2 images");
    JsonNode jobs = json.readTree(get("/api/v1/scans").body());
    assertThat(jobs.get("total").asInt()).isEqualTo(1);
    JsonNode job = jobs.get("items").get(0);
    assertThat(job.get("trigger").asText()).isEqualTo("MANUAL");
    assertThat(job.get("requestedBy").asText()).startsWith("console (");
    assertThat(job.get("images").asInt()).isEqualTo(2);
    // The list shows them in flight, and polls once for all of them.
    String list = html("/images?scanStatus=scanning&sort=id&order=asc");
    assertThat(list).contains("of <strong>2</strong> images", "data-status=\"SCANNING\"", "id=\"scan-poll\"",
        "/images/scan-cells?ids=" + Format.shortId(IMAGES.get(0)) + "," + Format.shortId(IMAGES.get(1)));
    String cells = html("/images/scan-cells?ids=" + Format.shortId(IMAGES.get(0)) + ",ffffffffffff");
    assertThat(cells).contains("id=\"scan-" + Format.shortId(IMAGES.get(0)) + "\"", "hx-swap-oob=\"true\"",
        "every 2s").doesNotContain("ffffffffffff\"");

    String id = job.get("id").asText();
    String jobPage = html("/scans/" + id);
    assertThat(jobPage).contains("registry.example.com/scan/app0:1", "registry.example.com/scan/app1:1",
        "Cancel job", "hx-trigger=\"every 2s\"", "MANUAL".toLowerCase());
    assertThat(html("/scans")).contains(id.substring(0, 8), "updating live");
    assertThat(html("/")).contains(id.substring(0, 8));

    // The image header offers Cancel while the scan is in flight, and its box polls.
    String header = html("/images/" + Format.shortId(IMAGES.get(0)));
    assertThat(header).contains(">Cancel</button>", "/images/" + Format.shortId(IMAGES.get(0))
        + "/scan-status?poll=true");
    var box = get("/images/" + Format.shortId(IMAGES.get(0)) + "/scan-status?poll=true");
    assertThat(box.statusCode()).isEqualTo(200);
    assertThat(box.headers().firstValue("HX-Refresh")).isEmpty();

    // Cancel the whole job: its images end CANCELLED and the page says so.
    String cancelled = follow(post("/scans/" + id + "/cancel"));
    assertThat(cancelled).contains("banner ok", "cancelled").doesNotContain("Cancel job");
    assertThat(json.readTree(get("/api/v1/scans/" + id).body()).get("job").get("state").asText())
        .isEqualTo("CANCELLED");
    assertThat(html("/images/" + Format.shortId(IMAGES.get(0)))).contains(">Scan again</button>",
        "data-status=\"CANCELLED\"");
    // The box of a scan that ended under an open page asks for a full refresh, to show the new counts.
    var ended = get("/images/" + Format.shortId(IMAGES.get(0)) + "/scan-status?poll=true");
    assertThat(ended.headers().firstValue("HX-Refresh")).contains("true");
    assertThat(html("/images/" + Format.shortId(IMAGES.get(0)) + "/history")).contains("cancelled by console (",
        "CANCELLED".toLowerCase(), id.substring(0, 8));
    assertThat(follow(post("/scans/" + id + "/cancel"))).contains("banner warn", "had already ended");
  }

  @Test
  @Order(3)
  void singleScanAndCancelFromTheImageHeader() throws Exception {
    String sid = Format.shortId(IMAGES.get(2));
    assertThat(follow(post("/images/" + sid + "/scan", "back", "/images/" + sid))).contains("Queued 1 image",
        "It is only on offline hosts", ">Cancel</button>");
    String page = follow(post("/images/" + sid + "/cancel-scan", "back", "/images/" + sid));
    assertThat(page).contains("Cancelled the scans of 1 image", ">Scan again</button>");
    assertThat(follow(post("/images/" + sid + "/cancel-scan"))).contains("banner warn",
        "This image has no scan queued or in progress: nothing was cancelled.");
  }

  @Test
  @Order(4)
  void badScanInputGetsAClearErrorNotAServerError() throws Exception {
    assertThat(follow(post("/images/batch", "action", "scan", "back", "/images")))
        .contains("Select at least one image");
    assertThat(follow(post("/images/batch", "action", "scan", "image", "ffffffffffff", "back", "/images")))
        .contains("No image has the ID 'ffffffffffff'", "nothing was queued");
    var badAction = post("/images/batch", "action", "explode", "image", IMAGES.get(0));
    assertThat(badAction.statusCode()).isEqualTo(400);
    assertThat(badAction.body()).contains("must be scan or cancel");
    // A redirect leaves for console pages only.
    var offsite = post("/images/batch", "action", "scan", "back", "//evil.example.com/");
    assertThat(offsite.headers().firstValue("location")).contains("/images");
    var missing = get("/scans/no-such-job");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("no scan job with ID 'no-such-job'", "<main");
    assertThat(get("/scans/" + "x".repeat(500)).statusCode()).isEqualTo(404);
    assertThat(get("/scans?state=exploded").statusCode()).isEqualTo(400);
    assertThat(get("/images/ffffffffffff/scan-status").statusCode()).isEqualTo(404);
    assertThat(get("/schedules/no-such-schedule").statusCode()).isEqualTo(404);
    assertThat(post("/scans/no-such-job/cancel").statusCode()).isEqualTo(404);
    var crossSite = http.send(HttpRequest.newBuilder(uri("/images/batch"))
        .header("Content-Type", "application/x-www-form-urlencoded").header("Sec-Fetch-Site", "cross-site")
        .POST(HttpRequest.BodyPublishers.ofString("action=scan&image=" + IMAGES.get(0))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(crossSite.statusCode()).isEqualTo(403);
  }

  @Test
  @Order(5)
  void aScheduleFormShowsEachMistakeNextToItsFieldThenSavesAndShowsTheNextRuns() throws Exception {
    String form = html("/schedules/new");
    assertThat(form).contains("<label for=\"name\">Name</label>", "value=\"every-days\"", "value=\"cron\"",
        "value=\"weekly\"", "<option value=\"7\">", "<option value=\"15\">", "<option value=\"30\">",
        "name=\"windowStart\"", "name=\"onEnd\"", "Europe/Berlin", "name=\"categories\" value=\"vulnerabilities\"");
    // Three mistakes at once: each is named next to its field, and nothing is stored.
    var bad = post("/schedules", "name", "", "enabled", "true", "type", "cron", "expression", "61 * * * *",
        "timeZone", "Mars/Olympus", "scopeKind", "all-images", "categories", "vulnerabilities");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("correct the 3 fields", "id=\"err-name\"", "a schedule needs a name",
        "id=\"err-recurrence-expression\"", "invalid cron expression '61 * * * *'", "id=\"err-timeZone\"",
        "'timeZone' must be a time zone ID", "value=\"61 * * * *\"", "value=\"Mars/Olympus\"");
    assertThat(json.readTree(get("/api/v1/schedules").body()).get("total").asInt()).isZero();
    // The API answers the same mistakes with each field named.
    var api = collector.send("POST", "/api/v1/schedules", "{\"name\":\"x\",\"recurrence\":{\"type\":\"cron\","
        + "\"expression\":\"61 * * * *\"},\"window\":{\"start\":\"25:00\",\"end\":\"05:00\"}}");
    assertThat(api.status()).isEqualTo(400);
    JsonNode errors = json.readTree(api.body()).get("errors");
    assertThat(errors).extracting(e -> e.get("field").asText()).containsExactly("recurrence.expression",
        "window.start");
    var badDays = post("/schedules", "name", "every-n", "type", "every-days", "days", "seven", "at", "02:00",
        "scopeKind", "hosts", "scopeIds", "", "categories", "vulnerabilities");
    assertThat(badDays.statusCode()).isEqualTo(400);
    assertThat(badDays.body()).contains("id=\"err-recurrence-days\"", "id=\"err-scope-ids\"");
    var noDays = post("/schedules", "name", "weekly-none", "type", "weekly", "at", "02:00",
        "categories", "vulnerabilities");
    assertThat(noDays.body()).contains("id=\"err-recurrence-weekdays\"");

    var preview = post("/schedules/preview", "name", "p", "type", "weekly", "weekdays", "MON", "weekdays", "THU",
        "at", "03:15", "timeZone", "Europe/Berlin", "categories", "vulnerabilities");
    assertThat(preview.statusCode()).isEqualTo(200);
    assertThat(preview.body()).contains("Would run next:", "03:15 Europe/Berlin", "Mon ", "Thu ");
    assertThat(post("/schedules/preview", "type", "cron", "expression", "nope").body()).contains("No preview yet");

    var saved = post("/schedules", "name", "nightly", "enabled", "true", "type", "cron", "expression", "30 2 * * 1-5",
        "timeZone", "Europe/Berlin", "window", "true", "windowStart", "01:00", "windowEnd", "05:00", "onEnd", "pause",
        "scopeKind", "all-images", "categories", "vulnerabilities");
    String page = follow(saved);
    assertThat(page).contains("Schedule 'nightly' created. Next run ", "Europe/Berlin", "Next runs",
        "Cron 30 2 * * 1-5", "only 01:00–05:00");
    Matcher m = Pattern.compile("/schedules/([0-9a-f-]{36})/edit").matcher(page);
    assertThat(m.find()).isTrue();
    String id = m.group(1);
    JsonNode stored = json.readTree(get("/api/v1/schedules/" + id).body());
    assertThat(stored.get("recurrence").get("expression").asText()).isEqualTo("30 2 * * 1-5");
    assertThat(stored.get("window").get("onEnd").asText()).isEqualTo("pause");
    assertThat(stored.get("nextRuns")).hasSize(5);
    assertThat(page).contains(Format.zoned(Instant.parse(stored.get("nextRunAt").asText())
        .atZone(java.time.ZoneId.of("Europe/Berlin"))));

    // A second schedule with the same name: refused next to the name.
    var dup = post("/schedules", "name", "nightly", "type", "daily", "at", "04:00", "categories", "vulnerabilities");
    assertThat(dup.statusCode()).isEqualTo(409);
    assertThat(dup.body()).contains("id=\"err-name\"", "already exists");

    // Edit: the form is filled from the stored schedule; a weekly recurrence replaces the cron.
    String edit = html("/schedules/" + id + "/edit");
    assertThat(edit).contains("value=\"nightly\"", "value=\"30 2 * * 1-5\"", "Save changes");
    String after = follow(post("/schedules/" + id, "name", "nightly", "enabled", "true", "type", "weekly",
        "weekdays", "SAT", "at", "23:30", "timeZone", "UTC", "scopeKind", "repositories", "scopeIds",
        "registry.example.com/scan/app0\nregistry.example.com/scan/app1", "categories", "vulnerabilities"));
    assertThat(after).contains("Schedule 'nightly' saved.", "Every Saturday at 23:30", "Sat ", "23:30 UTC");
    String list = html("/schedules");
    assertThat(list).contains("nightly", "Every Saturday at 23:30", "repositories: ", "enabled", "never run");

    String disabled = follow(post("/schedules/" + id + "/enabled", "back", "/schedules"));
    assertThat(disabled).contains("Schedule 'nightly' disabled.", ">Enable</button>");
    assertThat(json.readTree(get("/api/v1/schedules/" + id).body()).get("enabled").asBoolean()).isFalse();
    assertThat(follow(post("/schedules/" + id + "/enabled", "back", "/schedules"))).contains("enabled; next run");
    assertThat(follow(post("/schedules/" + id + "/delete"))).contains("Schedule 'nightly' deleted");
    assertThat(get("/schedules/" + id).statusCode()).isEqualTo(404);
    assertThat(post("/schedules/" + id, "name", "x").statusCode()).isEqualTo(404);
  }
}
