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
  /** Due schedules read per candidate query. */
  static final int CANDIDATES = 200;

  private static final String COLUMNS = "id, name, enabled, scope_kind, scope_ids, categories, force_rescan,"
      + " recurrence, at_time, every_days, start_date, weekdays, cron, time_zone, window_start, window_end,"
      + " window_policy, next_run_at, window_due_at, job_paused, last_job_id, last_started_at, last_outcome,"
      + " last_detail, last_outcome_at, created_at, updated_at";
  /** Needs the firing loop: a slot is due, or the tracked job needs a window decision. */
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
        + " window_start, window_end, window_policy, next_run_at, job_paused, event_seq, created_at, updated_at)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE, 0, ?, ?)")) {
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
   * Schedules due at {@code now}, the most overdue first, read without locks: each is then locked
   * and checked again by {@link #fireIfDue}. Two index range scans, so a pass costs the same
   * however many schedules are not due.
   */
  List<String> dueCandidates(Connection c, Instant now, int limit) throws SQLException {
    java.util.TreeMap<Instant, List<String>> byDue = new java.util.TreeMap<>();
    for (String sql : List.of(
        "SELECT id, next_run_at FROM schedules WHERE enabled AND next_run_at <= ? ORDER BY next_run_at LIMIT ?",
        "SELECT id, window_due_at FROM schedules WHERE window_due_at <= ? ORDER BY window_due_at LIMIT ?")) {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        setTime(ps, 1, now);
        ps.setInt(2, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) byDue.computeIfAbsent(time(rs, 2), k -> new ArrayList<>()).add(rs.getString(1));
        }
      }
    }
    java.util.LinkedHashSet<String> ids = new java.util.LinkedHashSet<>();
    for (List<String> at : byDue.values()) ids.addAll(at);
    return ids.stream().limit(limit).toList();
  }

  /**
   * Locks the schedule unless another transaction holds it ({@code SKIP LOCKED}), checks that it is
   * still due (another collector may have just fired it), and fires it.
   *
   * @return false if it was held or no longer due
   */
  boolean fireIfDue(Connection c, String id, Instant now, String collectorId, ScheduleFiring firing)
      throws SQLException {
    StoredSchedule claimed;
    long eventSeq;
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + ", event_seq FROM schedules WHERE id = ?"
        + " AND " + DUE + " FOR UPDATE SKIP LOCKED")) {
      ps.setString(1, id);
      setTime(ps, 2, now);
      setTime(ps, 3, now);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) return false;
        claimed = read(rs);
        eventSeq = rs.getLong("event_seq");
      }
    }
    Fired fired = firing.fire(claimed);
    writeState(c, id, fired.state(), eventSeq + fired.events().size());
    addEvents(c, id, collectorId, eventSeq, fired.events());
    return true;
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

  private void writeState(Connection c, String id, RunState s, long eventSeq) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE schedules SET next_run_at = ?, window_due_at = ?,"
        + " job_paused = ?, last_job_id = ?, last_started_at = ?, last_outcome = ?, last_detail = ?,"
        + " last_outcome_at = ?, event_seq = ? WHERE id = ?")) {
      setTime(ps, 1, s.nextRunAt().orElse(null));
      setTime(ps, 2, s.windowDueAt().orElse(null));
      ps.setBoolean(3, s.jobPaused());
      ps.setString(4, s.lastJobId().orElse(null));
      setTime(ps, 5, s.lastStartedAt().orElse(null));
      ps.setString(6, s.lastOutcome().orElse(null));
      ps.setString(7, s.lastDetail());
      setTime(ps, 8, s.lastOutcomeAt().orElse(null));
      ps.setLong(9, eventSeq);
      ps.setString(10, id);
      ps.executeUpdate();
    }
  }

  /** Appends events after {@code lastSeq} (the schedule's counter, read under its row lock). */
  private void addEvents(Connection c, String id, String collectorId, long lastSeq, List<NewEvent> events)
      throws SQLException {
    if (events.isEmpty()) return;
    long seq = lastSeq;
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
    if (seq > EVENTS_KEPT) {
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM schedule_events WHERE schedule_id = ? AND seq <= ?")) {
        ps.setString(1, id);
        ps.setLong(2, seq - EVENTS_KEPT);
        ps.executeUpdate();
      }
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
