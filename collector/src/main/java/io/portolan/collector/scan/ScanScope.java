package io.portolan.collector.scan;

import java.util.List;
import java.util.Objects;

/**
 * Which images a scan covers. The selection is resolved when the job starts, so a schedule over
 * "all images" covers the images that exist when it fires.
 *
 * @param ids image IDs, host IDs or repository names, by {@code kind}; empty for ALL_IMAGES
 */
public record ScanScope(Kind kind, List<String> ids) {
  public enum Kind { ALL_IMAGES, IMAGES, HOSTS, REPOSITORIES }

  public ScanScope {
    Objects.requireNonNull(kind, "kind");
    ids = List.copyOf(ids);
    if (kind == Kind.ALL_IMAGES && !ids.isEmpty()) throw new IllegalArgumentException("ALL_IMAGES takes no ids");
    if (kind != Kind.ALL_IMAGES && ids.isEmpty()) throw new IllegalArgumentException(kind + " needs at least one id");
  }

  public static ScanScope allImages() {
    return new ScanScope(Kind.ALL_IMAGES, List.of());
  }
}
