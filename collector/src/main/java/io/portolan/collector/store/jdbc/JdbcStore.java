package io.portolan.collector.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.portolan.collector.store.HostChange;
import io.portolan.collector.store.HostFacts;
import io.portolan.collector.store.IngestBatch;
import io.portolan.collector.store.InventoryChange;
import io.portolan.collector.store.InventoryStore.InventorySummary;
import io.portolan.collector.store.InventoryStore.LayerView;
import io.portolan.collector.store.InventoryStore.PackageQuery;
import io.portolan.collector.store.InventoryStore.PackageView;
import java.util.Set;
import io.portolan.collector.store.Page;
import io.portolan.collector.store.PageRequest;
import io.portolan.collector.store.Queries.ContainerQuery;
import io.portolan.collector.store.Queries.ContainerSummary;
import io.portolan.collector.store.Queries.HostQuery;
import io.portolan.collector.store.Queries.HostStatus;
import io.portolan.collector.store.Queries.HostSummary;
import io.portolan.collector.store.Queries.ImageDetail;
import io.portolan.collector.store.Queries.ImageHost;
import io.portolan.collector.store.Queries.ImageQuery;
import io.portolan.collector.store.Queries.ImageSummary;
import io.portolan.collector.store.Queries.RepositoryQuery;
import io.portolan.collector.store.Queries.RepositorySummary;
import io.portolan.collector.store.ScanStore.AgentResult;
import io.portolan.collector.store.ScheduleStore.ScheduleDefinition;
import io.portolan.collector.store.ScheduleStore.ScheduleEvent;
import io.portolan.collector.store.ScheduleStore.ScheduleFiring;
import io.portolan.collector.store.ScheduleStore.StoredSchedule;
import io.portolan.collector.store.Store;
import io.portolan.collector.store.StoreException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/**
 * The {@link Store} over JDBC, for H2 (embedded, single collector) and PostgreSQL (fleet scale).
 * Flyway owns the schema; {@link Dialect} holds the few statements that differ.
 */
public final class JdbcStore implements Store {
  /** A unique key lost to a concurrent insert, a serialization failure, a deadlock: retrying succeeds. */
  private static final List<String> RETRYABLE_STATES = List.of("23505", "40001", "40P01");
  private static final int ATTEMPTS = 3;

  private final DataSource dataSource;
  private final AutoCloseable pool;
  private final Dialect dialect;
  private final ChangeWriter writer;
  private final QueryReader reader = new QueryReader();
  private final InventoryJdbc inventoryJdbc = new InventoryJdbc();
  private final VulnerabilityJdbc vulnerabilityJdbc;
  private final ScanJdbc scanJdbc;
  private final ScheduleJdbc scheduleJdbc = new ScheduleJdbc();
  private final DatabaseSettings settings;
  /** PostgreSQL only: a connection of its own that LISTENs for queued commands. */
  private Connection listener;

  private JdbcStore(DataSource dataSource, AutoCloseable pool, Dialect dialect, DatabaseSettings settings) {
    this.dataSource = dataSource;
    this.pool = pool;
    this.dialect = dialect;
    this.settings = settings;
    this.writer = new ChangeWriter(dialect);
    this.vulnerabilityJdbc = new VulnerabilityJdbc(dialect);
    this.scanJdbc = new ScanJdbc(dialect);
  }

  /**
   * Connects, migrates the schema to the latest version and returns a ready store.
   *
   * @throws StoreException with an operator-readable message if the URL is unsupported, the database
   *     does not answer, or a migration fails
   */
  public static JdbcStore open(DatabaseSettings settings) {
    Dialect dialect = Dialect.fromUrl(settings.jdbcUrl());
    probe(settings);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(settings.jdbcUrl());
    config.setUsername(settings.user());
    config.setPassword(settings.password());
    config.setMaximumPoolSize(settings.maxPoolSize());
    config.setPoolName("portolan-store");
    config.setAutoCommit(true);
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new StoreException("cannot open a connection pool to " + settings.redactedUrl() + ": " + rootMessage(e), e);
    }
    try {
      migrate(pool, settings);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    return new JdbcStore(pool, pool, dialect, settings);
  }

  /**
   * Opens one connection before the pool does, so that an unreachable or misconfigured database
   * fails with one readable line instead of the pool's logged stack traces.
   */
  private static void probe(DatabaseSettings settings) {
    Properties props = new Properties();
    props.setProperty("user", settings.user());
    props.setProperty("password", settings.password());
    try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), props)) {
      c.isValid(5);
    } catch (SQLException e) {
      throw new StoreException("cannot connect to database " + settings.redactedUrl() + " as user '"
          + settings.user() + "': " + rootMessage(e), e);
    }
  }

  private static void migrate(DataSource dataSource, DatabaseSettings settings) {
    try {
      Flyway.configure()
          .dataSource(dataSource)
          .locations("classpath:db/migration")
          // H2's VARBINARY stops at 1 MiB; a layer's findings can be larger.
          .placeholders(Map.of("binary", Dialect.fromUrl(settings.jdbcUrl()) == Dialect.H2 ? "BLOB" : "BYTEA"))
          .failOnMissingLocations(true)
          .load()
          .migrate();
    } catch (FlywayException e) {
      throw new StoreException("database migration failed on " + settings.redactedUrl() + ": " + rootMessage(e), e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    // Drivers append their own stack-like detail on later lines; the first line says it.
    return message.lines().findFirst().orElse(message).strip();
  }

  /** Which SQL dialect this store speaks. */
  public Dialect dialect() {
    return dialect;
  }

  @FunctionalInterface
  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} in one transaction. Writes are idempotent, so a transaction that lost a race
   * with another agent's identical insert (or a deadlock) is simply run again.
   */
  private <T> T inTransaction(String what, Work<T> work) {
    return inTransaction(what, ATTEMPTS, work);
  }

  private <T> T inTransaction(String what, int attempts, Work<T> work) {
    SQLException last = null;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      try (Connection c = dataSource.getConnection()) {
        c.setAutoCommit(false);
        try {
          T result = work.run(c);
          c.commit();
          return result;
        } catch (SQLException | RuntimeException e) {
          c.rollback();
          throw e;
        } finally {
          c.setAutoCommit(true);
        }
      } catch (SQLException e) {
        if (!retryable(e)) throw new StoreException(what + " failed: " + rootMessage(e), e);
        last = e;
      }
    }
    if (attempts == 1) throw new StoreException(what + " failed: " + rootMessage(last), last);
    throw new StoreException(what + " failed after " + attempts + " attempts: " + rootMessage(last), last);
  }

  private static boolean retryable(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        if (s.getSQLState() != null && RETRYABLE_STATES.contains(s.getSQLState())) return true;
        // JDBC batches wrap the real failure in the next-exception chain, not the cause.
        SQLException next = s.getNextException();
        if (next != null && next.getSQLState() != null && RETRYABLE_STATES.contains(next.getSQLState())) return true;
      }
    }
    return false;
  }

  private <T> T read(String what, Work<T> work) {
    try (Connection c = dataSource.getConnection()) {
      c.setReadOnly(true);
      try {
        return work.run(c);
      } finally {
        c.setReadOnly(false);
      }
    } catch (SQLException e) {
      throw new StoreException(what + " failed: " + rootMessage(e), e);
    }
  }

  @Override
  public long registerHost(String agentId, String agentVersion, HostFacts facts, Instant now) {
    var work = new ChangeWriter.AgentWork(agentId, new IngestBatch.Registration(agentVersion, facts), List.of(), 0,
        false);
    return inTransaction("registering host " + agentId, c -> writer.write(c, List.of(work), now)).get(agentId);
  }

  @Override
  public void apply(String agentId, List<HostChange> changes, long lastSeq, Instant now) {
    var work = new ChangeWriter.AgentWork(agentId, null, changes, lastSeq, true);
    inTransaction("applying changes of agent " + agentId, c -> writer.write(c, List.of(work), now));
  }

  @Override
  public Map<String, Long> ingest(List<IngestBatch> batches, Instant now) {
    // The writer orders agents itself (host row locks in ID order); it is handed the call's order.
    List<ChangeWriter.AgentWork> works = batches.stream()
        .map(b -> new ChangeWriter.AgentWork(b.agentId(), b.registration().orElse(null), b.changes(), b.lastSeq(),
            b.lastSeq() > 0))
        .toList();
    List<InventoryChange> inventory = batches.stream().flatMap(b -> b.inventory().stream()).toList();
    List<AgentResult> results = batches.stream().flatMap(b -> b.scanResults().stream()).toList();
    return inTransaction("committing a batch of " + works.size() + " agents", c -> {
      Map<String, Long> committed = writer.write(c, works, now);
      if (!inventory.isEmpty()) inventoryJdbc.write(c, inventory, now);
      // After the inventories: a scan result is recorded with what it found.
      if (!results.isEmpty()) scanJdbc.applyResults(c, results, now);
      return committed;
    });
  }

  @Override
  public Set<String> missingUnits(Collection<InventoryChange.LayerUnit> units) {
    return read("looking up layer units", c -> inventoryJdbc.missingUnits(c, units));
  }

  @Override
  public Optional<String> inventoryFingerprint(String imageId) {
    return read("reading the inventory of " + imageId, c -> inventoryJdbc.fingerprint(c, imageId));
  }

  @Override
  public Map<String, String> inventoryFingerprints(Collection<String> imageIds) {
    return read("reading inventory fingerprints", c -> inventoryJdbc.fingerprints(c, imageIds));
  }

  @Override
  public Map<String, byte[]> layerFindings(Collection<InventoryChange.LayerUnit> units) {
    return read("reading layer findings", c -> inventoryJdbc.findings(c, units));
  }

  @Override
  public List<LayerView> imageLayers(String imageId) {
    return read("reading the layers of " + imageId, c -> inventoryJdbc.layers(c, imageId));
  }

  @Override
  public Page<PackageView> imagePackages(String imageId, PackageQuery query) {
    return read("reading the packages of " + imageId, c -> inventoryJdbc.packages(c, imageId, query));
  }

  @Override
  public List<PackageView> allImagePackages(String imageId) {
    return read("reading the packages of " + imageId, c -> inventoryJdbc.allPackages(c, imageId));
  }

  @Override
  public Optional<InventorySummary> imageInventory(String imageId) {
    return read("reading the inventory of " + imageId, c -> inventoryJdbc.summary(c, imageId));
  }

  @Override
  public void touchHosts(Collection<String> agentIds, Instant now) {
    if (agentIds.isEmpty()) return;
    // Sorted so concurrent heartbeat batches lock host rows in one order.
    List<String> ids = List.copyOf(new TreeSet<>(agentIds));
    inTransaction("touching " + ids.size() + " hosts", c -> {
      writer.touchHosts(c, ids, now);
      return null;
    });
  }

  @Override
  public Page<HostSummary> hosts(HostQuery query) {
    return read("listing hosts", c -> reader.hosts(c, query));
  }

  @Override
  public Optional<HostSummary> host(String hostId, Instant onlineSince) {
    return read("reading host " + hostId, c -> reader.host(c, hostId, onlineSince));
  }

  @Override
  public Page<ImageSummary> images(ImageQuery query) {
    return read("listing images", c -> reader.images(c, query));
  }

  @Override
  public Optional<ImageDetail> image(String imageId) {
    return read("reading image " + imageId, c -> reader.image(c, imageId));
  }

  @Override
  public Optional<String> resolveImageId(String idOrPrefix) {
    return read("resolving image ID " + idOrPrefix, c -> reader.resolveImageId(c, idOrPrefix));
  }

  @Override
  public Page<ImageHost> imageHosts(String imageId, HostStatus status, Instant onlineSince, PageRequest page) {
    return read("listing hosts of image " + imageId, c -> reader.imageHosts(c, imageId, status, onlineSince, page));
  }

  @Override
  public Page<ContainerSummary> containers(ContainerQuery query) {
    return read("listing containers", c -> reader.containers(c, query));
  }

  @Override
  public Page<RepositorySummary> repositories(RepositoryQuery query) {
    return read("listing repositories", c -> reader.repositories(c, query));
  }

  @Override
  public io.portolan.collector.store.Queries.FleetOverview overview(Instant onlineSince) {
    return read("counting the fleet", c -> reader.overview(c, onlineSince));
  }

  // ---- vulnerabilities

  @Override
  public List<FeedStatus> feeds() {
    return read("listing feeds", c -> vulnerabilityJdbc.feeds(c, Optional.empty()));
  }

  @Override
  public Optional<FeedStatus> feed(String name) {
    return read("reading feed " + name, c -> vulnerabilityJdbc.feeds(c, Optional.of(name)).stream().findFirst());
  }

  @Override
  public void recordFeedAttempt(FeedStatus status) {
    inTransaction("recording feed " + status.name(), c -> {
      vulnerabilityJdbc.writeFeed(c, status);
      return null;
    });
  }

  @Override
  public Map<String, String> advisoryHashes(String feed) {
    return read("reading advisories of " + feed, c -> vulnerabilityJdbc.advisoryHashes(c, feed));
  }

  @Override
  public void writeAdvisories(String feed, List<StoredAdvisory> upserts, Collection<String> deletes,
      FeedStatus status) {
    inTransaction("writing " + upserts.size() + " advisories of " + feed, c -> {
      vulnerabilityJdbc.writeAdvisories(c, feed, upserts, deletes);
      vulnerabilityJdbc.writeFeed(c, status);
      return null;
    });
  }

  @Override
  public void forEachAdvisory(Consumer<StoredAdvisory> sink) {
    read("reading advisories", c -> {
      vulnerabilityJdbc.forEachAdvisory(c, sink);
      return null;
    });
  }

  @Override
  public List<StoredAdvisory> advisoriesOf(String canonicalId) {
    return read("reading advisories of " + canonicalId, c -> vulnerabilityJdbc.advisoriesOf(c, canonicalId));
  }

  @Override
  public Map<String, List<StoredAdvisory>> advisoriesOf(Collection<String> canonicalIds) {
    return read("reading advisories", c -> vulnerabilityJdbc.advisoriesOf(c, canonicalIds));
  }

  @Override
  public Optional<String> resolveVulnerabilityId(String id) {
    return read("resolving vulnerability " + id, c -> vulnerabilityJdbc.resolveId(c, id));
  }

  @Override
  public Map<String, FindingStats> findingStats(Collection<String> canonicalIds) {
    return read("counting findings", c -> vulnerabilityJdbc.findingStats(c, canonicalIds));
  }

  @Override
  public List<String> searchVulnerabilityIds(String prefix, int limit) {
    return read("searching vulnerabilities", c -> vulnerabilityJdbc.searchIds(c, prefix, limit));
  }

  @Override
  public List<PackageKey> unmatchedPackages(int limit) {
    return read("listing unmatched packages", c -> vulnerabilityJdbc.unmatched(c, limit));
  }

  @Override
  public List<PackageKey> packagesNamed(Collection<NameKey> names) {
    return read("looking up packages by name", c -> vulnerabilityJdbc.packagesNamed(c, names));
  }

  @Override
  public void forEachPackage(Consumer<PackageKey> sink) {
    read("reading packages", c -> {
      vulnerabilityJdbc.forEachPackage(c, sink);
      return null;
    });
  }

  @Override
  public Map<Long, List<FindingRow>> findingsOf(Collection<Long> packageIds) {
    return read("reading findings", c -> vulnerabilityJdbc.findingsOf(c, packageIds));
  }

  @Override
  public Map<Long, List<FindingRow>> allFindings() {
    return read("reading all findings", c -> vulnerabilityJdbc.allFindings(c));
  }

  @Override
  public void replaceFindings(Map<Long, List<FindingRow>> byPackage, long generation) {
    inTransaction("writing findings of " + byPackage.size() + " packages", c -> {
      vulnerabilityJdbc.replaceFindings(c, byPackage, generation, false);
      return null;
    });
  }

  @Override
  public void replaceAllFindings(Map<Long, List<FindingRow>> byPackage, long generation) {
    inTransaction("replacing all findings", c -> {
      vulnerabilityJdbc.replaceFindings(c, byPackage, generation, true);
      return null;
    });
  }

  @Override
  public void forEachImageOfPackages(Collection<Long> packageIds, BiConsumer<String, Long> sink) {
    read("finding images of packages", c -> {
      vulnerabilityJdbc.forEachImageOfPackages(c, packageIds, sink);
      return null;
    });
  }

  @Override
  public Map<String, ImageVulnerabilities> imageVulnerabilities(Collection<String> imageIds) {
    return read("reading vulnerability counts", c -> vulnerabilityJdbc.summaries(c, imageIds));
  }

  @Override
  public void forEachImagePackage(Collection<String> imageIds, BiConsumer<String, Long> sink) {
    read("reading image packages", c -> {
      vulnerabilityJdbc.forEachImagePackage(c, imageIds, sink);
      return null;
    });
  }

  @Override
  public Map<String, Instant> inventoryStamps() {
    return read("reading inventory times", c -> vulnerabilityJdbc.inventoryStamps(c));
  }

  @Override
  public void writeImageVulnerabilities(List<ImageVulnerabilities> summaries, List<VulnerabilityChange> changes) {
    inTransaction("writing vulnerability counts of " + summaries.size() + " images", c -> {
      vulnerabilityJdbc.writeImageVulnerabilities(c, summaries, changes);
      return null;
    });
  }

  @Override
  public Optional<ImageVulnerabilities> imageVulnerabilities(String imageId) {
    return read("reading vulnerability counts of " + imageId, c -> vulnerabilityJdbc.summary(c, imageId));
  }

  @Override
  public List<ImageFinding> imageFindings(String imageId) {
    return read("reading vulnerabilities of " + imageId, c -> vulnerabilityJdbc.imageFindings(c, imageId));
  }

  @Override
  public VulnerabilityImpact impact(String canonicalId, Instant onlineSince, int limit) {
    return read("finding where " + canonicalId + " is",
        c -> vulnerabilityJdbc.impact(c, canonicalId, onlineSince, limit));
  }

  @Override
  public Page<VulnerabilityChange> vulnerabilityChanges(Optional<String> imageId, PageRequest page) {
    return read("listing vulnerability changes", c -> vulnerabilityJdbc.changes(c, imageId, page));
  }

  // ---- scans

  @Override
  public List<String> scopeImages(String kind, List<String> ids) {
    return read("resolving the images of a scan", c -> scanJdbc.scopeImages(c, kind, ids));
  }

  @Override
  public void createJob(NewJob job, List<String> imageIds) {
    inTransaction("recording scan job " + job.id(), c -> {
      scanJdbc.createJob(c, job, imageIds);
      return null;
    });
  }

  @Override
  public Optional<JobRow> job(String jobId) {
    return read("reading scan job " + jobId, c -> scanJdbc.job(c, jobId));
  }

  @Override
  public Page<JobRow> jobs(JobQuery query) {
    return read("listing scan jobs", c -> scanJdbc.jobs(c, query));
  }

  @Override
  public Page<ItemRow> jobItems(String jobId, Optional<String> state, PageRequest page) {
    return read("listing the images of scan job " + jobId, c -> scanJdbc.jobItems(c, jobId, state, page));
  }

  @Override
  public List<JobRow> claimJobs(String owner, Instant now, Instant leaseUntil) {
    return inTransaction("claiming scan jobs", c -> scanJdbc.claimJobs(c, owner, now, leaseUntil));
  }

  @Override
  public boolean setJobState(String jobId, Collection<String> from, String to, String reason, Instant now) {
    return inTransaction("moving scan job " + jobId + " to " + to,
        c -> scanJdbc.setJobState(c, jobId, from, to, reason, now));
  }

  @Override
  public List<PendingItem> pendingItems(String jobId, int limit) {
    return read("reading the queue of scan job " + jobId, c -> scanJdbc.pendingItems(c, jobId, limit));
  }

  @Override
  public Map<String, Integer> hostLoad() {
    return read("counting scans per host", c -> scanJdbc.hostLoad(c));
  }

  @Override
  public void markDispatched(List<Dispatch> dispatches, Instant now) {
    inTransaction("dispatching " + dispatches.size() + " scans", c -> {
      scanJdbc.markDispatched(c, dispatches, now);
      return null;
    });
  }

  @Override
  public void markWaiting(List<ItemNote> items, Instant now) {
    inTransaction("marking " + items.size() + " scans waiting", c -> {
      scanJdbc.markWaiting(c, items, now);
      return null;
    });
  }

  @Override
  public void requeue(List<ItemNote> items, Instant now) {
    inTransaction("requeueing " + items.size() + " scans", c -> {
      scanJdbc.requeue(c, items, now);
      return null;
    });
  }

  @Override
  public List<InFlight> inFlight(Optional<String> jobId, Optional<String> hostId) {
    return read("listing scans in flight", c -> scanJdbc.inFlight(c, jobId, hostId));
  }

  @Override
  public void endItems(List<ItemNote> items, String outcome, Instant now) {
    inTransaction("ending " + items.size() + " scans", c -> {
      scanJdbc.endItems(c, items, outcome, now);
      return null;
    });
  }

  @Override
  public List<InFlight> cancelItems(Optional<String> jobId, Collection<String> imageIds, String reason, Instant now) {
    return inTransaction("cancelling scans", c -> scanJdbc.cancelItems(c, jobId, imageIds, reason, now));
  }

  @Override
  public List<InFlight> pauseItems(String jobId, String reason, Instant now) {
    return inTransaction("pausing scan job " + jobId, c -> scanJdbc.pauseItems(c, jobId, reason, now));
  }

  @Override
  public int expireItems(String jobId, String reason, Instant now) {
    return inTransaction("expiring scan job " + jobId, c -> scanJdbc.expireItems(c, jobId, reason, now));
  }

  @Override
  public Map<String, Integer> itemStates(String jobId) {
    return read("counting the images of scan job " + jobId, c -> scanJdbc.itemStates(c, jobId));
  }

  @Override
  public void recordProgress(List<Progress> progress, Instant now) {
    inTransaction("recording scan progress", c -> {
      scanJdbc.recordProgress(c, progress, now);
      return null;
    });
  }

  @Override
  public List<ItemNote> itemsOfRequest(String requestId) {
    return read("reading scan request " + requestId, c -> scanJdbc.itemsOfRequest(c, requestId));
  }

  @Override
  public int finishCompleted(Collection<RequestImage> items, Optional<Instant> completingBefore, Instant now) {
    return inTransaction("finishing scans", c -> scanJdbc.finishCompleted(c, items, completingBefore, now));
  }

  @Override
  public Page<ScanRecord> scanHistory(String imageId, PageRequest page) {
    return read("reading the scan history of " + imageId, c -> scanJdbc.scanHistory(c, imageId, page));
  }

  @Override
  public Optional<ImageScanStatus> imageScanStatus(String imageId) {
    return read("reading the scan status of " + imageId, c -> scanJdbc.imageScanStatus(c, imageId));
  }

  @Override
  public List<NewImage> imagesFirstSeenAfter(Instant after, int limit) {
    return read("listing new images", c -> scanJdbc.imagesFirstSeenAfter(c, after, limit));
  }

  @Override
  public void heartbeatCollector(String id, Instant started, Instant now) {
    inTransaction("recording collector " + id, c -> {
      scanJdbc.heartbeatCollector(c, id, started, now);
      return null;
    });
  }

  @Override
  public void recordSessions(String collectorId, Collection<String> connected, Collection<String> disconnected,
      Instant now) {
    inTransaction("recording agent sessions", c -> {
      scanJdbc.recordSessions(c, collectorId, connected, disconnected, now);
      return null;
    });
  }

  @Override
  public Map<String, String> liveSessions(Collection<String> agentIds, Instant aliveSince) {
    return read("finding agent sessions", c -> scanJdbc.liveSessions(c, agentIds, aliveSince));
  }

  @Override
  public void queueCommands(List<QueuedCommand> commands, Instant now, Instant expiresAt) {
    inTransaction("queueing " + commands.size() + " agent commands", c -> {
      scanJdbc.queueCommands(c, commands, now, expiresAt);
      return null;
    });
  }

  @Override
  public List<QueuedCommand> takeCommands(String collectorId, Instant now, int limit) {
    return inTransaction("taking queued agent commands", c -> scanJdbc.takeCommands(c, collectorId, now, limit));
  }

  @Override
  public boolean awaitCommandSignal(long maxMillis) {
    if (dialect != Dialect.POSTGRESQL) return false;
    try {
      Connection l;
      synchronized (this) {
        if (listener == null || listener.isClosed()) {
          Properties props = new Properties();
          props.setProperty("user", settings.user());
          props.setProperty("password", settings.password());
          listener = DriverManager.getConnection(settings.jdbcUrl(), props);
          try (Statement s = listener.createStatement()) {
            s.execute("LISTEN " + ScanJdbc.NOTIFY_CHANNEL);
          }
        }
        l = listener;
      }
      var notes = l.unwrap(org.postgresql.PGConnection.class).getNotifications((int) Math.max(1, maxMillis));
      return notes != null && notes.length > 0;
    } catch (SQLException e) {
      synchronized (this) {
        closeListener();
      }
      return false;
    }
  }

  private void closeListener() {
    if (listener == null) return;
    try {
      listener.close();
    } catch (SQLException ignored) {
      // It is being thrown away.
    }
    listener = null;
  }

  @Override
  public boolean holdLease(String name, String owner, Instant now, Instant until) {
    return inTransaction("holding lease " + name, c -> scanJdbc.holdLease(c, name, owner, now, until));
  }

  @Override
  public Optional<String> setting(String name) {
    return read("reading setting " + name, c -> scanJdbc.setting(c, name));
  }

  @Override
  public void putSetting(String name, String value, Instant now) {
    inTransaction("writing setting " + name, c -> {
      scanJdbc.putSetting(c, name, value, now);
      return null;
    });
  }

  // ---- schedules

  @Override
  public Page<StoredSchedule> schedules(PageRequest page) {
    return read("listing schedules", c -> scheduleJdbc.list(c, page));
  }

  @Override
  public Optional<StoredSchedule> schedule(String id) {
    return read("reading schedule " + id, c -> scheduleJdbc.get(c, id));
  }

  @Override
  public void createSchedule(String id, ScheduleDefinition definition, Optional<Instant> nextRunAt, Instant now) {
    inTransaction("creating schedule " + definition.name(), c -> {
      scheduleJdbc.create(c, id, definition, nextRunAt, now);
      return null;
    });
  }

  @Override
  public boolean updateSchedule(String id, ScheduleDefinition definition, Optional<Instant> nextRunAt, Instant now) {
    return inTransaction("updating schedule " + id, c -> scheduleJdbc.update(c, id, definition, nextRunAt, now));
  }

  @Override
  public boolean deleteSchedule(String id) {
    return inTransaction("deleting schedule " + id, c -> scheduleJdbc.delete(c, id));
  }

  @Override
  public int fireDueSchedules(Instant now, String collectorId, int max, ScheduleFiring firing) {
    int fired = 0;
    while (fired < max) {
      // A full batch even for one firing: the first candidates may be held by another collector.
      List<String> candidates = read("finding due schedules",
          c -> scheduleJdbc.dueCandidates(c, now, ScheduleJdbc.CANDIDATES));
      int before = fired;
      for (String id : candidates) {
        // Once only: the firing may already have started a job, and a retry would start another.
        if (inTransaction("firing schedule " + id, 1, c -> scheduleJdbc.fireIfDue(c, id, now, collectorId, firing)))
          fired++;
        if (fired == max) break;
      }
      if (candidates.size() < ScheduleJdbc.CANDIDATES || fired == before) break;
    }
    return fired;
  }

  @Override
  public Optional<Instant> nextScheduleWake() {
    return read("reading the next schedule time", scheduleJdbc::nextWake);
  }

  @Override
  public Page<ScheduleEvent> scheduleEvents(String scheduleId, PageRequest page) {
    return read("reading the events of schedule " + scheduleId, c -> scheduleJdbc.events(c, scheduleId, page));
  }

  @Override
  public void check() {
    read("database check", c -> {
      try (Statement s = c.createStatement()) {
        s.execute("SELECT 1");
      }
      return null;
    });
  }

  @Override
  public void close() {
    synchronized (this) {
      closeListener();
    }
    try {
      pool.close();
    } catch (Exception e) {
      throw new StoreException("closing the database pool failed: " + rootMessage(e), e);
    }
  }
}
