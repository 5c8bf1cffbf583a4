package io.portolan.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The collector's REST API as an outside caller sees it: JSON over HTTP on loopback. */
final class CollectorApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
  private final int port;

  CollectorApi(int port) {
    this.port = port;
  }

  /** The parsed body, or null when the collector does not answer or answers with an error. */
  JsonNode getOrNull(String path) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (Exception e) {
      return null;
    }
  }

  JsonNode get(String path) {
    JsonNode n = getOrNull(path);
    if (n == null) throw new IllegalStateException("GET " + path + " did not answer 200");
    return n;
  }

  /** The {@code total} of a paged listing. */
  long total(String path) {
    return get(path).path("total").asLong(-1);
  }

  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Waits until /health says UP; fails early when the process dies. */
  void awaitHealthy(BenchProcess process, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      process.requireAlive();
      JsonNode h = getOrNull("/health");
      if (h != null && "UP".equals(h.path("status").asText())) return;
      Thread.sleep(100);
    }
    throw new IllegalStateException("the collector did not become healthy within " + timeout.toSeconds()
        + " s; log " + process.log() + ":\n" + process.logTail(40));
  }

  /** Waits until a host of this name is listed, i.e. the agent connected and said Hello. */
  void awaitHost(String hostName, BenchProcess agent, BenchProcess collector, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      agent.requireAlive();
      collector.requireAlive();
      JsonNode page = getOrNull("/api/v1/hosts?size=1&search=" + encode(hostName));
      if (page != null && page.path("total").asLong() >= 1) return;
      Thread.sleep(200);
    }
    throw new IllegalStateException("host " + hostName + " did not appear within " + timeout.toSeconds()
        + " s; agent log " + agent.log() + ":\n" + agent.logTail(40));
  }
}
