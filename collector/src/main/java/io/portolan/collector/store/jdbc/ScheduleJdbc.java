package io.portolan.collector.store.jdbc;

import static io.portolan.collector.store.jdbc.Columns.getTime;
import static io.portolan.collector.store.jdbc.Columns.setTime;

import io.portolan.collector.store.Page;
import io.portolan.collector.store.PageRequest;
import io.portolan.collector.store.ScheduleStore.Fired;
import io.portolan.collector.store.ScheduleStore.NameTaken;
import io.portolan.collector.store.ScheduleStore.NewEvent;
import io.portolan.collector.store.ScheduleStore.RecurrenceColumns;
import io.portolan.collector.store.ScheduleStore.RunState;
import io.portolan.collector.store.ScheduleStore.ScheduleDefinition;
import io.portolan.collector.store.ScheduleStore.ScheduleEvent;
import io.portolan.collector.store.ScheduleStore.ScheduleFiring;
import io.portolan.collector.store.ScheduleStore.StoredSchedule;
import io.portolan.collector.store.ScheduleStore.WindowColumns;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The SQL behind {@link io.portolan.collector.store.ScheduleStore}. */
final class ScheduleJdbc {
  /** Events kept per schedule; older ones are trimmed as new ones arrive. */
  static final int EVENTS_KEPT = 200;
  /** Due schedules looked at per claim; the rest wait for the next claim of the same loop. */
  private static final int CANDIDATES = 50;

  private static final String COLUMNS = "id, name, enabled, scope_kind, scope_ids, categories, force_rescan,"
      + " recurrence, at_time, every_days, start_date, weekdays, cron, time_zone, window_start, window_end,"
      + " window_policy, next_run_at, window_due_at, job_paused, last_job_id, last_started_at, last_outcome,"
      + " last_detail, last_outcome_at, created_at, updated_at";
  private static final String DUE = "((enabled AND next_run_at <= ?) OR window_due_at <= ?)";

  Page<StoredSchedule> list(Connection c, PageRequest page) throws SQLException {
    long total;
    try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM schedules"); ResultSet rs = ps.executeQuery()) {
      rs.next();
      total = rs.getLong(1);
    }
    List<StoredSchedule> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT " + COLUMNS + " FROM schedules ORDER BY name, id LIMIT ? OFFSET ?")) {
      ps.setInt(1, page.size());
      ps.setLong(2, page.offset());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(read(rs));
      }
    }
    return new Page<>(out, total, page.page(), page.size());
  }

  Optional<StoredSchedule> get(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM schedules WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    }
  }

  void create(Connection c, String id, ScheduleDefinition d, Optional<Instant> nextRunAt, Instant now)
      throws SQLException {
    refuseTakenName(c, d.name(), Optional.empty());
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO schedules (id, name, enabled, scope_kind, scope_ids,"
        + " categories, force_rescan, recurrence, at_time, every_days, start_date, weekdays, cron, time_zone,"
        + " window_start, window_end, window_policy, next_run_at, job_paused, created_at, updated_at)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE, ?, ?)")) {
      ps.setString(1, id);
      int i = bindDefinition(ps, 2, d);
      setTime(ps, i++, nextRunAt.orElse(null));
      setTime(ps, i++, now);
      setTime(ps, i, now);
      ps.executeUpdate();
    }
  }

  boolean update(Connection c, String id, ScheduleDefinition d, Optional<Instant> nextRunAt, Instant now)
      throws SQLException {
    if (get(c, id).isEmpty()) return false;
    refuseTakenName(c, d.name(), Optional.of(id));
    // A job the schedule tracks is looked at again right away, under the new window (or none).
    try (PreparedStatement ps = c.prepareStatement("UPDATE schedules SET name = ?, enabled = ?, scope_kind = ?,"
        + " scope_ids = ?, categories = ?, force_rescan = ?, recurrence = ?, at_time = ?, every_days = ?,"
        + " start_date = ?, weekdays = ?, cron = ?, time_zone = ?, window_start = ?, window_end = ?,"
        + " window_policy = ?, next_run_at = ?,"
        + " window_due_at = CASE WHEN last_job_id IS NOT NULL AND (window_due_at IS NOT NULL OR job_paused OR ?)"
        + " THEN ? ELSE NULL END,"
        + " updated_at = ? WHERE id = ?")) {
      int i = bindDefinition(ps, 1, d);
      setTime(ps, i++, nextRunAt.orElse(null));
      ps.setBoolean(i++, d.window().isPresent());
      setTime(ps, i++, now);
      setTime(ps, i++, now);
      ps.setString(i, id);
      return ps.executeUpdate() == 1;
    }
  }

  boolean delete(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM schedule_events WHERE schedule_id = ?")) {
      ps.setString(1, id);
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM schedules WHERE id = ?")) {
      ps.setString(1, id);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Candidates are read without locks, then locked one at a time with the due condition checked
   * again: a row another collector holds is skipped, and a row it has just advanced no longer
   * matches. (A single {@code LIMIT 1 ... SKIP LOCKED} would do on PostgreSQL, but H2 applies the
   * limit before skipping, so a held first row would hide every other due one.)
   */
  boolean fireOne(Connection c, Instant now, String collectorId, ScheduleFiring firing) throws SQLException {
    List<String> candidates = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT id FROM schedules WHERE " + DUE
        + " ORDER BY LEAST(COALESCE(next_run_at, window_due_at), COALESCE(window_due_at, next_run_at)), id"
        + " LIMIT " + CANDIDATES)) {
      setTime(ps, 1, now);
      setTime(ps, 2, now);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) candidates.add(rs.getString(1));
      }
    }
    for (String id : candidates) {
      StoredSchedule claimed;
      try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM schedules WHERE id = ? AND " + DUE
          + " FOR UPDATE SKIP LOCKED")) {
        ps.setString(1, id);
        setTime(ps, 2, now);
        setTime(ps, 3, now);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) continue;
          claimed = read(rs);
        }
      }
      Fired fired = firing.fire(claimed);
      writeState(c, id, fired.state());
      addEvents(c, id, collectorId, fired.events());
      return true;
    }
    return false;
  }

  Optional<Instant> nextWake(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT (SELECT MIN(next_run_at) FROM schedules WHERE enabled),"
        + " (SELECT MIN(window_due_at) FROM schedules)"); ResultSet rs = ps.executeQuery()) {
      rs.next();
      Instant a = time(rs, 1);
      Instant b = time(rs, 2);
      if (a == null) return Optional.ofNullable(b);
      if (b == null) return Optional.of(a);
      return Optional.of(a.isBefore(b) ? a : b);
    }
  }

  Page<ScheduleEvent> events(Connection c, String scheduleId, PageRequest page) throws SQLException {
    long total;
    try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM schedule_events WHERE schedule_id = ?")) {
      ps.setString(1, scheduleId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        total = rs.getLong(1);
      }
    }
    List<ScheduleEvent> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT seq, event_at, kind, job_id, detail, collector_id"
        + " FROM schedule_events WHERE schedule_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?")) {
      ps.setString(1, scheduleId);
      ps.setInt(2, page.size());
      ps.setLong(3, page.offset());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new ScheduleEvent(scheduleId, rs.getLong("seq"), getTime(rs, "event_at"), rs.getString("kind"),
              Optional.ofNullable(rs.getString("job_id")), rs.getString("detail"), rs.getString("collector_id")));
        }
      }
    }
    return new Page<>(out, total, page.page(), page.size());
  }

  private static void refuseTakenName(Connection c, String name, Optional<String> self) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT id FROM schedules WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (self.isEmpty() || !self.get().equals(rs.getString(1))) throw new NameTaken(name);
        }
      }
    }
  }

  private void writeState(Connection c, String id, RunState s) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE schedules SET next_run_at = ?, window_due_at = ?,"
        + " job_paused = ?, last_job_id = ?, last_started_at = ?, last_outcome = ?, last_detail = ?,"
        + " last_outcome_at = ? WHERE id = ?")) {
      setTime(ps, 1, s.nextRunAt().orElse(null));
      setTime(ps, 2, s.windowDueAt().orElse(null));
      ps.setBoolean(3, s.jobPaused());
      ps.setString(4, s.lastJobId().orElse(null));
      setTime(ps, 5, s.lastStartedAt().orElse(null));
      ps.setString(6, s.lastOutcome().orElse(null));
      ps.setString(7, s.lastDetail());
      setTime(ps, 8, s.lastOutcomeAt().orElse(null));
      ps.setString(9, id);
      ps.executeUpdate();
    }
  }

  private void addEvents(Connection c, String id, String collectorId, List<NewEvent> events) throws SQLException {
    if (events.isEmpty()) return;
    // The caller holds the schedule's row lock, so MAX(seq) + 1 cannot race.
    long seq;
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT COALESCE(MAX(seq), 0) FROM schedule_events WHERE schedule_id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        seq = rs.getLong(1);
      }
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO schedule_events (schedule_id, seq, event_at, kind,"
        + " job_id, detail, collector_id) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      for (NewEvent e : events) {
        ps.setString(1, id);
        ps.setLong(2, ++seq);
        setTime(ps, 3, e.at());
        ps.setString(4, e.kind());
        ps.setString(5, e.jobId().orElse(null));
        ps.setString(6, e.detail());
        ps.setString(7, collectorId);
        ps.addBatch();
      }
      ps.executeBatch();
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM schedule_events WHERE schedule_id = ? AND seq <= ?")) {
      ps.setString(1, id);
      ps.setLong(2, seq - EVENTS_KEPT);
      ps.executeUpdate();
    }
  }

  private static int bindDefinition(PreparedStatement ps, int i, ScheduleDefinition d) throws SQLException {
    RecurrenceColumns r = d.recurrence();
    ps.setString(i++, d.name());
    ps.setBoolean(i++, d.enabled());
    ps.setString(i++, d.scopeKind());
    ps.setString(i++, String.join("\n", d.scopeIds()));
    ps.setString(i++, String.join(",", d.categories()));
    ps.setBoolean(i++, d.force());
    ps.setString(i++, r.kind());
    setLocalTime(ps, i++, r.at());
    if (r.everyDays().isPresent()) ps.setInt(i++, r.everyDays().get());
    else ps.setNull(i++, Types.INTEGER);
    if (r.startDate().isPresent()) ps.setObject(i++, r.startDate().get());
    else ps.setNull(i++, Types.DATE);
    ps.setString(i++, r.weekdays().isEmpty() ? null
        : String.join(",", r.weekdays().stream().map(DayOfWeek::name).toList()));
    ps.setString(i++, r.cron().orElse(null));
    ps.setString(i++, d.timeZone());
    setLocalTime(ps, i++, d.window().map(WindowColumns::start));
    setLocalTime(ps, i++, d.window().map(WindowColumns::end));
    ps.setString(i++, d.window().map(WindowColumns::onEnd).orElse(null));
    return i;
  }

  private static void setLocalTime(PreparedStatement ps, int i, Optional<LocalTime> t) throws SQLException {
    if (t.isPresent()) ps.setObject(i, t.get());
    else ps.setNull(i, Types.TIME);
  }

  private static StoredSchedule read(ResultSet rs) throws SQLException {
    String weekdays = rs.getString("weekdays");
    String scopeIds = rs.getString("scope_ids");
    String categories = rs.getString("categories");
    int everyDays = rs.getInt("every_days");
    Optional<Integer> every = rs.wasNull() ? Optional.empty() : Optional.of(everyDays);
    RecurrenceColumns recurrence = new RecurrenceColumns(rs.getString("recurrence"),
        Optional.ofNullable(rs.getObject("at_time", LocalTime.class)), every,
        Optional.ofNullable(rs.getObject("start_date", LocalDate.class)),
        weekdays == null || weekdays.isEmpty() ? List.of()
            : Arrays.stream(weekdays.split(",")).map(DayOfWeek::valueOf).toList(),
        Optional.ofNullable(rs.getString("cron")));
    LocalTime windowStart = rs.getObject("window_start", LocalTime.class);
    Optional<WindowColumns> window = windowStart == null ? Optional.empty()
        : Optional.of(new WindowColumns(windowStart, rs.getObject("window_end", LocalTime.class),
            rs.getString("window_policy")));
    ScheduleDefinition definition = new ScheduleDefinition(rs.getString("name"), rs.getBoolean("enabled"),
        rs.getString("scope_kind"), scopeIds.isEmpty() ? List.of() : List.of(scopeIds.split("\n")),
        categories.isEmpty() ? List.of() : List.of(categories.split(",")), rs.getBoolean("force_rescan"),
        recurrence, rs.getString("time_zone"), window);
    RunState state = new RunState(Optional.ofNullable(getTime(rs, "next_run_at")),
        Optional.ofNullable(getTime(rs, "window_due_at")), rs.getBoolean("job_paused"),
        Optional.ofNullable(rs.getString("last_job_id")), Optional.ofNullable(getTime(rs, "last_started_at")),
        Optional.ofNullable(rs.getString("last_outcome")), Columns.nonNull(rs.getString("last_detail")),
        Optional.ofNullable(getTime(rs, "last_outcome_at")));
    return new StoredSchedule(rs.getString("id"), definition, state, getTime(rs, "created_at"),
        getTime(rs, "updated_at"));
  }

  private static Instant time(ResultSet rs, int column) throws SQLException {
    java.time.OffsetDateTime t = rs.getObject(column, java.time.OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }
}
