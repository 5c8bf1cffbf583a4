package io.portolan.collector.scan;

import static org.assertj.core.api.Assertions.assertThat;

import io.portolan.collector.store.ScanStore.Candidate;
import io.portolan.collector.store.ScanStore.Dispatch;
import io.portolan.collector.store.ScanStore.ItemNote;
import io.portolan.collector.store.ScanStore.PendingItem;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Placement of one round: once per image, online and reachable hosts, least busy first, within limits. */
class DispatcherTest {
  static final Instant NOW = Instant.parse("2025-06-01T10:00:00Z");
  static final Instant ONLINE_SINCE = NOW.minusSeconds(60);

  static Candidate online(String host) {
    return new Candidate(host, host + "-name", NOW.minusSeconds(5));
  }

  static Candidate offline(String host, int minutesAgo) {
    return new Candidate(host, host + "-name", NOW.minusSeconds(60L * minutesAgo));
  }

  static PendingItem item(String image, Candidate... hosts) {
    return new PendingItem("job", image, "QUEUED", "", 0, List.of(hosts));
  }

  static Dispatcher.Round plan(List<PendingItem> items, Map<String, Integer> load, int limit, Set<String> unreachable) {
    return Dispatcher.plan("job", items, ONLINE_SINCE, load, limit, h -> !unreachable.contains(h), h -> true, 3,
        h -> "req-" + h);
  }

  static Map<String, String> placement(Dispatcher.Round r) {
    return r.dispatches().stream().collect(Collectors.toMap(Dispatch::imageId, Dispatch::hostId));
  }

  @Test
  void everyImageGoesToOneHostAndTheWorkSpreadsOverTheLeastBusy() {
    List<PendingItem> items = new ArrayList<>();
    for (int i = 0; i < 12; i++) items.add(item("img" + i, online("h1"), online("h2"), online("h3")));
    Map<String, Integer> load = new HashMap<>(Map.of("h1", 4));
    Dispatcher.Round r = plan(items, load, 64, Set.of());
    assertThat(r.dispatches()).hasSize(12);
    Map<String, Long> perHost = r.dispatches().stream()
        .collect(Collectors.groupingBy(Dispatch::hostId, Collectors.counting()));
    // h1 had 4 in flight already: the 12 even the three hosts out, 16 in flight over three.
    assertThat(load.values()).containsExactlyInAnyOrder(5, 5, 6);
    assertThat(perHost.get("h1")).isLessThanOrEqualTo(2);
    assertThat(perHost.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(12);
    // One request per host per round.
    assertThat(r.dispatches()).allSatisfy(d -> assertThat(d.requestId()).isEqualTo("req-" + d.hostId()));
  }

  @Test
  void imagesWithFewerHostsArePlacedFirstAndLimitsHold() {
    // img-only-h1 can go nowhere else; the flexible ones must leave it room on h1 (limit 2).
    List<PendingItem> items = List.of(item("a-flexible", online("h1"), online("h2")),
        item("b-flexible", online("h1"), online("h2")), item("z-only-h1", online("h1")));
    Dispatcher.Round r = plan(items, new HashMap<>(), 2, Set.of());
    assertThat(placement(r)).containsEntry("z-only-h1", "h1");
    assertThat(r.dispatches()).hasSize(3);

    // Both hosts full: nothing is placed, nothing waits or fails; the next round tries again.
    Dispatcher.Round full = plan(items, new HashMap<>(Map.of("h1", 2, "h2", 2)), 2, Set.of());
    assertThat(full.dispatches()).isEmpty();
    assertThat(full.waiting()).isEmpty();
    assertThat(full.failed()).isEmpty();
  }

  @Test
  void offlineHostsAreWaitedForAndUnreachableOnesSkipped() {
    List<PendingItem> items = List.of(item("a", offline("h1", 10)),
        item("b", offline("h1", 10), offline("h2", 3), offline("h3", 20), offline("h4", 30)),
        item("c", online("h5"), online("h6")));
    Dispatcher.Round r = plan(items, new HashMap<>(), 64, Set.of("h5"));
    assertThat(placement(r)).containsExactly(Map.entry("c", "h6"));
    assertThat(r.waiting()).extracting(ItemNote::imageId).containsExactly("a", "b");
    assertThat(r.waiting().get(0).reason()).isEqualTo("waiting for host h1-name (offline since "
        + NOW.minusSeconds(600) + ") to come online");
    assertThat(r.waiting().get(1).reason()).startsWith("waiting for one of the hosts h2-name (offline since")
        .endsWith("and 1 more to come online");

    // An item already waiting for the same reason is not written again.
    PendingItem stillWaiting = new PendingItem("job", "a", "WAITING", r.waiting().get(0).reason(), 0,
        List.of(offline("h1", 10)));
    assertThat(plan(List.of(stillWaiting), new HashMap<>(), 64, Set.of()).waiting()).isEmpty();
  }

  @Test
  void retriesWithoutAHostFailAndAttemptsRunOut() {
    PendingItem lost = new PendingItem("job", "a", "QUEUED", Dispatcher.RETRY + "the agent on host h1-name went"
        + " offline during the scan", 1, List.of(offline("h1", 2)));
    PendingItem tired = new PendingItem("job", "b", "QUEUED", "the agent on host h2-name reconnected", 3,
        List.of(online("h2")));
    PendingItem gone = new PendingItem("job", "c", "QUEUED", "", 0, List.of());
    Dispatcher.Round r = plan(List.of(lost, tired, gone), new HashMap<>(), 64, Set.of());
    assertThat(r.dispatches()).isEmpty();
    assertThat(r.failed()).extracting(ItemNote::reason).containsExactlyInAnyOrder(
        "the agent on host h1-name went offline during the scan",
        "gave up after 3 attempts: the agent on host h2-name reconnected",
        "the image is no longer on any host");
  }
}
