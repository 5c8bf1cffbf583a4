package io.portolan.collector.schedule;

import io.portolan.collector.scan.JobState;
import io.portolan.collector.scan.ScanJobs;
import io.portolan.collector.store.Page;
import io.portolan.collector.store.PageRequest;
import io.portolan.collector.store.ScheduleStore;
import io.portolan.collector.store.ScheduleStore.ScheduleEvent;
import io.portolan.collector.store.ScheduleStore.StoredSchedule;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Creating, changing and reading schedules, for the API and the console: computes each schedule's
 * next run when it is saved, and shows the last run with its job's current state.
 */
public final class ScheduleService {
  /** Fire times shown ahead in a schedule's view. */
  public static final int PREVIEW = 5;

  private final ScheduleStore store;
  private final ScanJobs jobs;
  private final Clock clock;
  private final Runnable wake;

  /** @param wake tells the firing loop that a schedule changed */
  public ScheduleService(ScheduleStore store, ScanJobs jobs, Clock clock, Runnable wake) {
    this.store = store;
    this.jobs = jobs;
    this.clock = clock;
    this.wake = wake;
  }

  /**
   * A schedule as shown: what is stored, the definition rebuilt from it (empty if the stored one is
   * no longer valid, with the reason in {@code problem}), the next fire times and the last job's
   * current state as the scan service reports it.
   */
  public record View(StoredSchedule stored, Optional<ScheduleSpec> spec, String problem, List<Instant> nextRuns,
      Optional<JobState> lastJobState, String lastJobStateProblem) {}

  /** @throws ScheduleStore.NameTaken if the name is in use */
  public View create(ScheduleSpec spec) {
    Instant now = clock.instant();
    String id = UUID.randomUUID().toString();
    store.createSchedule(id, spec.definition(), spec.nextRun(now), now);
    wake.run();
    return get(id).orElseThrow();
  }

  /** Replaces the definition; the next run is computed afresh. Empty if there is no such schedule. */
  public Optional<View> update(String id, ScheduleSpec spec) {
    Instant now = clock.instant();
    if (!store.updateSchedule(id, spec.definition(), spec.nextRun(now), now)) return Optional.empty();
    wake.run();
    return get(id);
  }

  public boolean delete(String id) {
    return store.deleteSchedule(id);
  }

  public Optional<View> get(String id) {
    return store.schedule(id).map(this::view);
  }

  public Page<View> list(PageRequest page) {
    return store.schedules(page).map(this::view);
  }

  public Page<ScheduleEvent> events(String id, PageRequest page) {
    return store.scheduleEvents(id, page);
  }

  private View view(StoredSchedule s) {
    Optional<ScheduleSpec> spec;
    String problem = "";
    try {
      spec = Optional.of(ScheduleSpec.of(s.definition()));
    } catch (RuntimeException e) {
      spec = Optional.empty();
      problem = e.getMessage();
    }
    List<Instant> next = List.of();
    if (spec.isPresent() && spec.get().enabled() && s.state().nextRunAt().isPresent()) {
      // The stored next run is the truth (it may be a deferred or overdue one); the rest follow it.
      Instant first = s.state().nextRunAt().get();
      next = new java.util.ArrayList<>(List.of(first));
      next.addAll(spec.get().nextRuns(first, PREVIEW - 1));
    }
    Optional<JobState> state = Optional.empty();
    String stateProblem = "";
    if (s.state().lastJobId().isPresent()) {
      try {
        state = jobs.state(s.state().lastJobId().get());
        if (state.isEmpty()) stateProblem = "the scan service does not know this job";
      } catch (RuntimeException e) {
        stateProblem = e.getMessage();
      }
    }
    return new View(s, spec, problem, List.copyOf(next), state, stateProblem);
  }
}
