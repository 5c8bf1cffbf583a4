package io.portolan.collector.scan;

import io.portolan.collector.store.ScanStore.Candidate;
import io.portolan.collector.store.ScanStore.Dispatch;
import io.portolan.collector.store.ScanStore.ItemNote;
import io.portolan.collector.store.ScanStore.PendingItem;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Decides, for one round, which host scans each waiting image: an image on several hosts is scanned
 * once, on an online host that is least busy (fewest scans in flight, counting this round), never
 * above a host's limit. Images with the fewest online hosts are placed first, so the flexible ones
 * fill in around them. Pure: the service feeds it what the database says and writes what it
 * decides.
 */
final class Dispatcher {
  /** Reasons that start with this mark an item requeued after its host failed during the scan. */
  static final String RETRY = "retry: ";

  /** What one round decided. {@code unchanged} waiting items are not rewritten. */
  record Round(List<Dispatch> dispatches, List<ItemNote> waiting, List<ItemNote> failed) {}

  /**
   * @param onlineSince hosts heard from at or after this are online
   * @param load scans in flight per host, updated in place with this round's dispatches
   * @param limit the most scans in flight a host may have
   * @param reachable whether a command can reach the host's agent now (its stream is on a live
   *     collector); an online host that is not reachable is treated as busy for this round
   * @param admit whether a host may take one more image of this job now (rate limits); called
   *     once per dispatch, so it may spend a token
   * @param maxAttempts dispatches an image may have; past that it fails with its last retry reason
   * @param requestIds the request ID to use for each host (one command per host per round)
   */
  static Round plan(String jobId, List<PendingItem> pending, Instant onlineSince, Map<String, Integer> load,
      int limit, Predicate<String> reachable, Predicate<String> admit, int maxAttempts,
      java.util.function.Function<String, String> requestIds) {
    List<Dispatch> dispatches = new ArrayList<>();
    List<ItemNote> waiting = new ArrayList<>();
    List<ItemNote> failed = new ArrayList<>();
    record Sorted(PendingItem item, List<Candidate> online) {}
    List<Sorted> sorted = new ArrayList<>(pending.size());
    for (PendingItem p : pending) {
      List<Candidate> online = p.hosts().stream().filter(h -> !h.lastSeen().isBefore(onlineSince)).toList();
      sorted.add(new Sorted(p, online));
    }
    sorted.sort(Comparator.comparingInt((Sorted s) -> s.online().size()).thenComparing(s -> s.item().imageId()));
    Map<String, String> requests = new HashMap<>();
    for (Sorted s : sorted) {
      PendingItem p = s.item();
      boolean retried = p.reason().startsWith(RETRY);
      if (p.hosts().isEmpty()) {
        failed.add(new ItemNote(jobId, p.imageId(), "the image is no longer on any host"));
        continue;
      }
      if (p.attempts() >= maxAttempts) {
        failed.add(new ItemNote(jobId, p.imageId(), "gave up after " + p.attempts() + " attempts: "
            + (retried ? p.reason().substring(RETRY.length()) : p.reason())));
        continue;
      }
      if (s.online().isEmpty()) {
        if (retried) {
          // It was being scanned when its host went away, and no other host can take it over.
          failed.add(new ItemNote(jobId, p.imageId(), p.reason().substring(RETRY.length())));
          continue;
        }
        String reason = waitingReason(p.hosts());
        if (!p.state().equals("WAITING") || !p.reason().equals(reason)) {
          waiting.add(new ItemNote(jobId, p.imageId(), reason));
        }
        continue;
      }
      Candidate best = null;
      int bestLoad = Integer.MAX_VALUE;
      for (Candidate h : s.online()) {
        int l = load.getOrDefault(h.hostId(), 0);
        // Ties go to a host picked by the image, so equal hosts share the work.
        if (l < limit && (l < bestLoad || (l == bestLoad && tieBreak(p.imageId(), h) < tieBreak(p.imageId(), best)))
            && reachable.test(h.hostId())) {
          best = h;
          bestLoad = l;
        }
      }
      if (best == null || !admit.test(best.hostId())) continue; // every online host is busy: next round
      load.merge(best.hostId(), 1, Integer::sum);
      String request = requests.computeIfAbsent(best.hostId(), requestIds);
      dispatches.add(new Dispatch(jobId, p.imageId(), best.hostId(), request));
    }
    return new Round(dispatches, waiting, failed);
  }

  private static int tieBreak(String imageId, Candidate host) {
    return host == null ? Integer.MAX_VALUE : Math.floorMod((imageId + host.hostId()).hashCode(), 1 << 30);
  }

  /** "waiting for host web-1 (offline since 2025-06-01T10:00:00Z)", naming up to three hosts. */
  static String waitingReason(List<Candidate> hosts) {
    List<Candidate> named = hosts.stream().sorted(Comparator.comparing(Candidate::lastSeen).reversed()).limit(3)
        .toList();
    String list = named.stream().map(h -> h.hostName() + " (offline since " + h.lastSeen() + ")")
        .collect(Collectors.joining(", "));
    return "waiting for " + (hosts.size() == 1 ? "host " : "one of the hosts ") + list
        + (hosts.size() > named.size() ? " and " + (hosts.size() - named.size()) + " more" : "") + " to come online";
  }

  private Dispatcher() {}
}
