package io.portolan.collector.console;

import io.portolan.collector.store.Queries.Direction;
import io.portolan.collector.store.Queries.ImageSort;
import io.portolan.collector.store.Queries.ImageSummary;
import java.util.function.Function;

/**
 * The columns of the images list, in order: header, sort key, first sort direction and the value the
 * CSV export writes. The table and the export both iterate this list, so a new column is one entry
 * here plus its cell in {@code tag/imagecell.jte}.
 */
public enum ImageColumn {
  ID("ID", "Image ID", ImageSort.ID, Direction.ASC, s -> s.id()),
  REPOSITORY("Repository", "Repository", ImageSort.REPOSITORY, Direction.ASC,
      s -> String.join(" ", s.repositories())),
  TAGS("Tags", "Tags", ImageSort.TAGS, Direction.ASC, s -> String.join(" ", s.repoTags())),
  RISK("Risk", "Risk score", ImageSort.RISK, Direction.DESC,
      s -> s.vulnerabilities().assessed() ? Format.score(s.vulnerabilities().riskScore()) : ""),
  CRITICAL("C", "Critical", ImageSort.CRITICAL, Direction.DESC, s -> count(s, s.vulnerabilities().critical())),
  HIGH("H", "High", ImageSort.HIGH, Direction.DESC, s -> count(s, s.vulnerabilities().high())),
  MEDIUM("M", "Medium", ImageSort.MEDIUM, Direction.DESC, s -> count(s, s.vulnerabilities().medium())),
  LOW("L", "Low", ImageSort.LOW, Direction.DESC, s -> count(s, s.vulnerabilities().low())),
  OS("OS", "OS", ImageSort.OS, Direction.ASC, s -> s.inventory().osName()),
  HOSTS("Hosts", "Hosts", ImageSort.HOSTS, Direction.DESC, s -> Long.toString(s.hostCount())),
  CONTAINERS("Containers", "Containers", ImageSort.CONTAINERS, Direction.DESC,
      s -> Long.toString(s.containerCount())),
  PACKAGES("Packages", "Packages", ImageSort.PACKAGES, Direction.DESC,
      s -> s.inventory().status().equals("PENDING") ? "" : Integer.toString(s.inventory().packageCount())),
  SIZE("Size", "Size (bytes)", ImageSort.SIZE, Direction.DESC, s -> Long.toString(s.sizeBytes())),
  CREATED("Created", "Created", ImageSort.CREATED, Direction.DESC, s -> Format.iso(s.created())),
  SCAN_STATUS("Scan", "Scan status", ImageSort.SCAN_STATUS, Direction.DESC, s -> s.scan().status()),
  LAST_SCANNED("Last scanned", "Last scanned", ImageSort.LAST_SCANNED, Direction.DESC,
      s -> Format.iso(s.scan().lastScannedAt()));

  private final String header;
  private final String title;
  private final ImageSort sort;
  private final Direction firstDirection;
  private final Function<ImageSummary, String> csv;

  ImageColumn(String header, String title, ImageSort sort, Direction firstDirection,
      Function<ImageSummary, String> csv) {
    this.header = header;
    this.title = title;
    this.sort = sort;
    this.firstDirection = firstDirection;
    this.csv = csv;
  }

  public String header() {
    return header;
  }

  /** The full name: the header's tooltip and the CSV header. */
  public String title() {
    return title;
  }

  public ImageSort sort() {
    return sort;
  }

  /** The sort parameter's value for this column. */
  public String sortParam() {
    return sort.name().toLowerCase(java.util.Locale.ROOT);
  }

  public boolean numeric() {
    return firstDirection == Direction.DESC && this != CREATED && this != SCAN_STATUS && this != LAST_SCANNED;
  }

  String csv(ImageSummary s) {
    return csv.apply(s);
  }

  /** Where a click on the header leads: this column, in its first direction, or reversed if already sorted so. */
  public String sortHref(Query q, String path, ImageSort active, Direction direction) {
    Direction next = active == sort ? (direction == Direction.ASC ? Direction.DESC : Direction.ASC) : firstDirection;
    return q.without("page").with("sort", sortParam()).with("order", next.name().toLowerCase(java.util.Locale.ROOT))
        .href(path);
  }

  /** The aria-sort value of this column's header. */
  public String ariaSort(ImageSort active, Direction direction) {
    if (active != sort) return "none";
    return direction == Direction.ASC ? "ascending" : "descending";
  }

  private static String count(ImageSummary s, int n) {
    return s.vulnerabilities().assessed() ? Integer.toString(n) : "";
  }
}
