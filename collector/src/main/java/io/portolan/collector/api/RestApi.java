package io.portolan.collector.api;

import static io.portolan.collector.api.Param.bool;
import static io.portolan.collector.api.Param.choice;
import static io.portolan.collector.api.Param.integer;
import static io.portolan.collector.api.Param.path;
import static io.portolan.collector.api.Param.query;

import io.portolan.collector.advisory.FeedService;
import io.portolan.collector.schedule.ScheduleService;
import io.portolan.collector.scan.ScanService;
import io.portolan.collector.query.VulnerabilityViews;
import io.portolan.collector.store.InventoryStore.PackageQuery;
import io.portolan.collector.store.InventoryStore.PackageView;
import io.portolan.collector.store.Page;
import io.portolan.inventory.sbom.CycloneDxSbom;
import io.portolan.collector.store.PageRequest;
import io.portolan.collector.store.Queries.Assessment;
import io.portolan.collector.store.Queries.ContainerQuery;
import io.portolan.collector.store.Queries.ContainerState;
import io.portolan.collector.store.Queries.ContainerSummary;
import io.portolan.collector.store.Queries.Direction;
import io.portolan.collector.store.Queries.HostQuery;
import io.portolan.collector.store.Queries.HostStatus;
import io.portolan.collector.store.Queries.HostSummary;
import io.portolan.collector.store.Queries.ImageHost;
import io.portolan.collector.store.Queries.ImageQuery;
import io.portolan.collector.store.Queries.ImageSort;
import io.portolan.collector.store.Queries.ImageSummary;
import io.portolan.collector.store.Queries.RepositoryQuery;
import io.portolan.collector.store.Queries.RepositorySummary;
import io.portolan.collector.store.Queries.ScanStatusFilter;
import io.portolan.collector.store.Queries.SeverityFilter;
import io.portolan.collector.store.Store;
import java.lang.reflect.Type;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The REST API under {@code /api/v1}: every endpoint declared once, so routing, parameter validation
 * and the OpenAPI document come from the same table.
 */
public final class RestApi {
  public static final String PREFIX = "/api/v1";

  private final Store store;
  private final Clock clock;
  private final Duration offlineAfter;
  private final String version;
  private final VulnerabilityApi vulnerabilities;
  private final ScheduleApi schedules;
  private final ScanApi scans;

  public RestApi(Store store, Clock clock, Duration offlineAfter, String version, FeedService feeds,
      ScheduleService schedules, ScanService scans) {
    this.version = version;
    this.store = store;
    this.clock = clock;
    this.offlineAfter = offlineAfter;
    this.vulnerabilities = new VulnerabilityApi(store, feeds, new VulnerabilityViews(store, feeds), this::imageId,
        this::onlineSince);
    this.schedules = new ScheduleApi(schedules, clock);
    this.scans = new ScanApi(store, scans, this::imageId);
  }

  private static final Param PAGE = ImageListParams.PAGE;
  private static final Param SIZE = ImageListParams.SIZE;

  /** Every endpoint, in the order the OpenAPI document lists them. */
  public List<Endpoint> endpoints() {
    List<Endpoint> e = new ArrayList<>();
    Param hostStatus = choice("status", "Filter by online/offline", HostStatus.class, HostStatus.ANY);
    Param containerState = choice("state",
        "running, stopped (present but not running), removed, or any present container",
        ContainerState.class, ContainerState.ANY);

    e.add(new Endpoint(PREFIX + "/hosts", "Hosts with an agent, online or offline",
        List.of(query("search", "Host name or ID substring"), hostStatus, PAGE, SIZE), pageOf(HostSummary.class),
        r -> store.hosts(new HostQuery(r.text("search"), r.choice("status", HostStatus.class), onlineSince(),
            r.page()))));
    e.add(new Endpoint(PREFIX + "/hosts/{id}", "One host",
        List.of(path("id", "Host (agent) ID")), HostSummary.class,
        r -> host(r.path("id"))));
    e.add(new Endpoint(PREFIX + "/hosts/{id}/images", "Images present on a host",
        List.of(path("id", "Host (agent) ID"), query("search", "Repository, tag or ID prefix"),
            choice("sort", "Sort column", ImageSort.class, ImageSort.CREATED),
            choice("order", "Sort direction", Direction.class, Direction.DESC), PAGE, SIZE),
        pageOf(ImageSummary.class),
        r -> store.images(new ImageQuery(r.text("search"), Optional.empty(), Optional.of(host(r.path("id")).id()),
            false, r.choice("sort", ImageSort.class), r.choice("order", Direction.class), r.page()))));
    e.add(new Endpoint(PREFIX + "/hosts/{id}/containers", "Containers on a host",
        List.of(path("id", "Host (agent) ID"), query("search", "Name, ID prefix or image reference"),
            containerState, PAGE, SIZE),
        pageOf(ContainerSummary.class),
        r -> store.containers(new ContainerQuery(Optional.of(host(r.path("id")).id()), Optional.empty(),
            r.text("search"), r.choice("state", ContainerState.class), r.page()))));

    e.add(new Endpoint(PREFIX + "/images",
        "Images, searchable, filterable, sorted and paged with a total, each with its scan status and last-scanned"
            + " time. riskScore = exposure x sum of"
            + " (severity weight x fix factor): weights Critical 10, High 5, Medium 2, Low 0.5, Unknown 1,"
            + " Negligible 0; fix factor 1 with a fixed version, 0.5 without; exposure 2 when a container runs from"
            + " the image, else 1. highPriority: a Critical or High finding with a fix.",
        ImageListParams.ALL, pageOf(ImageSummary.class), r -> store.images(ImageListParams.imageQuery(r))));
    e.add(new Endpoint(PREFIX + "/images/{id}", "Image details",
        List.of(path("id", "Image ID, with or without sha256:, or a unique prefix")), ImageView.class,
        r -> ImageView.of(store.image(imageId(r.path("id"))).orElseThrow())));
    e.add(new Endpoint(PREFIX + "/images/{id}/hosts", "Associated servers: hosts that have or had the image",
        List.of(path("id", "Image ID or unique prefix"), hostStatus, PAGE, SIZE), pageOf(ImageHost.class),
        r -> store.imageHosts(imageId(r.path("id")), r.choice("status", HostStatus.class), onlineSince(),
            r.page())));
    e.add(new Endpoint(PREFIX + "/images/{id}/containers", "Associated containers: containers from the image",
        List.of(path("id", "Image ID or unique prefix"), query("host", "Host (agent) ID"), containerState, PAGE,
            SIZE),
        pageOf(ContainerSummary.class),
        r -> store.containers(new ContainerQuery(r.text("host"), Optional.of(imageId(r.path("id"))),
            Optional.empty(), r.choice("state", ContainerState.class), r.page()))));

    e.add(new Endpoint(PREFIX + "/images/{id}/layers",
        "Build steps of an image, oldest first: the command, size, layer diff ID, and the packages the layer added,"
            + " changed and removed",
        List.of(path("id", "Image ID or unique prefix")),
        new GenericType(List.class, VulnerabilityViews.LayerVulnerabilities.class),
        r -> vulnerabilities.layers(imageId(r.path("id")))));
    e.add(new Endpoint(PREFIX + "/images/{id}/packages",
        "Packages of an image, each with the layer that last added or changed it",
        List.of(path("id", "Image ID or unique prefix"), query("search", "Package or source name substring"),
            query("type", "purl type (deb, apk, rpm, maven, npm, pypi, golang, gem, cargo, composer, nuget, generic),"
                + " or os / language for all of either kind"),
            query("layer", "Only packages of this layer: diff ID or index from 0"), PAGE, SIZE),
        pageOf(PackageView.class),
        r -> store.imagePackages(imageId(r.path("id")),
            new PackageQuery(r.text("search"), r.text("type"), r.text("layer"), r.page()))));
    e.add(new Endpoint(PREFIX + "/images/{id}/sbom",
        "The image's SBOM (CycloneDX 1.6 JSON); every component names its layer in the property "
            + CycloneDxSbom.LAYER_PROPERTY,
        List.of(path("id", "Image ID or unique prefix"),
            choice("format", "SBOM format", SbomFormat.class, SbomFormat.CYCLONEDX)),
        RawBody.class,
        r -> sbom(imageId(r.path("id")))));

    e.addAll(vulnerabilities.endpoints());
    e.addAll(scans.endpoints());

    e.add(new Endpoint(PREFIX + "/containers", "Containers across all hosts",
        List.of(query("host", "Host (agent) ID"), query("image", "Image ID or unique prefix"),
            query("search", "Name, ID prefix or image reference"), containerState, PAGE, SIZE),
        pageOf(ContainerSummary.class),
        r -> store.containers(new ContainerQuery(r.text("host"), r.text("image").map(this::imageId),
            r.text("search"), r.choice("state", ContainerState.class), r.page()))));
    e.add(new Endpoint(PREFIX + "/repositories", "Repositories with their tag, image and host counts",
        List.of(query("search", "Repository substring"), PAGE, SIZE), pageOf(RepositorySummary.class),
        r -> store.repositories(new RepositoryQuery(r.text("search"), r.page()))));
    e.addAll(schedules.endpoints());
    return e;
  }

  /** SBOM formats served; SPDX may follow. */
  public enum SbomFormat { CYCLONEDX }

  private RawBody sbom(String imageId) {
    var image = store.image(imageId).orElseThrow();
    var inventory = image.summary().inventory();
    if (inventory.status().equals("PENDING")) {
      throw new ApiProblem(409, "Conflict", "the layer inventory of " + imageId
          + " is not available yet: no agent has reported it");
    }
    var subject = new CycloneDxSbom.Subject(imageId, image.summary().repoTags(),
        Optional.of(inventory.osId()).filter(s -> !s.isEmpty()), Optional.of(inventory.osVersion()).filter(s -> !s.isEmpty()),
        version);
    var entries = store.allImagePackages(imageId).stream()
        .map(p -> new CycloneDxSbom.Entry(p.type(), p.name(), p.version(), p.purl(), p.license(), p.sourceName(),
            p.sourceVersion(), p.architecture(), p.diffId(), p.path(), p.properties(), p.languagePurls()))
        .toList();
    return new RawBody("application/vnd.cyclonedx+json; version=1.6", CycloneDxSbom.json(subject, entries));
  }

  private Instant onlineSince() {
    return clock.instant().minus(offlineAfter);
  }

  private HostSummary host(String id) {
    return store.host(id, onlineSince()).orElseThrow(() -> ApiProblem.notFound("no host with ID '" + id + "'"));
  }

  private String imageId(String idOrPrefix) {
    return imageId(store, idOrPrefix);
  }

  /**
   * The image an ID or unique ID prefix names, for the API and the console alike: 404 when none,
   * 400 when the prefix is malformed or names more than one.
   */
  public static String imageId(Store store, String idOrPrefix) {
    try {
      return store.resolveImageId(idOrPrefix)
          .orElseThrow(() -> ApiProblem.notFound("no image with ID or prefix '" + idOrPrefix + "'"));
    } catch (IllegalArgumentException e) {
      throw ApiProblem.badRequest(e.getMessage());
    }
  }

  static Type pageOf(Class<?> item) {
    return new GenericType(Page.class, item);
  }
}
