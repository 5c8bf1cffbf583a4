package io.portolan.collector.api;

import static io.portolan.collector.api.Param.integer;
import static io.portolan.collector.api.Param.path;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.portolan.collector.scan.ScanCategory;
import io.portolan.collector.scan.ScanScope;
import io.portolan.collector.schedule.AllowedWindow;
import io.portolan.collector.schedule.Recurrence;
import io.portolan.collector.schedule.ScheduleService;
import io.portolan.collector.schedule.ScheduleSpec;
import io.portolan.collector.store.Page;
import io.portolan.collector.store.PageRequest;
import io.portolan.collector.store.ScheduleStore;
import io.portolan.collector.store.ScheduleStore.StoredSchedule;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The schedules endpoints: create, read, replace and delete scan schedules, with the next fire times
 * and the last run. Request bodies are read field by field so that every mistake is reported by its
 * JSON path and what would be accepted; the console's schedule form is read by the same code.
 */
public final class ScheduleApi {
  private static final Pattern HH_MM = Pattern.compile("([01][0-9]|2[0-3]):[0-5][0-9]");
  private static final int MAX_BODY = 512 * 1024;
  private static final Set<String> FIELDS = Set.of("name", "enabled", "scope", "categories", "force", "recurrence",
      "timeZone", "window");
  private static final Set<String> SCOPE_FIELDS = Set.of("kind", "ids");
  private static final Set<String> RECURRENCE_FIELDS = Set.of("type", "at", "days", "startDate", "weekdays",
      "expression");
  private static final Set<String> WINDOW_FIELDS = Set.of("start", "end", "onEnd");

  private final ScheduleService schedules;
  private final Clock clock;
  private final ObjectMapper mapper = new ObjectMapper();

  public ScheduleApi(ScheduleService schedules, Clock clock) {
    this.schedules = schedules;
    this.clock = clock;
  }

  /** The request body of POST and PUT. Absent fields take the defaults documented on each. */
  public record ScheduleInput(String name, Boolean enabled, ScopeView scope, List<String> categories, Boolean force,
      RecurrenceInput recurrence, String timeZone, WindowView window) {}

  /**
   * @param type daily, every-days, weekly or cron
   * @param at HH:MM local time (daily, every-days, weekly)
   * @param days the interval of every-days, e.g. 7, 15 or 30
   * @param startDate the first day of every-days (YYYY-MM-DD); today in the schedule's zone if absent
   * @param weekdays weekly: MON..SUN or full names
   * @param expression cron: five fields (minute hour day-of-month month day-of-week) or @daily, @weekly...
   */
  public record RecurrenceInput(String type, String at, Integer days, String startDate, List<String> weekdays,
      String expression) {}

  /** @param kind all-images, images, hosts or repositories */
  public record ScopeView(String kind, List<String> ids) {}

  /** @param onEnd pause (resume in the next window) or cancel */
  public record WindowView(String start, String end, String onEnd) {}

  public record RecurrenceView(String type, String at, Integer days, String startDate, List<String> weekdays,
      String expression, String description) {}

  /**
   * The last run: the job the schedule last started with its current state, and the outcome of the
   * schedule's last firing or window action (SUBMITTED, SKIPPED, FAILED_TO_START, PAUSED, RESUMED,
   * CANCELLED, or the job's final state).
   */
  public record LastRun(String jobId, Instant startedAt, String jobState, String jobStateProblem, String outcome,
      String detail, Instant outcomeAt) {}

  public record ScheduleView(String id, String name, boolean enabled, ScopeView scope, List<String> categories,
      boolean force, RecurrenceView recurrence, String timeZone, WindowView window, Instant nextRunAt,
      List<Instant> nextRuns, boolean jobPaused, LastRun lastRun, Instant created, Instant updated, String problem) {}

  public record EventView(long seq, Instant at, String kind, String jobId, String detail, String collectorId) {}

  List<Endpoint> endpoints() {
    String prefix = RestApi.PREFIX + "/schedules";
    Param id = path("id", "Schedule ID");
    Param page = integer("page", "Page number, from 1", 1);
    Param size = integer("size", "Rows per page, at most " + PageRequest.MAX_SIZE, 50);
    String body = "The schedule. name and recurrence are required; enabled defaults to true, scope to all images,"
        + " categories to every supported one, force to false, timeZone to UTC, window to none";
    List<Endpoint> e = new ArrayList<>();
    e.add(new Endpoint(prefix, "Scan schedules by name, each with its next fire times and last run",
        List.of(page, size), RestApi.pageOf(ScheduleView.class),
        r -> schedules.list(r.page()).map(this::view)));
    e.add(new Endpoint(prefix + "/{id}", "One scan schedule, with its next " + ScheduleService.PREVIEW
        + " fire times and its last run", List.of(id), ScheduleView.class, r -> view(get(r.path("id")))));
    e.add(new Endpoint(Endpoint.Method.POST, prefix, "Creates a scan schedule", List.of(), body, ScheduleView.class,
        r -> view(create(r)), ScheduleInput.class, 201));
    e.add(new Endpoint(Endpoint.Method.PUT, prefix + "/{id}",
        "Replaces a schedule's definition (all fields, as for POST); its next run is computed afresh, and a job it"
            + " started keeps running under the new window", List.of(id), body, ScheduleView.class,
        r -> view(update(r.path("id"), r)), ScheduleInput.class, 200));
    e.add(new Endpoint(Endpoint.Method.DELETE, prefix + "/{id}",
        "Deletes a schedule; jobs it started are not touched", List.of(id), "", Void.class, r -> {
          if (!schedules.delete(r.path("id"))) throw notFound(r.path("id"));
          return null;
        }, byte[].class, 204));
    e.add(new Endpoint(prefix + "/{id}/events",
        "What a schedule did, newest first: jobs started, runs skipped and why, window pauses, resumes and cancels",
        List.of(id, page, size), RestApi.pageOf(EventView.class), r -> events(r.path("id"), r.page())));
    return e;
  }

  private ScheduleService.View get(String id) {
    return schedules.get(id).orElseThrow(() -> notFound(id));
  }

  private static ApiProblem notFound(String id) {
    return ApiProblem.notFound("no schedule with ID '" + id + "'");
  }

  private ScheduleService.View create(Request r) {
    ScheduleSpec spec = parse(r.body());
    try {
      return schedules.create(spec);
    } catch (ScheduleStore.NameTaken e) {
      throw new ApiProblem(409, "Conflict", e.getMessage());
    }
  }

  private ScheduleService.View update(String id, Request r) {
    get(id);
    ScheduleSpec spec = parse(r.body());
    try {
      return schedules.update(id, spec).orElseThrow(() -> notFound(id));
    } catch (ScheduleStore.NameTaken e) {
      throw new ApiProblem(409, "Conflict", e.getMessage());
    }
  }

  private Page<EventView> events(String id, PageRequest page) {
    get(id);
    return schedules.events(id, page).map(ev -> new EventView(ev.seq(), ev.at(), ev.kind(), ev.jobId().orElse(null),
        ev.detail(), ev.collectorId()));
  }

  // ---- reading a definition

  ScheduleSpec parse(InputStream in) {
    JsonNode root;
    try {
      byte[] bytes = in.readNBytes(MAX_BODY + 1);
      if (bytes.length > MAX_BODY) throw bad("the body is larger than " + MAX_BODY / 1024 + " KiB");
      if (bytes.length == 0) throw bad("the body is empty: send the schedule as JSON");
      root = mapper.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw bad("the body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw bad("the body could not be read: " + e.getMessage());
    }
    return parse(root);
  }

  /**
   * Reads a schedule as POST and PUT take it. Each part (name, scope, categories, recurrence, time
   * zone, window) is checked on its own, so one answer names every field that is wrong, each in
   * {@link ApiProblem#errors()} under its JSON path.
   */
  public ScheduleSpec parse(JsonNode root) {
    if (root == null || !root.isObject()) throw bad("the body must be a JSON object");
    onlyKnown(root, "", FIELDS);
    List<ApiProblem> errors = new ArrayList<>();
    String name = check(errors, () -> {
      String n = text(root, "name").orElseThrow(() -> bad("name", "'name' is required"));
      if (n.isBlank()) throw bad("name", "a schedule needs a name");
      return n;
    });
    Boolean enabled = check(errors, () -> bool(root, "enabled").orElse(true));
    Boolean force = check(errors, () -> bool(root, "force").orElse(false));
    ZoneId zone = check(errors, () -> text(root, "timeZone").map(ScheduleApi::zone).orElse(ZoneId.of("UTC")));
    ScanScope scope = check(errors, () -> scope(root.get("scope")));
    Set<ScanCategory> categories = check(errors, () -> categories(root.get("categories")));
    JsonNode rec = root.get("recurrence");
    Recurrence recurrence = check(errors, () -> {
      if (rec == null || rec.isNull())
        throw bad("recurrence.type", "'recurrence' is required, e.g. {\"type\": \"daily\", \"at\": \"02:30\"}");
      return recurrence(rec, zone == null ? ZoneId.of("UTC") : zone);
    });
    Optional<AllowedWindow> window = check(errors, () -> window(root.get("window")));
    if (!errors.isEmpty()) throw ApiProblem.invalid(errors);
    try {
      return new ScheduleSpec(name, enabled, scope, categories, force, recurrence, zone, window);
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      // The definition's own rules: name them by the field they concern.
      String field = m.contains("name") ? "name" : m.contains("scope") ? "scope.ids"
          : m.contains("categor") ? "categories" : "";
      throw field.isEmpty() ? bad(m) : bad(field, m);
    }
  }

  private static <T> T check(List<ApiProblem> errors, java.util.function.Supplier<T> part) {
    try {
      return part.get();
    } catch (ApiProblem p) {
      errors.add(p);
      return null;
    }
  }

  private static ZoneId zone(String id) {
    try {
      return ZoneId.of(id);
    } catch (DateTimeException e) {
      throw bad("timeZone", "'timeZone' must be a time zone ID such as Europe/Berlin, America/New_York or UTC, got '"
          + abbreviate(id) + "'");
    }
  }

  private static ScanScope scope(JsonNode n) {
    if (n == null || n.isNull()) return ScanScope.allImages();
    if (!n.isObject()) throw bad("scope.kind", "'scope' must be an object: {\"kind\": \"hosts\", \"ids\": [...]}");
    onlyKnown(n, "scope.", SCOPE_FIELDS);
    String kindText = text(n, "kind", "scope.kind").orElse("all-images");
    ScanScope.Kind kind = Arrays.stream(ScanScope.Kind.values())
        .filter(k -> k.name().equalsIgnoreCase(kindText.strip().replace('-', '_'))).findFirst()
        .orElseThrow(() -> bad("scope.kind",
            "'scope.kind' must be one of all-images, images, hosts, repositories, got '"
            + abbreviate(kindText) + "'"));
    List<String> ids = strings(n.get("ids"), "scope.ids");
    try {
      return new ScanScope(kind, ids);
    } catch (IllegalArgumentException e) {
      throw bad("scope.ids", "scope: " + (kind == ScanScope.Kind.ALL_IMAGES ? "all-images takes no ids"
          : kind.name().toLowerCase(Locale.ROOT).replace('_', '-') + " needs at least one id in 'scope.ids'"));
    }
  }

  private static Set<ScanCategory> categories(JsonNode n) {
    if (n == null || n.isNull()) {
      Set<ScanCategory> all = EnumSet.noneOf(ScanCategory.class);
      for (ScanCategory c : ScanCategory.values()) if (c.supported()) all.add(c);
      return all;
    }
    Set<ScanCategory> out = EnumSet.noneOf(ScanCategory.class);
    for (String s : strings(n, "categories")) {
      ScanCategory c = ScanCategory.byWireName(s).orElseThrow(() -> bad("categories",
          "unknown scan category '" + abbreviate(s)
          + "'; this collector supports: " + ScheduleSpec.supportedNames()));
      if (!c.supported())
        throw bad("categories",
            "scan category '" + c.wireName() + "' is not supported by this collector yet; supported: "
            + ScheduleSpec.supportedNames());
      out.add(c);
    }
    if (out.isEmpty()) throw bad("categories",
        "'categories' is empty: name at least one of " + ScheduleSpec.supportedNames());
    return out;
  }

  private Recurrence recurrence(JsonNode n, ZoneId zone) {
    if (!n.isObject()) throw bad("recurrence.type",
        "'recurrence' must be an object, e.g. {\"type\": \"daily\", \"at\": \"02:30\"}");
    onlyKnown(n, "recurrence.", RECURRENCE_FIELDS);
    String type = text(n, "type", "recurrence.type")
        .orElseThrow(() -> bad("recurrence.type", "'recurrence.type' is required: daily, every-days, weekly or cron"));
    try {
      return switch (type.strip().toLowerCase(Locale.ROOT)) {
        case "daily" -> new Recurrence.Daily(time(n, "at", "recurrence.at"));
        case "every-days" -> {
          JsonNode d = n.get("days");
          if (d == null || !d.canConvertToInt() || !d.isIntegralNumber())
            throw bad("recurrence.days",
                "'recurrence.days' is required for every-days: a whole number of days such as 7, 15 or 30");
          LocalDate start = text(n, "startDate", "recurrence.startDate").map(ScheduleApi::date)
              .orElse(LocalDate.ofInstant(clock.instant(), zone));
          yield new Recurrence.EveryDays(d.intValue(), start, time(n, "at", "recurrence.at"));
        }
        case "weekly" -> {
          List<String> names = strings(n.get("weekdays"), "recurrence.weekdays");
          if (names.isEmpty())
            throw bad("recurrence.weekdays",
                "'recurrence.weekdays' needs at least one day for weekly, e.g. [\"MON\", \"THU\"]");
          Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
          for (String s : names) days.add(weekday(s));
          yield new Recurrence.Weekly(days, time(n, "at", "recurrence.at"));
        }
        case "cron" -> Recurrence.Cron.parse(text(n, "expression", "recurrence.expression")
            .orElseThrow(() -> bad("recurrence.expression",
                "'recurrence.expression' is required for cron, e.g. \"30 2 * * 1-5\"")));
        default -> throw bad("recurrence.type", "'recurrence.type' must be daily, every-days, weekly or cron, got '"
            + abbreviate(type) + "'");
      };
    } catch (IllegalArgumentException e) {
      throw bad(switch (type.strip().toLowerCase(Locale.ROOT)) {
        case "cron" -> "recurrence.expression";
        case "every-days" -> "recurrence.days";
        case "weekly" -> "recurrence.weekdays";
        default -> "recurrence.at";
      }, e.getMessage());
    }
  }

  private static Optional<AllowedWindow> window(JsonNode n) {
    if (n == null || n.isNull()) return Optional.empty();
    if (!n.isObject())
      throw bad("window",
          "'window' must be an object: {\"start\": \"01:00\", \"end\": \"05:00\", \"onEnd\": \"pause\"}");
    onlyKnown(n, "window.", WINDOW_FIELDS);
    LocalTime start = time(n, "start", "window.start");
    LocalTime end = time(n, "end", "window.end");
    AllowedWindow.OnEnd onEnd = text(n, "onEnd", "window.onEnd").map(s -> {
      try {
        return AllowedWindow.OnEnd.parse(s);
      } catch (IllegalArgumentException e) {
        throw bad("window.onEnd", "'window.onEnd' must be pause or cancel, got '" + abbreviate(s) + "'");
      }
    }).orElse(AllowedWindow.OnEnd.PAUSE);
    try {
      return Optional.of(new AllowedWindow(start, end, onEnd));
    } catch (IllegalArgumentException e) {
      throw bad("window.end", e.getMessage());
    }
  }

  private static LocalTime time(JsonNode n, String field, String path) {
    String s = text(n, field, path).orElseThrow(() -> bad(path, "'" + path + "' is required: a local time HH:MM"));
    if (!HH_MM.matcher(s.strip()).matches())
      throw bad(path, "'" + path + "' must be a local time HH:MM from 00:00 to 23:59, got '" + abbreviate(s) + "'");
    return LocalTime.parse(s.strip());
  }

  private static LocalDate date(String s) {
    try {
      return LocalDate.parse(s.strip());
    } catch (DateTimeParseException e) {
      throw bad("recurrence.startDate",
          "'recurrence.startDate' must be a date YYYY-MM-DD, got '" + abbreviate(s) + "'");
    }
  }

  private static DayOfWeek weekday(String s) {
    String w = s.strip().toUpperCase(Locale.ROOT);
    for (DayOfWeek d : DayOfWeek.values()) {
      if (d.name().equals(w) || d.getDisplayName(TextStyle.SHORT, Locale.ENGLISH).toUpperCase(Locale.ROOT).equals(w))
        return d;
    }
    throw bad("recurrence.weekdays",
        "unknown weekday '" + abbreviate(s) + "' in 'recurrence.weekdays'; use MON, TUE, WED, THU, FRI, SAT,"
        + " SUN or the full names");
  }

  private static void onlyKnown(JsonNode n, String prefix, Set<String> known) {
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!known.contains(f))
        throw bad("unknown field '" + prefix + abbreviate(f) + "'; known: " + String.join(", ",
            known.stream().sorted().toList()));
    }
  }

  private static Optional<String> text(JsonNode n, String field) {
    return text(n, field, field);
  }

  private static Optional<String> text(JsonNode n, String field, String path) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) return Optional.empty();
    if (!v.isTextual()) throw bad(path, "'" + path + "' must be a string");
    return Optional.of(v.asText());
  }

  private static Optional<Boolean> bool(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) return Optional.empty();
    if (!v.isBoolean()) throw bad(field, "'" + field + "' must be true or false");
    return Optional.of(v.booleanValue());
  }

  private static List<String> strings(JsonNode n, String path) {
    if (n == null || n.isNull()) return List.of();
    if (!n.isArray()) throw bad(path, "'" + path + "' must be an array of strings");
    List<String> out = new ArrayList<>();
    for (JsonNode v : n) {
      if (!v.isTextual()) throw bad(path, "'" + path + "' must hold strings only");
      out.add(v.asText().strip());
    }
    return out;
  }

  private static ApiProblem bad(String field, String detail) {
    return ApiProblem.badField(field, detail);
  }

  private static ApiProblem bad(String detail) {
    return ApiProblem.badRequest(detail);
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }

  // ---- showing a schedule

  public ScheduleView view(ScheduleService.View v) {
    StoredSchedule s = v.stored();
    ScheduleStore.ScheduleDefinition d = s.definition();
    ScheduleStore.RecurrenceColumns rc = d.recurrence();
    String description = v.spec().map(sp -> sp.recurrence().describe()).orElse("");
    RecurrenceView recurrence = new RecurrenceView(
        rc.kind().toLowerCase(Locale.ROOT).replace('_', '-'), rc.at().map(ScheduleApi::hhmm).orElse(null),
        rc.everyDays().orElse(null), rc.startDate().map(LocalDate::toString).orElse(null),
        rc.weekdays().stream().map(w -> w.getDisplayName(TextStyle.SHORT, Locale.ENGLISH).toUpperCase(Locale.ROOT))
            .toList(), rc.cron().orElse(null), description);
    WindowView window = d.window().map(w -> new WindowView(hhmm(w.start()), hhmm(w.end()),
        w.onEnd().toLowerCase(Locale.ROOT))).orElse(null);
    var st = s.state();
    LastRun last = null;
    if (st.lastJobId().isPresent() || st.lastOutcome().isPresent()) {
      last = new LastRun(st.lastJobId().orElse(null), st.lastStartedAt().orElse(null),
          v.lastJobState().map(Enum::name).orElse(null), v.lastJobStateProblem(), st.lastOutcome().orElse(null),
          st.lastDetail(), st.lastOutcomeAt().orElse(null));
    }
    Instant next = v.nextRuns().isEmpty() ? null : v.nextRuns().get(0);
    return new ScheduleView(s.id(), d.name(), d.enabled(),
        new ScopeView(d.scopeKind().toLowerCase(Locale.ROOT).replace('_', '-'), d.scopeIds()), d.categories(),
        d.force(), recurrence, d.timeZone(), window, next, v.nextRuns(), st.jobPaused(), last, s.created(),
        s.updated(), v.problem());
  }

  private static String hhmm(LocalTime t) {
    return String.format("%02d:%02d", t.getHour(), t.getMinute());
  }
}
