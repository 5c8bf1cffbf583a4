package io.portolan.collector;

import io.portolan.collector.advisory.FeedService;
import io.portolan.collector.store.jdbc.DatabaseSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything the collector needs to start. The launcher fills it from flags, environment and a
 * config file; tests build it directly.
 *
 * @param bindAddress where HTTP and gRPC listen; loopback until agents authenticate (security issue)
 * @param jdbcUrl empty for the embedded H2 database under {@code dataDir}
 * @param offlineAfter a host with no message for this long is shown offline
 */
public record CollectorConfig(
    Path dataDir,
    String bindAddress,
    int httpPort,
    int grpcPort,
    String jdbcUrl,
    String dbUser,
    String dbPassword,
    int dbPoolSize,
    Duration offlineAfter,
    Duration heartbeatInterval,
    int maxMessageBytes,
    int maxInFlight,
    List<FeedService.Source> feeds,
    ScanTuning scans) {

  /**
   * How scans run: a job expires after {@code expiry} (work still waiting for offline hosts then
   * fails), a host with scans in flight that shows no progress for {@code hostSilence} times them
   * out, and a host gets at most {@code hostConcurrency} images at once.
   */
  public record ScanTuning(Duration expiry, Duration hostSilence, int hostConcurrency) {
    public static final ScanTuning DEFAULTS = new ScanTuning(Duration.ofHours(24), Duration.ofMinutes(10), 64);

    public ScanTuning {
      if (expiry.isZero() || expiry.isNegative()) throw new IllegalArgumentException("scan expiry must be positive");
      if (hostSilence.isZero() || hostSilence.isNegative())
        throw new IllegalArgumentException("scan timeout must be positive");
      if (hostConcurrency < 1) throw new IllegalArgumentException("scan host concurrency must be at least 1");
    }
  }

  public static final int DEFAULT_HTTP_PORT = 7070;
  public static final int DEFAULT_GRPC_PORT = 7071;

  public CollectorConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(bindAddress, "bindAddress");
    if (httpPort < 0 || httpPort > 65535) throw new IllegalArgumentException("invalid HTTP port " + httpPort);
    if (grpcPort < 0 || grpcPort > 65535) throw new IllegalArgumentException("invalid gRPC port " + grpcPort);
    if (offlineAfter.compareTo(heartbeatInterval.multipliedBy(2)) < 0)
      throw new IllegalArgumentException("offline-after must be at least twice the heartbeat interval");
    if (maxMessageBytes < 64 * 1024) throw new IllegalArgumentException("max message size must be at least 64 KiB");
    feeds = List.copyOf(feeds);
    Objects.requireNonNull(scans, "scans");
    if (feeds.stream().map(FeedService.Source::name).distinct().count() != feeds.size())
      throw new IllegalArgumentException("two advisory feeds have the same name");
  }

  /** Without advisory feeds: advisories can still be imported through the API. */
  public CollectorConfig(Path dataDir, String bindAddress, int httpPort, int grpcPort, String jdbcUrl, String dbUser,
      String dbPassword, int dbPoolSize, Duration offlineAfter, Duration heartbeatInterval, int maxMessageBytes,
      int maxInFlight) {
    this(dataDir, bindAddress, httpPort, grpcPort, jdbcUrl, dbUser, dbPassword, dbPoolSize, offlineAfter,
        heartbeatInterval, maxMessageBytes, maxInFlight, List.of(), ScanTuning.DEFAULTS);
  }

  /** With the default scan tuning. */
  public CollectorConfig(Path dataDir, String bindAddress, int httpPort, int grpcPort, String jdbcUrl, String dbUser,
      String dbPassword, int dbPoolSize, Duration offlineAfter, Duration heartbeatInterval, int maxMessageBytes,
      int maxInFlight, List<FeedService.Source> feeds) {
    this(dataDir, bindAddress, httpPort, grpcPort, jdbcUrl, dbUser, dbPassword, dbPoolSize, offlineAfter,
        heartbeatInterval, maxMessageBytes, maxInFlight, feeds, ScanTuning.DEFAULTS);
  }

  public CollectorConfig withScans(ScanTuning value) {
    return new CollectorConfig(dataDir, bindAddress, httpPort, grpcPort, jdbcUrl, dbUser, dbPassword, dbPoolSize,
        offlineAfter, heartbeatInterval, maxMessageBytes, maxInFlight, feeds, value);
  }

  public CollectorConfig withFeeds(List<FeedService.Source> sources) {
    return new CollectorConfig(dataDir, bindAddress, httpPort, grpcPort, jdbcUrl, dbUser, dbPassword, dbPoolSize,
        offlineAfter, heartbeatInterval, maxMessageBytes, maxInFlight, sources, scans);
  }

  /** Loopback defaults with embedded H2 under {@code dataDir}. */
  public static CollectorConfig defaults(Path dataDir) {
    return new CollectorConfig(
        dataDir,
        "127.0.0.1",
        DEFAULT_HTTP_PORT,
        DEFAULT_GRPC_PORT,
        "",
        "",
        "",
        10,
        Duration.ofSeconds(60),
        Duration.ofSeconds(10),
        16 * 1024 * 1024,
        256);
  }

  public CollectorConfig withPorts(int http, int grpc) {
    return new CollectorConfig(dataDir, bindAddress, http, grpc, jdbcUrl, dbUser, dbPassword, dbPoolSize,
        offlineAfter, heartbeatInterval, maxMessageBytes, maxInFlight, feeds, scans);
  }

  public CollectorConfig withDatabase(String url, String user, String password) {
    return new CollectorConfig(dataDir, bindAddress, httpPort, grpcPort, url, user, password, dbPoolSize,
        offlineAfter, heartbeatInterval, maxMessageBytes, maxInFlight, feeds, scans);
  }

  public CollectorConfig withOfflineAfter(Duration offline, Duration heartbeat) {
    return new CollectorConfig(dataDir, bindAddress, httpPort, grpcPort, jdbcUrl, dbUser, dbPassword, dbPoolSize,
        offline, heartbeat, maxMessageBytes, maxInFlight, feeds, scans);
  }

  /** The database actually used: the configured one, or the embedded H2 file in the data dir. */
  public DatabaseSettings databaseSettings() {
    if (jdbcUrl.isBlank()) return DatabaseSettings.h2File(dataDir);
    return new DatabaseSettings(jdbcUrl, dbUser, dbPassword, dbPoolSize);
  }
}
