package io.portolan.collector.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.collector.scan.ScanCategory;
import io.portolan.collector.scan.ScanScope;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Fire times of every recurrence kind, in zones with daylight saving time, on the days clocks change. */
class FireTimesTest {
  static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  /** The next {@code n} fire instants after {@code from}. */
  static List<Instant> fires(Recurrence r, ZoneId zone, String from, int n) {
    List<Instant> out = new ArrayList<>();
    Instant t = Instant.parse(from);
    for (int i = 0; i < n; i++) {
      t = FireTimes.nextAfter(r, zone, t).orElseThrow();
      out.add(t);
    }
    return out;
  }

  static List<Instant> instants(String... s) {
    return java.util.Arrays.stream(s).map(Instant::parse).toList();
  }

  static LocalTime hm(String s) {
    return LocalTime.parse(s);
  }

  @Test
  void dailyKeepsItsLocalTimeAcrossBothBerlinChanges() {
    // 2024-03-31 02:00 CET -> 03:00 CEST; 2024-10-27 03:00 CEST -> 02:00 CET.
    var daily = new Recurrence.Daily(hm("04:15"));
    assertThat(fires(daily, BERLIN, "2024-03-30T00:00:00Z", 3))
        .containsExactlyElementsOf(instants("2024-03-30T03:15:00Z", "2024-03-31T02:15:00Z", "2024-04-01T02:15:00Z"));
    assertThat(fires(daily, BERLIN, "2024-10-26T00:00:00Z", 3))
        .containsExactlyElementsOf(instants("2024-10-26T02:15:00Z", "2024-10-27T03:15:00Z", "2024-10-28T03:15:00Z"));
  }

  @Test
  void aLocalTimeSkippedBySpringForwardFiresOnceAtTheShiftedInstant() {
    var daily = new Recurrence.Daily(hm("02:30"));
    // Berlin: 02:30 does not exist on 2024-03-31; it fires at 03:30 CEST (01:30Z), once.
    assertThat(fires(daily, BERLIN, "2024-03-30T00:00:00Z", 3))
        .containsExactlyElementsOf(instants("2024-03-30T01:30:00Z", "2024-03-31T01:30:00Z", "2024-04-01T00:30:00Z"));
    // New York: 2024-03-10 02:00 EST -> 03:00 EDT; 02:30 fires at 03:30 EDT (07:30Z).
    assertThat(fires(daily, NEW_YORK, "2024-03-09T00:00:00Z", 3))
        .containsExactlyElementsOf(instants("2024-03-09T07:30:00Z", "2024-03-10T07:30:00Z", "2024-03-11T06:30:00Z"));
  }

  @Test
  void aLocalTimeRepeatedByFallBackFiresOnceAtItsFirstOccurrence() {
    // Berlin 2024-10-27: 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET).
    var daily = new Recurrence.Daily(hm("02:30"));
    assertThat(fires(daily, BERLIN, "2024-10-26T12:00:00Z", 2))
        .containsExactlyElementsOf(instants("2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"));
    // Asked from between the two occurrences, the second one does not fire.
    assertThat(FireTimes.nextAfter(daily, BERLIN, Instant.parse("2024-10-27T01:00:00Z")))
        .contains(Instant.parse("2024-10-28T01:30:00Z"));
    // New York 2024-11-03: 01:30 happens at 05:30Z (EDT) and 06:30Z (EST).
    var ny = new Recurrence.Daily(hm("01:30"));
    assertThat(fires(ny, NEW_YORK, "2024-11-02T12:00:00Z", 2))
        .containsExactlyElementsOf(instants("2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"));
    assertThat(FireTimes.nextAfter(ny, NEW_YORK, Instant.parse("2024-11-03T06:00:00Z")))
        .contains(Instant.parse("2024-11-04T06:30:00Z"));
  }

  @Test
  void everyNDaysCountsCalendarDaysFromTheStartDate() {
    var every7 = new Recurrence.EveryDays(7, LocalDate.parse("2024-03-20"), hm("02:30"));
    // Before the start: the start itself. Across spring forward the 7-day step stays at 02:30 local.
    assertThat(fires(every7, BERLIN, "2024-03-01T00:00:00Z", 3)).containsExactlyElementsOf(
        instants("2024-03-20T01:30:00Z", "2024-03-27T01:30:00Z", "2024-04-03T00:30:00Z"));
    var every15 = new Recurrence.EveryDays(15, LocalDate.parse("2024-01-01"), hm("23:00"));
    assertThat(fires(every15, NEW_YORK, "2024-02-20T00:00:00Z", 2)).containsExactlyElementsOf(
        instants("2024-03-02T04:00:00Z", "2024-03-17T03:00:00Z"));
    var every30 = new Recurrence.EveryDays(30, LocalDate.parse("2024-09-28"), hm("02:30"));
    // 2024-10-28 is the day after Berlin's fall back: a normal day.
    assertThat(fires(every30, BERLIN, "2024-09-28T00:29:59Z", 2)).containsExactlyElementsOf(
        instants("2024-09-28T00:30:00Z", "2024-10-28T01:30:00Z"));
    // Landing exactly on the fall-back day: once, the first 02:30.
    var onFallBack = new Recurrence.EveryDays(30, LocalDate.parse("2024-09-27"), hm("02:30"));
    assertThat(fires(onFallBack, BERLIN, "2024-10-01T00:00:00Z", 2)).containsExactlyElementsOf(
        instants("2024-10-27T00:30:00Z", "2024-11-26T01:30:00Z"));
  }

  @Test
  void weeklyFiresOnTheChosenDaysOnly() {
    var weekly = new Recurrence.Weekly(EnumSet.of(DayOfWeek.SUNDAY, DayOfWeek.WEDNESDAY), hm("02:30"));
    // 2024-03-31 is a Sunday and Berlin's spring-forward day.
    assertThat(fires(weekly, BERLIN, "2024-03-26T00:00:00Z", 4)).containsExactlyElementsOf(instants(
        "2024-03-27T01:30:00Z", "2024-03-31T01:30:00Z", "2024-04-03T00:30:00Z", "2024-04-07T00:30:00Z"));
    // 2024-11-03 is a Sunday and New York's fall-back day.
    var ny = new Recurrence.Weekly(Set.of(DayOfWeek.SUNDAY), hm("01:30"));
    assertThat(fires(ny, NEW_YORK, "2024-10-30T00:00:00Z", 2)).containsExactlyElementsOf(instants(
        "2024-11-03T05:30:00Z", "2024-11-10T06:30:00Z"));
    assertThatThrownBy(() -> new Recurrence.Weekly(Set.of(), hm("01:00"))).hasMessageContaining("at least one weekday");
  }

  @Test
  void cronSkippedTimesFireOnceEachAndNoInstantTwice() {
    var halfHourly = Recurrence.Cron.parse("*/30 * * * *");
    // Berlin spring forward at 01:00Z: local 02:00 and 02:30 do not exist; 03:00 and 03:30 coincide with them.
    assertThat(fires(halfHourly, BERLIN, "2024-03-31T00:00:00Z", 5)).containsExactlyElementsOf(instants(
        "2024-03-31T00:30:00Z", "2024-03-31T01:00:00Z", "2024-03-31T01:30:00Z", "2024-03-31T02:00:00Z",
        "2024-03-31T02:30:00Z"));
    var at0230 = Recurrence.Cron.parse("30 2 * * *");
    assertThat(fires(at0230, NEW_YORK, "2024-03-09T12:00:00Z", 2)).containsExactlyElementsOf(instants(
        "2024-03-10T07:30:00Z", "2024-03-11T06:30:00Z"));
  }

  @Test
  void cronRepeatedWallClockTimesFireOnce() {
    var halfHourly = Recurrence.Cron.parse("*/30 * * * *");
    // Berlin fall back at 01:00Z: 02:00 and 02:30 local fire in the CEST pass only.
    assertThat(fires(halfHourly, BERLIN, "2024-10-26T23:45:00Z", 4)).containsExactlyElementsOf(instants(
        "2024-10-27T00:00:00Z", "2024-10-27T00:30:00Z", "2024-10-27T02:00:00Z", "2024-10-27T02:30:00Z"));
    var at0130 = Recurrence.Cron.parse("30 1 * * 0");
    assertThat(fires(at0130, NEW_YORK, "2024-11-01T00:00:00Z", 2)).containsExactlyElementsOf(instants(
        "2024-11-03T05:30:00Z", "2024-11-10T06:30:00Z"));
  }

  @Test
  void cronExpressionsAreCheckedWithReadableReasons() {
    assertThat(Recurrence.Cron.parse("@daily").nextAfter(java.time.LocalDateTime.parse("2024-01-01T10:00")))
        .contains(java.time.LocalDateTime.parse("2024-01-02T00:00"));
    assertThat(Recurrence.Cron.parse("0  4 * *   1-5").expression()).isEqualTo("0 4 * * 1-5");
    assertThatThrownBy(() -> Recurrence.Cron.parse("61 * * * *")).hasMessageContaining("61")
        .hasMessageContaining("invalid cron expression");
    assertThatThrownBy(() -> Recurrence.Cron.parse("* * *")).hasMessageContaining("five fields");
    assertThatThrownBy(() -> Recurrence.Cron.parse("0 0 30 2 *")).hasMessageContaining("never matches");
    assertThatThrownBy(() -> Recurrence.Cron.parse("@sometimes")).hasMessageContaining("unknown cron nickname");
    assertThatThrownBy(() -> Recurrence.Cron.parse("  ")).hasMessageContaining("empty");
    // Leap day only: rare but real.
    assertThat(Recurrence.Cron.parse("0 0 29 2 *").nextAfter(java.time.LocalDateTime.parse("2025-03-01T00:00")))
        .contains(java.time.LocalDateTime.parse("2028-02-29T00:00"));
  }

  @Test
  void recurrencesRoundTripThroughTheirColumns() {
    List<Recurrence> all = List.of(new Recurrence.Daily(hm("02:30")),
        new Recurrence.EveryDays(15, LocalDate.parse("2024-01-01"), hm("23:00")),
        new Recurrence.Weekly(EnumSet.of(DayOfWeek.MONDAY, DayOfWeek.FRIDAY), hm("06:05")),
        Recurrence.Cron.parse("5 4 * * 1-5"));
    for (Recurrence r : all) assertThat(Recurrence.of(r.columns())).isEqualTo(r);
    assertThatThrownBy(() -> new Recurrence.EveryDays(0, LocalDate.parse("2024-01-01"), hm("01:00")))
        .hasMessageContaining("from 1 to");
  }

  @Test
  void aWindowAcrossMidnightAndTheRunsItMoves() {
    var w = new AllowedWindow(hm("22:00"), hm("04:00"), AllowedWindow.OnEnd.PAUSE);
    Instant late = Instant.parse("2024-06-01T21:30:00Z"); // 23:30 CEST
    assertThat(w.containing(late, BERLIN)).contains(
        new AllowedWindow.Span(Instant.parse("2024-06-01T20:00:00Z"), Instant.parse("2024-06-02T02:00:00Z")));
    assertThat(w.containing(Instant.parse("2024-06-02T01:59:00Z"), BERLIN)).isPresent();
    assertThat(w.containing(Instant.parse("2024-06-02T02:00:00Z"), BERLIN)).isEmpty();
    assertThat(w.nextAfter(Instant.parse("2024-06-02T02:00:00Z"), BERLIN).start())
        .isEqualTo(Instant.parse("2024-06-02T20:00:00Z"));
    // The night Berlin falls back is an hour longer.
    var night = w.on(LocalDate.parse("2024-10-26"), BERLIN);
    assertThat(java.time.Duration.between(night.start(), night.end())).hasHours(7);
    assertThatThrownBy(() -> new AllowedWindow(hm("01:00"), hm("01:00"), AllowedWindow.OnEnd.CANCEL))
        .hasMessageContaining("empty");

    // A daily 12:00 run outside a 01:00-05:00 window waits for the window; the preview shows that.
    var spec = new ScheduleSpec("noon", true, ScanScope.allImages(), Set.of(ScanCategory.VULNERABILITIES), false,
        new Recurrence.Daily(hm("12:00")), BERLIN,
        Optional.of(new AllowedWindow(hm("01:00"), hm("05:00"), AllowedWindow.OnEnd.PAUSE)));
    assertThat(spec.nextRuns(Instant.parse("2024-06-01T00:00:00Z"), 2)).containsExactlyElementsOf(instants(
        "2024-06-01T23:00:00Z", "2024-06-02T23:00:00Z"));
  }

  @Test
  void unsupportedCategoriesAndBadNamesAreRefused() {
    var daily = new Recurrence.Daily(hm("01:00"));
    assertThatThrownBy(() -> new ScheduleSpec("x", true, ScanScope.allImages(), Set.of(ScanCategory.MALWARE), false,
        daily, BERLIN, Optional.empty())).hasMessageContaining("'malware' is not supported")
        .hasMessageContaining("vulnerabilities");
    assertThatThrownBy(() -> new ScheduleSpec(" ", true, ScanScope.allImages(), Set.of(ScanCategory.VULNERABILITIES),
        false, daily, BERLIN, Optional.empty())).hasMessageContaining("needs a name");
    assertThatThrownBy(() -> new ScheduleSpec("x", true, ScanScope.allImages(), Set.of(), false, daily, BERLIN,
        Optional.empty())).hasMessageContaining("at least one scan category");
  }
}
