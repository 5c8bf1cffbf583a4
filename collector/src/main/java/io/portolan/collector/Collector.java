package io.portolan.collector;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.portolan.collector.advisory.FeedService;
import io.portolan.collector.api.ApiServer;
import io.portolan.collector.api.RestApi;
import io.portolan.collector.console.Console;
import io.portolan.collector.ingest.AgentStreamService;
import io.portolan.collector.ingest.AgentVersionPolicy;
import io.portolan.collector.match.MatchService;
import io.portolan.collector.scan.ScanJobs;
import io.portolan.collector.schedule.ScheduleService;
import io.portolan.collector.schedule.Scheduler;
import io.portolan.collector.scan.AgentLink;
import io.portolan.collector.scan.ScanService;
import io.portolan.collector.query.VulnerabilityViews;
import io.portolan.collector.store.Store;
import io.portolan.collector.store.jdbc.DatabaseSettings;
import io.portolan.collector.store.jdbc.JdbcStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector process: the whole object graph is wired here, by hand, in start order, and closed
 * in reverse.
 */
public final class Collector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Collector.class);

  private final CollectorConfig config;
  private final Clock clock;
  private Store store;
  private AgentStreamService ingest;
  private Server grpc;
  private ApiServer http;
  private PrometheusMeterRegistry metrics;
  private MatchService match;
  private FeedService feeds;
  /** Set only by tests that count what schedules submit; otherwise schedules submit to {@link #scans}. */
  private ScanJobs scanJobs;
  private Scheduler scheduler;
  private ScanService scans;

  public Collector(CollectorConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  /**
   * Replaces the scan service as what schedules submit to (tests count submits this way). Call
   * before {@link #start()}.
   */
  public Collector scanJobs(ScanJobs jobs) {
    this.scanJobs = jobs;
    return this;
  }

  /** The version of this build, e.g. "0.1.0-SNAPSHOT". */
  public static String version() {
    try (InputStream in = Collector.class.getResourceAsStream("version.properties")) {
      Properties p = new Properties();
      if (in != null) p.load(in);
      String v = p.getProperty("version", "dev");
      return v.startsWith("${") ? "dev" : v;
    } catch (IOException e) {
      return "dev";
    }
  }

  public Collector start() {
    try {
      Files.createDirectories(config.dataDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create data directory " + config.dataDir(), e);
    }
    if (!isLoopback(config.bindAddress())) {
      log.warn("!!! listening on {}: agents and API callers are NOT authenticated yet; expose this only on a"
          + " trusted network !!!", config.bindAddress());
    }
    metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    DatabaseSettings db = config.databaseSettings();
    store = JdbcStore.open(db);
    match = new MatchService(store, clock, metrics);
    feeds = new FeedService(store, match, clock, config.dataDir().resolve("feeds"), config.feeds());
    match.start(feeds.storedFeedKinds());
    String version = version();
    String collectorId = UUID.randomUUID().toString();
    ingest = new AgentStreamService(store, clock, new AgentVersionPolicy(version),
        new AgentStreamService.Settings(collectorId, config.heartbeatInterval(), config.maxInFlight(),
            config.maxMessageBytes(), writerThreads(db)),
        metrics);
    ingest.onInventories(match::inventoriesChanged);
    AgentStreamService streams = ingest;
    MatchService matching = match;
    scans = new ScanService(store, new AgentLink() {
      @Override
      public boolean send(String agentId, io.portolan.proto.agent.v1.Command command) {
        return streams.send(agentId, command);
      }

      @Override
      public java.util.Set<String> connectedAgents() {
        return streams.connectedAgentIds();
      }

      @Override
      public void afterMatching(Runnable task) {
        matching.afterPendingWork(task);
      }

      @Override
      public boolean matchPending(String imageId) {
        return matching.pending(imageId);
      }
    }, clock, ScanService.Settings.defaults(config.offlineAfter()).withExpiry(config.scans().expiry())
        .withHostSilence(config.scans().hostSilence()).withHostConcurrency(config.scans().hostConcurrency()),
        collectorId);
    ingest.onAgentEvents(scans.agentEvents());
    try {
      grpc = NettyServerBuilder.forAddress(new InetSocketAddress(config.bindAddress(), config.grpcPort()))
          .maxInboundMessageSize(transportLimit(config.maxMessageBytes()))
          .permitKeepAliveTime(10, TimeUnit.SECONDS)
          .permitKeepAliveWithoutCalls(true)
          .addService(ingest)
          .build()
          .start();
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("cannot listen for agents on " + config.bindAddress() + ":"
          + config.grpcPort() + ": " + e.getMessage(), e);
    }
    feeds.start();
    scans.start();
    ScanJobs jobs = scanJobs != null ? scanJobs : scans;
    scheduler = new Scheduler(store, jobs, clock, collectorId, Scheduler.DEFAULT_MAX_SLEEP).start();
    ScheduleService schedules = new ScheduleService(store, jobs, clock, scheduler::wake);
    RestApi api = new RestApi(store, clock, config.offlineAfter(), version, feeds, schedules, scans);
    Console console = new Console(store, new VulnerabilityViews(store, feeds), feeds, scans, schedules, clock,
        config.offlineAfter(), version, agentAddress(), uploadDir());
    try {
      http = new ApiServer(api, version, metrics, this::health, java.util.Optional.of(console))
          .start(config.bindAddress(), config.httpPort());
    } catch (RuntimeException e) {
      close();
      throw new IllegalStateException("cannot serve HTTP on " + config.bindAddress() + ":" + config.httpPort()
          + ": " + e.getMessage(), e);
    }
    log.info("collector {} ready: console and API http://{}:{}/ , agents {}:{} , database {}",
        version, config.bindAddress(), httpPort(), config.bindAddress(), grpcPort(), db.redactedUrl());
    return this;
  }

  /** What an agent on another host passes as --collector: for the console's "connect an agent" hints. */
  private String agentAddress() {
    String host = config.bindAddress();
    if (host.equals("0.0.0.0") || host.equals("::")) host = "COLLECTOR-HOST";
    return host + ":" + grpc.getPort();
  }

  /** Uploaded feed files wait here, on disk, while they are imported. */
  private java.nio.file.Path uploadDir() {
    java.nio.file.Path dir = config.dataDir().resolve("uploads");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
    return dir;
  }

  public int httpPort() {
    return http.port();
  }

  public int grpcPort() {
    return grpc.getPort();
  }

  public Store store() {
    return store;
  }

  public AgentStreamService ingest() {
    return ingest;
  }

  public MatchService match() {
    return match;
  }

  public FeedService feeds() {
    return feeds;
  }

  public Scheduler scheduler() {
    return scheduler;
  }

  public ScanService scans() {
    return scans;
  }

  ApiServer.Health health() {
    String db;
    try {
      store.check();
      db = "UP";
    } catch (RuntimeException e) {
      db = "DOWN: " + e.getMessage();
    }
    String g = grpc != null && !grpc.isShutdown() ? "UP" : "DOWN";
    String status = db.equals("UP") && g.equals("UP") ? "UP" : "DOWN";
    return new ApiServer.Health(status, db, g, ingest.connectedAgents());
  }

  /**
   * H2 locks whole tables for writes, so concurrent writers only wait on each other; PostgreSQL
   * takes a few, bounded well below the pool so API reads always find a connection.
   */
  private static int writerThreads(DatabaseSettings db) {
    if (db.jdbcUrl().startsWith("jdbc:h2:")) return 1;
    return Math.max(1, Math.min(4, db.maxPoolSize() / 2));
  }

  /** Above the session's own limit, so that oversized messages get a reasoned refusal (see Settings). */
  private static int transportLimit(int maxMessageBytes) {
    return (int) Math.min(Integer.MAX_VALUE, 4L * maxMessageBytes);
  }

  private static boolean isLoopback(String address) {
    return address.equals("localhost") || address.startsWith("127.") || address.equals("::1");
  }

  @Override
  public void close() {
    if (http != null) http.close();
    if (scans != null) scans.close();
    if (ingest != null) ingest.close();
    if (grpc != null) {
      grpc.shutdown();
      try {
        if (!grpc.awaitTermination(5, TimeUnit.SECONDS)) grpc.shutdownNow();
      } catch (InterruptedException e) {
        grpc.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    if (scheduler != null) scheduler.close();
    if (feeds != null) feeds.close();
    if (match != null) match.close();
    if (store != null) store.close();
    if (metrics != null) metrics.close();
  }
}
