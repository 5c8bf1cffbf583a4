package io.portolan.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A small client of the collector's REST API as an outside caller sees it. */
final class Api {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final int port;

  Api(int port) {
    this.port = port;
  }

  /** The parsed body, or null when the collector does not answer or answers with an error. */
  JsonNode getOrNull(String path) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (Exception e) {
      return null;
    }
  }

  JsonNode get(String path) {
    JsonNode n = getOrNull(path);
    // An AssertionError, so that Awaitility's untilAsserted keeps polling while data is on its way.
    if (n == null) throw new AssertionError("GET " + path + " did not answer 200");
    return n;
  }

  /** Every item of a paged listing, following pages. */
  List<JsonNode> all(String path) {
    List<JsonNode> items = new ArrayList<>();
    String sep = path.contains("?") ? "&" : "?";
    for (int page = 1; ; page++) {
      JsonNode p = get(path + sep + "size=500&page=" + page);
      p.get("items").forEach(items::add);
      if (items.size() >= p.get("total").asLong() || p.get("items").isEmpty()) return items;
    }
  }

  /** The parsed body of a request with a JSON body; fails unless the answer is {@code status}. */
  JsonNode send(String method, String path, String json, int status) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != status) {
        throw new AssertionError(method + " " + path + " answered " + r.statusCode() + ", not " + status + ": "
            + r.body());
      }
      return JSON.readTree(r.body());
    } catch (java.io.IOException e) {
      throw new AssertionError(method + " " + path + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  JsonNode post(String path, String json) {
    return send("POST", path, json, 200);
  }

  boolean healthy() {
    JsonNode h = getOrNull("/health");
    return h != null && "UP".equals(h.path("status").asText());
  }
}
