package io.portolan.collector.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.portolan.collector.CollectorConfig;
import io.portolan.collector.TestCollector;
import io.portolan.collector.schedule.FakeScanJobs;
import io.portolan.collector.schedule.TestClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The schedules endpoints on a whole collector whose clock the test holds. */
class ScheduleApiTest {
  @TempDir static Path dataDir;
  static TestCollector collector;
  static TestClock clock;
  static FakeScanJobs jobs;
  static final ObjectMapper json = new ObjectMapper();

  static final String NIGHTLY = """
      {"name": "nightly", "scope": {"kind": "repositories", "ids": ["nginx", "redis"]},
       "categories": ["vulnerabilities"], "force": true,
       "recurrence": {"type": "daily", "at": "02:30"}, "timeZone": "Europe/Berlin",
       "window": {"start": "01:00", "end": "05:00", "onEnd": "pause"}}""";

  @BeforeAll
  static void start() {
    clock = new TestClock("2024-06-01T00:00:00Z");
    jobs = new FakeScanJobs();
    collector = new TestCollector(CollectorConfig.defaults(dataDir).withPorts(0, 0), clock, jobs);
  }

  @AfterAll
  static void stop() {
    collector.close();
  }

  static JsonNode call(String method, String path, String body, int status) throws Exception {
    var r = collector.send(method, path, body);
    assertThat(r.status()).as(method + " " + path + ": " + r.body()).isEqualTo(status);
    return r.body().isEmpty() ? null : json.readTree(r.body());
  }

  @Test
  void schedulesAreCreatedShownReplacedAndDeleted() throws Exception {
    JsonNode created = call("POST", "/api/v1/schedules", NIGHTLY, 201);
    String id = created.get("id").asText();
    assertThat(created.get("name").asText()).isEqualTo("nightly");
    assertThat(created.get("enabled").asBoolean()).isTrue();
    assertThat(created.at("/scope/kind").asText()).isEqualTo("repositories");
    assertThat(created.at("/recurrence/description").asText()).isEqualTo("every day at 02:30");
    assertThat(created.at("/window/onEnd").asText()).isEqualTo("pause");
    assertThat(created.get("nextRunAt").asText()).isEqualTo("2024-06-01T00:30:00Z");
    assertThat(created.get("nextRuns")).hasSize(5);
    assertThat(created.get("nextRuns").get(4).asText()).isEqualTo("2024-06-05T00:30:00Z");
    assertThat(created.get("lastRun").isNull()).isTrue();

    assertThat(call("GET", "/api/v1/schedules/" + id, null, 200)).isEqualTo(created);
    JsonNode list = call("GET", "/api/v1/schedules", null, 200);
    assertThat(list.get("items").findValuesAsText("id")).contains(id);

    JsonNode replaced = call("PUT", "/api/v1/schedules/" + id, """
        {"name": "weekdays", "recurrence": {"type": "cron", "expression": "30 2 * * 1-5"},
         "timeZone": "America/New_York"}""", 200);
    assertThat(replaced.get("id").asText()).isEqualTo(id);
    assertThat(replaced.at("/scope/kind").asText()).isEqualTo("all-images");
    assertThat(replaced.get("categories").get(0).asText()).isEqualTo("vulnerabilities");
    assertThat(replaced.get("window").isNull()).isTrue();
    // 2024-06-01 is a Saturday: the first weekday run is Monday 02:30 EDT.
    assertThat(replaced.get("nextRunAt").asText()).isEqualTo("2024-06-03T06:30:00Z");
    assertThat(replaced.at("/recurrence/expression").asText()).isEqualTo("30 2 * * 1-5");

    call("DELETE", "/api/v1/schedules/" + id, null, 204);
    assertThat(call("GET", "/api/v1/schedules/" + id, null, 404).get("detail").asText())
        .isEqualTo("no schedule with ID '" + id + "'");
    call("DELETE", "/api/v1/schedules/" + id, null, 404);
    call("PUT", "/api/v1/schedules/" + id, NIGHTLY, 404);
  }

  @Test
  void everyDaysAndWeeklyReadTheirFields() throws Exception {
    JsonNode every = call("POST", "/api/v1/schedules", """
        {"name": "fortnight", "recurrence": {"type": "every-days", "days": 15, "at": "23:00"},
         "timeZone": "UTC"}""", 201);
    assertThat(every.at("/recurrence/startDate").asText()).isEqualTo("2024-06-01");
    assertThat(every.get("nextRuns").get(1).asText()).isEqualTo("2024-06-16T23:00:00Z");
    JsonNode weekly = call("POST", "/api/v1/schedules", """
        {"name": "weekly", "recurrence": {"type": "weekly", "weekdays": ["monday", "THU"], "at": "06:00"},
         "enabled": false}""", 201);
    assertThat(weekly.at("/recurrence/weekdays").toString()).isEqualTo("[\"MON\",\"THU\"]");
    assertThat(weekly.at("/recurrence/description").asText()).isEqualTo("every Monday, Thursday at 06:00");
    assertThat(weekly.get("timeZone").asText()).isEqualTo("UTC");
    // Disabled: no next run to show.
    assertThat(weekly.get("nextRunAt").isNull()).isTrue();
    assertThat(weekly.get("nextRuns")).isEmpty();
    call("DELETE", "/api/v1/schedules/" + every.get("id").asText(), null, 204);
    call("DELETE", "/api/v1/schedules/" + weekly.get("id").asText(), null, 204);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      {"name": "x", "recurrence": {"type": "daily", "at": "25:00"}}                           | 'recurrence.at' must be a local time HH:MM from 00:00 to 23:59, got '25:00'
      {"name": "x", "recurrence": {"type": "daily", "at": "2:30"}}                            | got '2:30'
      {"name": "x", "recurrence": {"type": "daily"}}                                          | 'recurrence.at' is required
      {"name": "x", "recurrence": {"type": "cron", "expression": "61 * * * *"}}               | invalid cron expression '61 * * * *'
      {"name": "x", "recurrence": {"type": "cron", "expression": "0 0 31 2 *"}}               | never matches a date
      {"name": "x", "recurrence": {"type": "cron"}}                                           | 'recurrence.expression' is required for cron
      {"name": "x", "recurrence": {"type": "hourly"}}                                         | 'recurrence.type' must be daily, every-days, weekly or cron
      {"name": "x", "recurrence": {"type": "daily", "at": "01:00"}, "timeZone": "Mars/Olympus"} | 'timeZone' must be a time zone ID
      {"name": "x", "categories": ["malware"], "recurrence": {"type": "daily", "at": "01:00"}} | scan category 'malware' is not supported by this collector yet; supported: vulnerabilities
      {"name": "x", "categories": ["viruses"], "recurrence": {"type": "daily", "at": "01:00"}} | unknown scan category 'viruses'
      {"name": "x", "categories": [], "recurrence": {"type": "daily", "at": "01:00"}}         | 'categories' is empty
      {"name": "x", "recurrence": {"type": "weekly", "weekdays": [], "at": "01:00"}}          | needs at least one day
      {"name": "x", "recurrence": {"type": "weekly", "weekdays": ["FUNDAY"], "at": "01:00"}}  | unknown weekday 'FUNDAY'
      {"name": "x", "recurrence": {"type": "every-days", "at": "01:00"}}                      | 'recurrence.days' is required for every-days
      {"name": "x", "recurrence": {"type": "every-days", "days": 0, "at": "01:00"}}           | from 1 to 366
      {"name": "x", "recurrence": {"type": "every-days", "days": 7, "at": "01:00", "startDate": "2024-13-01"}} | 'recurrence.startDate' must be a date YYYY-MM-DD
      {"name": "x", "recurrence": {"type": "daily", "at": "01:00"}, "window": {"start": "01:00", "end": "01:00"}} | the window's start and end are both 01:00
      {"name": "x", "recurrence": {"type": "daily", "at": "01:00"}, "window": {"start": "01:00", "end": "05:00", "onEnd": "stop"}} | 'window.onEnd' must be pause or cancel
      {"name": "x", "recurrence": {"type": "daily", "at": "01:00"}, "scope": {"kind": "hosts"}} | hosts needs at least one id in 'scope.ids'
      {"name": "x", "recurrence": {"type": "daily", "at": "01:00"}, "scope": {"kind": "galaxy"}} | 'scope.kind' must be one of all-images, images, hosts, repositories
      {"recurrence": {"type": "daily", "at": "01:00"}}                                        | 'name' is required
      {"name": "  ", "recurrence": {"type": "daily", "at": "01:00"}}                          | a schedule needs a name
      {"name": "x"}                                                                           | 'recurrence' is required
      {"name": "x", "recurrence": {"type": "daily", "at": "01:00"}, "colour": "red"}          | unknown field 'colour'
      {"name": "x", "recurrence": {"type": "daily", "at": "01:00", "every": 2}}               | unknown field 'recurrence.every'
      {"name": "x", "enabled": "yes", "recurrence": {"type": "daily", "at": "01:00"}}         | 'enabled' must be true or false
      {"name": "x", "recurrence": {"type": "daily", "at":                                     |
      [1, 2]                                                                                  | the body must be a JSON object
      """)
  void badDefinitionsAreRefusedWithTheReason(String body, String reason) throws Exception {
    JsonNode problem = call("POST", "/api/v1/schedules", body, 400);
    assertThat(problem.get("status").asInt()).isEqualTo(400);
    if (reason != null) assertThat(problem.get("detail").asText()).contains(reason);
    else assertThat(problem.get("detail").asText()).startsWith("the body is not valid JSON");
  }

  @Test
  void aRefusedChangeLosesNothingAndNamesAreUnique() throws Exception {
    JsonNode created = call("POST", "/api/v1/schedules", NIGHTLY.replace("nightly", "keep"), 201);
    String id = created.get("id").asText();
    call("PUT", "/api/v1/schedules/" + id, """
        {"name": "keep", "recurrence": {"type": "cron", "expression": "every day"}}""", 400);
    assertThat(call("GET", "/api/v1/schedules/" + id, null, 200)).isEqualTo(created);

    JsonNode taken = call("POST", "/api/v1/schedules", NIGHTLY.replace("nightly", "keep"), 409);
    assertThat(taken.get("detail").asText()).isEqualTo("a schedule named 'keep' already exists");
    JsonNode other = call("POST", "/api/v1/schedules", NIGHTLY.replace("nightly", "other"), 201);
    call("PUT", "/api/v1/schedules/" + other.get("id").asText(), NIGHTLY.replace("nightly", "keep"), 409);
    call("POST", "/api/v1/schedules", "", 400);
    call("DELETE", "/api/v1/schedules/" + id, null, 204);
    call("DELETE", "/api/v1/schedules/" + other.get("id").asText(), null, 204);
  }

  @Test
  void theCollectorsOwnLoopFiresAndTheLastRunShows() throws Exception {
    JsonNode created = call("POST", "/api/v1/schedules", """
        {"name": "soon", "recurrence": {"type": "daily", "at": "23:00"}, "timeZone": "UTC"}""", 201);
    String id = created.get("id").asText();
    int before = jobs.submits();
    clock.set("2024-06-01T23:00:00Z");
    collector.collector.scheduler().wake();
    await().atMost(Duration.ofSeconds(10)).until(() -> jobs.submits() == before + 1);
    JsonNode shown = call("GET", "/api/v1/schedules/" + id, null, 200);
    assertThat(shown.at("/lastRun/jobState").asText()).isEqualTo("RUNNING");
    assertThat(shown.at("/lastRun/outcome").asText()).isEqualTo("SUBMITTED");
    assertThat(shown.at("/lastRun/startedAt").asText()).isEqualTo("2024-06-01T23:00:00Z");
    assertThat(shown.get("nextRunAt").asText()).isEqualTo("2024-06-02T23:00:00Z");
    JsonNode events = call("GET", "/api/v1/schedules/" + id + "/events", null, 200);
    assertThat(events.get("total").asInt()).isEqualTo(1);
    assertThat(events.at("/items/0/kind").asText()).isEqualTo("SUBMITTED");
    assertThat(events.at("/items/0/jobId").asText()).isEqualTo(shown.at("/lastRun/jobId").asText());
    call("GET", "/api/v1/schedules/nope/events", null, 404);
    call("DELETE", "/api/v1/schedules/" + id, null, 204);
    clock.set("2024-06-01T00:00:00Z");
  }

  @Test
  void theOpenApiDocumentDescribesTheScheduleEndpoints() throws Exception {
    JsonNode doc = call("GET", "/api/v1/openapi.json", null, 200);
    JsonNode item = doc.at("/paths/~1api~1v1~1schedules");
    List<String> methods = new ArrayList<>();
    item.fieldNames().forEachRemaining(methods::add);
    assertThat(methods).containsExactly("get", "post");
    assertThat(item.at("/post/requestBody/content/application~1json/schema/$ref").asText())
        .isEqualTo("#/components/schemas/ScheduleInput");
    assertThat(item.at("/post/responses/201/content/application~1json/schema/$ref").asText())
        .isEqualTo("#/components/schemas/ScheduleView");
    JsonNode one = doc.at("/paths/~1api~1v1~1schedules~1{id}");
    assertThat(one.has("put")).isTrue();
    assertThat(one.at("/delete/responses/204/description").asText()).isEqualTo("Done; no content");
    assertThat(doc.at("/components/schemas/ScheduleView/properties/nextRuns/type").asText()).isEqualTo("array");
    assertThat(doc.at("/components/schemas/RecurrenceInput/properties/expression/type").asText()).isEqualTo("string");
  }
}
