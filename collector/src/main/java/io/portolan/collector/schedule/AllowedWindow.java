package io.portolan.collector.schedule;

import io.portolan.collector.store.ScheduleStore.WindowColumns;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The local hours in which a schedule's work may run, e.g. 01:00-05:00, or 22:00-04:00 across
 * midnight. Each day's window is the span from that day's start to the next end, both resolved in
 * the schedule's zone like fire times (see {@link FireTimes}), so a night that loses or gains an
 * hour has a shorter or longer window.
 *
 * @param onEnd what happens to a job still running when the window closes
 */
public record AllowedWindow(LocalTime start, LocalTime end, OnEnd onEnd) {

  /** What happens to unfinished work at the end of the window. */
  public enum OnEnd {
    /** Paused, and resumed when the next window opens. */
    PAUSE,
    /** Cancelled. */
    CANCEL;

    public static OnEnd parse(String s) {
      for (OnEnd e : values()) if (e.name().equalsIgnoreCase(s.strip())) return e;
      throw new IllegalArgumentException("the window's onEnd must be pause or cancel, got '" + s + "'");
    }

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One day's window: [start, end). */
  public record Span(Instant start, Instant end) {
    public boolean contains(Instant t) {
      return !t.isBefore(start) && t.isBefore(end);
    }
  }

  public AllowedWindow {
    Objects.requireNonNull(onEnd, "onEnd");
    start = start.truncatedTo(ChronoUnit.MINUTES);
    end = end.truncatedTo(ChronoUnit.MINUTES);
    if (start.equals(end))
      throw new IllegalArgumentException("the window's start and end are both " + start
          + ": it would be empty (leave the window out to allow any time)");
  }

  public static AllowedWindow of(WindowColumns c) {
    return new AllowedWindow(c.start(), c.end(), OnEnd.parse(c.onEnd()));
  }

  public WindowColumns columns() {
    return new WindowColumns(start, end, onEnd.name());
  }

  public boolean crossesMidnight() {
    return end.isBefore(start);
  }

  /** The window that opens on local date {@code day}. */
  public Span on(LocalDate day, ZoneId zone) {
    LocalDate endDay = crossesMidnight() ? day.plusDays(1) : day;
    return new Span(FireTimes.resolve(day.atTime(start), zone), FireTimes.resolve(endDay.atTime(end), zone));
  }

  /** The window that {@code t} falls in, if any. */
  public Optional<Span> containing(Instant t, ZoneId zone) {
    LocalDate today = LocalDate.ofInstant(t, zone);
    for (int d = -2; d <= 1; d++) {
      Span s = on(today.plusDays(d), zone);
      if (s.contains(t)) return Optional.of(s);
    }
    return Optional.empty();
  }

  /** The first window that opens strictly after {@code t}. */
  public Span nextAfter(Instant t, ZoneId zone) {
    LocalDate today = LocalDate.ofInstant(t, zone);
    for (int d = -1; d <= 4; d++) {
      Span s = on(today.plusDays(d), zone);
      if (s.start().isAfter(t) && s.end().isAfter(s.start())) return s;
    }
    throw new IllegalStateException("no window " + this + " opens within days of " + t + " in " + zone);
  }

  @Override
  public String toString() {
    return start + "-" + end;
  }
}
