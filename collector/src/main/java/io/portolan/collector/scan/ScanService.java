package io.portolan.collector.scan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import io.portolan.collector.ingest.AgentEvents;
import io.portolan.collector.ingest.RateLimitedLog;
import io.portolan.collector.store.ScanStore.AgentResult;
import io.portolan.collector.store.ScanStore.Dispatch;
import io.portolan.collector.store.ScanStore.InFlight;
import io.portolan.collector.store.ScanStore.ItemNote;
import io.portolan.collector.store.ScanStore.JobRow;
import io.portolan.collector.store.ScanStore.NewImage;
import io.portolan.collector.store.ScanStore.NewJob;
import io.portolan.collector.store.ScanStore.PendingItem;
import io.portolan.collector.store.ScanStore.Progress;
import io.portolan.collector.store.ScanStore.QueuedCommand;
import io.portolan.collector.store.ScanStore.RequestImage;
import io.portolan.collector.store.Store;
import io.portolan.proto.agent.v1.CancelScan;
import io.portolan.proto.agent.v1.Command;
import io.portolan.proto.agent.v1.CommandStatus;
import io.portolan.proto.agent.v1.CommandUpdate;
import io.portolan.proto.agent.v1.ScanImages;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs scan jobs: expands a request into one item per image, sends each image to one host that has
 * it (online, least busy), follows the agents' progress and results, and ends every image as
 * SCANNED, CANCELLED or SCAN_EXCEPTION with a reason, never leaving it in flight: a host that goes
 * offline hands its work to another host or fails it, an agent that reconnects gets its work again,
 * a host that stops making progress times out, a job that runs out of time expires.
 *
 * <p>Several collectors may share the database. Each job belongs to the collector holding its
 * lease, which dispatches it; when that collector dies the lease runs out and another takes over.
 * A command for an agent connected to another collector is queued in the database for that one to
 * deliver. Results are recorded by the collector that holds the agent's stream, after matching.
 *
 * <p>All the work happens in {@link #tick()}, run by one thread (or by tests, with a fake clock).
 */
public final class ScanService implements ScanJobs, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ScanService.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> ACTIVE = List.of("QUEUED", "RUNNING", "PAUSED");
  private static final List<String> UNFINISHED_ITEMS =
      List.of("QUEUED", "WAITING", "DISPATCHED", "SCANNING", "COMPLETING");
  private static final String AUTO_ASSESS_SETTING = "auto-assess";
  private static final String WATERMARK_SETTING = "auto-assess.watermark";
  private static final Duration HEARTBEAT = Duration.ofSeconds(5);
  private static final Duration COMMAND_TTL = Duration.ofMinutes(10);
  private static final int FINISH_BATCH = 5_000;

  /**
   * How scans behave.
   *
   * @param tick how often the loop runs when nothing wakes it
   * @param lease how long a job stays with a collector that stopped renewing it
   * @param expiry how long a job may wait (for offline hosts) before it expires
   * @param hostSilence a host none of whose scans moved for this long is timed out
   * @param offlineAfter a host silent this long is offline
   * @param hostConcurrency the most images in flight on one host
   * @param maxAttempts how often an image is sent to a host before it fails
   * @param completingGrace a result not finished after this long (its collector died) is finished by the owner
   * @param dispatchBatch images looked at per job per round
   */
  public record Settings(Duration tick, Duration lease, Duration expiry, Duration hostSilence, Duration offlineAfter,
      int hostConcurrency, int maxAttempts, Duration completingGrace, int dispatchBatch) {
    public Settings {
      if (hostConcurrency < 1) throw new IllegalArgumentException("scan host concurrency must be at least 1");
      if (maxAttempts < 1) throw new IllegalArgumentException("scan attempts must be at least 1");
      if (expiry.isNegative() || expiry.isZero()) throw new IllegalArgumentException("scan expiry must be positive");
    }

    public static Settings defaults(Duration offlineAfter) {
      return new Settings(Duration.ofSeconds(1), Duration.ofSeconds(20), Duration.ofHours(24),
          Duration.ofMinutes(10), offlineAfter, 64, 3, Duration.ofSeconds(30), 20_000);
    }

    public Settings withExpiry(Duration value) {
      return new Settings(tick, lease, value, hostSilence, offlineAfter, hostConcurrency, maxAttempts,
          completingGrace, dispatchBatch);
    }

    public Settings withHostSilence(Duration value) {
      return new Settings(tick, lease, expiry, value, offlineAfter, hostConcurrency, maxAttempts, completingGrace,
          dispatchBatch);
    }

    public Settings withHostConcurrency(int value) {
      return new Settings(tick, lease, expiry, hostSilence, offlineAfter, value, maxAttempts, completingGrace,
          dispatchBatch);
    }
  }

  private final Store store;
  private final AgentLink link;
  private final Clock clock;
  private final Settings settings;
  private final String collectorId;
  private final Instant startedAt;
  private final RateLimitedLog warnings;
  private final HostBuckets buckets;

  private final ConcurrentHashMap<String, Progress> progress = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<RequestImage> matched = new ConcurrentLinkedQueue<>();
  private final Set<String> sessionChanges = ConcurrentHashMap.newKeySet();
  private final ConcurrentHashMap<String, Instant> reconnected = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, String> refused = new ConcurrentHashMap<>();
  private final Semaphore wake = new Semaphore(0);
  private volatile boolean running;
  private Thread loop;
  private Thread listener;
  private volatile Instant sweepCutoff;

  // Touched by the loop thread only.
  private Instant lastBeat;
  private Instant lastSweep;
  private Instant lastAutoAssess;
  private Instant autoAssessReadAt;
  private AutoAssess autoAssess = AutoAssess.DEFAULT;

  public ScanService(Store store, AgentLink link, Clock clock, Settings settings, String collectorId) {
    this.store = store;
    this.link = link;
    this.clock = clock;
    this.settings = settings;
    this.collectorId = collectorId;
    this.startedAt = clock.instant();
    this.warnings = new RateLimitedLog(log, clock, Duration.ofMinutes(1));
    this.buckets = new HostBuckets(clock, AutoAssess.DEFAULT.perHostPerMinute());
  }

  /** Starts the loop (and, on PostgreSQL, the listener that wakes it for queued commands). */
  public ScanService start() {
    running = true;
    loop = Thread.ofPlatform().daemon().name("portolan-scans").start(this::run);
    listener = Thread.ofPlatform().daemon().name("portolan-scan-commands").start(this::listen);
    return this;
  }

  public String collectorId() {
    return collectorId;
  }

  // ---- ScanJobs

  @Override
  public String submit(ScanRequest request) {
    for (ScanCategory c : request.categories()) {
      if (!c.supported()) {
        throw new IllegalArgumentException("scan category '" + c.wireName() + "' is not supported by this collector;"
            + " supported: " + String.join(", ", supportedCategories()));
      }
    }
    Instant now = clock.instant();
    List<String> images = store.scopeImages(request.scope().kind().name(), request.scope().ids());
    String id = UUID.randomUUID().toString();
    List<String> categories = request.categories().stream().map(ScanCategory::wireName).sorted().toList();
    store.createJob(new NewJob(id, request.trigger().name(), request.scope().kind().name(), request.scope().ids(),
        categories, request.requestedBy(), request.force(), request.scheduleId(), now, now.plus(settings.expiry()),
        collectorId, now.plus(settings.lease())), images);
    if (images.isEmpty()) {
      store.setJobState(id, List.of("QUEUED"), JobState.SUCCEEDED.name(), "no image in scope", now);
    }
    log.info("scan job {} ({}, by {}): {} images{}", id, request.trigger(), request.requestedBy(), images.size(),
        request.force() ? ", layer caches bypassed" : "");
    wake.release();
    return id;
  }

  @Override
  public Optional<JobState> state(String jobId) {
    return store.job(jobId).map(j -> JobState.valueOf(j.state()));
  }

  @Override
  public void pause(String jobId) {
    Instant now = clock.instant();
    if (!store.setJobState(jobId, List.of("QUEUED", "RUNNING"), JobState.PAUSED.name(), "paused", now)) return;
    List<InFlight> stopped = store.pauseItems(jobId, "paused; resumes with the job", now);
    tellAgentsToStop(stopped, now);
    log.info("scan job {} paused ({} images stopped on their hosts)", jobId, stopped.size());
  }

  @Override
  public void resume(String jobId) {
    Instant now = clock.instant();
    String to = store.job(jobId).map(j -> j.started() == null ? "QUEUED" : "RUNNING").orElse("RUNNING");
    if (store.setJobState(jobId, List.of("PAUSED"), to, "", now)) {
      log.info("scan job {} resumed", jobId);
      wake.release();
    }
  }

  @Override
  public void cancel(String jobId, String reason) {
    Instant now = clock.instant();
    Optional<JobRow> job = store.job(jobId);
    if (job.isEmpty() || JobState.valueOf(job.get().state()).isFinal()) return;
    List<InFlight> cancelled = store.cancelItems(Optional.of(jobId), List.of(), reason, now);
    store.setJobState(jobId, ACTIVE, JobState.CANCELLED.name(), reason, now);
    tellAgentsToStop(cancelled, now);
    log.info("scan job {} cancelled: {} ({} images)", jobId, reason, cancelled.size());
  }

  /** Cancels these images in every job that has them unfinished; returns the items that ended. */
  public List<InFlight> cancelImages(Collection<String> imageIds, String reason) {
    Instant now = clock.instant();
    List<InFlight> cancelled = store.cancelItems(Optional.empty(), imageIds, reason, now);
    tellAgentsToStop(cancelled, now);
    wake.release();
    return cancelled;
  }

  /** The categories this collector scans for, by wire name. */
  public static List<String> supportedCategories() {
    return java.util.Arrays.stream(ScanCategory.values()).filter(ScanCategory::supported)
        .map(ScanCategory::wireName).toList();
  }

  // ---- auto-assess

  public AutoAssess autoAssess() {
    return store.setting(AUTO_ASSESS_SETTING).map(ScanService::parse).orElse(AutoAssess.DEFAULT);
  }

  /** Changes the setting; turning it on scans the images that arrive from now on, not those already here. */
  public AutoAssess autoAssess(AutoAssess value) {
    Instant now = clock.instant();
    boolean wasOn = autoAssess().enabled();
    try {
      store.putSetting(AUTO_ASSESS_SETTING, JSON.writeValueAsString(value), now);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    if (value.enabled() && !wasOn) store.putSetting(WATERMARK_SETTING, now.toString(), now);
    log.info("auto-assess {}: at most {} images a minute and {} at once per host",
        value.enabled() ? "on" : "off", value.perHostPerMinute(), value.maxInFlightPerHost());
    autoAssessReadAt = null;
    wake.release();
    return value;
  }

  private static AutoAssess parse(String json) {
    try {
      return JSON.readValue(json, AutoAssess.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      return AutoAssess.DEFAULT;
    }
  }

  // ---- what agents say (gRPC and writer threads: hand off and return)

  /** The listener to register with the agent stream service. */
  public AgentEvents agentEvents() {
    return new AgentEvents() {
      @Override
      public void connected(String agentId) {
        sessionChanges.add(agentId);
        reconnected.put(agentId, clock.instant());
        wake.release();
      }

      @Override
      public void disconnected(String agentId) {
        sessionChanges.add(agentId);
      }

      @Override
      public void commandUpdate(String agentId, CommandUpdate u) {
        if (u.getStatus() == CommandStatus.COMMAND_STATUS_RUNNING && !u.getImageId().isEmpty()) {
          progress.put(u.getRequestId() + "\u0000" + u.getImageId(),
              new Progress(u.getRequestId(), u.getImageId(), u.getProgressPercent()));
        } else if (u.getStatus() == CommandStatus.COMMAND_STATUS_REJECTED && u.getImageId().isEmpty()) {
          refused.put(u.getRequestId(), "the agent on host " + agentId + " refused the scan: " + u.getMessage());
          wake.release();
        }
      }

      @Override
      public void scanResults(List<AgentResult> results) {
        List<RequestImage> ready = new ArrayList<>();
        List<RequestImage> waiting = new ArrayList<>();
        for (AgentResult r : results) {
          if (!r.outcome().equals("DONE")) continue;
          // The counts after the scan are those matching writes for an inventory that came with it;
          // an image whose inventory did not change (the collector held it) is current already.
          (link.matchPending(r.imageId()) ? waiting : ready).add(new RequestImage(r.requestId(), r.imageId()));
        }
        matched.addAll(ready);
        if (!waiting.isEmpty()) {
          link.afterMatching(() -> {
            matched.addAll(waiting);
            wake.release();
          });
        }
        wake.release();
      }
    };
  }

  // ---- the loop

  private void run() {
    while (running) {
      try {
        tick();
      } catch (RuntimeException e) {
        warnings.warn("tick", "scan loop: " + e.getMessage() + "; retrying");
      }
      try {
        wake.tryAcquire(settings.tick().toMillis(), TimeUnit.MILLISECONDS);
        wake.drainPermits();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Waits for commands queued for this collector; where the database cannot signal, the loop's polling does. */
  private void listen() {
    while (running) {
      long t0 = System.nanoTime();
      if (store.awaitCommandSignal(5_000)) {
        wake.release();
      } else if (System.nanoTime() - t0 < 50_000_000L) {
        return; // no signals here (H2): the loop polls every tick
      }
    }
  }

  /** One pass of the scan loop. Public for tests, which drive it with a fake clock. */
  public synchronized void tick() {
    Instant now = clock.instant();
    long t0 = System.nanoTime();
    long[] phases = new long[4];
    if (lastBeat == null || !now.isBefore(lastBeat.plus(HEARTBEAT))) {
      store.heartbeatCollector(collectorId, startedAt, now);
      lastBeat = now;
    }
    flushSessions(now);
    flushProgress(now);
    phases[0] = System.nanoTime();
    handleRefused(now);
    handleReconnected(now);
    finishMatched(now);
    phases[1] = System.nanoTime();
    deliverQueued(now);
    List<JobRow> jobs = store.claimJobs(collectorId, now, now.plus(settings.lease()));
    lastChecks.keySet().retainAll(jobs.stream().map(JobRow::id).toList());
    phases[2] = System.nanoTime();
    if (!jobs.isEmpty()) {
      Map<String, Integer> load = new HashMap<>(store.hostLoad());
      for (JobRow job : jobs) {
        try {
          runJob(job, now, load);
        } catch (RuntimeException e) {
          warnings.warn("job", "scan job " + job.id() + ": " + e.getMessage() + "; retrying");
        }
      }
    }
    phases[3] = System.nanoTime();
    sweepCompleting(now);
    runAutoAssess(now);
    long end = System.nanoTime();
    if (end - t0 > SLOW_TICK_NANOS && (lastSlowLog == 0 || end - lastSlowLog > SLOW_LOG_EVERY_NANOS)) {
      lastSlowLog = end;
      log.info("scan loop pass took {} ms (sessions and progress {}, results {}, commands and leases {}, jobs {},"
          + " rest {})", (end - t0) / 1_000_000, (phases[0] - t0) / 1_000_000, (phases[1] - phases[0]) / 1_000_000,
          (phases[2] - phases[1]) / 1_000_000, (phases[3] - phases[2]) / 1_000_000, (end - phases[3]) / 1_000_000);
    }
  }

  private static final long SLOW_TICK_NANOS = 2_000_000_000L;
  private static final long SLOW_LOG_EVERY_NANOS = 10_000_000_000L;
  private long lastSlowLog;

  private void flushSessions(Instant now) {
    if (sessionChanges.isEmpty()) return;
    List<String> changed = List.copyOf(sessionChanges);
    sessionChanges.removeAll(changed);
    Set<String> connected = link.connectedAgents();
    List<String> up = changed.stream().filter(connected::contains).toList();
    List<String> down = changed.stream().filter(a -> !connected.contains(a)).toList();
    try {
      store.recordSessions(collectorId, up, down, now);
    } catch (RuntimeException e) {
      sessionChanges.addAll(changed);
      throw e;
    }
  }

  private void flushProgress(Instant now) {
    if (progress.isEmpty()) return;
    List<Progress> batch = new ArrayList<>();
    for (String key : List.copyOf(progress.keySet())) {
      Progress p = progress.remove(key);
      if (p != null) batch.add(p);
    }
    store.recordProgress(batch, now);
  }

  private void handleRefused(Instant now) {
    for (String request : List.copyOf(refused.keySet())) {
      String why = refused.remove(request);
      List<ItemNote> items = store.itemsOfRequest(request).stream()
          .map(n -> new ItemNote(n.jobId(), n.imageId(), why)).toList();
      store.endItems(items, "SCAN_EXCEPTION", now);
    }
  }

  /**
   * An agent that (re)connects may have lost what it was doing (it restarted), or not (a network
   * blip): its scans in flight from before are sent again, under new requests, which it runs from
   * its cache if it had finished them. Late results of the old requests are then ignored.
   */
  private void handleReconnected(Instant now) {
    if (reconnected.isEmpty()) return;
    Map<String, Instant> agents = new HashMap<>();
    for (String a : List.copyOf(reconnected.keySet())) {
      Instant at = reconnected.remove(a);
      if (at != null) agents.put(a, at);
    }
    List<ItemNote> again = new ArrayList<>();
    for (InFlight f : store.inFlight(Optional.empty(), Optional.empty())) {
      Instant at = agents.get(f.hostId());
      if (at == null || f.state().equals("COMPLETING") || f.dispatchedAt() == null || !f.dispatchedAt().isBefore(at)) {
        continue;
      }
      again.add(new ItemNote(f.jobId(), f.imageId(), "the agent on host " + name(f)
          + " reconnected during the scan; sending it again"));
    }
    if (!again.isEmpty()) {
      store.requeue(again, now);
      log.info("{} scans in flight on reconnected agents sent again", again.size());
    }
  }

  /** Finishes one batch of matched results; the loop comes straight back for the rest. */
  private void finishMatched(Instant now) {
    List<RequestImage> batch = new ArrayList<>();
    RequestImage r;
    while (batch.size() < FINISH_BATCH && (r = matched.poll()) != null) batch.add(r);
    if (batch.isEmpty()) return;
    store.finishCompleted(batch, Optional.empty(), now);
    if (!matched.isEmpty()) wake.release();
  }

  private void sweepCompleting(Instant now) {
    Instant cutoff = sweepCutoff;
    if (cutoff != null) {
      sweepCutoff = null;
      int n = store.finishCompleted(List.of(), Optional.of(cutoff), now);
      if (n > 0) log.info("{} scans whose collector stopped before recording them were finished", n);
    }
    if (lastSweep == null || !now.isBefore(lastSweep.plus(Duration.ofSeconds(10)))) {
      lastSweep = now;
      Instant before = now.minus(settings.completingGrace());
      link.afterMatching(() -> {
        sweepCutoff = before;
        wake.release();
      });
    }
  }

  private void deliverQueued(Instant now) {
    for (QueuedCommand q : store.takeCommands(collectorId, now, 1_000)) {
      try {
        Command c = Command.parseFrom(q.command());
        if (!link.send(q.agentId(), c)) {
          warnings.warn("relay", "a command for agent " + q.agentId() + " arrived through the database but its"
              + " stream is gone; the scan goes on when it reconnects");
        }
      } catch (InvalidProtocolBufferException e) {
        warnings.warn("relay-corrupt", "a queued command for agent " + q.agentId() + " is unreadable; dropped");
      }
    }
  }

  private void runJob(JobRow job, Instant now, Map<String, Integer> load) {
    JobState state = JobState.valueOf(job.state());
    if (!now.isBefore(job.expiresAt())) {
      int n = store.expireItems(job.id(), "not scanned before the job expired at " + job.expiresAt(), now);
      if (store.setJobState(job.id(), ACTIVE, JobState.EXPIRED.name(),
          n + " images were not scanned before the job expired", now)) {
        log.info("scan job {} expired with {} images unscanned", job.id(), n);
      }
      return;
    }
    if (state == JobState.PAUSED) return;
    int unfinished = UNFINISHED_ITEMS.stream().mapToInt(s -> job.items().getOrDefault(s, 0)).sum();
    if (unfinished == 0) {
      finish(job, now);
      lastChecks.remove(job.id());
      return;
    }
    // Hosts lost and silent are looked for every few seconds: reading every scan in flight of a
    // large job each pass would slow the finishing of results, which matters more.
    Instant checked = lastChecks.get(job.id());
    if (checked == null || !now.isBefore(checked.plus(CHECK_EVERY))) {
      lastChecks.put(job.id(), now);
      checkInFlight(job, now);
    }
    if (job.items().getOrDefault("QUEUED", 0) + job.items().getOrDefault("WAITING", 0) > 0) {
      dispatch(job, now, load);
    }
  }

  private static final Duration CHECK_EVERY = Duration.ofSeconds(5);
  /** When each job's scans in flight were last checked; loop thread only. */
  private final Map<String, Instant> lastChecks = new HashMap<>();

  private void finish(JobRow job, Instant now) {
    int scanned = job.items().getOrDefault("SCANNED", 0);
    int failed = job.items().getOrDefault("SCAN_EXCEPTION", 0);
    int cancelled = job.items().getOrDefault("CANCELLED", 0);
    JobState to = scanned == 0 && failed == 0 && cancelled > 0 ? JobState.CANCELLED
        : failed > 0 ? JobState.FAILED : JobState.SUCCEEDED;
    String summary = scanned + " scanned, " + failed + " failed, " + cancelled + " cancelled";
    if (store.setJobState(job.id(), List.of("QUEUED", "RUNNING"), to.name(), summary, now)) {
      log.info("scan job {} {}: {}", job.id(), to.name().toLowerCase(java.util.Locale.ROOT), summary);
    }
  }

  /**
   * Scans whose host went offline are requeued (another host may take them; if none can, they
   * fail); scans on a host that has made no progress on any of them for too long time out.
   */
  private void checkInFlight(JobRow job, Instant now) {
    if (job.items().getOrDefault("DISPATCHED", 0) + job.items().getOrDefault("SCANNING", 0) == 0) return;
    List<InFlight> flying = store.inFlight(Optional.of(job.id()), Optional.empty()).stream()
        .filter(f -> !f.state().equals("COMPLETING")).toList();
    Instant onlineSince = now.minus(settings.offlineAfter());
    // An agent works through its images one at a time: it is alive while any of them moves.
    Map<String, Instant> activity = new HashMap<>();
    for (InFlight f : flying) activity.merge(f.hostId(), f.updatedAt(), (a, b) -> a.isAfter(b) ? a : b);
    List<ItemNote> retry = new ArrayList<>();
    List<ItemNote> timedOut = new ArrayList<>();
    for (InFlight f : flying) {
      if (f.hostLastSeen() == null || f.hostLastSeen().isBefore(onlineSince)) {
        retry.add(new ItemNote(f.jobId(), f.imageId(), Dispatcher.RETRY + "the agent on host " + name(f)
            + " went offline during the scan (last heard at " + f.hostLastSeen() + ")"));
      } else if (activity.get(f.hostId()).isBefore(now.minus(settings.hostSilence()))) {
        timedOut.add(new ItemNote(f.jobId(), f.imageId(), "timed out: the agent on host " + name(f)
            + " made no progress for " + settings.hostSilence().toMinutes() + " minutes"));
      }
    }
    if (!retry.isEmpty()) {
      store.requeue(retry, now);
      log.info("scan job {}: {} images in flight on hosts that went offline are dispatched again", job.id(),
          retry.size());
    }
    if (!timedOut.isEmpty()) {
      store.endItems(timedOut, "SCAN_EXCEPTION", now);
      log.info("scan job {}: {} images timed out on silent hosts", job.id(), timedOut.size());
    }
  }

  private static String name(InFlight f) {
    return f.hostName() == null ? f.hostId() : f.hostName();
  }

  private void dispatch(JobRow job, Instant now, Map<String, Integer> load) {
    List<PendingItem> pending = store.pendingItems(job.id(), settings.dispatchBatch());
    if (pending.isEmpty()) return;
    boolean auto = job.trigger().equals(ScanTrigger.AUTO_ASSESS.name());
    AutoAssess aa = autoAssess;
    int limit = auto ? Math.min(settings.hostConcurrency(), aa.maxInFlightPerHost()) : settings.hostConcurrency();
    buckets.perMinute(aa.perHostPerMinute());
    Predicate<String> admit = auto ? buckets::take : h -> true;
    // Which collector holds each candidate agent's stream: this one, another live one, or none.
    Set<String> local = link.connectedAgents();
    Set<String> elsewhere = new TreeSet<>();
    for (PendingItem p : pending) {
      p.hosts().forEach(h -> {
        if (!local.contains(h.hostId())) elsewhere.add(h.hostId());
      });
    }
    Map<String, String> remote = elsewhere.isEmpty() ? Map.of()
        : store.liveSessions(elsewhere, now.minus(settings.lease()));
    Dispatcher.Round round = Dispatcher.plan(job.id(), pending, now.minus(settings.offlineAfter()), load, limit,
        h -> local.contains(h) || remote.containsKey(h), admit, settings.maxAttempts(),
        h -> UUID.randomUUID().toString());
    if (!round.waiting().isEmpty()) store.markWaiting(round.waiting(), now);
    if (!round.failed().isEmpty()) store.endItems(round.failed(), "SCAN_EXCEPTION", now);
    if (job.state().equals("QUEUED")) store.setJobState(job.id(), List.of("QUEUED"), "RUNNING", "", now);
    List<Dispatch> sendable = round.dispatches();
    if (sendable.isEmpty()) return;
    store.markDispatched(sendable, now);
    Map<String, List<Dispatch>> byRequest = new LinkedHashMap<>();
    for (Dispatch d : sendable) byRequest.computeIfAbsent(d.requestId(), k -> new ArrayList<>()).add(d);
    List<QueuedCommand> queued = new ArrayList<>();
    List<ItemNote> undelivered = new ArrayList<>();
    for (List<Dispatch> ds : byRequest.values()) {
      String host = ds.get(0).hostId();
      Command command = Command.newBuilder().setRequestId(ds.get(0).requestId()).setScanImages(ScanImages.newBuilder()
          .addAllImageIds(ds.stream().map(Dispatch::imageId).toList()).addAllCategories(job.categories())
          .setForce(job.force())).build();
      if (local.contains(host)) {
        if (!link.send(host, command)) {
          ds.forEach(d -> undelivered.add(new ItemNote(d.jobId(), d.imageId(),
              "the agent on host " + host + " disconnected before the scan reached it")));
        }
      } else {
        queued.add(new QueuedCommand(0, remote.get(host), host, command.toByteArray()));
      }
    }
    if (!queued.isEmpty()) store.queueCommands(queued, now, now.plus(COMMAND_TTL));
    if (!undelivered.isEmpty()) store.requeue(undelivered, now);
  }

  /** Tells the agents of these items to stop them, grouped per request. */
  private void tellAgentsToStop(List<InFlight> items, Instant now) {
    Map<String, List<InFlight>> byRequest = new TreeMap<>();
    for (InFlight f : items) {
      if (f.requestId() != null && f.hostId() != null && !f.state().equals("COMPLETING")) {
        byRequest.computeIfAbsent(f.requestId(), k -> new ArrayList<>()).add(f);
      }
    }
    if (byRequest.isEmpty()) return;
    Set<String> local = link.connectedAgents();
    Set<String> elsewhere = new TreeSet<>();
    byRequest.values().forEach(fs -> {
      if (!local.contains(fs.get(0).hostId())) elsewhere.add(fs.get(0).hostId());
    });
    Map<String, String> remote = elsewhere.isEmpty() ? Map.of()
        : store.liveSessions(elsewhere, now.minus(settings.lease()));
    List<QueuedCommand> queued = new ArrayList<>();
    for (var e : byRequest.entrySet()) {
      String host = e.getValue().get(0).hostId();
      Command cancel = Command.newBuilder().setRequestId(UUID.randomUUID().toString()).setCancelScan(
          CancelScan.newBuilder().setScanRequestId(e.getKey())
              .addAllImageIds(e.getValue().stream().map(InFlight::imageId).toList())).build();
      if (local.contains(host)) {
        link.send(host, cancel);
      } else if (remote.containsKey(host)) {
        queued.add(new QueuedCommand(0, remote.get(host), host, cancel.toByteArray()));
      }
      // An agent connected nowhere has no scan running for us: nothing to stop.
    }
    if (!queued.isEmpty()) store.queueCommands(queued, now, now.plus(COMMAND_TTL));
  }

  private void runAutoAssess(Instant now) {
    if (autoAssessReadAt == null || !now.isBefore(autoAssessReadAt.plus(Duration.ofSeconds(10)))) {
      autoAssess = autoAssess();
      autoAssessReadAt = now;
      buckets.trim();
    }
    if (!autoAssess.enabled()) return;
    if (lastAutoAssess != null && now.isBefore(lastAutoAssess.plus(Duration.ofSeconds(2)))) return;
    lastAutoAssess = now;
    if (!store.holdLease(AUTO_ASSESS_SETTING, collectorId, now, now.plus(settings.lease()))) return;
    Instant watermark = store.setting(WATERMARK_SETTING).map(Instant::parse).orElse(now);
    List<NewImage> fresh = store.imagesFirstSeenAfter(watermark, 1_000);
    if (fresh.isEmpty()) return;
    submit(new ScanRequest(ScanTrigger.AUTO_ASSESS, new ScanScope(ScanScope.Kind.IMAGES,
        fresh.stream().map(NewImage::imageId).toList()), Set.of(ScanCategory.VULNERABILITIES), "auto-assess", false,
        Optional.empty()));
    store.putSetting(WATERMARK_SETTING, fresh.get(fresh.size() - 1).firstSeen().toString(), now);
  }

  @Override
  public void close() {
    running = false;
    if (loop != null) {
      loop.interrupt();
      try {
        loop.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (listener != null) listener.interrupt();
  }
}
