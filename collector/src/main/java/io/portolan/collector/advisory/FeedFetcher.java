package io.portolan.collector.advisory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * Downloads a feed over HTTP(S) only when it changed: the previous ETag and Last-Modified go out
 * as If-None-Match / If-Modified-Since, and a 304 costs one round trip instead of the whole feed.
 */
final class FeedFetcher {
  private final HttpClient http;
  private final Duration timeout;

  FeedFetcher(HttpClient http, Duration timeout) {
    this.http = http;
    this.timeout = timeout;
  }

  /** The result: {@code file} is null when the server said "not modified". */
  record Fetched(Path file, String etag, String lastModified) {}

  Fetched fetch(URI url, String etag, String lastModified, Path target) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(timeout).GET()
        .header("User-Agent", "portolan-collector");
    if (!etag.isEmpty()) request.header("If-None-Match", etag);
    if (!lastModified.isEmpty()) request.header("If-Modified-Since", lastModified);
    Path partial = target.resolveSibling(target.getFileName() + ".part");
    HttpResponse<Path> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofFile(partial));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while fetching " + url, e);
    }
    int status = response.statusCode();
    if (status == 304) {
      Files.deleteIfExists(partial);
      return new Fetched(null, etag, lastModified);
    }
    if (status / 100 != 2) {
      Files.deleteIfExists(partial);
      throw new IOException("GET " + url + " answered HTTP " + status);
    }
    // Only a complete download replaces the previous one.
    Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return new Fetched(target, response.headers().firstValue("ETag").orElse(""),
        response.headers().firstValue("Last-Modified").orElse(""));
  }
}
