package io.portolan.collector.advisory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.portolan.collector.match.MatchService;
import io.portolan.collector.store.Store;
import io.portolan.collector.store.jdbc.DatabaseSettings;
import io.portolan.collector.store.jdbc.JdbcStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeedServiceTest {
  @TempDir Path dir;
  private Store store;
  private MatchService match;
  private FeedService feeds;
  private HttpServer http;

  private static final String LOG4SHELL = """
      {"id": "GHSA-jfh8-c2jp-5v3q", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2021-44228"],
       "summary": "Remote code injection in Log4j",
       "affected": [{"package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}]}]}],
       "database_specific": {"severity": "CRITICAL"}}
      """;

  private static String lodash(String fixed) {
    return """
        {"id": "GHSA-35jh-r3h4-6jhm", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2021-23337"],
         "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
           "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "%s"}]}]}]}
        """.formatted(fixed);
  }

  @BeforeEach
  void start() {
    store = JdbcStore.open(new DatabaseSettings("jdbc:h2:mem:feeds-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
        "sa", "", 4));
    match = new MatchService(store, Clock.systemUTC(), new SimpleMeterRegistry());
    match.start(Map.of());
  }

  private FeedService feeds(List<FeedService.Source> sources) {
    feeds = new FeedService(store, match, Clock.systemUTC(), dir.resolve("feeds"), sources);
    return feeds;
  }

  @AfterEach
  void stop() {
    if (http != null) http.stop(0);
    if (feeds != null) feeds.close();
    match.close();
    store.close();
  }

  private static byte[] zip(Map<String, String> entries) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(out)) {
      for (var e : entries.entrySet()) {
        z.putNextEntry(new ZipEntry(e.getKey()));
        z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
        z.closeEntry();
      }
    }
    return out.toByteArray();
  }

  private FeedService.ImportResult upload(String feed, String name, byte[] body) throws IOException {
    return feeds.importUpload(feed, name, new ByteArrayInputStream(body));
  }

  @Test
  void importsAreIdempotentAndWriteOnlyWhatChanged() throws IOException {
    feeds(List.of());
    var first = upload("ghsa", "all.zip", zip(Map.of("a.json", LOG4SHELL, "b.json", lodash("4.17.21"))));
    assertThat(first.kind()).isEqualTo("OSV");
    assertThat(List.of(first.records(), first.added(), first.changed(), first.removed())).containsExactly(2, 2, 0, 0);

    var again = upload("ghsa", "all.zip", zip(Map.of("a.json", LOG4SHELL, "b.json", lodash("4.17.21"))));
    assertThat(List.of(again.added(), again.changed(), again.removed())).containsExactly(0, 0, 0);
    assertThat(again.rematch()).isNull();

    var changed = upload("ghsa", "all.zip", zip(Map.of("a.json", LOG4SHELL, "b.json", lodash("4.17.22"))));
    assertThat(List.of(changed.added(), changed.changed(), changed.removed())).containsExactly(0, 1, 0);
    assertThat(changed.rematch()).isNotNull();

    // A snapshot without a record removes it: the feed's content is what it last said.
    var shrunk = upload("ghsa", "one.json", LOG4SHELL.getBytes(StandardCharsets.UTF_8));
    assertThat(List.of(shrunk.records(), shrunk.removed())).containsExactly(1, 1);
    assertThat(store.resolveVulnerabilityId("GHSA-35jh-r3h4-6jhm")).isEmpty();
    assertThat(store.resolveVulnerabilityId("ghsa-jfh8-c2jp-5v3q")).contains("CVE-2021-44228");

    var status = store.feed("ghsa").orElseThrow();
    assertThat(status.kind()).isEqualTo("OSV");
    assertThat(status.recordCount()).isEqualTo(1);
    assertThat(status.lastError()).isEmpty();
  }

  @Test
  void badUploadsAreRefusedClearlyAndLoseNothing() throws IOException {
    feeds(List.of());
    upload("ghsa", "a.json", LOG4SHELL.getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> upload("ghsa", "x.json", "{ not json".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IOException.class);
    byte[] zip = zip(Map.of("a.json", LOG4SHELL, "b.json", lodash("4.17.21")));
    byte[] truncated = java.util.Arrays.copyOf(zip, zip.length / 2);
    assertThatThrownBy(() -> upload("ghsa", "all.zip", truncated)).isInstanceOf(IOException.class)
        .hasMessageContaining("all.zip");
    assertThatThrownBy(() -> upload("ghsa", "empty.zip", zip(Map.of("README.md", "nothing here"))))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> upload("../etc", "a.json", LOG4SHELL.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("feed name");

    // What was imported before is all still there, and the feed says what went wrong last.
    assertThat(store.advisoryHashes("ghsa")).containsOnlyKeys("GHSA-jfh8-c2jp-5v3q");
    var status = store.feed("ghsa").orElseThrow();
    assertThat(status.recordCount()).isEqualTo(1);
    assertThat(status.lastError()).isNotEmpty();

    // One malformed record among good ones is skipped and counted; the good ones land.
    var mixed = upload("ghsa", "mixed.zip", zip(Map.of("a.json", LOG4SHELL, "bad.json", "{\"summary\": 1}",
        "b.json", lodash("4.17.21"))));
    assertThat(mixed.records()).isEqualTo(2);
    assertThat(mixed.problemCount()).isEqualTo(1);
    assertThat(mixed.problems().get(0)).contains("bad.json");
  }

  @Test
  void urlFeedsAreFetchedConditionallyAndFailuresKeepTheLastGoodContent() throws Exception {
    AtomicReference<String> body = new AtomicReference<>(lodash("4.17.21"));
    AtomicInteger status = new AtomicInteger(200);
    AtomicReference<String> sawEtag = new AtomicReference<>("");
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext("/osv/lodash.json", ex -> {
      String etag = "\"" + Integer.toHexString(body.get().hashCode()) + "\"";
      String ifNoneMatch = ex.getRequestHeaders().getFirst("If-None-Match");
      sawEtag.set(ifNoneMatch == null ? "" : ifNoneMatch);
      if (status.get() != 200) {
        ex.sendResponseHeaders(status.get(), -1);
      } else if (etag.equals(ifNoneMatch)) {
        ex.sendResponseHeaders(304, -1);
      } else {
        byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("ETag", etag);
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
      }
      ex.close();
    });
    http.start();
    String url = "http://127.0.0.1:" + http.getAddress().getPort() + "/osv/lodash.json";
    feeds(List.of(new FeedService.Source("npm", url, Duration.ofHours(6))));

    var first = feeds.refresh("npm");
    assertThat(first.added()).isEqualTo(1);
    var second = feeds.refresh("npm");
    assertThat(second.notModified()).isTrue();
    assertThat(sawEtag.get()).isNotEmpty();

    status.set(500);
    assertThatThrownBy(() -> feeds.refresh("npm")).isInstanceOf(IOException.class).hasMessageContaining("500");
    assertThat(store.feed("npm").orElseThrow().lastError()).contains("HTTP 500");
    assertThat(store.advisoryHashes("npm")).hasSize(1);

    status.set(200);
    body.set(lodash("4.17.22"));
    var third = feeds.refresh("npm");
    assertThat(third.changed()).isEqualTo(1);
    assertThat(store.feed("npm").orElseThrow().lastError()).isEmpty();
  }
}
