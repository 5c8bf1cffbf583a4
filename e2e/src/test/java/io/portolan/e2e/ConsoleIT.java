package io.portolan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The console in a real browser, against a collector fed by two real agents (two host names on the
 * one real dockerd) and the Debian tracker records imported through the console's own form. Every
 * view is opened and photographed under target/screenshots/; the images list is searched,
 * filtered, sorted and paged; an image's tabs are visited; the export and the SBOM are downloaded
 * and checked against the API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleIT {
  static final String BASE = Engine.DEBIAN_BASE;
  static final ObjectMapper JSON = new ObjectMapper();
  Path work;
  Engine engine;
  PortolanProcess collector;
  final List<PortolanProcess> agents = new ArrayList<>();
  Api api;
  Browser browser;
  String repo;
  String debianImage;
  final List<String> busyboxImages = new ArrayList<>();
  String container;

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("portolan-console-it");
    engine = new Engine();
    engine.debianBase();
    repo = "portolan-console-it/" + engine.run;
    // A Debian image that runs (vulnerabilities, packages, layers), and three tiny ones to page through.
    Path ctx = Files.createDirectories(work.resolve("ctx"));
    Files.writeString(ctx.resolve("Dockerfile"), "FROM " + BASE + "\nLABEL " + Engine.LABEL + "=" + engine.run
        + "\nCMD [\"sleep\", \"3600\"]\n");
    String built = engine.docker.buildImageCmd(ctx.toFile()).withTags(Set.of(repo + "/debian-app:1"))
        .withPull(false).exec(new BuildImageResultCallback()).awaitImageId();
    debianImage = engine.docker.inspectImageCmd(built).exec().getId();
    container = engine.docker.createContainerCmd(debianImage).withName("console-web-" + engine.run)
        .withLabels(Map.of(Engine.LABEL, engine.run)).exec().getId();
    engine.docker.startContainerCmd(container).exec();
    for (int i = 1; i <= 3; i++) busyboxImages.add(engine.buildBusyboxImage(repo + "/tool-" + i, "v" + i));

    int http = PortolanProcess.freePort();
    int grpc = PortolanProcess.freePort();
    collector = PortolanProcess.collector(work, http, grpc, "", "", "").start();
    api = new Api(http);
    await("collector healthy").atMost(Duration.ofSeconds(60)).until(api::healthy);
    // Two hosts on one engine; not polite, so a busy shared test machine does not hold the inventory back.
    for (String host : List.of("console-a", "console-b")) {
      agents.add(PortolanProcess.agent(work, host, grpc, "--no-polite").start());
    }
    browser = new Browser(work, "http://127.0.0.1:" + http);
    await("the Debian image inventoried").atMost(Duration.ofSeconds(180)).untilAsserted(() -> {
      JsonNode image = api.get("/api/v1/images/" + debianImage);
      assertThat(image.get("inventory").get("status").asText()).isEqualTo("COMPLETE");
      assertThat(image.get("hostCount").asInt()).isEqualTo(2);
    });
  }

  @AfterAll
  void stop() {
    if (browser != null) browser.close();
    for (PortolanProcess a : agents) a.close();
    if (collector != null) collector.close();
    if (engine != null) engine.close();
  }

  String shortId(String id) {
    return id.substring(7, 19);
  }

  @Test
  @Order(1)
  void anEmptyFeedListSaysWhatToDoAndTheImportFormLoadsTheTrackerRecords() throws Exception {
    browser.open("/feeds");
    assertThat(browser.text(".empty")).contains("No advisory feeds yet");
    Path feed = Files.createDirectories(work.resolve("feed"));
    Path zip = feed.resolve("debian-tracker.zip");
    try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
      for (String f : List.of("CVE-list.excerpt", "DSA-list.excerpt")) {
        out.putNextEntry(new java.util.zip.ZipEntry(f));
        try (InputStream in = getClass().getResourceAsStream("/vulndata/debian-feed/" + f)) {
          in.transferTo(out);
        }
        out.closeEntry();
      }
    }
    browser.find("input[name=name]").sendKeys("debian");
    browser.find("input[type=file]").sendKeys(zip.toAbsolutePath().toString());
    browser.find("form.import button[type=submit]").click();
    browser.until("import banner", d -> !browser.all(".banner.ok").isEmpty());
    assertThat(browser.text(".banner.ok")).contains("Feed debian imported", "DEBIAN_TRACKER");
    assertThat(browser.text("table.grid")).contains("debian", "DEBIAN_TRACKER");
    browser.screenshot("feeds");
    await("the image assessed").atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(api.get("/api/v1/images/" + debianImage).get("vulnerabilities").get("total").asInt()).isPositive());
  }

  @Test
  @Order(2)
  void everyViewOpens() {
    browser.open("/");
    assertThat(browser.text("main")).contains("Hosts", "Images by worst severity", "Top 10 risky images");
    assertThat(browser.text(".cards")).contains("online");
    assertThat(browser.text("main")).contains(repo + "/debian-app:1");
    browser.screenshot("overview");

    browser.open("/hosts");
    assertThat(browser.text("table.grid")).contains("console-a", "console-b");
    browser.screenshot("hosts");
    browser.navigating(() -> browser.driver.findElement(By.linkText("console-a")).click());
    assertThat(browser.text("h1")).isEqualTo("console-a");
    assertThat(browser.text("main")).contains(shortId(debianImage));
    browser.screenshot("host");
    browser.swapping("#host-body", () -> browser.driver.findElement(By.partialLinkText("Containers (")).click());
    assertThat(browser.path()).endsWith("/containers");
    assertThat(browser.text("#host-body table")).contains("console-web-" + engine.run);

    browser.open("/containers?search=" + engine.run);
    assertThat(browser.all("#results tbody tr")).hasSize(2);
    assertThat(browser.text("#results table")).contains("console-web-" + engine.run, "sleep 3600", "running");
    browser.screenshot("containers");

    browser.open("/repositories?search=" + engine.run);
    assertThat(browser.text("#results table")).contains(repo + "/debian-app", repo + "/tool-1");
    browser.screenshot("repositories");

    browser.open("/vulnerabilities");
    assertThat(browser.text("main")).contains("CVE, GHSA or DSA");
    browser.find("input[name=search]").sendKeys("CVE-");
    browser.navigating(() -> browser.find("main form button").click());
    List<WebElement> hits = browser.all("table.grid tbody tr a");
    assertThat(hits).isNotEmpty();
    browser.screenshot("vulnerabilities");
  }

  @Test
  @Order(3)
  void aVulnerabilityShowsTheImagesHostsAndRunningContainersItAffects() {
    JsonNode flat = api.get("/api/v1/images/" + debianImage + "/vulnerabilities?group=flat");
    String cve = flat.get(0).get("id").asText();
    browser.open("/vulnerabilities");
    browser.navigating(() -> browser.find("input[name=search]").sendKeys(cve, Keys.ENTER));
    assertThat(browser.path()).isEqualTo("/vulnerabilities/" + cve);
    String page = browser.text("main");
    assertThat(page).contains(cve, shortId(debianImage), "console-a", "console-b", "console-web-" + engine.run);
    browser.screenshot("vulnerability");
  }

  @Test
  @Order(4)
  void theImagesListSearchesFiltersSortsAndPages() {
    browser.open("/images");
    browser.screenshot("images");
    WebElement search = browser.find("input[name=search]");
    browser.swapping("#results", () -> search.sendKeys(repo));
    browser.until("the search applied", d -> browser.text("#results .count").contains("of 4 images"));
    assertThat(browser.path()).contains("search=" + repo.replace("/", "%2F"));
    assertThat(browser.all("#results tbody tr")).hasSize(4);

    // Worst severity: the busybox images hold no package, so no vulnerability; the Debian image has some.
    browser.swapping("#results", () -> new Select(browser.find("select[name=severity]")).selectByValue("none"));
    assertThat(browser.text("#results .count")).contains("of 3 images");
    assertThat(browser.text("#results tbody")).doesNotContain(shortId(debianImage));
    browser.swapping("#results", () -> new Select(browser.find("select[name=severity]")).selectByValue(""));
    browser.swapping("#results", () -> new Select(browser.find("select[name=assessment]")).selectByValue("assessed"));
    assertThat(browser.all("#results tbody tr")).hasSize(4);
    browser.swapping("#results", () -> new Select(browser.find("select[name=assessment]")).selectByValue(""));
    // Host filter by name, as typed.
    WebElement host = browser.find("input[name=host]");
    browser.swapping("#results", () -> {
      host.sendKeys("console-b");
      host.sendKeys(Keys.TAB);
    });
    assertThat(browser.text("#results .count")).contains("of 4 images");
    browser.swapping("#results", () -> {
      host.clear();
      host.sendKeys("no-such-host", Keys.TAB);
    });
    assertThat(browser.text("#results")).contains("No host has the name or ID", "No image matches these filters");
    browser.swapping("#results", () -> {
      host.clear();
      host.sendKeys(Keys.TAB);
    });

    // Sort by size, both ways, by clicking the header: the API's order is the oracle.
    browser.swapping("#results", () -> browser.driver.findElement(By.cssSelector("th a[title='Sort by Size (bytes)']"))
        .click());
    List<String> largestFirst = ids("/api/v1/images?search=" + repo + "&sort=size&order=desc");
    assertThat(rowIds()).isEqualTo(largestFirst);
    browser.screenshot("images-sorted");
    browser.swapping("#results", () -> browser.driver.findElement(By.cssSelector("th a[title='Sort by Size (bytes)']"))
        .click());
    assertThat(rowIds()).isEqualTo(ids("/api/v1/images?search=" + repo + "&sort=size&order=asc"));
    assertThat(browser.find("th[aria-sort=ascending]").getText()).contains("Size");

    // Pages of two, through the pager.
    browser.open("/images?search=" + repo + "&sort=risk&order=desc&size=2");
    assertThat(browser.text("#results .count")).contains("Showing 1–2 of 4 images");
    List<String> first = rowIds();
    browser.swapping("#results", () -> browser.find("#results .pager a[rel=next]").click());
    assertThat(browser.text("#results .count")).contains("Showing 3–4 of 4 images");
    assertThat(browser.path()).contains("page=2");
    List<String> second = rowIds();
    List<String> both = new ArrayList<>(first);
    both.addAll(second);
    assertThat(both).isEqualTo(ids("/api/v1/images?search=" + repo + "&sort=risk&order=desc"));

    // The same page at 800 px: the table scrolls inside its frame, the page does not.
    browser.resize(800, 1000);
    browser.open("/images?search=" + repo);
    Number pageWidth = (Number) browser.driver.executeScript("return document.documentElement.scrollWidth");
    assertThat(pageWidth.intValue()).isLessThanOrEqualTo(800);
    browser.screenshot("images-800px");
    browser.resize(1280, 1000);
  }

  List<String> rowIds() {
    return browser.all("#results tbody tr td.id code").stream().map(WebElement::getText).toList();
  }

  List<String> ids(String apiPath) {
    List<String> out = new ArrayList<>();
    for (JsonNode i : api.get(apiPath).get("items")) out.add(shortId(i.get("id").asText()));
    return out;
  }

  @Test
  @Order(5)
  void theExportIsTheFilteredListAsTheApiListsIt() throws Exception {
    browser.open("/images?search=" + repo + "&sort=created&order=asc");
    browser.driver.findElement(By.linkText("CSV")).click();
    Path csv = browser.downloaded(".csv");
    List<String> lines = Files.readAllLines(csv);
    assertThat(lines.get(0)).startsWith("Image ID,Repository,Tags,Risk score,Critical,High,Medium,Low,OS,Hosts");
    JsonNode items = api.get("/api/v1/images?search=" + repo + "&sort=created&order=asc").get("items");
    assertThat(lines).hasSize(1 + items.size());
    for (int i = 0; i < items.size(); i++) {
      JsonNode item = items.get(i);
      String[] cells = lines.get(i + 1).split(",", -1);
      assertThat(cells[0]).isEqualTo(item.get("id").asText());
      assertThat(cells[2]).isEqualTo(String.join(" ", JSON.convertValue(item.get("repoTags"), String[].class)));
      assertThat(cells[4]).isEqualTo(item.get("vulnerabilities").get("critical").asText());
      assertThat(cells[9]).isEqualTo(item.get("hostCount").asText());
      assertThat(cells[12]).isEqualTo(item.get("sizeBytes").asText());
    }
    browser.driver.findElement(By.linkText("JSON")).click();
    JsonNode json = JSON.readTree(browser.downloaded(".json").toFile());
    assertThat(json).hasSize(items.size());
    assertThat(json.get(0).get("id").asText()).isEqualTo(items.get(0).get("id").asText());
  }

  @Test
  @Order(6)
  void anImageShowsEveryTabAndItsSbomDownloads() throws Exception {
    browser.open("/images?search=" + repo + "/debian-app");
    browser.navigating(() -> browser.find("#results td.id a").click());
    assertThat(browser.path()).isEqualTo("/images/" + shortId(debianImage));
    String header = browser.text("header.head");
    assertThat(header).contains(repo + "/debian-app:1", "docker.io", debianImage, "Debian GNU/Linux 12 (bookworm)",
        "docker");
    // Vulnerabilities first: grouped by package, worst first, with fixed version, state, CVSS, description.
    assertThat(browser.find(".tabs a[aria-current=page]").getText()).isEqualTo("Vulnerabilities");
    JsonNode groups = api.get("/api/v1/images/" + debianImage + "/vulnerabilities");
    List<String> shownPackages = browser.all(".group-head .pkg").stream().map(WebElement::getText).toList();
    List<String> apiPackages = new ArrayList<>();
    for (JsonNode g : groups) if (apiPackages.size() < shownPackages.size()) apiPackages.add(g.get("packageName").asText());
    assertThat(shownPackages).isEqualTo(apiPackages);
    WebElement details = browser.find("table.findings details");
    details.findElement(By.tagName("summary")).click();
    assertThat(details.getAttribute("open")).isNotNull();
    browser.screenshot("image-vulnerabilities");

    browser.swapping("#image-body", () -> browser.driver.findElement(By.linkText("Packages")).click());
    assertThat(browser.path()).endsWith("/packages");
    int packages = api.get("/api/v1/images/" + debianImage + "/packages").get("total").asInt();
    assertThat(browser.text(".panel .count")).contains("of " + String.format("%,d", packages) + " packages");
    WebElement pkgSearch = browser.find(".panel input[name=search]");
    browser.swapping("#image-body", () -> pkgSearch.sendKeys("libc6"));
    assertThat(browser.text(".panel table")).contains("libc6");
    browser.screenshot("image-packages");

    browser.swapping("#image-body", () -> browser.driver.findElement(By.linkText("Layers")).click());
    assertThat(browser.text(".panel table")).contains("sleep");
    browser.screenshot("image-layers");
    // A layer's link filters the packages to it: here every package sits in the base layer.
    browser.swapping("#image-body", () -> browser.find(".panel table a[href$='packages?layer=0']").click());
    assertThat(browser.path()).endsWith("/packages?layer=0");
    assertThat(browser.text(".panel .count")).contains("of " + String.format("%,d", packages) + " packages");
    browser.swapping("#image-body", () -> browser.driver.findElement(By.linkText("Layers")).click());
    browser.swapping("#image-body", () -> browser.find(".panel table a[href$='vulnerabilities?layer=0']").click());
    assertThat(new Select(browser.find(".panel select[name=layer]")).getFirstSelectedOption().getText()).startsWith("0:");

    browser.swapping("#image-body", () -> browser.driver.findElement(By.linkText("Associated servers")).click());
    assertThat(browser.all(".panel tbody tr")).hasSize(2);
    assertThat(browser.text(".panel table")).contains("console-a", "console-b", engine.dockerVersion(), "online");
    browser.swapping("#image-body", () -> new Select(browser.find(".panel select[name=status]")).selectByValue("offline"));
    assertThat(browser.text(".panel")).contains("No server with this status");
    browser.swapping("#image-body", () -> new Select(browser.find(".panel select[name=status]")).selectByValue("online"));
    assertThat(browser.all(".panel tbody tr")).hasSize(2);
    browser.screenshot("image-servers");

    browser.swapping("#image-body", () -> browser.driver.findElement(By.linkText("Associated containers")).click());
    // Each agent reports the engine's container as its own host's.
    assertThat(browser.all(".panel tbody tr")).hasSize(2);
    assertThat(browser.text(".panel table")).contains("console-web-" + engine.run, "sleep 3600", "console-a",
        "console-b", "running");
    browser.screenshot("image-containers");

    browser.driver.findElement(By.partialLinkText("Download SBOM")).click();
    JsonNode sbom = JSON.readTree(browser.downloaded(".cdx.json").toFile());
    assertThat(sbom.get("bomFormat").asText()).isEqualTo("CycloneDX");
    assertThat(sbom.get("components")).hasSize(packages);
    assertThat(sbom.get("components").findValuesAsText("name")).contains("libc6", "bash");
    assertThat(sbom.toString()).contains(shortId(debianImage));
  }

  @Test
  @Order(7)
  void theKeyboardReachesTheSkipLinkAndErrorsSayWhatToChange() {
    browser.open("/images");
    browser.find("body").sendKeys(Keys.TAB);
    WebElement focused = browser.driver.switchTo().activeElement();
    assertThat(focused.getText()).isEqualTo("Skip to content");
    browser.open("/images?severity=dreadful");
    assertThat(browser.text(".problem")).contains("Bad Request", "query parameter 'severity' must be one of");
    browser.screenshot("error");
  }
}
