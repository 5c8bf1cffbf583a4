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

  public record Overview(Chrome chrome, FleetOverview fleet, List<ImageSummary> riskiest, List<FeedView> feeds) {}

  /** The images list with the filters it was asked for; {@code hostNote} explains a host filter that matched none. */
  public record Images(Chrome chrome, Page<ImageSummary> page, Query query, Pager pager, ImageSort sort,
      Direction direction, String hostNote, String hostLabel) {
    public List<ImageColumn> columns() {
      return List.of(ImageColumn.values());
    }
  }

  /** The tabs of an image's page, in order; Scan history joins them with the scan service. */
  public enum Tab {
    VULNERABILITIES("vulnerabilities", "Vulnerabilities"),
    PACKAGES("packages", "Packages"),
    LAYERS("layers", "Layers"),
    SERVERS("servers", "Associated servers"),
    CONTAINERS("containers", "Associated containers");

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
  public record Image(Chrome chrome, ImageDetail image, String path, Tab tab, TabContent content) {
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
