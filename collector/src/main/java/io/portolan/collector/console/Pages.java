package io.portolan.collector.console;

import io.portolan.collector.advisory.FeedService.ImportResult;
import io.portolan.collector.query.VulnerabilityViews.FeedView;
import io.portolan.collector.query.VulnerabilityViews.LayerVulnerabilities;
import io.portolan.collector.query.VulnerabilityViews.PackageGroup;
import io.portolan.collector.query.VulnerabilityViews.VulnerabilityDetail;
import io.portolan.collector.query.VulnerabilityViews.VulnerabilityHit;
import io.portolan.collector.store.InventoryStore.LayerView;
import io.portolan.collector.store.InventoryStore.PackageView;
import io.portolan.collector.store.Page;
import io.portolan.collector.store.Queries.ContainerSummary;
import io.portolan.collector.store.Queries.Direction;
import io.portolan.collector.store.Queries.FleetOverview;
import io.portolan.collector.store.Queries.HostSummary;
import io.portolan.collector.store.Queries.ImageDetail;
import io.portolan.collector.store.Queries.ImageHost;
import io.portolan.collector.store.Queries.ImageSort;
import io.portolan.collector.store.Queries.ImageSummary;
import io.portolan.collector.store.Queries.RepositorySummary;
import io.portolan.collector.api.ScanApi.ItemView;
import io.portolan.collector.api.ScanApi.JobView;
import io.portolan.collector.api.ScheduleApi.EventView;
import io.portolan.collector.api.ScheduleApi.ScheduleView;
import io.portolan.collector.scan.JobState;
import io.portolan.collector.store.Queries.Scan;
import io.portolan.collector.store.ScanStore.ScanRecord;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

/** What each console page renders: one record per template, built by {@link Console}. */
public final class Pages {
  private Pages() {}

  /**
   * What every page shares: its title, the active menu entry, the time the page was made (for "ago"
   * columns), and how an agent connects (for the empty states).
   */
  public record Chrome(String title, String active, String version, Instant now, String agentCommand) {
    public List<Nav.Item> nav() {
      return Nav.ITEMS;
    }

    public LocalDate today() {
      return LocalDate.ofInstant(now, ZoneOffset.UTC);
    }
  }

  public record Overview(Chrome chrome, FleetOverview fleet, List<ImageSummary> riskiest, List<FeedView> feeds,
      List<JobView> lastScans) {}

  /**
   * The outcome of an action, shown once on the page the action leads to.
   *
   * @param kind ok, warn or error: the banner's colour
   * @param href a page that follows the action up (the scan job), or empty
   */
  public record Flash(String kind, String message, String href, String linkText) implements java.io.Serializable {
    public static Flash ok(String message) {
      return new Flash("ok", message, "", "");
    }
  }

  /** The images list with the filters it was asked for; {@code hostNote} explains a host filter that matched none. */
  public record Images(Chrome chrome, Page<ImageSummary> page, Query query, Pager pager, ImageSort sort,
      Direction direction, String hostNote, String hostLabel, Optional<Flash> flash) {
    public List<ImageColumn> columns() {
      return List.of(ImageColumn.values());
    }

    /** Short IDs of the images on this page with a scan in flight: the page polls for their news. */
    public List<String> inFlight() {
      return page.items().stream().filter(s -> s.scan().status().equals("SCANNING"))
          .map(s -> Format.shortId(s.id())).toList();
    }
  }

  /** The tabs of an image's page, in order. */
  public enum Tab {
    VULNERABILITIES("vulnerabilities", "Vulnerabilities"),
    PACKAGES("packages", "Packages"),
    LAYERS("layers", "Layers"),
    SERVERS("servers", "Associated servers"),
    CONTAINERS("containers", "Associated containers"),
    HISTORY("history", "Scan history");

    private final String slug;
    private final String label;

    Tab(String slug, String label) {
      this.slug = slug;
      this.label = label;
    }

    public String slug() {
      return slug;
    }

    public String label() {
      return label;
    }

    static Optional<Tab> bySlug(String slug) {
      for (Tab t : values()) if (t.slug.equals(slug)) return Optional.of(t);
      return Optional.empty();
    }
  }

  /** An image's page: its header and the content of one tab. */
  public record Image(Chrome chrome, ImageDetail image, String path, Tab tab, TabContent content,
      Optional<Flash> flash) {
    public String title() {
      var tags = image.summary().repoTags();
      return tags.isEmpty() ? Format.shortId(image.summary().id()) : tags.get(0);
    }

    public boolean sbomReady() {
      return !image.summary().inventory().status().equals("PENDING");
    }
  }

  /** The content of one tab of an image's page. */
  public sealed interface TabContent {}

  public record LayersTab(List<LayerVulnerabilities> layers) implements TabContent {}

  public record PackagesTab(Page<PackageView> packages, Pager pager, Query query, List<LayerView> layers,
      List<String> types) implements TabContent {}

  public record VulnerabilitiesTab(Page<PackageGroup> groups, int findings, Pager pager, Query query,
      List<LayerView> layers) implements TabContent {}

  public record ServersTab(Page<ImageHost> hosts, Pager pager, Query query) implements TabContent {}

  public record ContainersTab(Page<ContainerSummary> containers, Pager pager, Query query) implements TabContent {}

  /** Every finished scan of the image, newest first. */
  public record HistoryTab(Page<ScanRecord> records, Pager pager, java.util.Map<String, String> requesters)
      implements TabContent {
    /** Who asked for the job a record belongs to; the job keeps it, the record does not. */
    public String requester(String jobId) {
      return jobId == null ? "" : requesters.getOrDefault(jobId, "");
    }
  }

  /**
   * An image's scan status with the buttons it allows: the image header's box, which refreshes
   * itself while the scan is in flight, and, compact, the images list's cell ({@code oob}: sent by
   * the list's poll, to replace the cell of the same ID).
   */
  public record ScanBox(String imageId, Scan scan, Instant now, boolean compact, boolean oob) {
    public boolean inFlight() {
      return scan.status().equals("SCANNING");
    }

    public String shortId() {
      return Format.shortId(imageId);
    }
  }

  /** The list's poll answer: fresh cells, and the poll again for the images still in flight (short IDs). */
  public record ScanCells(List<ScanBox> boxes, List<String> pollIds) {}

  /** The scan jobs, newest first. */
  public record Scans(Chrome chrome, Page<JobView> jobs, Pager pager, Query query, Optional<Flash> flash) {
    public boolean live() {
      return jobs.items().stream().anyMatch(j -> !JobState.valueOf(j.state()).isFinal());
    }
  }

  /** One scan job and its images; {@code live} while the job is unfinished, so the page follows it. */
  public record ScanJob(Chrome chrome, JobView job, Page<ItemView> items, Pager pager, Query query,
      Optional<Flash> flash) {
    public boolean live() {
      return !JobState.valueOf(job.state()).isFinal();
    }
  }

  public record Schedules(Chrome chrome, Page<ScheduleView> schedules, Pager pager, Optional<Flash> flash) {}

  /** One schedule: what it is, when it runs next, and what it did. */
  public record Schedule(Chrome chrome, ScheduleView schedule, Page<EventView> events, Pager pager,
      Optional<Flash> flash) {}

  /**
   * The create or edit form: what was typed, and what is wrong with it, by field (JSON paths as
   * the API names them: name, recurrence.expression, window.start...); {@code id} is empty for a new
   * schedule.
   */
  public record ScheduleForm(Chrome chrome, String id, ScheduleFields fields, java.util.Map<String, String> errors,
      String problem, List<String> zones) {
    public String error(String field) {
      return errors.getOrDefault(field, "");
    }

    public boolean has(String field) {
      return errors.containsKey(field);
    }
  }

  /** The next fire times of the form as it stands, or why it cannot have any yet. */
  public record SchedulePreview(List<java.time.ZonedDateTime> runs, String problem) {}

  public record Hosts(Chrome chrome, Page<HostSummary> page, Pager pager, Query query) {}

  /** A host's page: its facts, and its images or its containers. */
  public record Host(Chrome chrome, HostSummary host, boolean containersTab, Page<ImageSummary> images,
      Page<ContainerSummary> containers, Pager pager, Query query) {}

  public record Containers(Chrome chrome, Page<ContainerSummary> page, Pager pager, Query query, String imageLabel,
      String hostLabel) {}

  public record Repositories(Chrome chrome, Page<RepositorySummary> page, Pager pager, Query query) {}

  /** The vulnerability search; {@code searched} is false before anything was asked. */
  public record Vulnerabilities(Chrome chrome, Query query, boolean searched, List<VulnerabilityHit> hits) {}

  public record Vulnerability(Chrome chrome, VulnerabilityDetail detail) {}

  /** The feeds, and the outcome of the import or refresh just done, if any. */
  public record Feeds(Chrome chrome, List<FeedView> feeds, Optional<ImportResult> result, String error,
      String feedName) {}

  public record Error(Chrome chrome, int status, String title, String detail) {}
}
