package io.portolan.collector.api;

import static io.portolan.collector.api.Param.integer;
import static io.portolan.collector.api.Param.path;
import static io.portolan.collector.api.Param.query;

import io.portolan.collector.scan.AutoAssess;
import io.portolan.collector.scan.JobState;
import io.portolan.collector.scan.ScanCategory;
import io.portolan.collector.scan.ScanRequest;
import io.portolan.collector.scan.ScanScope;
import io.portolan.collector.scan.ScanService;
import io.portolan.collector.scan.ScanTrigger;
import io.portolan.collector.store.Page;
import io.portolan.collector.store.PageRequest;
import io.portolan.collector.store.ScanStore.InFlight;
import io.portolan.collector.store.ScanStore.ItemRow;
import io.portolan.collector.store.ScanStore.JobQuery;
import io.portolan.collector.store.ScanStore.JobRow;
import io.portolan.collector.store.ScanStore.ScanRecord;
import io.portolan.collector.store.Store;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The scan endpoints: categories, scan jobs (start, list, follow per image, cancel), batch actions
 * on images (scan, cancel), an image's scan history, and the auto-assess setting.
 */
public final class ScanApi {
  /** The most images, hosts or repositories one request may name. */
  public static final int MAX_IDS = 10_000;

  private final Store store;
  private final ScanService scans;
  private final Function<String, String> imageId;

  ScanApi(Store store, ScanService scans, Function<String, String> imageId) {
    this.store = store;
    this.scans = scans;
    this.imageId = imageId;
  }

  /** A category and whether this collector scans for it. */
  record CategoryView(String name, boolean supported, String description) {}

  /** What a scan covers: {@code kind} is all, images, hosts or repositories; {@code ids} name them. */
  record ScopeBody(String kind, List<String> ids) {}

  /** A scan request. Categories default to vulnerabilities; requestedBy names the person or program. */
  record ScanBody(ScopeBody scope, List<String> categories, Boolean force, String requestedBy, String trigger) {}

  /** A batch of images to scan (again). */
  record ImagesScanBody(List<String> images, List<String> categories, Boolean force, String requestedBy) {}

  /** A batch of images whose scans to cancel. */
  record ImagesBody(List<String> images, String requestedBy) {}

  record CancelResult(int cancelled, List<String> images) {}

  /** Images of a job per item state, and the job's progress in percent (each image counts equally). */
  public record JobCounts(int queued, int waiting, int scanning, int scanned, int cancelled, int failed) {}

  public record JobView(String id, String trigger, String scopeKind, List<String> scopeIds, List<String> categories,
      String requestedBy, boolean force, String scheduleId, String state, String reason, Instant created,
      Instant started, Instant finished, Instant expiresAt, String owner, int images, JobCounts counts,
      int progressPercent) {}

  /**
   * One image of a job: its item state (QUEUED, WAITING, DISPATCHED, SCANNING, COMPLETING, SCANNED,
   * CANCELLED, SCAN_EXCEPTION), progress, host and reason.
   */
  public record ItemView(String imageId, List<String> repoTags, String state, int progress, String hostId,
      String hostName,
      String reason, int attempts, Instant queuedAt, Instant dispatchedAt, Instant updatedAt, Instant finishedAt) {}

  record JobDetail(JobView job, Page<ItemView> images) {}

  public enum ItemStateFilter {
    ANY, QUEUED, WAITING, DISPATCHED, SCANNING, COMPLETING, SCANNED, CANCELLED, SCAN_EXCEPTION
  }

  public enum JobStateFilter { ANY, QUEUED, RUNNING, PAUSED, SUCCEEDED, FAILED, CANCELLED, EXPIRED }

  public enum TriggerFilter { ANY, MANUAL, SCHEDULE, AUTO_ASSESS, API }

  List<Endpoint> endpoints() {
    String prefix = RestApi.PREFIX;
    Param page = integer("page", "Page number, from 1", 1);
    Param size = integer("size", "Rows per page, at most " + PageRequest.MAX_SIZE, 50);
    List<Endpoint> e = new ArrayList<>();
    e.add(new Endpoint(prefix + "/scan-categories", "What scans can look for, and whether this collector supports it",
        List.of(), new GenericType(List.class, CategoryView.class), r -> categories()));
    e.add(new Endpoint(Endpoint.Method.POST, prefix + "/scans",
        "Starts a scan job: scope all, images, hosts or repositories; categories (default vulnerabilities); force"
            + " re-reads every layer instead of the agents' caches. An image on several hosts is scanned once, on an"
            + " online host that is least busy; images only on offline hosts wait for them until the job expires.",
        List.of(), "The scan request", JobView.class, r -> start(r.json(ScanBody.class)), ScanBody.class, 200));
    e.add(new Endpoint(prefix + "/scans", "Scan jobs, newest first, with their progress",
        List.of(Param.choice("state", "Only jobs in this state", JobStateFilter.class, JobStateFilter.ANY),
            Param.choice("trigger", "Only jobs started this way", TriggerFilter.class, TriggerFilter.ANY),
            query("schedule", "Only jobs of this schedule"), page, size),
        RestApi.pageOf(JobView.class), r -> store.jobs(new JobQuery(filter(r.choice("state", JobStateFilter.class)),
            filter(r.choice("trigger", TriggerFilter.class)), r.text("schedule"), r.page())).map(ScanApi::view)));
    e.add(new Endpoint(prefix + "/scans/{id}", "A scan job and the progress of each of its images",
        List.of(path("id", "Scan job ID"),
            Param.choice("state", "Only images in this state", ItemStateFilter.class, ItemStateFilter.ANY), page, size),
        JobDetail.class, r -> {
          JobRow job = job(r.path("id"));
          Page<ItemRow> items = store.jobItems(job.id(), filter(r.choice("state", ItemStateFilter.class)), r.page());
          return new JobDetail(view(job), items.map(ScanApi::view));
        }));
    e.add(new Endpoint(Endpoint.Method.POST, prefix + "/scans/{id}/cancel",
        "Cancels every unfinished image of a scan job; agents stop between two files",
        List.of(path("id", "Scan job ID"), query("by", "Who cancels it, for the history")), "", JobView.class,
        r -> {
          JobRow job = job(r.path("id"));
          scans.cancel(job.id(), "cancelled by " + r.text("by").orElse("an API caller"));
          return view(job(job.id()));
        }));
    e.add(new Endpoint(Endpoint.Method.POST, prefix + "/images/scan",
        "Scans these images now (scan again), as one job", List.of(), "The images and options",
        JobView.class, r -> scanImages(r.json(ImagesScanBody.class)), ImagesScanBody.class, 200));
    e.add(new Endpoint(Endpoint.Method.POST, prefix + "/images/cancel-scan",
        "Cancels the scans of these images in every job that has them unfinished", List.of(), "The images",
        CancelResult.class, r -> cancelImages(r.json(ImagesBody.class)), ImagesBody.class, 200));
    e.add(new Endpoint(prefix + "/images/{id}/scans",
        "The scan history of an image, newest first: job, host, outcome, duration and counts before and after",
        List.of(path("id", "Image ID or unique prefix"), page, size), RestApi.pageOf(ScanRecord.class),
        r -> store.scanHistory(imageId.apply(r.path("id")), r.page())));
    e.add(new Endpoint(prefix + "/settings/auto-assess",
        "Whether images are scanned when they arrive, and how many per minute and at once one host is asked for",
        List.of(), AutoAssess.class, r -> scans.autoAssess()));
    e.add(new Endpoint(Endpoint.Method.PUT, prefix + "/settings/auto-assess",
        "Changes auto-assess; turned on, it scans images that arrive from then on", List.of(), "The setting",
        AutoAssess.class, r -> setAutoAssess(r.json(AutoAssess.class)), AutoAssess.class, 200));
    return e;
  }

  private static <E extends Enum<E>> Optional<String> filter(E value) {
    return value.name().equals("ANY") ? Optional.empty() : Optional.of(value.name());
  }

  private static List<CategoryView> categories() {
    return Arrays.stream(ScanCategory.values()).map(c -> new CategoryView(c.wireName(), c.supported(),
        switch (c) {
          case VULNERABILITIES -> "OS and language packages of every layer, matched against the advisory feeds";
          case SENSITIVE_DATA -> "secrets and keys left in image layers (not available yet)";
          case MALWARE -> "known malicious files (not available yet)";
        })).toList();
  }

  private JobRow job(String id) {
    return store.job(id).orElseThrow(() -> ApiProblem.notFound("no scan job with ID '" + id + "'"));
  }

  static Set<ScanCategory> categories(List<String> names) {
    if (names == null || names.isEmpty()) return Set.of(ScanCategory.VULNERABILITIES);
    Set<ScanCategory> out = new LinkedHashSet<>();
    for (String n : names) {
      if (n == null) throw ApiProblem.badRequest("a scan category is null");
      ScanCategory c = ScanCategory.byWireName(n).orElseThrow(() -> ApiProblem.badRequest("unknown scan category '"
          + n + "'; known: " + String.join(", ", Arrays.stream(ScanCategory.values()).map(ScanCategory::wireName)
          .toList())));
      if (!c.supported()) {
        throw ApiProblem.badRequest("scan category '" + c.wireName() + "' is not supported by this collector;"
            + " supported: " + String.join(", ", ScanService.supportedCategories()));
      }
      out.add(c);
    }
    return out;
  }

  private JobView start(ScanBody body) {
    if (body.scope() == null) throw ApiProblem.badRequest("the request body needs a 'scope' (kind and ids)");
    String kindName = body.scope().kind() == null ? "" : body.scope().kind().trim().toUpperCase(Locale.ROOT)
        .replace('-', '_');
    ScanScope.Kind kind = switch (kindName) {
      case "ALL", "ALL_IMAGES" -> ScanScope.Kind.ALL_IMAGES;
      case "IMAGES" -> ScanScope.Kind.IMAGES;
      case "HOSTS" -> ScanScope.Kind.HOSTS;
      case "REPOSITORIES" -> ScanScope.Kind.REPOSITORIES;
      default -> throw ApiProblem.badRequest("scope.kind must be all, images, hosts or repositories, got '"
          + body.scope().kind() + "'");
    };
    List<String> ids = body.scope().ids() == null ? List.of() : body.scope().ids();
    if (kind == ScanScope.Kind.ALL_IMAGES && !ids.isEmpty()) throw ApiProblem.badRequest("scope 'all' takes no ids");
    if (kind != ScanScope.Kind.ALL_IMAGES && ids.isEmpty()) {
      throw ApiProblem.badRequest("scope '" + kind.name().toLowerCase(Locale.ROOT) + "' needs at least one id");
    }
    if (ids.size() > MAX_IDS) throw ApiProblem.badRequest("a scope names at most " + MAX_IDS + " ids");
    List<String> resolved = switch (kind) {
      case ALL_IMAGES -> List.of();
      case IMAGES -> images(ids);
      case HOSTS -> hosts(ids);
      case REPOSITORIES -> repositories(ids);
    };
    ScanTrigger trigger = switch (body.trigger() == null ? "api" : body.trigger().trim().toLowerCase(Locale.ROOT)) {
      case "api" -> ScanTrigger.API;
      case "manual" -> ScanTrigger.MANUAL;
      default -> throw ApiProblem.badRequest("trigger must be api or manual (schedules and auto-assess start their"
          + " own jobs), got '" + body.trigger() + "'");
    };
    return submit(new ScanRequest(trigger, new ScanScope(kind, resolved), categories(body.categories()),
        requestedBy(body.requestedBy()), Boolean.TRUE.equals(body.force()), Optional.empty()));
  }

  private JobView submit(ScanRequest request) {
    try {
      return view(job(scans.submit(request)));
    } catch (IllegalArgumentException e) {
      throw ApiProblem.badRequest(e.getMessage());
    }
  }

  private static String requestedBy(String by) {
    if (by == null || by.isBlank()) return "api";
    if (by.length() > 255) throw ApiProblem.badRequest("requestedBy is longer than 255 characters");
    return by.trim();
  }

  private List<String> images(List<String> ids) {
    List<String> out = new ArrayList<>();
    for (String id : ids) {
      if (id == null || id.isBlank()) throw ApiProblem.badRequest("an image ID is empty");
      try {
        out.add(imageId.apply(id));
      } catch (ApiProblem p) {
        throw ApiProblem.badRequest(p.getMessage());
      }
    }
    return List.copyOf(new TreeSet<>(out));
  }

  private List<String> hosts(List<String> ids) {
    Instant any = Instant.EPOCH;
    for (String id : ids) {
      if (id == null || store.host(id, any).isEmpty()) throw ApiProblem.badRequest("no host with ID '" + id + "'");
    }
    return List.copyOf(new TreeSet<>(ids));
  }

  private static List<String> repositories(List<String> names) {
    for (String n : names) if (n == null || n.isBlank()) throw ApiProblem.badRequest("a repository name is empty");
    return List.copyOf(new TreeSet<>(names));
  }

  private JobView scanImages(ImagesScanBody body) {
    if (body.images() == null || body.images().isEmpty()) {
      throw ApiProblem.badRequest("'images' must list at least one image");
    }
    if (body.images().size() > MAX_IDS) throw ApiProblem.badRequest("at most " + MAX_IDS + " images at once");
    return submit(new ScanRequest(ScanTrigger.MANUAL, new ScanScope(ScanScope.Kind.IMAGES, images(body.images())),
        categories(body.categories()), requestedBy(body.requestedBy()), Boolean.TRUE.equals(body.force()),
        Optional.empty()));
  }

  private CancelResult cancelImages(ImagesBody body) {
    if (body.images() == null || body.images().isEmpty()) {
      throw ApiProblem.badRequest("'images' must list at least one image");
    }
    if (body.images().size() > MAX_IDS) throw ApiProblem.badRequest("at most " + MAX_IDS + " images at once");
    List<InFlight> ended = scans.cancelImages(images(body.images()), "cancelled by " + requestedBy(body.requestedBy()));
    return new CancelResult(ended.size(), ended.stream().map(InFlight::imageId).distinct().sorted().toList());
  }

  private AutoAssess setAutoAssess(AutoAssess value) {
    return scans.autoAssess(value);
  }

  /** A job as the API and the console show it: counts per item state and progress in percent. */
  public static JobView view(JobRow j) {
    Map<String, Integer> i = j.items();
    int scanned = i.getOrDefault("SCANNED", 0);
    int cancelled = i.getOrDefault("CANCELLED", 0);
    int failed = i.getOrDefault("SCAN_EXCEPTION", 0);
    int scanning = i.getOrDefault("DISPATCHED", 0) + i.getOrDefault("SCANNING", 0) + i.getOrDefault("COMPLETING", 0);
    JobCounts counts = new JobCounts(i.getOrDefault("QUEUED", 0), i.getOrDefault("WAITING", 0), scanning, scanned,
        cancelled, failed);
    int progress = j.imageCount() == 0 ? (JobState.valueOf(j.state()).isFinal() ? 100 : 0)
        : (int) (((long) (scanned + cancelled + failed) * 100 + j.progressSum()) / j.imageCount());
    return new JobView(j.id(), j.trigger(), j.scopeKind(), j.scopeIds(), j.categories(), j.requestedBy(), j.force(),
        j.scheduleId().orElse(null), j.state(), j.stateReason(), j.created(), j.started(), j.finished(),
        j.expiresAt(), j.owner(), j.imageCount(), counts, Math.min(100, progress));
  }

  public static ItemView view(ItemRow r) {
    return new ItemView(r.imageId(), r.repoTags(), r.state(), r.progress(), r.hostId(), r.hostName(), r.reason(),
        r.attempts(), r.queuedAt(), r.dispatchedAt(), r.updatedAt(), r.finishedAt());
  }
}
