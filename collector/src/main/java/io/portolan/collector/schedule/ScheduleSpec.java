package io.portolan.collector.schedule;

import io.portolan.collector.scan.ScanCategory;
import io.portolan.collector.scan.ScanScope;
import io.portolan.collector.store.ScheduleStore.ScheduleDefinition;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a schedule is: which images, what to look for, when, and within which hours. Valid by
 * construction; every refusal says what to change.
 */
public record ScheduleSpec(String name, boolean enabled, ScanScope scope, Set<ScanCategory> categories, boolean force,
    Recurrence recurrence, ZoneId zone, Optional<AllowedWindow> window) {
  public static final int MAX_NAME = 200;
  public static final int MAX_SCOPE_IDS = 10_000;

  public ScheduleSpec {
    Objects.requireNonNull(name, "name");
    name = name.strip();
    if (name.isEmpty()) throw new IllegalArgumentException("a schedule needs a name");
    if (name.length() > MAX_NAME)
      throw new IllegalArgumentException("the name is longer than " + MAX_NAME + " characters");
    if (name.chars().anyMatch(Character::isISOControl))
      throw new IllegalArgumentException("the name contains control characters");
    Objects.requireNonNull(scope, "scope");
    if (scope.ids().size() > MAX_SCOPE_IDS)
      throw new IllegalArgumentException("the scope lists " + scope.ids().size() + " ids; at most " + MAX_SCOPE_IDS);
    for (String id : scope.ids()) {
      if (id.isBlank() || id.chars().anyMatch(Character::isISOControl) || id.length() > 512)
        throw new IllegalArgumentException("scope id '" + abbreviate(id) + "' is blank, too long or has control"
            + " characters");
    }
    if (categories.isEmpty()) throw new IllegalArgumentException("a schedule needs at least one scan category");
    for (ScanCategory c : categories) {
      if (!c.supported())
        throw new IllegalArgumentException("scan category '" + c.wireName() + "' is not supported by this collector;"
            + " supported: " + supportedNames());
    }
    categories = Set.copyOf(EnumSet.copyOf(categories));
    Objects.requireNonNull(recurrence, "recurrence");
    Objects.requireNonNull(zone, "zone");
    Objects.requireNonNull(window, "window");
  }

  public static String supportedNames() {
    List<String> names = new ArrayList<>();
    for (ScanCategory c : ScanCategory.values()) if (c.supported()) names.add(c.wireName());
    return String.join(", ", names);
  }

  /** Rebuilds a stored schedule; throws if the stored columns no longer make a valid one. */
  public static ScheduleSpec of(ScheduleDefinition d) {
    Set<ScanCategory> categories = EnumSet.noneOf(ScanCategory.class);
    for (String c : d.categories()) {
      categories.add(ScanCategory.byWireName(c)
          .orElseThrow(() -> new IllegalArgumentException("unknown scan category '" + c + "'")));
    }
    return new ScheduleSpec(d.name(), d.enabled(), new ScanScope(ScanScope.Kind.valueOf(d.scopeKind()), d.scopeIds()),
        categories, d.force(), Recurrence.of(d.recurrence()), ZoneId.of(d.timeZone()),
        d.window().map(AllowedWindow::of));
  }

  public ScheduleDefinition definition() {
    return new ScheduleDefinition(name, enabled, scope.kind().name(), scope.ids(),
        EnumSet.copyOf(categories).stream().map(ScanCategory::wireName).toList(), force, recurrence.columns(),
        zone.getId(), window.map(AllowedWindow::columns));
  }

  /**
   * When the schedule next fires strictly after {@code t}: the next slot of the recurrence, or, if
   * that slot is outside the allowed window, the opening of the next window.
   */
  public Optional<Instant> nextRun(Instant t) {
    Optional<Instant> slot = FireTimes.nextAfter(recurrence, zone, t);
    if (slot.isEmpty() || window.isEmpty()) return slot;
    AllowedWindow w = window.get();
    return Optional.of(w.containing(slot.get(), zone).isPresent() ? slot.get() : w.nextAfter(slot.get(), zone).start());
  }

  /** The next {@code count} distinct fire instants after {@code t}. */
  public List<Instant> nextRuns(Instant t, int count) {
    List<Instant> out = new ArrayList<>();
    Instant cursor = t;
    while (out.size() < count) {
      Optional<Instant> next = nextRun(cursor);
      if (next.isEmpty()) break;
      out.add(next.get());
      cursor = next.get();
    }
    return out;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
