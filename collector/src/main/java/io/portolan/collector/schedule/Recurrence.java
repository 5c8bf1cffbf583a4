package io.portolan.collector.schedule;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.portolan.collector.store.ScheduleStore.RecurrenceColumns;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.TextStyle;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * When a schedule fires, as wall-clock times: each kind yields the local date-times that match, with
 * no time zone. {@link FireTimes} turns them into instants in the schedule's zone, which is where
 * daylight saving time is dealt with, once for every kind.
 */
public sealed interface Recurrence {

  /** The first matching local date-time strictly after {@code t}; empty if there is none. */
  Optional<LocalDateTime> nextAfter(LocalDateTime t);

  /** In words, for the API and logs: "every day at 02:30". */
  String describe();

  RecurrenceColumns columns();

  /** Every day at {@code at}. */
  record Daily(LocalTime at) implements Recurrence {
    public Daily {
      at = minutes(at);
    }

    @Override
    public Optional<LocalDateTime> nextAfter(LocalDateTime t) {
      LocalDateTime today = t.toLocalDate().atTime(at);
      return Optional.of(today.isAfter(t) ? today : today.plusDays(1));
    }

    @Override
    public String describe() {
      return "every day at " + at;
    }

    @Override
    public RecurrenceColumns columns() {
      return new RecurrenceColumns("DAILY", Optional.of(at), Optional.empty(), Optional.empty(), List.of(),
          Optional.empty());
    }
  }

  /** Every {@code days} days at {@code at}, counted from {@code start} (which is the first day). */
  record EveryDays(int days, LocalDate start, LocalTime at) implements Recurrence {
    public static final int MAX_DAYS = 366;

    public EveryDays {
      if (days < 1 || days > MAX_DAYS)
        throw new IllegalArgumentException("every-days needs a number of days from 1 to " + MAX_DAYS + ", got " + days);
      Objects.requireNonNull(start, "start");
      at = minutes(at);
    }

    @Override
    public Optional<LocalDateTime> nextAfter(LocalDateTime t) {
      LocalDateTime first = start.atTime(at);
      if (first.isAfter(t)) return Optional.of(first);
      long periods = ChronoUnit.DAYS.between(start, t.toLocalDate()) / days;
      LocalDateTime candidate = start.plusDays(periods * days).atTime(at);
      return Optional.of(candidate.isAfter(t) ? candidate : candidate.plusDays(days));
    }

    @Override
    public String describe() {
      return "every " + days + " days at " + at + " from " + start;
    }

    @Override
    public RecurrenceColumns columns() {
      return new RecurrenceColumns("EVERY_DAYS", Optional.of(at), Optional.of(days), Optional.of(start), List.of(),
          Optional.empty());
    }
  }

  /** On each of {@code weekdays} at {@code at}. */
  record Weekly(Set<DayOfWeek> weekdays, LocalTime at) implements Recurrence {
    public Weekly {
      if (weekdays.isEmpty()) throw new IllegalArgumentException("weekly needs at least one weekday");
      weekdays = Set.copyOf(EnumSet.copyOf(weekdays));
      at = minutes(at);
    }

    @Override
    public Optional<LocalDateTime> nextAfter(LocalDateTime t) {
      LocalDate day = t.toLocalDate();
      for (int i = 0; i <= 7; i++) {
        LocalDateTime candidate = day.plusDays(i).atTime(at);
        if (candidate.isAfter(t) && weekdays.contains(candidate.getDayOfWeek())) return Optional.of(candidate);
      }
      throw new IllegalStateException("unreachable: a week always holds one of " + weekdays);
    }

    @Override
    public String describe() {
      return "every " + ordered().stream().map(d -> d.getDisplayName(TextStyle.FULL, Locale.ENGLISH))
          .collect(Collectors.joining(", ")) + " at " + at;
    }

    private List<DayOfWeek> ordered() {
      return EnumSet.copyOf(weekdays).stream().toList();
    }

    @Override
    public RecurrenceColumns columns() {
      return new RecurrenceColumns("WEEKLY", Optional.of(at), Optional.empty(), Optional.empty(), ordered(),
          Optional.empty());
    }
  }

  /**
   * A standard five-field cron expression (minute hour day-of-month month day-of-week, as in
   * crontab(5)), or one of its nicknames (@daily, @weekly...). Parsed and matched by cron-utils.
   */
  record Cron(String expression, ExecutionTime execution) implements Recurrence {
    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final Map<String, String> NICKNAMES = Map.of(
        "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *", "@monthly", "0 0 1 * *", "@weekly", "0 0 * * 0",
        "@daily", "0 0 * * *", "@midnight", "0 0 * * *", "@hourly", "0 * * * *");
    /** A cron with no match this far ahead is refused: it would never run (e.g. February 30). */
    private static final int HORIZON_YEARS = 5;

    /** Parses and checks {@code expression}; the message of the exception says what is wrong. */
    public static Cron parse(String expression) {
      String e = expression.strip().replaceAll("\\s+", " ");
      if (e.isEmpty()) throw new IllegalArgumentException("the cron expression is empty");
      if (e.length() > 200) throw new IllegalArgumentException("the cron expression is longer than 200 characters");
      String fields = NICKNAMES.getOrDefault(e.toLowerCase(Locale.ROOT), e);
      if (fields.startsWith("@"))
        throw new IllegalArgumentException("unknown cron nickname '" + e + "'; known: " + String.join(", ",
            NICKNAMES.keySet().stream().sorted().toList()));
      ExecutionTime execution;
      try {
        var cron = PARSER.parse(fields);
        cron.validate();
        execution = ExecutionTime.forCron(cron);
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException("invalid cron expression '" + e + "': " + ex.getMessage()
            + " (expected five fields: minute hour day-of-month month day-of-week)");
      }
      Cron cron = new Cron(e, execution);
      LocalDateTime from = LocalDateTime.of(2000, 1, 1, 0, 0);
      Optional<LocalDateTime> next = cron.nextAfter(from);
      if (next.isEmpty() || next.get().isAfter(from.plusYears(HORIZON_YEARS))) {
        // Leap days only come every four years; anything rarer than five years never fires in practice.
        throw new IllegalArgumentException("the cron expression '" + e + "' never matches a date");
      }
      return cron;
    }

    @Override
    public Optional<LocalDateTime> nextAfter(LocalDateTime t) {
      // Matched in UTC, which has no DST, so this is pure wall-clock arithmetic.
      return execution.nextExecution(t.atZone(ZoneOffset.UTC)).map(z -> z.toLocalDateTime());
    }

    @Override
    public String describe() {
      return "cron " + expression;
    }

    @Override
    public RecurrenceColumns columns() {
      return new RecurrenceColumns("CRON", Optional.empty(), Optional.empty(), Optional.empty(), List.of(),
          Optional.of(expression));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Cron c && c.expression.equals(expression);
    }

    @Override
    public int hashCode() {
      return expression.hashCode();
    }
  }

  /** Rebuilds a recurrence from its stored columns. */
  static Recurrence of(RecurrenceColumns c) {
    return switch (c.kind()) {
      case "DAILY" -> new Daily(required(c.at(), "at"));
      case "EVERY_DAYS" -> new EveryDays(required(c.everyDays(), "every_days"), required(c.startDate(), "start_date"),
          required(c.at(), "at"));
      case "WEEKLY" -> new Weekly(EnumSet.copyOf(c.weekdays().isEmpty() ? EnumSet.noneOf(DayOfWeek.class)
          : EnumSet.copyOf(c.weekdays())), required(c.at(), "at"));
      case "CRON" -> Cron.parse(required(c.cron(), "cron"));
      default -> throw new IllegalArgumentException("unknown recurrence kind '" + c.kind() + "'");
    };
  }

  private static <T> T required(Optional<T> value, String what) {
    return value.orElseThrow(() -> new IllegalArgumentException("the recurrence lacks its " + what));
  }

  /** Schedules fire on the minute: seconds would only make the API and the console disagree. */
  private static LocalTime minutes(LocalTime t) {
    Objects.requireNonNull(t, "at");
    return t.truncatedTo(ChronoUnit.MINUTES);
  }
}
