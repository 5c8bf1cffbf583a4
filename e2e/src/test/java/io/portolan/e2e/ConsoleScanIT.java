package io.portolan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.Select;

/**
 * Scans and schedules from the console, in a real browser, against a real collector and a real
 * agent on the real dockerd. The agent runs without automatic inventory. A large image's scan is
 * cancelled from its page in the middle of the image. Then, as its host scans one image at a time,
 * the large image holds two small ones in SCANNING, and the list, without a reload, shows the two go
 * to SCANNED. The
 * schedule form refuses an invalid cron next to its field, then saves a valid one and shows the
 * next runs. Every new view is photographed under target/screenshots/.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleScanIT {
  Path work;
  Engine engine;
  PortolanProcess collector;
  PortolanProcess agent;
  Api api;
  Browser browser;
  String repo;
  String big;
  String tool1;
  String tool2;
  String cancelledJob;

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("portolan-console-scan-it");
    engine = new Engine();
    repo = "portolan-console-scan-it/" + engine.run;
    big = engine.buildLargeImage(repo + "/big:1", ScanIT.BIG_LAYERS, ScanIT.FILES_PER_LAYER, ScanIT.OS_RELEASE,
        ScanIT.STATUS);
    tool1 = engine.buildBusyboxImage(repo + "/tool-1", "v1");
    tool2 = engine.buildBusyboxImage(repo + "/tool-2", "v2");
    int http = PortolanProcess.freePort();
    int grpc = PortolanProcess.freePort();
    // One image at a time per host: the large image's scan holds the small ones in the queue.
    collector = PortolanProcess.collector(work, "collector", http, grpc, "", "", "", "--scan-host-concurrency", "1")
        .start();
    api = new Api(http);
    await("collector healthy").atMost(Duration.ofSeconds(60)).until(api::healthy);
    agent = PortolanProcess.agent(work, "scan-host", grpc, "--no-auto-inventory", "--layer-source", "save",
        "--no-polite").start();
    browser = new Browser(work, "http://127.0.0.1:" + http);
    await("the agent reports the three images").atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
      for (String id : List.of(big, tool1, tool2)) {
        assertThat(api.getOrNull("/api/v1/images/" + id)).as(id).isNotNull();
      }
    });
  }

  @AfterAll
  void stop() {
    if (browser != null) browser.close();
    if (agent != null) agent.close();
    if (collector != null) collector.close();
    if (engine != null) engine.close();
  }

  static String shortId(String id) {
    return id.substring(7, 19);
  }

  String listOfOurs() {
    return "/images?search=" + repo + "&sort=repository&order=asc";
  }

  /**
   * Read in one script call: the page's poll swaps these cells, so an element found first and read
   * after may already be gone.
   */
  String cellStatus(String id) {
    return (String) browser.driver.executeScript(
        "const c = document.getElementById(arguments[0]); return c ? c.dataset.status : null;", "scan-" + shortId(id));
  }

  void tick(String id) {
    browser.find("input[name=image][value='" + id + "']").click();
  }

  @Test
  @Order(1)
  void beforeAnyScanTheScansAndSchedulesViewsSayWhatToDo() {
    browser.open("/scans");
    assertThat(browser.text(".empty")).contains("No scan has run yet");
    browser.screenshot("scans-empty");
    browser.open("/schedules");
    assertThat(browser.text(".empty")).contains("No schedule yet");
    browser.screenshot("schedules-empty");
    browser.open(listOfOurs());
    assertThat(browser.text("#results")).contains("of 3 images");
    for (String id : List.of(big, tool1, tool2)) assertThat(cellStatus(id)).isEqualTo("NOT_SCANNED");
  }

  @Test
  @Order(2)
  void aScanCancelledFromTheImagePageEndsCancelled() {
    browser.open("/images/" + shortId(big));
    assertThat(browser.attribute("#scanbox", "data-status")).isEqualTo("NOT_SCANNED");
    browser.navigating(() -> browser.click("#scanbox button"));
    assertThat(browser.text(".banner")).contains("Queued 1 image for scanning");
    cancelledJob = browser.find(".banner a").getAttribute("href").replaceAll(".*/scans/", "");
    assertThat(browser.attribute("#scanbox", "data-status")).isEqualTo("SCANNING");
    assertThat(browser.text("#scanbox button")).isEqualTo("Cancel");
    // In the middle of the image: the agent has read some of it, not all.
    await("the large image in progress").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
        .until(() -> api.get("/api/v1/images/" + big).get("scan").get("progress").asInt() > 0);
    browser.screenshot("image-scanning");
    browser.navigating(() -> browser.click("#scanbox button"));
    assertThat(browser.text(".banner")).contains("Cancelled the scans of 1 image");
    assertThat(browser.attribute("#scanbox", "data-status")).isEqualTo("CANCELLED");
    assertThat(browser.text("#scanbox button")).isEqualTo("Scan again");
    await("the job ends cancelled").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(api.get("/api/v1/scans/" + cancelledJob).get("job").get("state").asText())
            .isEqualTo("CANCELLED"));
    assertThat(api.get("/api/v1/images/" + big).get("scan").get("status").asText()).isEqualTo("CANCELLED");
  }

  @Test
  @Order(3)
  void batchScanNowShowsScanningThenScannedInTheListWithoutAReload() {
    // The large image first: the host scans one image at a time, so it holds the next two in the queue.
    browser.open(listOfOurs());
    tick(big);
    assertThat(browser.text("#selected-count")).isEqualTo("1 selected");
    browser.navigating(() -> browser.find("button[name=action][value=scan]").click());
    assertThat(browser.text(".banner")).contains("Queued 1 image for scanning");

    // Select-all, then untick the large one: two images selected, and Scan now queues them.
    browser.find("#pick-all").click();
    assertThat(browser.text("#selected-count")).isEqualTo("3 selected");
    tick(big);
    assertThat(browser.text("#selected-count")).isEqualTo("2 selected");
    assertThat(browser.find("#pick-all").getAttribute("indeterminate")).isEqualTo("true");
    browser.navigating(() -> browser.find("button[name=action][value=scan]").click());
    assertThat(browser.text(".banner")).contains("Queued 2 images for scanning");
    browser.driver.executeScript("window.portolanNotReloaded = true");
    assertThat(cellStatus(tool1)).isEqualTo("SCANNING");
    assertThat(cellStatus(tool2)).isEqualTo("SCANNING");
    assertThat(browser.all("#scan-poll")).isNotEmpty();
    browser.screenshot("images-scanning");

    // The page's poll turns the cells, with no reload, once the large image is done and the two are scanned.
    await("the list shows both scanned").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          assertThat(cellStatus(tool1)).isEqualTo("SCANNED");
          assertThat(cellStatus(tool2)).isEqualTo("SCANNED");
        });
    assertThat(browser.driver.executeScript("return window.portolanNotReloaded === true")).isEqualTo(true);
    assertThat((String) browser.driver.executeScript("return document.getElementById(arguments[0]).innerText.trim();",
        "scanned-" + shortId(tool1))).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d");
    browser.screenshot("images-scanned");
    browser.resize(800, 1000);
    browser.screenshot("images-800");
    browser.resize(1280, 1000);
    browser.open(listOfOurs() + "&scanStatus=scanned");
    assertThat(browser.text("#results")).contains("of 3 images");
  }

  @Test
  @Order(4)
  void theScansViewAJobPageAndTheScanHistoryTab() {
    browser.open("/scans");
    assertThat(browser.all("table.jobs tbody tr")).hasSize(3);
    assertThat(browser.text("table.jobs")).contains("manual", "console (", "cancelled", "succeeded");
    browser.screenshot("scans");

    browser.open("/scans/" + cancelledJob);
    assertThat(browser.text("h1")).contains(cancelledJob.substring(0, 8));
    assertThat(browser.text("table.items")).contains(repo + "/big:1", "cancelled", "scan-host");
    assertThat(browser.all("button.secondary")).isEmpty();
    browser.screenshot("scan-job");

    browser.open("/images/" + shortId(tool1) + "/history");
    assertThat(browser.text("table.history")).contains("manual", "console (", "scanned", "scan-host");
    browser.screenshot("image-scan-history");
    browser.open("/images/" + shortId(big) + "/history");
    assertThat(browser.text("table.history")).contains("cancelled", "manual");

    browser.open("/");
    assertThat(browser.text("main")).contains("Last scans", cancelledJob.substring(0, 8));
    browser.screenshot("overview-last-scans");
  }

  @Test
  @Order(5)
  void aScheduleWithAnInvalidCronIsRefusedNextToTheFieldThenAValidOneShowsItsNextRuns() {
    browser.open("/schedules");
    browser.navigating(() -> browser.find("a.button[href='/schedules/new']").click());
    browser.find("#name").sendKeys("weeknights");
    new Select(browser.find("#type")).selectByValue("cron");
    assertThat(browser.find("#expression").isDisplayed()).isTrue();
    assertThat(browser.find("#at").isDisplayed()).isFalse();
    browser.find("#expression").clear();
    browser.find("#expression").sendKeys("61 2 * * 1-5");
    browser.find("#timeZone").clear();
    browser.find("#timeZone").sendKeys("Europe/Berlin");
    browser.find("input[name=window]").click();
    browser.until("the preview says why it cannot run", d -> browser.text("#preview").contains("No preview yet"));
    browser.navigating(() -> browser.find(".form-actions button[type=submit]").click());
    assertThat(browser.text("#err-recurrence-expression")).contains("invalid cron expression '61 2 * * 1-5'");
    assertThat(browser.find("#expression").getAttribute("aria-invalid")).isEqualTo("true");
    assertThat(browser.find("#expression").getAttribute("aria-describedby")).isEqualTo("err-recurrence-expression");
    // The error sits right under its field.
    assertThat(browser.driver.findElement(By.xpath("//input[@id='expression']/following-sibling::p[1]"))
        .getAttribute("id")).isEqualTo("err-recurrence-expression");
    assertThat(browser.find("#name").getAttribute("value")).isEqualTo("weeknights");
    browser.screenshot("schedule-form-invalid");
    assertThat(api.get("/api/v1/schedules").get("total").asInt()).isZero();

    browser.find("#expression").clear();
    browser.find("#expression").sendKeys("30 2 * * 1-5");
    browser.until("the preview lists the next runs", d -> browser.text("#preview").contains("Would run next"));
    assertThat(browser.text("#preview")).contains("02:30 Europe/Berlin");
    browser.resize(800, 1000);
    browser.screenshot("schedule-form-800");
    browser.resize(1280, 1000);
    browser.navigating(() -> browser.find(".form-actions button[type=submit]").click());
    assertThat(browser.text(".banner")).contains("Schedule 'weeknights' created. Next run");
    JsonNode stored = api.get("/api/v1/schedules").get("items").get(0);
    assertThat(stored.get("recurrence").get("expression").asText()).isEqualTo("30 2 * * 1-5");
    assertThat(stored.get("window").get("start").asText()).isEqualTo("01:00");
    assertThat(browser.all("ol.next-runs li")).hasSize(5);
    assertThat(browser.text("ol.next-runs")).contains("02:30 Europe/Berlin");
    browser.screenshot("schedule");

    browser.open("/schedules");
    assertThat(browser.text("table.schedules")).contains("weeknights", "Cron 30 2 * * 1-5", "Europe/Berlin",
        "all images", "enabled", "never run");
    assertThat(browser.text("td.next-run")).contains("02:30 Europe/Berlin");
    browser.screenshot("schedules");
  }
}
