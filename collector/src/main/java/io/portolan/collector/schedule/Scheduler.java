package io.portolan.collector.schedule;

import io.portolan.collector.ingest.RateLimitedLog;
import io.portolan.collector.scan.JobState;
import io.portolan.collector.scan.ScanJobs;
import io.portolan.collector.scan.ScanRequest;
import io.portolan.collector.scan.ScanTrigger;
import io.portolan.collector.store.ScheduleStore;
import io.portolan.collector.store.ScheduleStore.Fired;
import io.portolan.collector.store.ScheduleStore.NewEvent;
import io.portolan.collector.store.ScheduleStore.RunState;
import io.portolan.collector.store.ScheduleStore.StoredSchedule;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The firing loop: one thread per collector that wakes at the earliest time some schedule needs it
 * (and at least every {@code maxSleep}, so that schedules another collector edited are seen),
 * claims due schedules one at a time through the store (row lock, SKIP LOCKED) and, while holding
 * the row, starts the job, skips an overlapping slot, or pauses, resumes or cancels a job at the
 * edges of its allowed window. With several collectors on one database each slot fires once.
 */
public final class Scheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Scheduler.class);
  public static final Duration DEFAULT_MAX_SLEEP = Duration.ofSeconds(30);
  /** When a call into the scan service fails, the window decision is tried again this much later. */
  static final Duration RETRY = Duration.ofMinutes(1);
  /** A due schedule another collector holds is looked at again this much later. */
  private static final Duration HELD_ELSEWHERE = Duration.ofSeconds(1);
  /** Firings per pass, so that a storm of due schedules still lets the loop notice close(). */
  private static final int MAX_PER_PASS = 1_000;
  /** A run this late was missed (downtime) rather than picked up on the usual tick. */
  private static final Duration LATE = Duration.ofMinutes(1);
  private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm z");

  private final ScheduleStore store;
  private final ScanJobs jobs;
  private final Clock clock;
  private final String collectorId;
  private final Duration maxSleep;
  private final RateLimitedLog warnings;
  private final Object signal = new Object();
  private boolean woken;
  private volatile boolean closed;
  private Thread thread;

  public Scheduler(ScheduleStore store, ScanJobs jobs, Clock clock, String collectorId, Duration maxSleep) {
    if (maxSleep.isNegative() || maxSleep.isZero()) throw new IllegalArgumentException("maxSleep must be positive");
    this.store = store;
    this.jobs = jobs;
    this.clock = clock;
    this.collectorId = collectorId;
    this.maxSleep = maxSleep;
    this.warnings = new RateLimitedLog(log, clock, Duration.ofMinutes(5));
  }

  /** Starts the loop thread. */
  public Scheduler start() {
    thread = new Thread(this::loop, "portolan-scheduler");
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  /** Makes the loop look again now: a schedule was created or changed. */
  public void wake() {
    synchronized (signal) {
      woken = true;
      signal.notifyAll();
    }
  }

  /**
   * Acts on every schedule due now that no other collector holds.
   *
   * @return how many schedules were acted on
   */
  public int runDue() {
    return store.fireDueSchedules(clock.instant(), collectorId, MAX_PER_PASS, this::fire);
  }

  private void loop() {
    while (!closed) {
      Duration sleep = maxSleep;
      try {
        // A full pass means more may be due: go again without sleeping.
        if (runDue() == MAX_PER_PASS) continue;
        Optional<Instant> next = store.nextScheduleWake();
        if (next.isPresent()) {
          Duration until = Duration.between(clock.instant(), next.get());
          if (until.isNegative() || until.isZero()) sleep = HELD_ELSEWHERE;
          else if (until.compareTo(maxSleep) < 0) sleep = until;
        }
      } catch (RuntimeException e) {
        if (closed) return;
        warnings.warn("loop", "scheduler pass failed, retrying in " + maxSleep.toSeconds() + " s: " + e.getMessage());
      }
      synchronized (signal) {
        long deadline = System.nanoTime() + sleep.toNanos();
        while (!woken && !closed) {
          long left = deadline - System.nanoTime();
          if (left <= 0) break;
          try {
            signal.wait(Math.max(1, left / 1_000_000));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
        woken = false;
      }
    }
  }

  /** What one claimed schedule does at {@code now}; runs inside the transaction holding its row. */
  Fired fire(StoredSchedule s) {
    Instant now = clock.instant();
    Run run = new Run(s.state());
    ScheduleSpec spec;
    try {
      spec = ScheduleSpec.of(s.definition());
    } catch (RuntimeException e) {
      // A stored schedule the code no longer accepts (e.g. a time zone gone from the tz database).
      run.nextRunAt = Optional.empty();
      run.windowDueAt = Optional.empty();
      run.event(now, "ERROR", run.lastJobId, "the schedule cannot be evaluated and is stopped until it is"
          + " updated: " + e.getMessage());
      warnings.warn("invalid:" + s.id(), "schedule '" + s.definition().name() + "' stopped: " + e.getMessage());
      return run.fired();
    }
    if (run.windowDueAt.isPresent() && !run.windowDueAt.get().isAfter(now)) windowEdge(s, spec, run, now);
    if (spec.enabled() && run.nextRunAt.isPresent() && !run.nextRunAt.get().isAfter(now)) slot(s, spec, run, now);
    return run.fired();
  }

  /** The tracked job at an edge of the allowed window (or re-examined after an edit). */
  private void windowEdge(StoredSchedule s, ScheduleSpec spec, Run run, Instant now) {
    run.windowDueAt = Optional.empty();
    if (run.lastJobId.isEmpty()) return;
    String job = run.lastJobId.get();
    ZoneId zone = spec.zone();
    try {
      Optional<JobState> state = jobs.state(job);
      if (state.isEmpty() || state.get().isFinal()) {
        run.jobPaused = false;
        run.outcome(now, state.map(JobState::name).orElse("UNKNOWN"),
            state.isEmpty() ? "the scan service no longer knows job " + job : "");
        return;
      }
      if (spec.window().isEmpty()) {
        if (run.jobPaused) {
          jobs.resume(job);
          run.jobPaused = false;
          run.event(now, "RESUMED", Optional.of(job), "the schedule no longer has an allowed window");
          run.outcome(now, "RESUMED", "");
        }
        return;
      }
      AllowedWindow w = spec.window().get();
      Optional<AllowedWindow.Span> open = w.containing(now, zone);
      if (open.isPresent()) {
        if (run.jobPaused) {
          jobs.resume(job);
          run.jobPaused = false;
          run.event(now, "RESUMED", Optional.of(job), "the allowed window " + w + " opened");
          run.outcome(now, "RESUMED", "");
        }
        run.windowDueAt = Optional.of(open.get().end());
        return;
      }
      if (w.onEnd() == AllowedWindow.OnEnd.CANCEL) {
        String reason = "the allowed window " + w + " (" + zone.getId() + ") of schedule '" + spec.name()
            + "' ended with the job " + state.get();
        jobs.cancel(job, reason);
        run.jobPaused = false;
        run.event(now, "CANCELLED", Optional.of(job), reason);
        run.outcome(now, "CANCELLED", reason);
        return;
      }
      Instant reopens = w.nextAfter(now, zone).start();
      if (!run.jobPaused) {
        jobs.pause(job);
        run.jobPaused = true;
        String detail = "the allowed window " + w + " ended with the job " + state.get() + "; it resumes at "
            + LOCAL.format(reopens.atZone(zone));
        run.event(now, "PAUSED", Optional.of(job), detail);
        run.outcome(now, "PAUSED", detail);
      }
      run.windowDueAt = Optional.of(reopens);
    } catch (RuntimeException e) {
      run.windowDueAt = Optional.of(now.plus(RETRY));
      run.event(now, "ERROR", Optional.of(job), "window decision for job " + job + " failed, retrying in "
          + RETRY.toMinutes() + " min: " + e.getMessage());
      warnings.warn("window:" + s.id(), "schedule '" + spec.name() + "': window decision for job " + job
          + " failed: " + e.getMessage());
    }
  }

  /** A due slot: start the job, or say why not. */
  private void slot(StoredSchedule s, ScheduleSpec spec, Run run, Instant now) {
    Instant due = run.nextRunAt.get();
    ZoneId zone = spec.zone();
    Optional<AllowedWindow.Span> open = spec.window().flatMap(w -> w.containing(now, zone));
    if (spec.window().isPresent() && open.isEmpty()) {
      // Due outside the window (the collector was down through it): the run waits for the next one.
      Instant opens = spec.window().get().nextAfter(now, zone).start();
      run.nextRunAt = Optional.of(opens);
      run.event(now, "DEFERRED", Optional.empty(), "due at " + LOCAL.format(due.atZone(zone))
          + ", outside the allowed window " + spec.window().get() + "; runs when it opens at "
          + LOCAL.format(opens.atZone(zone)));
      return;
    }
    // Whatever happens to this slot, the next one is computed from now: slots missed while no
    // collector ran are not made up one by one.
    run.nextRunAt = spec.nextRun(now);
    if (run.lastJobId.isPresent()) {
      String previous = run.lastJobId.get();
      Optional<JobState> state;
      try {
        state = jobs.state(previous);
      } catch (RuntimeException e) {
        String detail = "cannot tell whether the previous run " + previous + " finished: " + e.getMessage();
        run.event(now, "SKIPPED", Optional.empty(), detail);
        run.outcome(now, "SKIPPED", detail);
        warnings.warn("state:" + s.id(), "schedule '" + spec.name() + "' skipped a run: " + detail);
        return;
      }
      if (state.isPresent() && !state.get().isFinal()) {
        String detail = "the previous run " + previous + " is still " + state.get();
        run.event(now, "SKIPPED", Optional.empty(), detail);
        run.outcome(now, "SKIPPED", detail);
        log.info("schedule '{}' skipped the run due at {}: {}", spec.name(), due, detail);
        return;
      }
    }
    String late = Duration.between(due, now).compareTo(LATE) > 0
        ? "due at " + LOCAL.format(due.atZone(zone)) + "; started late, once for all the runs missed since" : "";
    try {
      String job = jobs.submit(new ScanRequest(ScanTrigger.SCHEDULE, spec.scope(), spec.categories(),
          "schedule:" + spec.name(), spec.force(), Optional.of(s.id())));
      run.lastJobId = Optional.of(job);
      run.lastStartedAt = Optional.of(now);
      run.jobPaused = false;
      run.windowDueAt = open.map(AllowedWindow.Span::end);
      run.event(now, "SUBMITTED", Optional.of(job), late);
      run.outcome(now, "SUBMITTED", late);
      log.info("schedule '{}' started scan job {}{}", spec.name(), job, late.isEmpty() ? "" : " (" + late + ")");
    } catch (RuntimeException e) {
      String detail = "the scan was not started: " + e.getMessage();
      run.event(now, "FAILED_TO_START", Optional.empty(), detail);
      run.outcome(now, "FAILED_TO_START", detail);
      warnings.warn("submit:" + s.id(), "schedule '" + spec.name() + "': " + detail);
    }
  }

  @Override
  public void close() {
    closed = true;
    wake();
    if (thread != null) {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The run state being changed by one firing, and the events it produces. */
  private static final class Run {
    Optional<Instant> nextRunAt;
    Optional<Instant> windowDueAt;
    boolean jobPaused;
    Optional<String> lastJobId;
    Optional<Instant> lastStartedAt;
    Optional<String> lastOutcome;
    String lastDetail;
    Optional<Instant> lastOutcomeAt;
    final List<NewEvent> events = new ArrayList<>();

    Run(RunState s) {
      nextRunAt = s.nextRunAt();
      windowDueAt = s.windowDueAt();
      jobPaused = s.jobPaused();
      lastJobId = s.lastJobId();
      lastStartedAt = s.lastStartedAt();
      lastOutcome = s.lastOutcome();
      lastDetail = s.lastDetail();
      lastOutcomeAt = s.lastOutcomeAt();
    }

    void event(Instant at, String kind, Optional<String> job, String detail) {
      events.add(new NewEvent(at, kind, job, detail));
    }

    void outcome(Instant at, String outcome, String detail) {
      lastOutcome = Optional.of(outcome);
      lastDetail = detail;
      lastOutcomeAt = Optional.of(at);
    }

    Fired fired() {
      return new Fired(new RunState(nextRunAt, windowDueAt, jobPaused, lastJobId, lastStartedAt, lastOutcome,
          lastDetail, lastOutcomeAt), events);
    }
  }
}
