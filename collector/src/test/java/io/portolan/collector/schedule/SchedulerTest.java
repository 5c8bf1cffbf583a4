package io.portolan.collector.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.portolan.collector.scan.JobState;
import io.portolan.collector.scan.ScanCategory;
import io.portolan.collector.scan.ScanScope;
import io.portolan.collector.scan.ScanTrigger;
import io.portolan.collector.scan.ScansUnavailable;
import io.portolan.collector.store.PageRequest;
import io.portolan.collector.store.ScheduleStore.ScheduleEvent;
import io.portolan.collector.store.ScheduleStore.StoredSchedule;
import io.portolan.collector.store.Store;
import io.portolan.collector.store.jdbc.DatabaseSettings;
import io.portolan.collector.store.jdbc.JdbcStore;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The firing loop against a real (in-memory H2) store, a fake scan service and a clock the test
 * moves: no sleeping, each pass is one {@link Scheduler#runDue()}.
 */
class SchedulerTest {
  static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  static Store store;

  TestClock clock;
  FakeScanJobs jobs;
  Scheduler scheduler;
  ScheduleService service;

  @BeforeAll
  static void openStore() {
    store = JdbcStore.open(new DatabaseSettings("jdbc:h2:mem:sched-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
        "sa", "", 4));
  }

  @AfterAll
  static void closeStore() {
    store.close();
  }

  @BeforeEach
  void clean() {
    for (var s : store.schedules(new PageRequest(1, 500)).items()) store.deleteSchedule(s.id());
    clock = new TestClock("2024-06-01T00:00:00Z");
    jobs = new FakeScanJobs();
    scheduler = new Scheduler(store, jobs, clock, "collector-a", Duration.ofSeconds(30));
    service = new ScheduleService(store, jobs, clock, scheduler::wake);
  }

  static ScheduleSpec spec(String name, Recurrence r, Optional<AllowedWindow> window) {
    return new ScheduleSpec(name, true, ScanScope.allImages(), Set.of(ScanCategory.VULNERABILITIES), false, r, BERLIN,
        window);
  }

  static Recurrence daily(String at) {
    return new Recurrence.Daily(LocalTime.parse(at));
  }

  static Optional<AllowedWindow> window(String start, String end, AllowedWindow.OnEnd onEnd) {
    return Optional.of(new AllowedWindow(LocalTime.parse(start), LocalTime.parse(end), onEnd));
  }

  StoredSchedule stored(String id) {
    return store.schedule(id).orElseThrow();
  }

  List<String> eventKinds(String id) {
    return store.scheduleEvents(id, PageRequest.FIRST).items().reversed().stream().map(ScheduleEvent::kind).toList();
  }

  ScheduleEvent lastEvent(String id) {
    return store.scheduleEvents(id, PageRequest.FIRST).items().get(0);
  }

  /** Moves the clock in steps, running the loop at each, as the real thread would. */
  void runUntil(String instant, Duration step) {
    Instant end = Instant.parse(instant);
    while (clock.instant().isBefore(end)) {
      clock.advance(step);
      if (clock.instant().isAfter(end)) clock.set(instant);
      scheduler.runDue();
    }
  }

  @Test
  void firesAtItsTimeOnceAndComputesTheNext() {
    String id = service.create(spec("nightly", daily("02:30"), Optional.empty())).stored().id();
    assertThat(stored(id).state().nextRunAt()).contains(Instant.parse("2024-06-01T00:30:00Z"));

    clock.set("2024-06-01T00:29:59Z");
    assertThat(scheduler.runDue()).isZero();
    assertThat(jobs.submits()).isZero();

    clock.set("2024-06-01T00:30:00Z");
    assertThat(scheduler.runDue()).isEqualTo(1);
    assertThat(scheduler.runDue()).isZero();
    assertThat(jobs.submitted).singleElement().satisfies(r -> {
      assertThat(r.trigger()).isEqualTo(ScanTrigger.SCHEDULE);
      assertThat(r.scheduleId()).contains(id);
      assertThat(r.requestedBy()).isEqualTo("schedule:nightly");
      assertThat(r.scope()).isEqualTo(ScanScope.allImages());
      assertThat(r.categories()).containsExactly(ScanCategory.VULNERABILITIES);
    });
    var s = stored(id).state();
    assertThat(s.lastJobId()).contains("job-1");
    assertThat(s.lastStartedAt()).contains(Instant.parse("2024-06-01T00:30:00Z"));
    assertThat(s.lastOutcome()).contains("SUBMITTED");
    assertThat(s.nextRunAt()).contains(Instant.parse("2024-06-02T00:30:00Z"));
    assertThat(lastEvent(id).collectorId()).isEqualTo("collector-a");

    jobs.finish("job-1", JobState.SUCCEEDED);
    var view = service.get(id).orElseThrow();
    assertThat(view.lastJobState()).contains(JobState.SUCCEEDED);
    assertThat(view.nextRuns()).hasSize(ScheduleService.PREVIEW).first()
        .isEqualTo(Instant.parse("2024-06-02T00:30:00Z"));
  }

  @Test
  void firesAtTheRightLocalTimesThroughBothDstChanges() {
    jobs.finishAtOnce();
    clock.set("2024-03-29T12:00:00Z");
    String id = service.create(spec("dst", daily("02:30"), Optional.empty())).stored().id();
    // Ticking every 30 minutes through spring forward (02:30 does not exist on 03-31).
    runUntil("2024-04-02T00:00:00Z", Duration.ofMinutes(30));
    List<Instant> starts = store.scheduleEvents(id, PageRequest.FIRST).items().reversed().stream()
        .map(ScheduleEvent::at).toList();
    assertThat(starts).containsExactly(Instant.parse("2024-03-30T01:30:00Z"), Instant.parse("2024-03-31T01:30:00Z"),
        Instant.parse("2024-04-01T00:30:00Z"));

    // And through fall back (02:30 happens twice on 10-27: one run).
    clock.set("2024-10-26T12:00:00Z");
    service.update(id, spec("dst", daily("02:30"), Optional.empty()));
    int before = jobs.submits();
    runUntil("2024-10-28T12:00:00Z", Duration.ofMinutes(30));
    assertThat(jobs.submits() - before).isEqualTo(2);
    assertThat(store.scheduleEvents(id, new PageRequest(1, 2)).items().reversed()).extracting(ScheduleEvent::at)
        .containsExactly(Instant.parse("2024-10-27T00:30:00Z"), Instant.parse("2024-10-28T01:30:00Z"));
  }

  @Test
  void aRunMissedDuringDowntimeHappensOnceNotOncePerSlot() {
    String id = service.create(spec("hourly", Recurrence.Cron.parse("0 * * * *"), Optional.empty())).stored().id();
    // No collector ran for three days: 72 slots went by.
    clock.set("2024-06-04T00:20:00Z");
    assertThat(scheduler.runDue()).isEqualTo(1);
    assertThat(scheduler.runDue()).isZero();
    assertThat(jobs.submits()).isEqualTo(1);
    assertThat(lastEvent(id).detail()).contains("started late, once for all the runs missed since")
        .contains("2024-06-01 03:00");
    assertThat(stored(id).state().nextRunAt()).contains(Instant.parse("2024-06-04T01:00:00Z"));
  }

  @Test
  void aSlotIsSkippedWhileThePreviousRunIsUnfinished() {
    String id = service.create(spec("hourly", Recurrence.Cron.parse("0 * * * *"), Optional.empty())).stored().id();
    runUntil("2024-06-01T01:00:00Z", Duration.ofMinutes(1));
    assertThat(jobs.submits()).isEqualTo(1);
    runUntil("2024-06-01T02:00:00Z", Duration.ofMinutes(1));
    assertThat(jobs.submits()).isEqualTo(1);
    assertThat(lastEvent(id).kind()).isEqualTo("SKIPPED");
    assertThat(lastEvent(id).detail()).isEqualTo("the previous run job-1 is still RUNNING");
    assertThat(stored(id).state().lastOutcome()).contains("SKIPPED");
    assertThat(stored(id).state().lastJobId()).contains("job-1");

    jobs.finish("job-1", JobState.FAILED);
    runUntil("2024-06-01T03:00:00Z", Duration.ofMinutes(1));
    assertThat(jobs.submits()).isEqualTo(2);
    assertThat(eventKinds(id)).containsExactly("SUBMITTED", "SKIPPED", "SUBMITTED");
  }

  @Test
  void aWindowPausesUnfinishedWorkAndResumesItInTheNextWindow() {
    // Every day at 01:00 Berlin (23:00Z in summer), allowed 01:00-05:00.
    String id = service.create(spec("night", daily("01:00"), window("01:00", "05:00", AllowedWindow.OnEnd.PAUSE)))
        .stored().id();
    runUntil("2024-06-01T23:00:00Z", Duration.ofMinutes(5));
    assertThat(jobs.calls).containsExactly("submit job-1");
    assertThat(stored(id).state().windowDueAt()).contains(Instant.parse("2024-06-02T03:00:00Z"));

    // 05:00 local: the job is still running, so it is paused until 01:00 the next night.
    runUntil("2024-06-02T03:00:00Z", Duration.ofMinutes(5));
    assertThat(jobs.calls).containsExactly("submit job-1", "pause job-1");
    assertThat(jobs.state("job-1")).contains(JobState.PAUSED);
    assertThat(stored(id).state().jobPaused()).isTrue();
    assertThat(lastEvent(id).detail()).contains("resumes at 2024-06-03 01:00 CEST");
    runUntil("2024-06-02T22:55:00Z", Duration.ofMinutes(5));
    assertThat(jobs.calls).hasSize(2);

    // The next window: the work resumes, and the new slot is skipped because that work goes on.
    runUntil("2024-06-02T23:00:00Z", Duration.ofMinutes(5));
    assertThat(jobs.calls).containsExactly("submit job-1", "pause job-1", "resume job-1");
    assertThat(jobs.state("job-1")).contains(JobState.RUNNING);
    assertThat(eventKinds(id)).containsExactly("SUBMITTED", "PAUSED", "RESUMED", "SKIPPED");

    // It finishes inside the window: nothing happens at the window's end; the next night runs anew.
    jobs.finish("job-1", JobState.SUCCEEDED);
    runUntil("2024-06-03T23:00:00Z", Duration.ofMinutes(5));
    assertThat(jobs.calls).containsExactly("submit job-1", "pause job-1", "resume job-1", "submit job-2");
    assertThat(stored(id).state().jobPaused()).isFalse();
  }

  @Test
  void theCancelPolicyCancelsWorkLeftAtTheWindowsEnd() {
    String id = service.create(spec("strict", daily("22:00"), window("22:00", "02:00", AllowedWindow.OnEnd.CANCEL)))
        .stored().id();
    runUntil("2024-06-02T00:05:00Z", Duration.ofMinutes(5)); // 02:05 local
    assertThat(jobs.calls).hasSize(2);
    assertThat(jobs.calls.get(1)).startsWith("cancel job-1: the allowed window 22:00-02:00 (Europe/Berlin) of"
        + " schedule 'strict' ended with the job RUNNING");
    assertThat(jobs.state("job-1")).contains(JobState.CANCELLED);
    assertThat(stored(id).state().windowDueAt()).isEmpty();
    assertThat(stored(id).state().lastOutcome()).contains("CANCELLED");
    runUntil("2024-06-02T20:00:00Z", Duration.ofMinutes(5));
    assertThat(jobs.submits()).isEqualTo(2);
  }

  @Test
  void aRunDueOutsideItsWindowWaitsForTheWindow() {
    String id = service.create(spec("night", daily("01:00"), window("01:00", "05:00", AllowedWindow.OnEnd.PAUSE)))
        .stored().id();
    // The collector was down from before 01:00 until 09:00 local: the run waits for the next night.
    clock.set("2024-06-02T07:00:00Z");
    scheduler.runDue();
    assertThat(jobs.submits()).isZero();
    assertThat(lastEvent(id).kind()).isEqualTo("DEFERRED");
    assertThat(stored(id).state().nextRunAt()).contains(Instant.parse("2024-06-02T23:00:00Z"));
    runUntil("2024-06-02T23:00:00Z", Duration.ofMinutes(30));
    assertThat(jobs.submits()).isEqualTo(1);
  }

  @Test
  void aScanServiceThatRefusesIsRecordedAndTheScheduleMovesOn() {
    jobs.failWith(new IllegalStateException(ScansUnavailable.REASON));
    String id = service.create(spec("nightly", daily("02:30"), Optional.empty())).stored().id();
    clock.set("2024-06-01T00:30:00Z");
    assertThat(scheduler.runDue()).isEqualTo(1);
    var s = stored(id).state();
    assertThat(s.lastOutcome()).contains("FAILED_TO_START");
    assertThat(s.lastDetail()).isEqualTo("the scan was not started: " + ScansUnavailable.REASON);
    assertThat(s.lastJobId()).isEmpty();
    assertThat(s.nextRunAt()).contains(Instant.parse("2024-06-02T00:30:00Z"));
    assertThat(service.get(id).orElseThrow().lastJobState()).isEmpty();
  }

  @Test
  void disabledSchedulesDoNotFireAndEditsTakeEffect() {
    var disabled = new ScheduleSpec("off", false, ScanScope.allImages(), Set.of(ScanCategory.VULNERABILITIES), false,
        daily("00:10"), ZoneId.of("UTC"), Optional.empty());
    String id = service.create(disabled).stored().id();
    assertThat(service.get(id).orElseThrow().nextRuns()).isEmpty();
    runUntil("2024-06-03T00:00:00Z", Duration.ofMinutes(30));
    assertThat(jobs.submits()).isZero();

    service.update(id, new ScheduleSpec("on", true, new ScanScope(ScanScope.Kind.REPOSITORIES, List.of("nginx")),
        Set.of(ScanCategory.VULNERABILITIES), true, daily("00:10"), ZoneId.of("UTC"), Optional.empty()));
    assertThat(stored(id).state().nextRunAt()).contains(Instant.parse("2024-06-03T00:10:00Z"));
    runUntil("2024-06-03T00:10:00Z", Duration.ofMinutes(5));
    assertThat(jobs.submitted).singleElement().satisfies(r -> {
      assertThat(r.scope().ids()).containsExactly("nginx");
      assertThat(r.force()).isTrue();
      assertThat(r.requestedBy()).isEqualTo("schedule:on");
    });
    assertThat(service.delete(id)).isTrue();
    assertThat(service.get(id)).isEmpty();
    assertThat(store.scheduleEvents(id, PageRequest.FIRST).total()).isZero();
  }

  @Test
  void removingTheWindowResumesAPausedJob() {
    String id = service.create(spec("night", daily("01:00"), window("01:00", "05:00", AllowedWindow.OnEnd.PAUSE)))
        .stored().id();
    runUntil("2024-06-02T03:00:00Z", Duration.ofMinutes(5));
    assertThat(jobs.state("job-1")).contains(JobState.PAUSED);
    clock.set("2024-06-02T10:00:00Z");
    service.update(id, spec("night", daily("01:00"), Optional.empty()));
    scheduler.runDue();
    assertThat(jobs.state("job-1")).contains(JobState.RUNNING);
    assertThat(lastEvent(id).detail()).isEqualTo("the schedule no longer has an allowed window");
  }
}
