package io.portolan.collector.scan;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A request to start a scan job.
 *
 * @param requestedBy who asked (a user name, "schedule:&lt;name&gt;", "auto-assess")
 * @param force bypass the agents' layer caches and re-read every layer
 * @param scheduleId the schedule that fired, for SCHEDULE jobs
 */
public record ScanRequest(ScanTrigger trigger, ScanScope scope, Set<ScanCategory> categories, String requestedBy,
    boolean force, Optional<String> scheduleId) {
  public ScanRequest {
    Objects.requireNonNull(trigger, "trigger");
    Objects.requireNonNull(scope, "scope");
    categories = Set.copyOf(categories);
    if (categories.isEmpty()) throw new IllegalArgumentException("a scan needs at least one category");
    Objects.requireNonNull(requestedBy, "requestedBy");
    Objects.requireNonNull(scheduleId, "scheduleId");
  }
}
