package io.portolan.collector.api;

import static io.portolan.collector.api.Param.bool;
import static io.portolan.collector.api.Param.choice;
import static io.portolan.collector.api.Param.integer;
import static io.portolan.collector.api.Param.query;

import io.portolan.collector.store.PageRequest;
import io.portolan.collector.store.Queries.Assessment;
import io.portolan.collector.store.Queries.Direction;
import io.portolan.collector.store.Queries.ImageQuery;
import io.portolan.collector.store.Queries.ImageSort;
import io.portolan.collector.store.Queries.ScanStatusFilter;
import io.portolan.collector.store.Queries.SeverityFilter;
import java.util.List;

/**
 * The parameters of the images list, declared once for the REST API and the console (the list, its
 * filters and its exports), so a filtered console URL and an API URL mean the same thing.
 */
public final class ImageListParams {
  private ImageListParams() {}

  public static final Param PAGE = integer("page", "Page number, from 1", 1);
  public static final Param SIZE = integer("size", "Rows per page, at most " + PageRequest.MAX_SIZE, 50);

  /** Every parameter, paging included. */
  public static final List<Param> ALL = List.of(
      query("search", "Repository or tag substring, or image ID prefix"),
      query("repository", "Exact repository"),
      query("host", "Host (agent) ID"),
      bool("includeRemoved", "Also list images no longer present on any host"),
      choice("severity", "Images whose worst finding is at least this severe (none: no finding)",
          SeverityFilter.class, SeverityFilter.ANY),
      bool("highPriority", "Only images with a Critical or High finding that has a fix"),
      bool("fixable", "Only images with at least one fixable finding"),
      choice("assessment", "Assessed (matched) or not yet", Assessment.class, Assessment.ANY),
      choice("scanStatus", "Scan status: not_scanned, scanning (queued, waiting for a host, or running),"
          + " scanned, cancelled or scan_exception", ScanStatusFilter.class, ScanStatusFilter.ANY),
      query("os", "OS ID (debian), ID-version (debian-12) or name substring"),
      choice("sort", "Sort column", ImageSort.class, ImageSort.CREATED),
      choice("order", "Sort direction", Direction.class, Direction.DESC),
      PAGE, SIZE);

  /** The query a validated request asks for, with {@code hostId} already resolved by the caller. */
  public static ImageQuery imageQuery(Request r, java.util.Optional<String> hostId, PageRequest page) {
    return new ImageQuery(r.text("search"), r.text("repository"), hostId, r.bool("includeRemoved"),
        r.choice("sort", ImageSort.class), r.choice("order", Direction.class), page,
        new ImageQuery.Filters(r.choice("severity", SeverityFilter.class), r.bool("highPriority"),
            r.bool("fixable"), r.choice("assessment", Assessment.class), r.text("os"),
            r.choice("scanStatus", ScanStatusFilter.class)));
  }

  public static ImageQuery imageQuery(Request r) {
    return imageQuery(r, r.text("host"), r.page());
  }
}
