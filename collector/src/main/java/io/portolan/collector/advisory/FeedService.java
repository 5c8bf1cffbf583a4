package io.portolan.collector.advisory;

import io.portolan.collector.match.MatchService;
import io.portolan.collector.store.Store;
import io.portolan.collector.store.VulnerabilityStore.FeedStatus;
import io.portolan.collector.store.VulnerabilityStore.StoredAdvisory;
import io.portolan.vuln.advisory.Advisory;
import io.portolan.vuln.advisory.AlpineSecdbParser;
import io.portolan.vuln.advisory.DebianTrackerParser;
import io.portolan.vuln.advisory.FeedKind;
import io.portolan.vuln.advisory.FeedParser;
import io.portolan.vuln.advisory.FeedSnapshot;
import io.portolan.vuln.advisory.FeedSnapshots;
import io.portolan.vuln.advisory.OsvParser;
import io.portolan.vuln.match.AdvisoryIndex;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the advisory feeds current. A feed is a named source (a local file, directory or zip, or
 * an HTTP(S) URL fetched on a schedule with conditional requests); each import replaces the feed's
 * set of advisories, writes only the records whose content changed, and hands exactly those to
 * matching. Imports run one at a time.
 */
public final class FeedService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FeedService.class);
  private static final int MAX_PROBLEMS_KEPT = 20;

  /**
   * @param location a filesystem path or an http(s) URL
   * @param refresh how often a URL is fetched again; paths are read at start and on request
   */
  public record Source(String name, String location, Duration refresh) {
    public boolean remote() {
      String l = location.toLowerCase(Locale.ROOT);
      return l.startsWith("http://") || l.startsWith("https://");
    }
  }

  /** What one import did. {@code problems} holds the first malformed records, by file and line. */
  public record ImportResult(String feed, String kind, boolean notModified, int records, int added, int changed,
      int removed, int problemCount, List<String> problems, MatchService.Result rematch) {}

  private final Store store;
  private final MatchService match;
  private final Clock clock;
  private final Path workDir;
  private final Map<String, Source> sources = new LinkedHashMap<>();
  private final FeedFetcher fetcher;
  private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "portolan-feeds");
    t.setDaemon(true);
    return t;
  });

  public FeedService(Store store, MatchService match, Clock clock, Path workDir, List<Source> sources) {
    this.store = store;
    this.match = match;
    this.clock = clock;
    this.workDir = workDir;
    for (Source s : sources) this.sources.put(s.name(), s);
    this.fetcher = new FeedFetcher(HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
        .connectTimeout(Duration.ofSeconds(20)).build(), Duration.ofMinutes(10));
  }

  /** Whether a feed kind carries the distro's own verdicts (which beat OSV's for distro packages). */
  public static boolean distroTracker(String kind) {
    return kind.equals(FeedKind.DEBIAN_TRACKER.name()) || kind.equals(FeedKind.ALPINE_SECDB.name());
  }

  /** Every stored feed's kind flag, for the match index. */
  public Map<String, Boolean> storedFeedKinds() {
    Map<String, Boolean> out = new HashMap<>();
    for (FeedStatus f : store.feeds()) out.put(f.name(), distroTracker(f.kind()));
    return out;
  }

  /** Imports every configured source once now, then refreshes remote ones on their schedule. */
  public void start() {
    for (Source s : sources.values()) {
      worker.execute(() -> refreshQuietly(s));
      if (s.remote() && !s.refresh().isZero()) {
        long every = Math.max(60, s.refresh().toSeconds());
        worker.scheduleWithFixedDelay(() -> refreshQuietly(s), every, every, TimeUnit.SECONDS);
      }
    }
  }

  private void refreshQuietly(Source s) {
    try {
      refreshNow(s);
    } catch (IOException | RuntimeException e) {
      // Already logged and recorded on the feed's status by refreshNow.
    }
  }

  /** Fetches (if remote) and imports one configured source now; waits for the result. */
  public ImportResult refresh(String name) throws IOException {
    Source s = sources.get(name);
    if (s == null) throw new IllegalArgumentException("no configured feed named '" + name + "'");
    return await(worker.submit(() -> refreshNow(s)));
  }

  public Optional<Source> source(String name) {
    return Optional.ofNullable(sources.get(name));
  }

  /**
   * Imports an uploaded feed file (JSON, YAML, list text or a zip of them) as the whole content of
   * feed {@code name}: records it does not contain are removed from that feed.
   */
  public ImportResult importUpload(String name, String fileName, InputStream body) throws IOException {
    validName(name);
    Files.createDirectories(workDir);
    String safe = fileName.replaceAll("[^A-Za-z0-9._-]", "_");
    Path file = Files.createTempFile(workDir, "upload-", "-" + (safe.isEmpty() ? "feed" : safe));
    String location = "upload:" + fileName;
    try {
      Files.copy(body, file, StandardCopyOption.REPLACE_EXISTING);
      return await(worker.submit(() -> importPath(name, file, location, "", "")));
    } catch (IOException | RuntimeException e) {
      recordFailure(name, location, store.feed(name).orElse(null), e);
      throw e;
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private ImportResult refreshNow(Source s) throws IOException {
    Instant now = clock.instant();
    FeedStatus before = store.feed(s.name()).orElse(null);
    try {
      if (!s.remote()) return importPath(s.name(), Path.of(s.location()), s.location(), "", "");
      Files.createDirectories(workDir);
      String last = URI.create(s.location()).getPath();
      String suffix = last == null || last.isEmpty() ? "feed" : Path.of(last).getFileName().toString();
      Path target = workDir.resolve(s.name() + "-" + suffix.replaceAll("[^A-Za-z0-9._-]", "_"));
      FeedFetcher.Fetched fetched = fetcher.fetch(URI.create(s.location()),
          before == null ? "" : before.etag(), before == null ? "" : before.lastModified(), target);
      if (fetched.file() == null) {
        store.recordFeedAttempt(new FeedStatus(s.name(), before.kind(), s.location(), before.etag(),
            before.lastModified(), now, now, before.lastChange(), before.recordCount(), ""));
        return new ImportResult(s.name(), before.kind(), true, before.recordCount(), 0, 0, 0, 0, List.of(), null);
      }
      try {
        return importPath(s.name(), fetched.file(), s.location(), fetched.etag(), fetched.lastModified());
      } finally {
        Files.deleteIfExists(fetched.file());
      }
    } catch (IOException | RuntimeException e) {
      recordFailure(s.name(), s.location(), before, e);
      throw e;
    }
  }

  /** A failed import leaves the feed's advisories as they were and says why on the feed's status. */
  private void recordFailure(String name, String location, FeedStatus before, Exception e) {
    String why = e.getMessage() == null ? e.toString() : e.getMessage();
    log.warn("feed {} not imported from {}: {}", name, location, why);
    try {
      store.recordFeedAttempt(new FeedStatus(name, before == null ? "UNKNOWN" : before.kind(), location,
          before == null ? "" : before.etag(), before == null ? "" : before.lastModified(), clock.instant(),
          before == null ? null : before.lastSuccess(), before == null ? null : before.lastChange(),
          before == null ? 0 : before.recordCount(), why));
    } catch (RuntimeException storeDown) {
      log.warn("feed {}: the failure could not be recorded either: {}", name, storeDown.getMessage());
    }
  }

  /** Parses a snapshot, diffs it against the stored feed, writes the difference and rematches. */
  private ImportResult importPath(String feed, Path path, String location, String etag, String lastModified)
      throws IOException {
    Instant now = clock.instant();
    FeedSnapshot snapshot = FeedSnapshots.open(path);
    FeedKind kind = FeedKind.detect(snapshot);
    FeedParser parser = switch (kind) {
      case OSV -> new OsvParser();
      case DEBIAN_TRACKER -> new DebianTrackerParser();
      case ALPINE_SECDB -> new AlpineSecdbParser();
    };
    Map<String, String> stored = store.advisoryHashes(feed);
    Set<String> seen = new HashSet<>();
    Map<String, Advisory> upserted = new LinkedHashMap<>();
    List<StoredAdvisory> rows = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    int[] problemCount = {0};
    int[] records = {0};
    int[] added = {0};
    parser.parse(snapshot, a -> {
      records[0]++;
      if (!seen.add(a.id())) {
        problemCount[0]++;
        if (problems.size() < MAX_PROBLEMS_KEPT) problems.add("duplicate record " + a.id() + " (later one kept)");
      }
      byte[] body = AdvisoryCodec.encode(a);
      String hash = AdvisoryCodec.hash(body);
      if (hash.equals(stored.get(a.id()))) return;
      if (!stored.containsKey(a.id())) added[0]++;
      upserted.put(a.id(), a);
      rows.add(new StoredAdvisory(feed, a.id(), AdvisoryIndex.canonicalId(a), hash, a.withdrawn(), a.modified(), body,
          AdvisoryCodec.ids(a)));
    }, problem -> {
      problemCount[0]++;
      if (problems.size() < MAX_PROBLEMS_KEPT) problems.add(problem);
    });
    if (records[0] == 0) {
      // An empty snapshot is far more likely a broken download than a feed with no advisories left.
      throw new IOException(location + " holds no advisory records" + (problems.isEmpty() ? "" : ": " + problems.get(0)));
    }
    List<String> removed = stored.keySet().stream().filter(id -> !seen.contains(id)).sorted().toList();
    boolean changed = !rows.isEmpty() || !removed.isEmpty();
    FeedStatus previous = store.feed(feed).orElse(null);
    FeedStatus status = new FeedStatus(feed, kind.name(), location, etag, lastModified, now, now,
        changed || previous == null ? now : previous.lastChange(), seen.size(),
        problemCount[0] == 0 ? "" : problemCount[0] + " malformed record(s) skipped; first: " + problems.get(0));
    store.writeAdvisories(feed, rows, removed, status);
    MatchService.Result rematch = null;
    if (changed) {
      String cause = "feed " + feed + ": " + added[0] + " added, " + (rows.size() - added[0]) + " changed, "
          + removed.size() + " removed";
      rematch = await(match.feedChanged(feed, distroTracker(kind.name()), upserted, removed, cause));
    }
    log.info("feed {} ({}) imported from {}: {} records, {} added, {} changed, {} removed, {} problems", feed, kind,
        location, seen.size(), added[0], rows.size() - added[0], removed.size(), problemCount[0]);
    return new ImportResult(feed, kind.name(), false, seen.size(), added[0], rows.size() - added[0], removed.size(),
        problemCount[0], List.copyOf(problems), rematch);
  }

  static void validName(String name) {
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      throw new IllegalArgumentException("feed name '" + name
          + "' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
  }

  private static <T> T await(Future<T> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) throw io;
      if (e.getCause() instanceof RuntimeException re) throw re;
      throw new UncheckedIOException(new IOException(e.getCause()));
    }
  }

  @Override
  public void close() {
    worker.shutdownNow();
  }
}
