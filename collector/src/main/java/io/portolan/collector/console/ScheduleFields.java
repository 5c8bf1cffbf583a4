package io.portolan.collector.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portolan.collector.api.ScheduleApi.ScheduleView;
import io.portolan.collector.scan.ScanCategory;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The schedule form as typed: strings, so that a wrong value is shown back as it was entered. It
 * becomes the API's JSON body ({@link #json}), which the API's own reader checks field by field;
 * the console has no rules of its own.
 */
public record ScheduleFields(String name, boolean enabled, String type, String at, String days, String startDate,
    Set<String> weekdays, String expression, String timeZone, boolean window, String windowStart, String windowEnd,
    String onEnd, String scopeKind, String scopeIds, Set<String> categories, boolean force) {

  /** The weekdays as the form offers them, Monday first. */
  public static final List<String> WEEKDAYS = List.of("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN");
  /** The intervals the every-N-days recurrence suggests; any whole number of days is accepted. */
  public static final List<Integer> SUGGESTED_DAYS = List.of(7, 15, 30);
  static final int MAX_FIELD = 20_000;

  /** A new schedule: every night at 02:00 UTC, all images, every supported category. */
  public static ScheduleFields defaults() {
    Set<String> categories = new LinkedHashSet<>();
    for (ScanCategory c : ScanCategory.values()) if (c.supported()) categories.add(c.wireName());
    return new ScheduleFields("", true, "daily", "02:00", "7", "", Set.of("MON"), "0 2 * * *", "UTC", false,
        "01:00", "05:00", "pause", "all-images", "", categories, false);
  }

  /** The form as posted; absent fields are empty, unchecked boxes false. */
  static ScheduleFields of(Map<String, List<String>> form) {
    return new ScheduleFields(one(form, "name"), checked(form, "enabled"), one(form, "type"), one(form, "at"),
        one(form, "days"), one(form, "startDate"), new LinkedHashSet<>(form.getOrDefault("weekdays", List.of())),
        one(form, "expression"), one(form, "timeZone"), checked(form, "window"), one(form, "windowStart"),
        one(form, "windowEnd"), one(form, "onEnd"), one(form, "scopeKind"), one(form, "scopeIds"),
        new LinkedHashSet<>(form.getOrDefault("categories", List.of())), checked(form, "force"));
  }

  /** A stored schedule, to edit it. */
  static ScheduleFields of(ScheduleView v) {
    var r = v.recurrence();
    var w = v.window();
    ScheduleFields d = defaults();
    return new ScheduleFields(v.name(), v.enabled(), r.type(), r.at() == null ? d.at() : r.at(),
        r.days() == null ? d.days() : Integer.toString(r.days()), r.startDate() == null ? "" : r.startDate(),
        r.weekdays().isEmpty() ? d.weekdays() : new LinkedHashSet<>(r.weekdays()),
        r.expression() == null ? d.expression() : r.expression(), v.timeZone(), w != null,
        w == null ? d.windowStart() : w.start(), w == null ? d.windowEnd() : w.end(),
        w == null ? d.onEnd() : w.onEnd(), v.scope().kind(), String.join("\n", v.scope().ids()),
        new LinkedHashSet<>(v.categories()), v.force());
  }

  /** The body POST and PUT /api/v1/schedules take; only the fields the chosen recurrence uses. */
  ObjectNode json(ObjectMapper mapper) {
    ObjectNode o = mapper.createObjectNode();
    o.put("name", name);
    o.put("enabled", enabled);
    o.put("force", force);
    if (!timeZone.isBlank()) o.put("timeZone", timeZone.strip());
    ObjectNode scope = o.putObject("scope");
    scope.put("kind", scopeKind.isBlank() ? "all-images" : scopeKind);
    ArrayNode ids = scope.putArray("ids");
    if (!scopeKind.equals("all-images")) {
      Arrays.stream(scopeIds.split("[\\s,]+")).filter(s -> !s.isBlank()).forEach(ids::add);
    }
    ArrayNode cats = o.putArray("categories");
    categories.forEach(cats::add);
    ObjectNode rec = o.putObject("recurrence");
    rec.put("type", type);
    switch (type) {
      case "daily" -> rec.put("at", at);
      case "every-days" -> {
        rec.put("at", at);
        try {
          rec.put("days", Integer.parseInt(days.strip()));
        } catch (NumberFormatException e) {
          // Passed on as text: the API's reader says what a number of days must be.
          rec.put("days", days);
        }
        if (!startDate.isBlank()) rec.put("startDate", startDate);
      }
      case "weekly" -> {
        rec.put("at", at);
        ArrayNode wd = rec.putArray("weekdays");
        weekdays.forEach(wd::add);
      }
      case "cron" -> rec.put("expression", expression);
      default -> { }
    }
    if (window) {
      ObjectNode w = o.putObject("window");
      w.put("start", windowStart);
      w.put("end", windowEnd);
      w.put("onEnd", onEnd);
    }
    return o;
  }

  public boolean weekday(String day) {
    return weekdays.contains(day);
  }

  public boolean category(String c) {
    return categories.contains(c);
  }

  private static String one(Map<String, List<String>> form, String name) {
    List<String> v = form.get(name);
    if (v == null || v.isEmpty()) return "";
    String s = v.get(0);
    return s.length() > MAX_FIELD ? s.substring(0, MAX_FIELD) : s;
  }

  private static boolean checked(Map<String, List<String>> form, String name) {
    List<String> v = form.get(name);
    return v != null && !v.isEmpty() && !v.get(0).equals("false");
  }
}
