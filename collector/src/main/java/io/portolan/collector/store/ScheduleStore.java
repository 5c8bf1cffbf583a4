package io.portolan.collector.store;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The scan schedules side of the store: definitions as the user wrote them, plus the run state the
 * firing loop keeps on each schedule's own row. The store knows columns, not calendars: the
 * schedule package computes fire times and decides what a due schedule does.
 */
public interface ScheduleStore {

  /** Schedules by name. */
  Page<StoredSchedule> schedules(PageRequest page);

  Optional<StoredSchedule> schedule(String id);

  /**
   * Adds a schedule that has not run yet.
   *
   * @throws NameTaken if another schedule has the same name
   */
  void createSchedule(String id, ScheduleDefinition definition, Optional<Instant> nextRunAt, Instant now);

  /**
   * Replaces the definition and the next run time, keeping what the schedule started (its last job,
   * a paused job). A tracked job is re-examined by the firing loop at once under the new window.
   *
   * @return false if there is no such schedule
   * @throws NameTaken if another schedule has the new name
   */
  boolean updateSchedule(String id, ScheduleDefinition definition, Optional<Instant> nextRunAt, Instant now);

  /** Removes the schedule and its events; jobs it started are left alone. False if there was none. */
  boolean deleteSchedule(String id);

  /**
   * Fires up to {@code max} schedules that need the firing loop at {@code now} (enabled with
   * next_run_at due, or with window_due_at due), each in a transaction of its own: the schedule's row
   * is locked with {@code FOR UPDATE SKIP LOCKED} and its due condition checked again, so a row
   * another collector holds or has just advanced is passed over; {@code firing} decides while the
   * lock is held, and the state and events it returns are written in the same transaction. Two
   * collectors therefore never act on the same slot. A transaction is not retried: {@code firing}
   * may have started a job.
   *
   * @return how many schedules were fired; fewer than {@code max} means nothing else is due that
   *     another collector does not hold
   */
  int fireDueSchedules(Instant now, String collectorId, int max, ScheduleFiring firing);

  /** {@link #fireDueSchedules} for one schedule; false if none was due and free. */
  default boolean fireDueSchedule(Instant now, String collectorId, ScheduleFiring firing) {
    return fireDueSchedules(now, collectorId, 1, firing) == 1;
  }

  /** The earliest instant at which some schedule will need the firing loop. */
  Optional<Instant> nextScheduleWake();

  /** What a schedule did, newest first. */
  Page<ScheduleEvent> scheduleEvents(String scheduleId, PageRequest page);

  /** Decides what a claimed schedule does; runs inside the transaction that holds its row. */
  @FunctionalInterface
  interface ScheduleFiring {
    Fired fire(StoredSchedule schedule);
  }

  /** The schedule's new run state, and the events to record. */
  record Fired(RunState state, List<NewEvent> events) {
    public Fired {
      Objects.requireNonNull(state, "state");
      events = List.copyOf(events);
    }
  }

  /** An event to record; {@code kind} as in {@link ScheduleEvent}. */
  record NewEvent(Instant at, String kind, Optional<String> jobId, String detail) {}

  /**
   * A schedule as the user defined it.
   *
   * @param scopeKind ALL_IMAGES, IMAGES, HOSTS or REPOSITORIES
   * @param scopeIds image IDs, host IDs or repository names; none contains a line break
   * @param categories scan category wire names
   * @param timeZone a zone ID, e.g. Europe/Berlin
   */
  record ScheduleDefinition(String name, boolean enabled, String scopeKind, List<String> scopeIds,
      List<String> categories, boolean force, RecurrenceColumns recurrence, String timeZone,
      Optional<WindowColumns> window) {
    public ScheduleDefinition {
      scopeIds = List.copyOf(scopeIds);
      categories = List.copyOf(categories);
    }
  }

  /**
   * The recurrence; the fields its kind does not use are empty.
   *
   * @param kind DAILY, EVERY_DAYS, WEEKLY or CRON
   */
  record RecurrenceColumns(String kind, Optional<LocalTime> at, Optional<Integer> everyDays,
      Optional<LocalDate> startDate, List<DayOfWeek> weekdays, Optional<String> cron) {
    public RecurrenceColumns {
      weekdays = List.copyOf(weekdays);
    }
  }

  /** An allowed window in local time (it may cross midnight) and what happens to work left at its end. */
  record WindowColumns(LocalTime start, LocalTime end, String onEnd) {}

  /**
   * What the firing loop keeps between runs.
   *
   * @param nextRunAt when the next slot fires; empty: never
   * @param windowDueAt when the tracked job next needs a window decision
   * @param jobPaused the last job was paused at a window end and waits for the next window
   * @param lastOutcome SUBMITTED, SKIPPED, FAILED_TO_START, PAUSED, RESUMED, CANCELLED or a final job state
   */
  record RunState(Optional<Instant> nextRunAt, Optional<Instant> windowDueAt, boolean jobPaused,
      Optional<String> lastJobId, Optional<Instant> lastStartedAt, Optional<String> lastOutcome, String lastDetail,
      Optional<Instant> lastOutcomeAt) {
    public static RunState initial(Optional<Instant> nextRunAt) {
      return new RunState(nextRunAt, Optional.empty(), false, Optional.empty(), Optional.empty(), Optional.empty(),
          "", Optional.empty());
    }
  }

  record StoredSchedule(String id, ScheduleDefinition definition, RunState state, Instant created,
      Instant updated) {}

  /**
   * One thing a schedule did.
   *
   * @param seq increasing per schedule
   * @param kind SUBMITTED, SKIPPED, FAILED_TO_START, DEFERRED, PAUSED, RESUMED, CANCELLED, FINISHED or ERROR
   */
  record ScheduleEvent(String scheduleId, long seq, Instant at, String kind, Optional<String> jobId, String detail,
      String collectorId) {}

  /** Another schedule already has this name. */
  final class NameTaken extends StoreException {
    public NameTaken(String name) {
      super("a schedule named '" + name + "' already exists");
    }
  }
}
