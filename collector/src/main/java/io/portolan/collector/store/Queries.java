package io.portolan.collector.store;

import java.time.Instant;
import java.util.Optional;

/** The read-side queries and their result rows, shared by the REST API and the console. */
public final class Queries {
  private Queries() {}

  /** Ascending or descending. */
  public enum Direction { ASC, DESC }

  /** Hosts whose last message is at or after {@code onlineSince} are online. */
  public enum HostStatus { ANY, ONLINE, OFFLINE }

  /**
   * Sort keys of the images list; TAGS orders by the first tag name, OS by the OS name, SCAN_STATUS
   * from never scanned through scanned, cancelled and scanning to failed, so that descending puts
   * the images that need a look first.
   */
  public enum ImageSort {
    ID, REPOSITORY, CREATED, SIZE, HOSTS, CONTAINERS, LAST_SEEN, PACKAGES, RISK, CRITICAL, HIGH, MEDIUM, LOW,
    VULNERABILITIES, LAST_SCANNED, TAGS, OS, SCAN_STATUS
  }

  /** Images by their scan status (see {@link Scan}). */
  public enum ScanStatusFilter { ANY, NOT_SCANNED, SCANNING, SCANNED, CANCELLED, SCAN_EXCEPTION }

  /** Images whose worst finding is at least this severe (NONE: images with no finding at all). */
  public enum SeverityFilter { ANY, CRITICAL, HIGH, MEDIUM, LOW, NONE }

  /** Whether the image's vulnerabilities were computed yet. */
  public enum Assessment { ANY, ASSESSED, NOT_ASSESSED }

  /** Images present on at least one host, unless {@code includeRemoved}. */
  public record ImageQuery(
      Optional<String> search,
      Optional<String> repository,
      Optional<String> hostId,
      boolean includeRemoved,
      ImageSort sort,
      Direction direction,
      PageRequest page,
      Filters filters) {
    public ImageQuery(Optional<String> search, Optional<String> repository, Optional<String> hostId,
        boolean includeRemoved, ImageSort sort, Direction direction, PageRequest page) {
      this(search, repository, hostId, includeRemoved, sort, direction, page, Filters.NONE);
    }

    /** The vulnerability and scan filters of the images list. */
    public record Filters(SeverityFilter severity, boolean highPriority, boolean fixable, Assessment assessment,
        Optional<String> os, ScanStatusFilter scanStatus) {
      public static final Filters NONE =
          new Filters(SeverityFilter.ANY, false, false, Assessment.ANY, Optional.empty(), ScanStatusFilter.ANY);

      public Filters(SeverityFilter severity, boolean highPriority, boolean fixable, Assessment assessment,
          Optional<String> os) {
        this(severity, highPriority, fixable, assessment, os, ScanStatusFilter.ANY);
      }
    }
  }

  public enum ContainerState { ANY, RUNNING, STOPPED, REMOVED }

  public record ContainerQuery(
      Optional<String> hostId,
      Optional<String> imageId,
      Optional<String> search,
      ContainerState state,
      PageRequest page) {}

  public record HostQuery(Optional<String> search, HostStatus status, Instant onlineSince, PageRequest page) {}

  public record RepositoryQuery(Optional<String> search, PageRequest page) {}

  /** A row of the hosts list and the host detail. */
  public record HostSummary(
      String id,
      String name,
      java.util.List<String> ips,
      String os,
      String kernel,
      String architecture,
      String dockerVersion,
      String dockerApiVersion,
      String agentVersion,
      java.util.Map<String, String> labels,
      int cpus,
      long memoryBytes,
      Instant firstSeen,
      Instant lastSeen,
      boolean online,
      long imageCount,
      long containerCount,
      long runningContainerCount) {}

  /** A row of the images list. {@code created} may be null. */
  public record ImageSummary(
      String id,
      java.util.List<String> repoTags,
      java.util.List<String> repositories,
      Instant created,
      long sizeBytes,
      String os,
      String architecture,
      long hostCount,
      long containerCount,
      long runningContainerCount,
      Instant firstSeen,
      Instant lastSeen,
      Inventory inventory,
      Vulnerabilities vulnerabilities,
      Scan scan) {}

  /**
   * An image's scan status: NOT_SCANNED, SCANNING (with its phase: QUEUED, WAITING for an online
   * host, DISPATCHED, RUNNING with progress, COMPLETING while matching), SCANNED, CANCELLED or
   * SCAN_EXCEPTION; {@code reason} says why it waits, failed or was cancelled. {@code lastScannedAt}
   * is the last time a scan of it succeeded (null: never).
   */
  public record Scan(String status, String phase, int progress, String reason, String jobId, String hostId,
      Instant updated, Instant lastScannedAt) {
    public static final Scan NOT_SCANNED = new Scan("NOT_SCANNED", "", 0, "", null, null, null, null);
  }

  /**
   * An image's vulnerability counts ((package, vulnerability) pairs) and risk score; {@code
   * assessed} is false until its inventory was matched. See RiskScore for the formula.
   */
  public record Vulnerabilities(boolean assessed, int critical, int high, int medium, int low, int negligible,
      int unknown, int total, int fixable, boolean highPriority, double riskScore, Instant matchedAt) {
    public static final Vulnerabilities NOT_ASSESSED =
        new Vulnerabilities(false, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, null);
  }

  /**
   * Where an image's layer inventory stands. {@code status} is PENDING until an agent reported it,
   * then COMPLETE, PARTIAL (some layers could not be read) or FAILED; {@code osEndOfLife} is null
   * when unknown.
   */
  public record Inventory(String status, String osId, String osVersion, String osName,
      java.time.LocalDate osEndOfLife, int packageCount) {
    public static final Inventory PENDING = new Inventory("PENDING", "", "", "", null, 0);
  }

  /** The image detail: intrinsic facts plus the union of what hosts report. */
  public record ImageDetail(
      ImageSummary summary,
      String registry,
      String format,
      java.util.List<String> repoDigests,
      java.util.List<String> layerDiffIds,
      java.util.List<ImageFacts.HistoryEntry> history,
      ImageFacts.Config config,
      String author,
      String dockerVersion,
      String variant) {}

  /** A host an image is, or was, on: the "associated servers" view. */
  public record ImageHost(
      String hostId,
      String hostName,
      java.util.List<String> ips,
      String dockerVersion,
      boolean online,
      boolean present,
      java.util.List<String> repoTags,
      Instant firstSeen,
      Instant lastSeen) {}

  /** A row of the containers list and the "associated containers" view. */
  public record ContainerSummary(
      String hostId,
      String hostName,
      String id,
      String name,
      String imageId,
      String imageRef,
      String state,
      String status,
      String command,
      Instant created,
      Instant started,
      Instant finished,
      int exitCode,
      java.util.List<ContainerFacts.Port> ports,
      java.util.Map<String, String> labels,
      boolean present,
      Instant updated) {}

  /**
   * A repository and what its present images hold. {@code worstRank} is the worst severity rank (see
   * RiskScore.rank) of its assessed images' findings, -1 when none of them has a finding.
   */
  public record RepositorySummary(String repository, long tagCount, long imageCount, long hostCount, int worstRank) {}

  /**
   * The fleet at a glance (present images and containers only). Images are counted once, in the
   * bucket of their worst finding: {@code imagesOther} have only Negligible or unrated findings,
   * {@code imagesClean} were assessed and have none.
   */
  public record FleetOverview(long hostsOnline, long hostsOffline, long images, long imagesCritical, long imagesHigh,
      long imagesMedium, long imagesLow, long imagesOther, long imagesClean, long imagesNotAssessed,
      long containers, long runningContainers) {}
}
