package io.portolan.collector.match;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.packageurl.MalformedPackageURLException;
import com.github.packageurl.PackageURL;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.portolan.collector.advisory.AdvisoryCodec;
import io.portolan.collector.store.Store;
import io.portolan.collector.store.VulnerabilityStore.FindingRow;
import io.portolan.collector.store.VulnerabilityStore.ImageVulnerabilities;
import io.portolan.collector.store.VulnerabilityStore.NameKey;
import io.portolan.collector.store.VulnerabilityStore.PackageKey;
import io.portolan.collector.store.VulnerabilityStore.VulnerabilityChange;
import io.portolan.vuln.advisory.Advisory;
import io.portolan.vuln.advisory.Affected;
import io.portolan.vuln.advisory.Namespaces;
import io.portolan.vuln.match.AdvisoryIndex;
import io.portolan.vuln.match.Finding;
import io.portolan.vuln.match.InstalledPackage;
import io.portolan.vuln.match.Matcher;
import io.portolan.vuln.severity.RatedSeverity;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps findings true to the advisories and the inventories: index once, match often. All work
 * runs on one thread, in order: new inventories get matched, feed changes rematch exactly the
 * packages the changed advisories name, and per-image counts are adjusted by difference. No agent
 * is ever involved.
 */
public final class MatchService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MatchService.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int UNMATCHED_BATCH = 5_000;
  /** Above this many touched names a full pass is cheaper than name lookups. */
  private static final int INCREMENTAL_NAME_LIMIT = 2_000;
  private static final int DETAILS_PER_EVENT = 25;
  private static final int RECOUNT_ALL_ABOVE = 1_000;
  private static final Set<String> DISTRO_TYPES = Set.of("deb", "apk", "rpm");

  private final Store store;
  private final Clock clock;
  private final int recountAllAbove;
  /**
   * Which distinct packages each image holds, as of the inventory time stamped beside it: a full
   * count reads only what changed since, not a million rows. Eight bytes per (image, package);
   * touched only on the worker thread.
   */
  private final Map<String, long[]> membership = new HashMap<>();
  private final Map<String, Instant> membershipStamps = new HashMap<>();
  private final Timer rematchTimer;
  private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "portolan-match");
    t.setDaemon(true);
    return t;
  });
  /** Writes findings while the worker counts images, during large rematches only. */
  private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "portolan-match-writer");
    t.setDaemon(true);
    return t;
  });
  /** Feed -> advisory ID -> advisory; touched only on the worker thread. */
  private final Map<String, Map<String, Advisory>> advisories = new HashMap<>();
  private final Map<String, Boolean> distroTrackers = new ConcurrentHashMap<>();
  private final Set<String> pendingImages = ConcurrentHashMap.newKeySet();
  private final java.util.concurrent.atomic.AtomicBoolean matchQueued = new java.util.concurrent.atomic.AtomicBoolean();
  /** Images whose inventories the worker is matching right now. */
  private final Set<String> matching = ConcurrentHashMap.newKeySet();
  private volatile Matcher matcher = new Matcher(AdvisoryIndex.empty());
  private long generation;

  public MatchService(Store store, Clock clock, MeterRegistry metrics) {
    this(store, clock, metrics, RECOUNT_ALL_ABOVE);
  }

  /**
   * @param recountAllAbove above this many changed packages (or images to count), all images are
   *     counted in one pass instead of one by one; tests lower it to run that path on small data
   */
  public MatchService(Store store, Clock clock, MeterRegistry metrics, int recountAllAbove) {
    this.recountAllAbove = recountAllAbove;
    this.store = store;
    this.clock = clock;
    this.rematchTimer = Timer.builder("portolan_collector_rematch_seconds")
        .description("Time to rematch stored inventories after a feed change").register(metrics);
  }

  /** The outcome of one rematch, for logs, the API and benchmarks. */
  public record Result(int packagesMatched, int packagesChanged, int imagesUpdated, long millis, String phases) {}

  /** Where a rematch spent its time, for the log line operators read when one is slow. */
  private static final class Phases {
    private final long start = System.nanoTime();
    private long last = start;
    private final StringBuilder text = new StringBuilder();

    void mark(String name) {
      long now = System.nanoTime();
      if (!text.isEmpty()) text.append(", ");
      text.append(name).append(' ').append((now - last) / 1_000_000);
      last = now;
    }

    long millis() {
      return (System.nanoTime() - start) / 1_000_000;
    }

    @Override
    public String toString() {
      return text.toString();
    }
  }

  /** Loads the stored advisories into the index and matches what was never matched. */
  public Future<?> start(Map<String, Boolean> feedIsDistroTracker) {
    distroTrackers.putAll(feedIsDistroTracker);
    return worker.submit(() -> {
      long t0 = System.nanoTime();
      int[] count = {0};
      store.forEachAdvisory(stored -> {
        advisories.computeIfAbsent(stored.feed(), f -> new HashMap<>()).put(stored.id(),
            AdvisoryCodec.decode(stored.body()));
        count[0]++;
      });
      rebuildIndex();
      log.info("vulnerability index ready: {} advisories from {} feeds, {} package statements, in {} ms",
          count[0], advisories.size(), matcher.index().entryCount(), (System.nanoTime() - t0) / 1_000_000);
      matchUnmatched(Set.of());
      // A collector stopped between committing a feed and finishing its rematch left findings behind
      // the advisories; one pass over the distinct packages finds and repairs exactly that.
      if (count[0] > 0) rematchAllNow("start-up consistency check");
    });
  }

  /** Called after inventories are committed: their new packages get matched and their counts computed. */
  public void inventoriesChanged(Collection<String> imageIds) {
    if (imageIds.isEmpty()) return;
    pendingImages.addAll(imageIds);
    // The flag is cleared before the task drains, so images added after the drain get a task of their own.
    if (matchQueued.compareAndSet(false, true)) {
      worker.submit(() -> {
        matchQueued.set(false);
        Set<String> images = new HashSet<>(pendingImages);
        matching.addAll(images);
        pendingImages.removeAll(images);
        try {
          guarded("matching new inventories", () -> matchUnmatched(images));
        } finally {
          matching.removeAll(images);
        }
      });
    }
  }

  /** Whether a new inventory of the image was reported and its counts are not written yet. */
  public boolean pending(String imageId) {
    return pendingImages.contains(imageId) || matching.contains(imageId);
  }

  /**
   * Runs {@code task} once everything asked of matching so far is done: the counts of inventories
   * already reported by {@link #inventoriesChanged} are then written. On the matching thread, so
   * it must be short.
   */
  public void afterPendingWork(Runnable task) {
    worker.submit(() -> guarded("work after matching", task));
  }

  /**
   * Applies a committed feed change: the index is rebuilt, and only the packages named by the
   * changed advisories (old and new versions) are rematched.
   */
  public Future<Result> feedChanged(String feed, boolean distroTracker, Map<String, Advisory> upserted,
      Collection<String> deleted, String cause) {
    return worker.submit(() -> {
      distroTrackers.put(feed, distroTracker);
      Map<String, Advisory> current = advisories.computeIfAbsent(feed, f -> new HashMap<>());
      Set<NameKey> names = new HashSet<>();
      for (String id : deleted) {
        Advisory old = current.remove(id);
        if (old != null) names(old, names);
      }
      for (Advisory a : upserted.values()) {
        Advisory old = current.put(a.id(), a);
        if (old != null) names(old, names);
        names(a, names);
      }
      rebuildIndex();
      return names.size() > INCREMENTAL_NAME_LIMIT ? rematchAllNow(cause) : rematchNames(names, cause);
    });
  }

  /** Rematches every stored package; waits for the result. */
  public Result rematchAll(String cause) {
    return await(worker.submit(() -> rematchAllNow(cause)));
  }

  /** Waits until everything queued so far is done. */
  public void awaitIdle() {
    await(worker.submit(() -> null));
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.get(30, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while matching", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("matching failed: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("matching did not finish in 30 minutes", e);
    }
  }

  private void guarded(String what, Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.error("{} failed; the next change retries: {}", what, e.getMessage(), e);
    }
  }

  private void rebuildIndex() {
    List<AdvisoryIndex.FeedContent> feeds = new ArrayList<>();
    for (var e : new TreeMap<>(advisories).entrySet()) {
      feeds.add(new AdvisoryIndex.FeedContent(e.getKey(), distroTrackers.getOrDefault(e.getKey(), false),
          e.getValue().values()));
    }
    matcher = new Matcher(AdvisoryIndex.build(feeds));
    generation = Math.max(generation + 1, clock.millis());
  }

  private static void names(Advisory a, Set<NameKey> out) {
    for (Affected af : a.affected()) {
      String name = af.packageName().toLowerCase(java.util.Locale.ROOT);
      out.add(new NameKey(af.ecosystem(), name));
      // Inventories may name a language package by its last segment only (artifact ID, npm name).
      int cut = Math.max(name.lastIndexOf(':'), name.lastIndexOf('/'));
      if (cut >= 0) out.add(new NameKey(af.ecosystem(), name.substring(cut + 1)));
    }
  }

  // ---- matching

  /**
   * Matches packages never matched (new inventories bring them) and counts the images that hold
   * them, plus {@code images}, whose package sets changed.
   */
  private void matchUnmatched(Set<String> images) {
    Set<String> recount = new HashSet<>(images);
    boolean everything = false;
    while (true) {
      List<PackageKey> batch = store.unmatchedPackages(UNMATCHED_BATCH);
      if (batch.isEmpty()) break;
      Map<Long, List<FindingRow>> found = matchAll(batch);
      store.replaceFindings(found, generation);
      if (!everything) {
        store.forEachImageOfPackages(found.keySet(), (image, pkg) -> recount.add(image));
        // Past this many, one pass over all images is cheaper than lists of them.
        everything = recount.size() > recountAllAbove;
      }
    }
    if (everything) {
      recountAll(Instant.now(clock));
    } else if (!recount.isEmpty()) {
      recount(recount, Instant.now(clock));
    }
  }

  /** Counts every image with an inventory from the stored findings, in one pass. */
  private void recountAll(Instant at) {
    recountAll(store.allFindings(), Map.of(), "", at);
  }

  /**
   * Counts every image in one pass over the cached membership, and records for each image the
   * changes of its packages in {@code diffs}. A large rematch takes this path: looking up each
   * changed package's images would read the pairs many times over.
   *
   * @return how many images were counted
   */
  private int recountAll(Map<Long, List<FindingRow>> findings, Map<Long, List<Map<String, String>>> diffs,
      String cause, Instant at) {
    Counted counted = countAll(findings, diffs, cause, at);
    store.writeImageVulnerabilities(counted.rows(), counted.events());
    return counted.rows().size();
  }

  private record Counted(List<ImageVulnerabilities> rows, List<VulnerabilityChange> events) {}

  /** The counting half of {@link #recountAll}: reads pairs, writes nothing. */
  private Counted countAll(Map<Long, List<FindingRow>> findings, Map<Long, List<Map<String, String>>> diffs,
      String cause, Instant at) {
    Map<Long, Tally> tallies = new HashMap<>();
    findings.forEach((pkg, rows) -> tallies.put(pkg, Tally.of(rows)));
    Tally none = new Tally();
    List<ImageVulnerabilities> rows = new ArrayList<>();
    List<VulnerabilityChange> events = new ArrayList<>();
    for (var e : currentMembership().entrySet()) {
      Tally tally = new Tally();
      ImageEvent event = new ImageEvent();
      for (long pkg : e.getValue()) {
        tally.add(tallies.getOrDefault(pkg, none), 1);
        List<Map<String, String>> d = diffs.get(pkg);
        if (d != null) event.add(d);
      }
      rows.add(tally.toSummary(e.getKey(), at));
      if (event.count() > 0) events.add(event.toChange(e.getKey(), cause, at));
    }
    return new Counted(rows, events);
  }

  /**
   * The image -> packages membership, brought up to date: images whose inventory time changed (or
   * that are new) are read again, vanished ones dropped. Another collector's writes show the same
   * way, so the cache never needs to be told.
   */
  private Map<String, long[]> currentMembership() {
    Map<String, Instant> stamps = store.inventoryStamps();
    Set<String> stale = new HashSet<>();
    for (var e : stamps.entrySet()) {
      if (!e.getValue().equals(membershipStamps.get(e.getKey()))) stale.add(e.getKey());
    }
    membership.keySet().retainAll(stamps.keySet());
    membershipStamps.keySet().retainAll(stamps.keySet());
    if (!stale.isEmpty()) {
      Map<String, List<Long>> read = new HashMap<>();
      // Above a few thousand images, one ordered pass beats lists of IDs.
      Collection<String> which = stale.size() > 2_000 ? List.of() : stale;
      store.forEachImagePackage(which, (img, pkg) -> {
        if (stale.contains(img)) read.computeIfAbsent(img, k -> new ArrayList<>()).add(pkg);
      });
      for (String img : stale) {
        List<Long> pkgs = read.getOrDefault(img, List.of());
        membership.put(img, pkgs.stream().mapToLong(Long::longValue).toArray());
        membershipStamps.put(img, stamps.get(img));
      }
    }
    return membership;
  }

  /** What one rematch changed for one image: counts, and the first changes in detail. */
  private static final class ImageEvent {
    int appeared;
    int disappeared;
    int modified;
    final List<Map<String, String>> details = new ArrayList<>();

    void add(List<Map<String, String>> items) {
      for (Map<String, String> item : items) {
        switch (item.get("change")) {
          case "appeared" -> appeared++;
          case "disappeared" -> disappeared++;
          default -> modified++;
        }
        if (details.size() < DETAILS_PER_EVENT) details.add(item);
      }
    }

    int count() {
      return appeared + disappeared + modified;
    }

    VulnerabilityChange toChange(String imageId, String cause, Instant at) {
      return new VulnerabilityChange(0, imageId, at, cause, appeared, disappeared, modified, json(details));
    }
  }

  private Map<Long, List<FindingRow>> matchAll(List<PackageKey> packages) {
    Matcher m = matcher;
    Map<Long, List<FindingRow>> out = new ConcurrentHashMap<>();
    packages.parallelStream().forEach(p -> out.put(p.id(), matchable(p) ? rows(m.match(installed(p))) : List.of()));
    return out;
  }

  /** Recounts these images from scratch: their package sets changed. */
  private void recount(Set<String> images, Instant at) {
    Map<String, Set<Long>> packagesOf = new HashMap<>();
    store.forEachImagePackage(images, (image, pkg) -> packagesOf.computeIfAbsent(image, k -> new HashSet<>()).add(pkg));
    Set<Long> all = new HashSet<>();
    packagesOf.values().forEach(all::addAll);
    Map<Long, List<FindingRow>> findings = store.findingsOf(all);
    Map<Long, Tally> tallies = new HashMap<>();
    List<ImageVulnerabilities> rows = new ArrayList<>();
    for (String image : images) {
      Tally t = new Tally();
      for (Long pkg : packagesOf.getOrDefault(image, Set.of())) {
        t.add(tallies.computeIfAbsent(pkg, k -> Tally.of(findings.getOrDefault(k, List.of()))), 1);
      }
      rows.add(t.toSummary(image, at));
    }
    store.writeImageVulnerabilities(rows, List.of());
  }

  private Result rematchNames(Set<NameKey> names, String cause) {
    Phases t = new Phases();
    List<PackageKey> packages = names.isEmpty() ? List.of() : store.packagesNamed(names);
    t.mark("lookup");
    Map<Long, List<FindingRow>> fresh = matchAll(packages);
    t.mark("match");
    Map<Long, List<FindingRow>> old = store.findingsOf(fresh.keySet());
    Map<Long, List<FindingRow>> changed = changed(fresh, old);
    t.mark("compare");
    int images = 0;
    if (!changed.isEmpty()) {
      store.replaceFindings(changed, generation);
      t.mark("write");
      images = adjustImages(changed, old, byId(packages), cause);
      t.mark("images");
    }
    return finish(new Result(packages.size(), changed.size(), images, t.millis(), t.toString()), cause);
  }

  private Result rematchAllNow(String cause) {
    Phases t = new Phases();
    List<PackageKey> packages = new ArrayList<>();
    store.forEachPackage(packages::add);
    t.mark("load");
    Map<Long, List<FindingRow>> fresh = matchAll(packages);
    t.mark("match");
    Map<Long, List<FindingRow>> old = store.allFindings();
    Map<Long, List<FindingRow>> changed = changed(fresh, old);
    t.mark("compare");
    int images = 0;
    if (changed.size() > recountAllAbove) {
      // A big change: writing the findings and counting the images (a read of every image's
      // packages, against the new findings held in memory) overlap; the counts are written once
      // the findings are committed, so they never describe findings that are not there.
      var write = java.util.concurrent.CompletableFuture.runAsync(() -> {
        if (changed.size() > fresh.size() / 2) {
          store.replaceAllFindings(fresh, generation);
        } else {
          store.replaceFindings(changed, generation);
        }
      }, writer);
      Map<Long, PackageKey> names = byId(packages);
      Map<Long, List<Map<String, String>>> diffs = new HashMap<>();
      changed.forEach((pkg, now) -> diffs.put(pkg, diff(names.get(pkg), old.getOrDefault(pkg, List.of()), now)));
      Counted counted = countAll(fresh, diffs, cause, Instant.now(clock));
      t.mark("count");
      await(write);
      t.mark("write");
      store.writeImageVulnerabilities(counted.rows(), counted.events());
      images = counted.rows().size();
    } else if (!changed.isEmpty()) {
      store.replaceFindings(changed, generation);
      t.mark("write");
      images = adjustImages(changed, old, byId(packages), cause);
    }
    t.mark("images");
    return finish(new Result(packages.size(), changed.size(), images, t.millis(), t.toString()), cause);
  }

  private static Map<Long, List<FindingRow>> changed(Map<Long, List<FindingRow>> fresh,
      Map<Long, List<FindingRow>> old) {
    Map<Long, List<FindingRow>> changed = new HashMap<>();
    for (var e : fresh.entrySet()) {
      if (!sameFindings(old.getOrDefault(e.getKey(), List.of()), e.getValue())) changed.put(e.getKey(), e.getValue());
    }
    return changed;
  }

  private Result finish(Result r, String cause) {
    rematchTimer.record(r.millis(), TimeUnit.MILLISECONDS);
    log.info("rematch after {}: {} packages matched, {} changed, {} images updated, in {} ms ({})", cause,
        r.packagesMatched(), r.packagesChanged(), r.imagesUpdated(), r.millis(), r.phases());
    return r;
  }

  /**
   * Adjusts the counts of the images holding changed packages by difference, and records what
   * appeared, disappeared or changed for each of them.
   */
  private int adjustImages(Map<Long, List<FindingRow>> changed, Map<Long, List<FindingRow>> old,
      Map<Long, PackageKey> names, String cause) {
    Instant at = Instant.now(clock);
    Map<String, List<Long>> imagePackages = new LinkedHashMap<>();
    store.forEachImageOfPackages(changed.keySet(),
        (image, pkg) -> imagePackages.computeIfAbsent(image, k -> new ArrayList<>()).add(pkg));
    if (imagePackages.isEmpty()) return 0;
    Map<String, ImageVulnerabilities> current = store.imageVulnerabilities(imagePackages.keySet());
    Map<Long, Tally> before = new HashMap<>();
    Map<Long, Tally> after = new HashMap<>();
    Map<Long, List<Map<String, String>>> diffs = new HashMap<>();
    Set<String> unknown = new TreeSet<>();
    List<ImageVulnerabilities> rows = new ArrayList<>();
    List<VulnerabilityChange> events = new ArrayList<>();
    for (var e : imagePackages.entrySet()) {
      ImageVulnerabilities existing = current.get(e.getKey());
      if (existing == null) {
        unknown.add(e.getKey());
        continue;
      }
      Tally t = Tally.of(existing);
      ImageEvent event = new ImageEvent();
      for (Long pkg : e.getValue()) {
        List<FindingRow> was = old.getOrDefault(pkg, List.of());
        t.add(before.computeIfAbsent(pkg, k -> Tally.of(was)), -1);
        t.add(after.computeIfAbsent(pkg, k -> Tally.of(changed.get(k))), 1);
        event.add(diffs.computeIfAbsent(pkg, k -> diff(names.get(k), was, changed.get(k))));
      }
      rows.add(t.toSummary(e.getKey(), at));
      if (event.count() > 0) events.add(event.toChange(e.getKey(), cause, at));
    }
    store.writeImageVulnerabilities(rows, events);
    if (!unknown.isEmpty()) recount(unknown, at);
    return rows.size() + unknown.size();
  }

  private static Map<Long, PackageKey> byId(List<PackageKey> packages) {
    Map<Long, PackageKey> out = new HashMap<>();
    for (PackageKey p : packages) out.put(p.id(), p);
    return out;
  }

  private static List<Map<String, String>> diff(PackageKey p, List<FindingRow> was, List<FindingRow> now) {
    Map<String, FindingRow> before = new TreeMap<>();
    was.forEach(f -> before.put(f.vulnId(), f));
    Map<String, FindingRow> after = new TreeMap<>();
    now.forEach(f -> after.put(f.vulnId(), f));
    List<Map<String, String>> out = new ArrayList<>();
    String name = p == null ? "" : p.name();
    String version = p == null ? "" : p.version();
    for (var e : after.entrySet()) {
      FindingRow b = before.get(e.getKey());
      FindingRow a = e.getValue();
      if (b == null) {
        out.add(item("appeared", a.vulnId(), name, version, a.severity(), "", a.fixedVersion()));
      } else if (!b.severity().equals(a.severity()) || !b.fixedVersion().equals(a.fixedVersion())
          || !b.state().equals(a.state())) {
        out.add(item("changed", a.vulnId(), name, version, a.severity(), b.severity(), a.fixedVersion()));
      }
    }
    for (var e : before.entrySet()) {
      if (!after.containsKey(e.getKey())) {
        FindingRow b = e.getValue();
        out.add(item("disappeared", b.vulnId(), name, version, b.severity(), b.severity(), b.fixedVersion()));
      }
    }
    return out;
  }

  private static Map<String, String> item(String change, String id, String pkg, String version, String severity,
      String previousSeverity, String fixed) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("change", change);
    m.put("vulnerability", id);
    m.put("package", pkg);
    m.put("version", version);
    m.put("severity", severity);
    if (!previousSeverity.isEmpty() && !previousSeverity.equals(severity)) m.put("previousSeverity", previousSeverity);
    m.put("fixedVersion", fixed);
    return m;
  }

  private static String json(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean sameFindings(List<FindingRow> a, List<FindingRow> b) {
    if (a.size() != b.size()) return false;
    Map<String, FindingRow> byId = new HashMap<>();
    a.forEach(f -> byId.put(f.vulnId(), f));
    for (FindingRow f : b) {
      if (!Objects.equals(byId.get(f.vulnId()), f)) return false;
    }
    return true;
  }

  // ---- conversions

  static List<FindingRow> rows(List<Finding> findings) {
    List<FindingRow> out = new ArrayList<>(findings.size());
    for (Finding f : findings) {
      RatedSeverity s = f.severity();
      out.add(new FindingRow(f.vulnerabilityId(), String.join(",", new TreeSet<>(f.aliases())), f.state().label(),
          f.fixedVersion(), s.severity().name(), RiskScore.rank(s.severity()), nonNull(s.source()),
          nonNull(s.cvssVector()), s.cvssScore(), f.feed(), f.advisoryId()));
    }
    return out;
  }

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }

  /**
   * Whether a stored package can be matched at all. A language package without a version (a jar
   * nothing identifies, a Go module built from a local directory) would compare as older than
   * every fix: it matches nothing rather than everything.
   */
  static boolean matchable(PackageKey p) {
    return DISTRO_TYPES.contains(p.type()) || !p.version().isEmpty();
  }

  /** A stored package as matching sees it: its distro namespace, or its language name from the purl. */
  static InstalledPackage installed(PackageKey p) {
    if (DISTRO_TYPES.contains(p.type())) {
      String namespace = namespace(p.distro()).orElse("");
      return new InstalledPackage(p.type(), namespace, p.name(), p.version(), p.sourceName(), p.sourceVersion());
    }
    try {
      PackageURL purl = new PackageURL(p.purl());
      return InstalledPackage.ofLanguage(p.type(), purl.getNamespace(), purl.getName(), p.version());
    } catch (MalformedPackageURLException | RuntimeException e) {
      return InstalledPackage.ofLanguage(p.type(), "", p.name(), p.version());
    }
  }

  /** "debian-12", "alpine-3.19.1", "debian-trixie" (no VERSION_ID) -> the matching namespace. */
  static java.util.Optional<String> namespace(String distro) {
    int dash = distro.indexOf('-');
    if (dash < 0) return java.util.Optional.empty();
    String id = distro.substring(0, dash);
    String rest = distro.substring(dash + 1);
    boolean numeric = !rest.isEmpty() && Character.isDigit(rest.charAt(0));
    return Namespaces.ofOsRelease(id, numeric ? rest : "", numeric ? "" : rest);
  }

  @Override
  public void close() {
    worker.shutdownNow();
    writer.shutdownNow();
  }
}
