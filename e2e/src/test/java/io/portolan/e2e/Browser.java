package io.portolan.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's Chromium, headless, driven through Debian's chromedriver: a fresh profile per run, a
 * download folder of its own, and screenshots under {@code target/screenshots/}. Nothing is
 * downloaded: a missing browser fails the test with what to install.
 */
final class Browser implements AutoCloseable {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path SCREENSHOTS = Path.of("target", "screenshots");

  final ChromeDriver driver;
  final Path downloads;
  private final String base;

  Browser(Path work, String base) {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      throw new IllegalStateException("Chromium and chromedriver are needed at " + CHROMIUM + " and " + CHROMEDRIVER
          + ": apt-get install chromium chromium-driver (scripts/test-all.sh does it)");
    }
    this.base = base;
    try {
      this.downloads = Files.createDirectories(work.resolve("downloads"));
      Path profile = Files.createDirectories(work.resolve("chromium-profile"));
      ChromeOptions options = new ChromeOptions();
      options.setBinary(CHROMIUM.toFile());
      // The closed network refuses lookups: without these, Chromium stalls on background fetches.
      options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,1000");
      options.setExperimentalOption("prefs", Map.of(
          "download.default_directory", downloads.toAbsolutePath().toString(),
          "download.prompt_for_download", false,
          "safebrowsing.enabled", false));
      ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
          .usingAnyFreePort().withLogOutput(java.io.OutputStream.nullOutputStream()).build();
      this.driver = new ChromeDriver(service, options);
      driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
      Files.createDirectories(SCREENSHOTS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void open(String path) {
    driver.get(base + path);
    waitForIdle();
  }

  String path() {
    String url = driver.getCurrentUrl();
    return url.startsWith(base) ? url.substring(base.length()) : url;
  }

  WebElement find(String css) {
    return driver.findElement(By.cssSelector(css));
  }

  List<WebElement> all(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  String text(String css) {
    return fresh(() -> find(css).getText());
  }

  /** The attribute of the element at {@code css}, read again if a poll swapped the element meanwhile. */
  String attribute(String css, String name) {
    return fresh(() -> find(css).getAttribute(name));
  }

  /** Clicks the element at {@code css}, found again if a poll swapped it between finding and clicking. */
  void click(String css) {
    fresh(() -> {
      find(css).click();
      return null;
    });
  }

  /**
   * Pages that poll (scan progress) replace their elements every few seconds, so an element found
   * may be gone by the time it is read: then it is found again, a few times at most.
   */
  private static <T> T fresh(java.util.function.Supplier<T> read) {
    for (int attempt = 1; ; attempt++) {
      try {
        return read.get();
      } catch (org.openqa.selenium.StaleElementReferenceException e) {
        if (attempt == 5) throw e;
      }
    }
  }

  <T> T until(String what, Function<WebDriver, T> condition) {
    return new WebDriverWait(driver, Duration.ofSeconds(20)).withMessage(what).until(condition);
  }

  /** Until htmx has no request in flight and the document is loaded. */
  void waitForIdle() {
    until("page idle", d -> Boolean.TRUE.equals(driver.executeScript(
        "return document.readyState === 'complete' && document.querySelector('.htmx-request') === null")));
  }

  /** Runs {@code action}, then waits until the element at {@code css} was replaced (an htmx swap) and htmx is idle. */
  void swapping(String css, Runnable action) {
    WebElement before = find(css);
    action.run();
    until("swap of " + css, d -> {
      try {
        before.isDisplayed();
        return false;
      } catch (org.openqa.selenium.StaleElementReferenceException replaced) {
        return true;
      } catch (org.openqa.selenium.WebDriverException e) {
        // Asked while the old document is being torn down, Chromium may say this instead of "stale".
        if (String.valueOf(e.getMessage()).contains("does not belong to the document")) return true;
        throw e;
      }
    });
    waitForIdle();
  }

  /**
   * Runs {@code action} (a click on a link or a submit) and waits until the next page has loaded:
   * a mark set on the old page's window is gone once the new document replaced it. (Asking an old
   * element whether it is stale races with the teardown of its document.)
   */
  void navigating(Runnable action) {
    driver.executeScript("window.__portolanOldPage = true");
    action.run();
    until("the next page", d -> {
      try {
        return Boolean.TRUE.equals(driver.executeScript(
            "return window.__portolanOldPage === undefined && document.readyState === 'complete'"));
      } catch (org.openqa.selenium.WebDriverException navigatingStill) {
        return false;
      }
    });
    waitForIdle();
  }

  void resize(int width, int height) {
    driver.manage().window().setSize(new Dimension(width, height));
  }

  /** A full-page PNG under target/screenshots/{name}.png. */
  Path screenshot(String name) {
    waitForIdle();
    Path out = SCREENSHOTS.resolve(name + ".png");
    try {
      // Full height: grow the window to the document, then restore.
      Dimension size = driver.manage().window().getSize();
      Number height = (Number) driver.executeScript("return document.documentElement.scrollHeight");
      driver.manage().window().setSize(new Dimension(size.getWidth(), Math.min(6000, Math.max(size.getHeight(),
          height.intValue() + 120))));
      Files.write(out, driver.getScreenshotAs(OutputType.BYTES));
      driver.manage().window().setSize(size);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** The one file that appears in the download folder, once Chromium has finished writing it. */
  Path downloaded(String suffix) {
    return until("a downloaded *" + suffix, d -> {
      try (var files = Files.list(downloads)) {
        return files.filter(f -> f.getFileName().toString().endsWith(suffix)).findFirst().orElse(null);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  @Override
  public void close() {
    driver.quit();
  }
}
