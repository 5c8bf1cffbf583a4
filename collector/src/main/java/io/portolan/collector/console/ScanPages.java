package io.portolan.collector.console;

import static io.portolan.collector.api.Param.bool;
import static io.portolan.collector.api.Param.choice;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.portolan.collector.api.ApiProblem;
import io.portolan.collector.api.ImageListParams;
import io.portolan.collector.api.Param;
import io.portolan.collector.api.Request;
import io.portolan.collector.api.ScanApi;
import io.portolan.collector.api.ScanApi.ItemStateFilter;
import io.portolan.collector.api.ScanApi.JobStateFilter;
import io.portolan.collector.api.ScanApi.JobView;
import io.portolan.collector.api.ScanApi.TriggerFilter;
import io.portolan.collector.api.ScheduleApi;
import io.portolan.collector.scan.JobState;
import io.portolan.collector.scan.ScanCategory;
import io.portolan.collector.scan.ScanRequest;
import io.portolan.collector.scan.ScanScope;
import io.portolan.collector.scan.ScanService;
import io.portolan.collector.scan.ScanTrigger;
import io.portolan.collector.schedule.ScheduleService;
import io.portolan.collector.schedule.ScheduleSpec;
import io.portolan.collector.store.Page;
import io.portolan.collector.store.PageRequest;
import io.portolan.collector.store.Queries;
import io.portolan.collector.store.Queries.HostStatus;
import io.portolan.collector.store.ScanStore.InFlight;
import io.portolan.collector.store.ScanStore.JobQuery;
import io.portolan.collector.store.ScanStore.JobRow;
import io.portolan.collector.store.ScheduleStore;
import io.portolan.collector.store.Store;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The console's scan and schedule pages and actions: batch Scan now / Cancel on the images list,
 * the image header's scan box, the scan jobs with their live progress, and the schedules with their
 * forms. Every action goes through the scan and schedule services the REST API uses, and every
 * form's input is read by the API's own readers.
 */
final class ScanPages {
  /** How often a page in flight asks for news, in seconds. */
  static final int POLL_SECONDS = 2;
  private static final String FLASH = "flash";
  private static final List<String> ZONES = new TreeSet<>(ZoneId.getAvailableZoneIds()).stream()
      .filter(z -> z.contains("/") && !z.startsWith("Etc/") && !z.startsWith("SystemV/")).toList();

  private final Store store;
  private final ScanService scans;
  private final ScheduleService schedules;
  private final ScheduleApi scheduleReader;
  private final Clock clock;
  private final Console console;
  private final ObjectMapper mapper = new ObjectMapper();

  ScanPages(Store store, ScanService scans, ScheduleService schedules, Clock clock, Console console) {
    this.store = store;
    this.scans = scans;
    this.schedules = schedules;
    this.scheduleReader = new ScheduleApi(schedules, clock);
    this.clock = clock;
    this.console = console;
  }

  /** Registered before the console's own routes: {@code /images/{id}/scan-status} is not a tab. */
  void routes(Javalin app) {
    app.post("/images/batch", this::batch);
    app.get("/images/scan-cells", this::scanCells);
    app.get("/images/{id}/scan-status", this::scanStatus);
    app.post("/images/{id}/scan", this::scanImage);
    app.post("/images/{id}/cancel-scan", this::cancelImage);
    app.get("/scans", this::jobs);
    app.get("/scans/{id}", this::job);
    app.post("/scans/{id}/cancel", this::cancelJob);
    app.get("/schedules", this::scheduleList);
    app.get("/schedules/new", ctx -> {
      Request.of(ctx, List.of());
      form(ctx, 200, "", ScheduleFields.defaults(), Map.of(), "");
    });
    app.post("/schedules/preview", this::preview);
    app.post("/schedules", ctx -> save(ctx, ""));
    app.get("/schedules/{id}", this::schedule);
    app.get("/schedules/{id}/edit", ctx -> {
      Request.of(ctx, List.of());
      var v = scheduleView(ctx.pathParam("id"));
      form(ctx, 200, v.id(), ScheduleFields.of(v), Map.of(), v.problem());
    });
    app.post("/schedules/{id}", ctx -> save(ctx, scheduleView(ctx.pathParam("id")).id()));
    app.post("/schedules/{id}/enabled", this::toggle);
    app.post("/schedules/{id}/delete", this::deleteSchedule);
  }

  /** The flash an action left for the page it redirected to, shown once. */
  static Optional<Pages.Flash> flash(Context ctx) {
    // No session exists until an action leaves a flash: plain page views set no cookie.
    if (ctx.req().getSession(false) == null) return Optional.empty();
    return Optional.ofNullable(ctx.consumeSessionAttribute(FLASH));
  }

  private static void redirect(Context ctx, String to, Pages.Flash flash) {
    ctx.sessionAttribute(FLASH, flash);
    ctx.redirect(to, io.javalin.http.HttpStatus.SEE_OTHER);
  }

  /** Where to go back to after an action: a console path, never another site. */
  private static String back(Context ctx, String fallback) {
    String b = ctx.formParam("back");
    if (b == null || !b.startsWith("/") || b.startsWith("//") || b.contains("\\") || b.length() > 2000) {
      return fallback;
    }
    return b;
  }

  private static String requester(Context ctx) {
    return "console (" + ctx.ip() + ")";
  }

  // ---- images: batch and single actions

  private void batch(Context ctx) {
    Console.sameOrigin(ctx);
    String back = back(ctx, "/images");
    List<String> picked = ctx.formParams("image");
    String action = Optional.ofNullable(ctx.formParam("action")).orElse("");
    if (picked.isEmpty()) {
      redirect(ctx, back, new Pages.Flash("warn", "Select at least one image first: tick the boxes in the first"
          + " column, or the box in the header for the whole page.", "", ""));
      return;
    }
    if (picked.size() > ScanApi.MAX_IDS) throw ApiProblem.badRequest("at most " + ScanApi.MAX_IDS + " images at once");
    List<String> ids = new ArrayList<>();
    for (String p : new LinkedHashSet<>(picked)) {
      Optional<String> id = resolve(p);
      if (id.isEmpty()) {
        redirect(ctx, back, new Pages.Flash("error", "No image has the ID '" + p + "' any more (it may have been"
            + " removed from every host); nothing was " + (action.equals("cancel") ? "cancelled" : "queued")
            + ". Reload the list and try again.", "", ""));
        return;
      }
      ids.add(id.get());
    }
    switch (action) {
      case "scan" -> redirect(ctx, back, scanNow(ctx, ids));
      case "cancel" -> redirect(ctx, back, cancel(ctx, ids));
      default -> throw ApiProblem.badRequest("the batch action must be scan or cancel, got '" + action + "'");
    }
  }

  private void scanImage(Context ctx) {
    Console.sameOrigin(ctx);
    String id = imageId(ctx.pathParam("id"));
    redirect(ctx, back(ctx, "/images/" + Format.shortId(id)), scanNow(ctx, List.of(id)));
  }

  private void cancelImage(Context ctx) {
    Console.sameOrigin(ctx);
    String id = imageId(ctx.pathParam("id"));
    redirect(ctx, back(ctx, "/images/" + Format.shortId(id)), cancel(ctx, List.of(id)));
  }

  /**
   * Queues one job for {@code ids} and says what will happen: how many are queued, which already
   * have a scan in flight (they wait for it), and which are only on offline hosts (they wait for a
   * host to return, or for the job to expire).
   */
  private Pages.Flash scanNow(Context ctx, List<String> ids) {
    Instant since = console.onlineSince();
    List<String> offline = new ArrayList<>();
    int busy = 0;
    for (String id : ids) {
      if (store.imageHosts(id, HostStatus.ONLINE, since, new PageRequest(1, 1)).total() == 0) offline.add(id);
      if (store.imageScanStatus(id).map(s -> s.status().equals("SCANNING")).orElse(false)) busy++;
    }
    String jobId;
    try {
      jobId = scans.submit(new ScanRequest(ScanTrigger.MANUAL, new ScanScope(ScanScope.Kind.IMAGES, ids),
          Set.of(ScanCategory.VULNERABILITIES), requester(ctx), false, Optional.empty()));
    } catch (IllegalArgumentException e) {
      return new Pages.Flash("error", "Nothing was queued: " + e.getMessage(), "", "");
    }
    JobRow job = store.job(jobId).orElseThrow();
    StringBuilder m = new StringBuilder("Queued ").append(Format.plural(job.imageCount(), "image", "images"))
        .append(" for scanning.");
    if (job.imageCount() < ids.size()) {
      m.append(' ').append(ids.size() - job.imageCount()).append(" of those selected are no longer on any host and"
          + " were left out.");
    }
    if (busy > 0) m.append(' ').append(Format.plural(busy, "image is", "images are"))
        .append(" already being scanned and will be scanned again when that scan ends.");
    String kind = "ok";
    if (!offline.isEmpty()) {
      kind = "warn";
      m.append(' ').append(offline.size() == ids.size() ? (ids.size() == 1 ? "It is" : "They are all")
          : Format.plural(offline.size(), "image is", "images are"))
          .append(" only on offline hosts, and will wait for a host to come back until ")
          .append(Format.time(job.expiresAt())).append('.');
    }
    return new Pages.Flash(kind, m.toString(), "/scans/" + jobId, "Follow scan job " + jobId.substring(0, 8));
  }

  private Pages.Flash cancel(Context ctx, List<String> ids) {
    List<InFlight> ended = scans.cancelImages(ids, "cancelled by " + requester(ctx));
    long images = ended.stream().map(InFlight::imageId).distinct().count();
    if (images == 0) {
      return new Pages.Flash("warn", (ids.size() == 1 ? "This image has no" : "None of the selected images has a")
          + " scan queued or in progress: nothing was cancelled.", "", "");
    }
    return new Pages.Flash("ok", "Cancelled the scans of " + Format.plural(images, "image", "images")
        + (images < ids.size() ? " (the other " + (ids.size() - images) + " had no scan in progress)" : "")
        + ". Agents stop between two files.", "", "");
  }

  /** The scan box of the image header, or the compact one of the images list, for htmx to poll. */
  private void scanStatus(Context ctx) {
    Request r = Request.of(ctx, List.of(bool("compact", "The images list's cell"),
        bool("poll", "Asked by a box that was in flight")));
    String id = imageId(ctx.pathParam("id"));
    var summary = store.image(id).orElseThrow(() -> ApiProblem.notFound("no image " + id)).summary();
    var box = new Pages.ScanBox(id, summary.scan(), clock.instant(), r.bool("compact"), false);
    if (r.bool("poll") && !box.inFlight() && !box.compact()) {
      // The scan ended under an open image page: its counts and history changed, so show them all.
      ctx.header("HX-Refresh", "true");
    }
    console.render(ctx, "scanbox.jte", box);
  }

  /** The images list's poll: the cells of the images it names, and itself again while any is in flight. */
  private void scanCells(Context ctx) {
    Request.of(ctx, List.of(Param.query("ids", "Short image IDs, comma-separated")));
    String raw = Optional.ofNullable(ctx.queryParam("ids")).orElse("");
    List<String> asked = java.util.Arrays.stream(raw.split(",")).map(String::strip).filter(s -> !s.isEmpty())
        .distinct().limit(PageRequest.MAX_SIZE).toList();
    Instant now = clock.instant();
    List<Pages.ScanBox> boxes = new ArrayList<>();
    List<String> still = new ArrayList<>();
    for (String a : asked) {
      Optional<String> id = resolve(a);
      if (id.isEmpty()) continue;
      var scan = store.imageScanStatus(id.get()).map(s -> new Queries.Scan(s.status(), s.phase(), s.progress(),
          s.reason(), s.jobId(), s.hostId(), s.updated(), s.lastScannedAt())).orElse(Queries.Scan.NOT_SCANNED);
      var box = new Pages.ScanBox(id.get(), scan, now, true, true);
      boxes.add(box);
      if (box.inFlight()) still.add(box.shortId());
    }
    console.render(ctx, "scancells.jte", new Pages.ScanCells(boxes, still));
  }

  // ---- scan jobs

  private static final List<Param> JOB_LIST_PARAMS = List.of(
      choice("state", "Only jobs in this state", JobStateFilter.class, JobStateFilter.ANY),
      choice("trigger", "Only jobs started this way", TriggerFilter.class, TriggerFilter.ANY),
      ImageListParams.PAGE, Param.integer("size", "Jobs per page", 25));

  private void jobs(Context ctx) {
    Request r = Request.of(ctx, JOB_LIST_PARAMS);
    Query q = Query.of(ctx.queryParamMap());
    Page<JobView> page = store.jobs(new JobQuery(any(r.choice("state", JobStateFilter.class)),
        any(r.choice("trigger", TriggerFilter.class)), Optional.empty(), r.page())).map(ScanApi::view);
    console.render(ctx, "scans.jte", new Pages.Scans(console.chrome("Scans", "scans"), page,
        Pager.of(page, "/scans", q), q, flash(ctx)));
  }

  private void job(Context ctx) {
    Request r = Request.of(ctx, List.of(
        choice("state", "Only images in this state", ItemStateFilter.class, ItemStateFilter.ANY),
        ImageListParams.PAGE, ImageListParams.SIZE));
    Query q = Query.of(ctx.queryParamMap());
    JobRow job = jobRow(ctx.pathParam("id"));
    var items = store.jobItems(job.id(), any(r.choice("state", ItemStateFilter.class)), r.page()).map(ScanApi::view);
    console.render(ctx, "scan.jte", new Pages.ScanJob(console.chrome("Scan job " + job.id().substring(0, 8), "scans"),
        ScanApi.view(job), items, Pager.of(items, "/scans/" + job.id(), q), q, flash(ctx)));
  }

  private void cancelJob(Context ctx) {
    Console.sameOrigin(ctx);
    JobRow job = jobRow(ctx.pathParam("id"));
    String back = back(ctx, "/scans/" + job.id());
    if (JobState.valueOf(job.state()).isFinal()) {
      redirect(ctx, back, new Pages.Flash("warn", "This job had already ended (" + job.state().toLowerCase()
          + "): nothing was cancelled.", "", ""));
      return;
    }
    scans.cancel(job.id(), "cancelled by " + requester(ctx));
    redirect(ctx, back, Pages.Flash.ok("Scan job " + job.id().substring(0, 8) + " cancelled: its unfinished images"
        + " are CANCELLED, and agents stop between two files."));
  }

  private JobRow jobRow(String id) {
    if (id.length() > 64) throw ApiProblem.notFound("no scan job with ID '" + id.substring(0, 64) + "…'");
    return store.job(id).orElseThrow(() -> ApiProblem.notFound("no scan job with ID '" + id + "'"));
  }

  private static <E extends Enum<E>> Optional<String> any(E value) {
    return value.name().equals("ANY") ? Optional.empty() : Optional.of(value.name());
  }

  // ---- schedules

  private void scheduleList(Context ctx) {
    Request r = Request.of(ctx, List.of(ImageListParams.PAGE, ImageListParams.SIZE));
    Query q = Query.of(ctx.queryParamMap());
    var page = schedules.list(r.page()).map(scheduleReader::view);
    console.render(ctx, "schedules.jte", new Pages.Schedules(console.chrome("Schedules", "schedules"), page,
        Pager.of(page, "/schedules", q), flash(ctx)));
  }

  private void schedule(Context ctx) {
    Request r = Request.of(ctx, List.of(ImageListParams.PAGE, Param.integer("size", "Events per page", 20)));
    Query q = Query.of(ctx.queryParamMap());
    var view = scheduleView(ctx.pathParam("id"));
    var events = schedules.events(view.id(), r.page()).map(ev -> new ScheduleApi.EventView(ev.seq(), ev.at(),
        ev.kind(), ev.jobId().orElse(null), ev.detail(), ev.collectorId()));
    console.render(ctx, "schedule.jte", new Pages.Schedule(console.chrome(view.name(), "schedules"), view, events,
        Pager.of(events, "/schedules/" + view.id(), q), flash(ctx)));
  }

  private ScheduleApi.ScheduleView scheduleView(String id) {
    if (id.length() > 64) throw ApiProblem.notFound("no schedule with ID '" + id.substring(0, 64) + "…'");
    return schedules.get(id).map(scheduleReader::view)
        .orElseThrow(() -> ApiProblem.notFound("no schedule with ID '" + id + "'"));
  }

  /** Creates ({@code id} empty) or replaces a schedule; a refused form comes back with each error by its field. */
  private void save(Context ctx, String id) {
    Console.sameOrigin(ctx);
    ScheduleFields fields = ScheduleFields.of(ctx.formParamMap());
    ScheduleSpec spec;
    try {
      spec = scheduleReader.parse(fields.json(mapper));
    } catch (ApiProblem p) {
      form(ctx, 400, id, fields, byField(p), p.errors().isEmpty() ? p.getMessage() : "");
      return;
    }
    try {
      var saved = id.isEmpty() ? schedules.create(spec) : schedules.update(id, spec)
          .orElseThrow(() -> ApiProblem.notFound("no schedule with ID '" + id + "'"));
      var view = scheduleReader.view(saved);
      String next = view.nextRunAt() == null ? "It will not run while it is disabled."
          : "Next run " + local(view.nextRunAt(), view.timeZone()) + ".";
      redirect(ctx, "/schedules/" + saved.stored().id(), Pages.Flash.ok("Schedule '" + view.name() + "' "
          + (id.isEmpty() ? "created" : "saved") + ". " + next));
    } catch (ScheduleStore.NameTaken e) {
      form(ctx, 409, id, fields, Map.of("name", e.getMessage() + ": choose another name"), "");
    }
  }

  private static Map<String, String> byField(ApiProblem p) {
    Map<String, String> out = new LinkedHashMap<>();
    for (var e : p.errors()) out.merge(e.field().isEmpty() ? "" : e.field(), e.detail(), (a, b) -> a + "; " + b);
    return out;
  }

  private void form(Context ctx, int status, String id, ScheduleFields fields, Map<String, String> errors,
      String problem) {
    String title = id.isEmpty() ? "New schedule" : "Edit " + (fields.name().isBlank() ? "schedule" : fields.name());
    console.render(ctx.status(status), "scheduleform.jte", new Pages.ScheduleForm(console.chrome(title, "schedules"),
        id, fields, errors, problem, ZONES));
  }

  /** The next runs of the form as it stands, for the form's live preview. */
  private void preview(Context ctx) {
    Console.sameOrigin(ctx);
    ScheduleFields fields = ScheduleFields.of(ctx.formParamMap());
    Pages.SchedulePreview preview;
    try {
      ScheduleSpec spec = scheduleReader.parse(fields.json(mapper));
      preview = new Pages.SchedulePreview(spec.nextRuns(clock.instant(), ScheduleService.PREVIEW).stream()
          .map(t -> t.atZone(spec.zone())).toList(), "");
    } catch (ApiProblem p) {
      preview = new Pages.SchedulePreview(List.of(), p.getMessage());
    }
    console.render(ctx, "schedulepreview.jte", preview);
  }

  private void toggle(Context ctx) {
    Console.sameOrigin(ctx);
    var view = scheduleView(ctx.pathParam("id"));
    var stored = schedules.get(view.id()).orElseThrow();
    ScheduleSpec spec = stored.spec().orElseThrow(() -> ApiProblem.badRequest("the stored schedule is no longer"
        + " valid (" + stored.problem() + "): edit it to fix it first"));
    boolean enable = !spec.enabled();
    var saved = schedules.update(view.id(), new ScheduleSpec(spec.name(), enable, spec.scope(), spec.categories(),
        spec.force(), spec.recurrence(), spec.zone(), spec.window())).orElseThrow();
    var after = scheduleReader.view(saved);
    redirect(ctx, back(ctx, "/schedules"), Pages.Flash.ok("Schedule '" + after.name() + "' "
        + (enable ? "enabled; next run " + local(after.nextRunAt(), after.timeZone()) + "." : "disabled.")));
  }

  private void deleteSchedule(Context ctx) {
    Console.sameOrigin(ctx);
    var view = scheduleView(ctx.pathParam("id"));
    schedules.delete(view.id());
    redirect(ctx, "/schedules", Pages.Flash.ok("Schedule '" + view.name() + "' deleted. Jobs it started are kept"
        + " under Scans."));
  }

  static String local(Instant t, String zone) {
    if (t == null) return "—";
    ZonedDateTime z = t.atZone(ZoneId.of(zone));
    return Format.zoned(z);
  }

  // ---- helpers

  private Optional<String> resolve(String idOrPrefix) {
    try {
      return store.resolveImageId(idOrPrefix.strip());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private String imageId(String idOrPrefix) {
    return resolve(idOrPrefix)
        .orElseThrow(() -> ApiProblem.notFound("no image with ID or prefix '" + idOrPrefix + "'"));
  }
}
