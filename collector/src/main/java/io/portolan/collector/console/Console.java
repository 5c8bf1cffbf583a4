package io.portolan.collector.console;

import static io.portolan.collector.api.Param.bool;
import static io.portolan.collector.api.Param.choice;
import static io.portolan.collector.api.Param.query;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.Utf8ByteOutput;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import io.javalin.http.staticfiles.Location;
import io.portolan.collector.advisory.FeedService;
import io.portolan.collector.api.ApiProblem;
import io.portolan.collector.api.ApiServer;
import io.portolan.collector.api.ImageListParams;
import io.portolan.collector.api.Param;
import io.portolan.collector.api.Request;
import io.portolan.collector.api.WebUi;
import io.portolan.collector.api.ScanApi;
import io.portolan.collector.query.VulnerabilityViews;
import io.portolan.collector.scan.ScanService;
import io.portolan.collector.schedule.ScheduleService;
import io.portolan.collector.store.ScanStore.JobQuery;
import io.portolan.collector.query.VulnerabilityViews.FindingFilter;
import io.portolan.collector.query.VulnerabilityViews.MinSeverity;
import io.portolan.collector.query.VulnerabilityViews.PackageGroup;
import io.portolan.collector.query.VulnerabilityViews.StateFilter;
import io.portolan.collector.store.InventoryStore.PackageQuery;
import io.portolan.collector.store.Page;
import io.portolan.collector.store.PageRequest;
import io.portolan.collector.store.Queries.ContainerQuery;
import io.portolan.collector.store.Queries.ContainerState;
import io.portolan.collector.store.Queries.Direction;
import io.portolan.collector.store.Queries.HostQuery;
import io.portolan.collector.store.Queries.HostStatus;
import io.portolan.collector.store.Queries.HostSummary;
import io.portolan.collector.store.Queries.ImageDetail;
import io.portolan.collector.store.Queries.ImageQuery;
import io.portolan.collector.store.Queries.ImageSort;
import io.portolan.collector.store.Queries.ImageSummary;
import io.portolan.collector.store.Queries.RepositoryQuery;
import io.portolan.collector.api.RestApi;
import io.portolan.collector.store.Store;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The web console: server-rendered pages over the same store and views the REST API uses. Pages are
 * jte templates compiled at build time; htmx swaps the parts that change (a filtered list, a tab)
 * when it is there, and every link and form also works as a plain page load.
 */
public final class Console implements WebUi {
  /** Rows an export writes at most: the whole fleet, yet bounded. */
  static final int EXPORT_LIMIT = 100_000;
  private static final int OPTIONS = 20;
  private static final int GROUPS_PER_PAGE = 25;
  private static final int LAST_SCANS = 5;
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmm", Locale.ROOT).withZone(ZoneOffset.UTC);
  /** The purl types the inventory reports, for the packages tab's type filter. */
  private static final List<String> PACKAGE_TYPES =
      List.of("deb", "apk", "rpm", "maven", "npm", "pypi", "golang", "cargo", "gem", "composer", "nuget");

  private final Store store;
  private final VulnerabilityViews views;
  private final FeedService feeds;
  private final Clock clock;
  private final Duration offlineAfter;
  private final String version;
  private final String agentCommand;
  private final Path uploads;
  private final ScanPages scanPages;
  private final TemplateEngine templates = TemplateEngine.createPrecompiled(ContentType.Html);
  private final ObjectMapper json = ApiServer.jsonMapper();

  /**
   * @param agentAddress what agents dial ({@code host:port}), shown in the "no agents yet" hint
   * @param uploads where uploaded feed files wait while they are imported
   */
  public Console(Store store, VulnerabilityViews views, FeedService feeds, ScanService scans,
      ScheduleService schedules, Clock clock, Duration offlineAfter, String version, String agentAddress,
      Path uploads) {
    this.store = store;
    this.scanPages = new ScanPages(store, scans, schedules, clock, this);
    this.views = views;
    this.feeds = feeds;
    this.clock = clock;
    this.offlineAfter = offlineAfter;
    this.version = version;
    this.agentCommand = "./portolan agent --collector " + agentAddress;
    this.uploads = uploads;
  }

  @Override
  public void configure(JavalinConfig cfg) {
    cfg.staticFiles.enableWebjars();
    cfg.staticFiles.add(s -> {
      s.hostedPath = "/static";
      s.directory = "/io/portolan/collector/console/static";
      s.location = Location.CLASSPATH;
    });
    // Feed exports run to tens of megabytes: they go to disk, not to memory.
    cfg.jetty.multipartConfig.cacheDirectory(uploads.toString());
    cfg.jetty.multipartConfig.maxFileSize(1, SizeUnit.GB);
    cfg.jetty.multipartConfig.maxInMemoryFileSize(1, SizeUnit.MB);
    cfg.jetty.multipartConfig.maxTotalRequestSize(1, SizeUnit.GB);
  }

  @Override
  public void routes(Javalin app) {
    scanPages.routes(app);
    app.get("/", this::overview);
    app.get("/images/export.csv", ctx -> export(ctx, false));
    app.get("/images/export.json", ctx -> export(ctx, true));
    app.get("/images", this::images);
    app.get("/images/{id}", ctx -> image(ctx, Pages.Tab.VULNERABILITIES));
    app.get("/images/{id}/{tab}", ctx -> image(ctx, Pages.Tab.bySlug(ctx.pathParam("tab"))
        .orElseThrow(() -> ApiProblem.notFound("an image has no tab '" + ctx.pathParam("tab") + "'"))));
    app.get("/hosts", this::hosts);
    app.get("/options/hosts", this::hostOptions);
    app.get("/options/repositories", this::repositoryOptions);
    app.get("/hosts/{id}", ctx -> host(ctx, false));
    app.get("/hosts/{id}/containers", ctx -> host(ctx, true));
    app.get("/containers", this::containers);
    app.get("/repositories", this::repositories);
    app.get("/vulnerabilities", this::vulnerabilities);
    app.get("/vulnerabilities/{id}", this::vulnerability);
    app.get("/feeds", ctx -> render(ctx, "feeds.jte",
        new Pages.Feeds(chrome("Feeds", "feeds"), views.feeds(), Optional.empty(), "", "")));
    app.post("/feeds/import", this::importFeed);
    app.post("/feeds/{name}/refresh", this::refreshFeed);
  }

  @Override
  public void error(Context ctx, int status, String title, String detail) {
    if (ctx.header("HX-Request") != null) {
      // An htmx swap of part of a page: put the error where the page's content is instead.
      ctx.header("HX-Retarget", "#main").header("HX-Reswap", "outerHTML").header("HX-Reselect", "#main");
    }
    render(ctx.status(status), "error.jte", new Pages.Error(chrome(title, ""), status, title, detail));
  }

  // ---- pages

  private void overview(Context ctx) {
    Request.of(ctx, List.of());
    Instant since = onlineSince();
    var top = store.images(new ImageQuery(Optional.empty(), Optional.empty(), Optional.empty(), false,
        ImageSort.RISK, Direction.DESC, new PageRequest(1, 10),
        new ImageQuery.Filters(io.portolan.collector.store.Queries.SeverityFilter.ANY, false, false,
            io.portolan.collector.store.Queries.Assessment.ASSESSED, Optional.empty())));
    var lastScans = store.jobs(new JobQuery(Optional.empty(), Optional.empty(), Optional.empty(),
        new PageRequest(1, LAST_SCANS))).map(ScanApi::view).items();
    render(ctx, "overview.jte", new Pages.Overview(chrome("Overview", "overview"), store.overview(since),
        top.items(), views.feeds(), lastScans));
  }

  private void images(Context ctx) {
    Request r = Request.of(ctx, ImageListParams.ALL);
    Query q = Query.of(ctx.queryParamMap());
    HostFilter host = hostFilter(r.text("host"));
    ImageQuery query = ImageListParams.imageQuery(r, host.id(), r.page());
    Page<ImageSummary> page = store.images(query);
    render(ctx, "images.jte", new Pages.Images(chrome("Images", "images"), page, q, Pager.of(page, "/images", q),
        query.sort(), query.direction(), host.note(), host.label(), ScanPages.flash(ctx)));
  }

  /** The current filtered list, every page of it: what the analyst sees, for a spreadsheet or a script. */
  private void export(Context ctx, boolean asJson) throws IOException {
    Request r = Request.of(ctx, ImageListParams.ALL);
    HostFilter host = hostFilter(r.text("host"));
    String name = "portolan-images-" + STAMP.format(clock.instant());
    ctx.header("Content-Disposition", "attachment; filename=\"" + name + (asJson ? ".json\"" : ".csv\""));
    ctx.contentType(asJson ? "application/json" : "text/csv; charset=utf-8");
    try (Writer out = new OutputStreamWriter(ctx.outputStream(), StandardCharsets.UTF_8)) {
      JsonGenerator gen = null;
      if (asJson) {
        gen = json.getFactory().createGenerator(out);
        gen.writeStartArray();
      } else {
        Csv.row(out, List.of(ImageColumn.values()).stream().map(ImageColumn::title).toList());
      }
      int written = 0;
      for (int n = 1; written < EXPORT_LIMIT; n++) {
        Page<ImageSummary> page = store.images(ImageListParams.imageQuery(r, host.id(),
            new PageRequest(n, PageRequest.MAX_SIZE)));
        for (ImageSummary s : page.items()) {
          if (written++ >= EXPORT_LIMIT) break;
          if (gen != null) {
            json.writeValue(gen, s);
          } else {
            List<String> row = new ArrayList<>();
            for (ImageColumn c : ImageColumn.values()) row.add(c.csv(s));
            Csv.row(out, row);
          }
        }
        if (page.items().size() < PageRequest.MAX_SIZE) break;
      }
      if (gen != null) {
        gen.writeEndArray();
        gen.flush();
      }
    }
  }

  private static final List<Param> PACKAGE_PARAMS = List.of(query("search", "Package or source name"),
      query("type", "purl type"), query("layer", "Layer index or diff ID"), ImageListParams.PAGE,
      ImageListParams.SIZE);
  private static final List<Param> FINDING_PARAMS = List.of(query("search", "ID or package"),
      choice("severity", "At least this severe", MinSeverity.class, MinSeverity.ANY),
      choice("state", "State", StateFilter.class, StateFilter.ANY), bool("fixable", "Only with a fix"),
      query("layer", "Layer index or diff ID"), ImageListParams.PAGE,
      Param.integer("size", "Package groups per page", GROUPS_PER_PAGE));
  private static final Param HOST_STATUS = choice("status", "Online or offline", HostStatus.class, HostStatus.ANY);
  private static final Param CONTAINER_STATE =
      choice("state", "Container state", ContainerState.class, ContainerState.ANY);

  private void image(Context ctx, Pages.Tab tab) {
    String id = RestApi.imageId(store, ctx.pathParam("id"));
    ImageDetail image = store.image(id).orElseThrow(() -> ApiProblem.notFound("no image " + id));
    Query q = Query.of(ctx.queryParamMap());
    String path = "/images/" + Format.shortId(id) + "/" + tab.slug();
    Pages.TabContent content = switch (tab) {
      case LAYERS -> {
        Request.of(ctx, List.of());
        yield new Pages.LayersTab(views.layers(id));
      }
      case PACKAGES -> {
        Request r = Request.of(ctx, PACKAGE_PARAMS);
        var page = store.imagePackages(id, new PackageQuery(r.text("search"), r.text("type"), r.text("layer"),
            r.page()));
        yield new Pages.PackagesTab(page, Pager.of(page, path, q), q, store.imageLayers(id), PACKAGE_TYPES);
      }
      case VULNERABILITIES -> {
        Request r = Request.of(ctx, FINDING_PARAMS);
        var findings = views.findings(id, new FindingFilter(r.choice("severity", MinSeverity.class),
            r.bool("fixable"), r.choice("state", StateFilter.class), r.text("layer"), r.text("search")));
        List<PackageGroup> groups = VulnerabilityViews.byPackage(findings);
        PageRequest pr = r.page();
        int from = (int) Math.min(groups.size(), pr.offset());
        int to = Math.min(groups.size(), from + pr.size());
        // Descriptions are read for the groups shown only: an image may have thousands of findings.
        var page = new Page<>(views.groupsWithTexts(groups.subList(from, to)), groups.size(), pr.page(), pr.size());
        yield new Pages.VulnerabilitiesTab(page, findings.size(), Pager.of(page, path, q), q, store.imageLayers(id));
      }
      case SERVERS -> {
        Request r = Request.of(ctx, List.of(HOST_STATUS, ImageListParams.PAGE, ImageListParams.SIZE));
        var page = store.imageHosts(id, r.choice("status", HostStatus.class), onlineSince(), r.page());
        yield new Pages.ServersTab(page, Pager.of(page, path, q), q);
      }
      case CONTAINERS -> {
        Request r = Request.of(ctx, List.of(CONTAINER_STATE, ImageListParams.PAGE, ImageListParams.SIZE));
        var page = store.containers(new ContainerQuery(Optional.empty(), Optional.of(id), Optional.empty(),
            r.choice("state", ContainerState.class), r.page()));
        yield new Pages.ContainersTab(page, Pager.of(page, path, q), q);
      }
      case HISTORY -> {
        Request r = Request.of(ctx, List.of(ImageListParams.PAGE, Param.integer("size", "Scans per page", 25)));
        var page = store.scanHistory(id, r.page());
        java.util.Map<String, String> requesters = new java.util.HashMap<>();
        for (var rec : page.items()) {
          if (rec.jobId() != null && !requesters.containsKey(rec.jobId())) {
            requesters.put(rec.jobId(), store.job(rec.jobId()).map(j -> j.requestedBy()).orElse(""));
          }
        }
        yield new Pages.HistoryTab(page, Pager.of(page, path, q), requesters);
      }
    };
    var tags = image.summary().repoTags();
    String title = (tags.isEmpty() ? Format.shortId(id) : tags.get(0)) + " · " + tab.label();
    render(ctx, "image.jte", new Pages.Image(chrome(title, "images"), image, path, tab, content,
        ScanPages.flash(ctx)));
  }

  private void hosts(Context ctx) {
    Request r = Request.of(ctx, List.of(query("search", "Host name, ID or IP"), HOST_STATUS, ImageListParams.PAGE,
        ImageListParams.SIZE));
    Query q = Query.of(ctx.queryParamMap());
    var page = store.hosts(new HostQuery(r.text("search"), r.choice("status", HostStatus.class), onlineSince(),
        r.page()));
    render(ctx, "hosts.jte", new Pages.Hosts(chrome("Hosts", "hosts"), page, Pager.of(page, "/hosts", q), q));
  }

  private void host(Context ctx, boolean containersTab) {
    String id = ctx.pathParam("id");
    HostSummary host = store.host(id, onlineSince())
        .orElseThrow(() -> ApiProblem.notFound("no host with ID '" + id + "'"));
    Query q = Query.of(ctx.queryParamMap());
    String path = "/hosts/" + id + (containersTab ? "/containers" : "");
    Pages.Host model;
    if (containersTab) {
      Request r = Request.of(ctx, List.of(query("search", "Name, ID or image"), CONTAINER_STATE,
          ImageListParams.PAGE, ImageListParams.SIZE));
      var page = store.containers(new ContainerQuery(Optional.of(id), Optional.empty(), r.text("search"),
          r.choice("state", ContainerState.class), r.page()));
      model = new Pages.Host(chrome(host.name(), "hosts"), host, true, null, page, Pager.of(page, path, q), q);
    } else {
      Request r = Request.of(ctx, List.of(query("search", "Repository, tag or ID"), ImageListParams.PAGE,
          ImageListParams.SIZE));
      var page = store.images(new ImageQuery(r.text("search"), Optional.empty(), Optional.of(id), false,
          ImageSort.RISK, Direction.DESC, r.page()));
      model = new Pages.Host(chrome(host.name(), "hosts"), host, false, page, null, Pager.of(page, path, q), q);
    }
    render(ctx, "host.jte", model);
  }

  private void containers(Context ctx) {
    Request r = Request.of(ctx, List.of(query("search", "Name, ID or image reference"), query("host", "Host"),
        query("image", "Image ID or prefix"), CONTAINER_STATE, ImageListParams.PAGE, ImageListParams.SIZE));
    Query q = Query.of(ctx.queryParamMap());
    HostFilter host = hostFilter(r.text("host"));
    Optional<String> image = r.text("image").map(i -> RestApi.imageId(store, i));
    var page = store.containers(new ContainerQuery(host.id(), image, r.text("search"),
        r.choice("state", ContainerState.class), r.page()));
    render(ctx, "containers.jte", new Pages.Containers(chrome("Containers", "containers"), page,
        Pager.of(page, "/containers", q), q, image.map(Format::shortId).orElse(""), host.label()));
  }

  private void repositories(Context ctx) {
    Request r = Request.of(ctx, List.of(query("search", "Repository"), ImageListParams.PAGE, ImageListParams.SIZE));
    Query q = Query.of(ctx.queryParamMap());
    var page = store.repositories(new RepositoryQuery(r.text("search"), r.page()));
    render(ctx, "repositories.jte", new Pages.Repositories(chrome("Repositories", "repositories"), page,
        Pager.of(page, "/repositories", q), q));
  }

  private void vulnerabilities(Context ctx) {
    Request r = Request.of(ctx, List.of(query("search", "CVE, GHSA or DSA ID, or its start")));
    Query q = Query.of(ctx.queryParamMap());
    Optional<String> search = r.text("search");
    if (search.isPresent()) {
      Optional<String> exact = store.resolveVulnerabilityId(search.get());
      if (exact.isPresent()) {
        ctx.redirect("/vulnerabilities/" + exact.get());
        return;
      }
    }
    var hits = search.map(s -> views.search(s, 100)).orElse(List.of());
    render(ctx, "vulnerabilities.jte", new Pages.Vulnerabilities(chrome("Vulnerabilities", "vulnerabilities"), q,
        search.isPresent(), hits));
  }

  private void vulnerability(Context ctx) {
    Request.of(ctx, List.of());
    String id = ctx.pathParam("id");
    var detail = views.detail(id, onlineSince(), 200)
        .orElseThrow(() -> ApiProblem.notFound("no vulnerability known as '" + id + "'"));
    render(ctx, "vulnerability.jte", new Pages.Vulnerability(chrome(detail.id(), "vulnerabilities"), detail));
  }

  // ---- feeds

  private void importFeed(Context ctx) {
    sameOrigin(ctx);
    String name = Optional.ofNullable(ctx.formParam("name")).orElse("").trim();
    UploadedFile file = ctx.uploadedFile("file");
    if (name.isEmpty() || file == null || file.size() == 0) {
      feedsPage(ctx, 400, Optional.empty(), name.isEmpty() ? "Give the feed a name, such as debian or osv-go."
          : "Choose a feed file to import (OSV JSON/YAML, Debian tracker data, Alpine secdb, or a .zip of them).",
          name);
      return;
    }
    try (var in = file.content()) {
      var result = feeds.importUpload(name, file.filename(), in);
      feedsPage(ctx, 200, Optional.of(result), "", name);
    } catch (IllegalArgumentException e) {
      feedsPage(ctx, 400, Optional.empty(), e.getMessage(), name);
    } catch (IOException e) {
      feedsPage(ctx, 422, Optional.empty(), "Feed " + name + " was not imported: " + e.getMessage()
          + ". What it held before is unchanged.", name);
    }
  }

  private void refreshFeed(Context ctx) {
    sameOrigin(ctx);
    String name = ctx.pathParam("name");
    if (feeds.source(name).isEmpty()) throw ApiProblem.notFound("no configured feed named '" + name + "'");
    try {
      feedsPage(ctx, 200, Optional.of(feeds.refresh(name)), "", "");
    } catch (IOException e) {
      feedsPage(ctx, 502, Optional.empty(), "Feed " + name + " was not refreshed: " + e.getMessage()
          + ". What it held before is unchanged.", "");
    }
  }

  private void feedsPage(Context ctx, int status, Optional<FeedService.ImportResult> result, String error,
      String name) {
    render(ctx.status(status), "feeds.jte", new Pages.Feeds(chrome("Feeds", "feeds"), views.feeds(), result, error,
        name));
  }

  /**
   * Console forms change state, and nothing authenticates them yet: refuse a POST that a browser says
   * came from another site.
   */
  static void sameOrigin(Context ctx) {
    String site = ctx.header("Sec-Fetch-Site");
    if (site != null && !site.equals("same-origin") && !site.equals("none")) {
      throw new ApiProblem(403, "Forbidden", "this form may only be sent from the console itself");
    }
  }

  // ---- filter suggestions

  private void hostOptions(Context ctx) {
    Request r = Request.of(ctx, List.of(query("host", "Name or ID substring")));
    var hosts = store.hosts(new HostQuery(r.text("host"), HostStatus.ANY, onlineSince(), new PageRequest(1, OPTIONS)));
    StringBuilder html = new StringBuilder();
    for (HostSummary h : hosts.items()) {
      html.append("<option value=\"").append(escape(h.name())).append("\">").append(escape(h.id()))
          .append("</option>");
    }
    ctx.html(html.toString());
  }

  private void repositoryOptions(Context ctx) {
    Request r = Request.of(ctx, List.of(query("repository", "Repository substring")));
    var repos = store.repositories(new RepositoryQuery(r.text("repository"), new PageRequest(1, OPTIONS)));
    StringBuilder html = new StringBuilder();
    for (var repo : repos.items()) html.append("<option value=\"").append(escape(repo.repository())).append("\">");
    ctx.html(html.toString());
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  // ---- helpers

  /**
   * A host filter as people type it: a host ID, or a host name when exactly one host has it.
   * {@code label} is what to show; {@code note} says why nothing matched.
   */
  private record HostFilter(Optional<String> id, String label, String note) {}

  private HostFilter hostFilter(Optional<String> value) {
    if (value.isEmpty()) return new HostFilter(Optional.empty(), "", "");
    String v = value.get();
    Instant since = onlineSince();
    var byId = store.host(v, since);
    if (byId.isPresent()) return new HostFilter(Optional.of(v), byId.get().name(), "");
    var named = store.hosts(new HostQuery(Optional.of(v), HostStatus.ANY, since, new PageRequest(1, 50))).items()
        .stream().filter(h -> h.name().equalsIgnoreCase(v)).toList();
    if (named.size() == 1) return new HostFilter(Optional.of(named.get(0).id()), named.get(0).name(), "");
    return new HostFilter(Optional.of(v), v, named.isEmpty() ? "No host has the name or ID '" + v + "'."
        : named.size() + " hosts are named '" + v + "': filter by host ID instead.");
  }

  Instant onlineSince() {
    return clock.instant().minus(offlineAfter);
  }

  Pages.Chrome chrome(String title, String active) {
    return new Pages.Chrome(title, active, version, clock.instant(), agentCommand);
  }

  void render(Context ctx, String template, Object model) {
    Utf8ByteOutput out = new Utf8ByteOutput();
    templates.render(template, model, out);
    ctx.contentType("text/html; charset=utf-8");
    try {
      out.writeTo(ctx.outputStream());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
