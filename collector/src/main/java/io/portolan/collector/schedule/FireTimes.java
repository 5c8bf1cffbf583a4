package io.portolan.collector.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.Optional;

/**
 * Turns wall-clock matches into instants in a time zone. The daylight saving rules, the same for
 * every kind of recurrence:
 * <ul>
 *   <li>a local time that does not exist (spring forward) fires once, shifted later by the length
 *       of the gap: 02:30 on the day clocks jump from 02:00 to 03:00 fires at 03:30;
 *   <li>a local time that exists twice (fall back) fires once, at its first occurrence;
 *   <li>no instant fires twice, even where a shifted time lands on a time that matches anyway.
 * </ul>
 */
public final class FireTimes {
  /** The longest gap the zone database knows is a whole day (Samoa, 2011); look back past it. */
  private static final Duration LOOK_BACK = Duration.ofDays(2);
  /** Candidates examined per call; only a run of gap or repeated local times can use more than one. */
  private static final int MAX_CANDIDATES = 10_000;

  private FireTimes() {}

  /** The instant of {@code local} in {@code zone}, by the rules above. */
  public static Instant resolve(LocalDateTime local, ZoneId zone) {
    // ofLocal with no preferred offset takes the earlier offset in an overlap and shifts by the gap length.
    return ZonedDateTime.ofLocal(local, zone, null).toInstant();
  }

  /** The first fire instant of {@code recurrence} strictly after {@code t}; empty if it never fires again. */
  public static Optional<Instant> nextAfter(Recurrence recurrence, ZoneId zone, Instant t) {
    ZoneRules rules = zone.getRules();
    LocalDateTime local = LocalDateTime.ofInstant(t, zone);
    // A local time in a recent gap resolves to after its own wall-clock time, so it can still lie
    // ahead of t although its wall-clock time is behind t's.
    LocalDateTime cursor = local.minus(recentGap(rules, t)).minusMinutes(1);
    Instant best = null;
    for (int i = 0; i < MAX_CANDIDATES; i++) {
      Optional<LocalDateTime> next = recurrence.nextAfter(cursor);
      if (next.isEmpty()) break;
      cursor = next.get();
      Instant at = resolve(cursor, zone);
      if (!at.isAfter(t)) continue;
      if (best == null || at.isBefore(best)) best = at;
      // Past a valid local time, later candidates resolve later; shifted gap times may not, so go on.
      if (!rules.getValidOffsets(cursor).isEmpty()) break;
    }
    return Optional.ofNullable(best);
  }

  private static Duration recentGap(ZoneRules rules, Instant t) {
    Duration longest = Duration.ZERO;
    Instant from = t.minus(LOOK_BACK);
    ZoneOffsetTransition tr = rules.nextTransition(from);
    while (tr != null && !tr.getInstant().isAfter(t)) {
      if (tr.isGap() && tr.getDuration().compareTo(longest) > 0) longest = tr.getDuration();
      tr = rules.nextTransition(tr.getInstant());
    }
    return longest;
  }
}
