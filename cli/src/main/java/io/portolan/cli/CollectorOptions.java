package io.portolan.cli;

import io.portolan.collector.CollectorConfig;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The collector's flags, shared by {@code portolan collector} and {@code portolan up}. */
final class CollectorOptions {
  @Option(names = "--data-dir", defaultValue = "./data", description = "Where the embedded database lives (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(names = "--bind", defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}). Anything but loopback exposes an unauthenticated service.")
  String bind;

  @Option(names = "--http-port", defaultValue = "7070", description = "Console, API, /metrics and /health (default: ${DEFAULT-VALUE})")
  int httpPort;

  @Option(names = "--grpc-port", defaultValue = "7071", description = "Where agents connect (default: ${DEFAULT-VALUE})")
  int grpcPort;

  @Option(names = "--db-url", defaultValue = "", description = "JDBC URL, e.g. jdbc:postgresql://db:5432/portolan (default: embedded H2 in the data dir)")
  String dbUrl;

  @Option(names = "--db-user", defaultValue = "", description = "Database user")
  String dbUser;

  @Option(names = "--db-password", defaultValue = "", description = "Database password (prefer PORTOLAN_DB_PASSWORD)")
  String dbPassword;

  @Option(names = "--db-pool-size", defaultValue = "10", description = "Database connections (default: ${DEFAULT-VALUE})")
  int dbPoolSize;

  @Option(names = "--offline-after", defaultValue = "60s", converter = DurationConverter.class,
      description = "A host silent this long is shown offline (default: ${DEFAULT-VALUE})")
  Duration offlineAfter;

  @Option(names = "--heartbeat-interval", defaultValue = "10s", converter = DurationConverter.class,
      description = "How often agents send a heartbeat (default: ${DEFAULT-VALUE})")
  Duration heartbeatInterval;

  @Option(names = "--max-message-size", defaultValue = "16777216", description = "Largest agent message in bytes (default: ${DEFAULT-VALUE})")
  int maxMessageBytes;

  @Option(names = "--feed", paramLabel = "NAME=LOCATION",
      description = "An advisory feed: a name and a local file, directory or .zip (OSV, Debian tracker, Alpine secdb),"
          + " or an http(s) URL fetched every --feed-refresh with conditional requests. Repeatable.")
  java.util.Map<String, String> feeds = new java.util.LinkedHashMap<>();

  @Option(names = "--feed-refresh", defaultValue = "6h", converter = DurationConverter.class,
      description = "How often URL feeds are fetched again (default: ${DEFAULT-VALUE})")
  Duration feedRefresh;

  @Option(names = "--scan-expiry", defaultValue = "24h", converter = DurationConverter.class,
      description = "A scan job still waiting (for offline hosts) after this long expires (default: ${DEFAULT-VALUE})")
  Duration scanExpiry;

  @Option(names = "--scan-timeout", defaultValue = "10m", converter = DurationConverter.class,
      description = "Scans on a host that reports no progress for this long fail (default: ${DEFAULT-VALUE})")
  Duration scanTimeout;

  @Option(names = "--scan-host-concurrency", defaultValue = "64",
      description = "Images one host is asked to scan at once (default: ${DEFAULT-VALUE})")
  int scanHostConcurrency;

  CollectorConfig toConfig() {
    var d = CollectorConfig.defaults(dataDir);
    var sources = feeds.entrySet().stream()
        .map(e -> new io.portolan.collector.advisory.FeedService.Source(e.getKey(), e.getValue(), feedRefresh))
        .toList();
    return new CollectorConfig(dataDir, bind, httpPort, grpcPort, dbUrl, dbUser, dbPassword, dbPoolSize,
        offlineAfter, heartbeatInterval, maxMessageBytes, d.maxInFlight(), sources,
        new CollectorConfig.ScanTuning(scanExpiry, scanTimeout, scanHostConcurrency));
  }
}
