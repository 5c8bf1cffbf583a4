package io.portolan.collector;

import io.portolan.collector.scan.ScanJobs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/** A whole collector on ephemeral loopback ports with its own embedded database, for hermetic tests. */
public final class TestCollector implements AutoCloseable {
  public final Collector collector;
  private final HttpClient http = HttpClient.newHttpClient();

  public TestCollector(Path dataDir) {
    this(CollectorConfig.defaults(dataDir).withPorts(0, 0), Clock.systemUTC());
  }

  public TestCollector(CollectorConfig config, Clock clock) {
    this.collector = new Collector(config, clock).start();
  }

  /** With {@code jobs} as the scan service that schedules submit to. */
  public TestCollector(CollectorConfig config, Clock clock, ScanJobs jobs) {
    this.collector = new Collector(config, clock).scanJobs(jobs).start();
  }

  /** The HTTP status and body of a GET. */
  public record Response(int status, String contentType, String body) {}

  public Response get(String pathAndQuery) {
    try {
      HttpResponse<String> r = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + collector.httpPort() + pathAndQuery))
              .timeout(Duration.ofSeconds(10)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.headers().firstValue("content-type").orElse(""), r.body());
    } catch (Exception e) {
      throw new IllegalStateException("GET " + pathAndQuery + " failed", e);
    }
  }

  /** The HTTP status and body of a POST of {@code body}. */
  public Response post(String pathAndQuery, byte[] body) {
    try {
      HttpResponse<String> r = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + collector.httpPort() + pathAndQuery))
              .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.headers().firstValue("content-type").orElse(""), r.body());
    } catch (Exception e) {
      throw new IllegalStateException("POST " + pathAndQuery + " failed", e);
    }
  }

  /** The HTTP status and body of any request; {@code body} may be null for none. */
  public Response send(String method, String pathAndQuery, String body) {
    try {
      HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
          : HttpRequest.BodyPublishers.ofString(body);
      HttpResponse<String> r = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + collector.httpPort() + pathAndQuery))
              .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json").method(method, publisher)
              .build(),
          HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.headers().firstValue("content-type").orElse(""), r.body());
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + pathAndQuery + " failed", e);
    }
  }

  public int grpcPort() {
    return collector.grpcPort();
  }

  @Override
  public void close() {
    collector.close();
  }
}
