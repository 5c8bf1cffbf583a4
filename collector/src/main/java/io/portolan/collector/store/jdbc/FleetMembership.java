package io.portolan.collector.store.jdbc;

import static io.portolan.collector.store.jdbc.Columns.getTime;

import io.portolan.collector.store.VulnerabilityStore.AffectedContainer;
import io.portolan.collector.store.VulnerabilityStore.AffectedHost;
import io.portolan.collector.store.VulnerabilityStore.AffectedImage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which images each host holds and which containers run on it, kept in memory and refreshed per
 * host. "Where is CVE-X" must look at every (host, image) pair of the fleet, 100,000 rows at 5,000
 * hosts; read from the database on every question that costs more than the answer is allowed to.
 * Each refresh reads only the hosts' membership versions (bumped in the transaction that applies an
 * agent's changes, whichever collector wrote it) and reloads the hosts whose version moved.
 */
final class FleetMembership {
  private static final int CHUNK = 1_000;

  record Running(String containerId, String name, String imageId, String state) {}

  /** One host as of {@code version}; {@code images} are the images present on it. */
  record Host(String id, String name, Instant lastSeen, long version, Set<String> images, List<Running> running) {}

  private final Dialect dialect;
  private Map<String, Host> hosts = new TreeMap<>();
  /** Per image: {hosts holding it, running containers from it}, adjusted as hosts reload. */
  private final Map<String, int[]> perImage = new HashMap<>();
  /** One String instance per image ID, so 100,000 memberships hold 5,000 strings. */
  private final Map<String, String> imageIds = new HashMap<>();

  FleetMembership(Dialect dialect) {
    this.dialect = dialect;
  }

  /**
   * Where the given images are: how many are on some host, the hosts holding any of them and the
   * containers running from them; at most {@code limit} of each listed, in ID order.
   */
  synchronized Exposure exposure(Connection c, Set<String> images, Instant onlineSince, int limit)
      throws SQLException {
    refresh(c);
    int imageTotal = 0;
    int running = 0;
    for (String image : images) {
      int[] counts = perImage.get(image);
      if (counts == null) continue;
      if (counts[0] > 0) imageTotal++;
      running += counts[1];
    }
    List<AffectedImage> listedImages = images.stream().filter(i -> perImage.getOrDefault(i, NONE)[0] > 0).sorted()
        .limit(limit).map(i -> new AffectedImage(i, List.of(), perImage.get(i)[0], perImage.get(i)[1])).toList();
    int hostTotal = 0;
    List<AffectedHost> listedHosts = new ArrayList<>();
    List<AffectedContainer> containers = new ArrayList<>();
    for (Host h : hosts.values()) {
      if (listedHosts.size() == limit) {
        // Past the listed hosts only the count is wanted, and one affected image settles it.
        for (String image : h.images()) {
          if (images.contains(image)) {
            hostTotal++;
            break;
          }
        }
        continue;
      }
      int here = 0;
      for (String image : h.images()) if (images.contains(image)) here++;
      if (here == 0) continue;
      hostTotal++;
      Instant seen = h.lastSeen();
      listedHosts.add(new AffectedHost(h.id(), h.name(), seen != null && !seen.isBefore(onlineSince), here));
      // The running containers of the listed hosts, so the two lists describe the same machines.
      for (Running r : h.running()) {
        if (containers.size() < limit && images.contains(r.imageId())) {
          containers.add(new AffectedContainer(h.id(), r.containerId(), r.name(), r.imageId(), r.state()));
        }
      }
    }
    return new Exposure(imageTotal, hostTotal, running, listedImages, listedHosts, containers);
  }

  record Exposure(int imageCount, int hostCount, int runningContainerCount, List<AffectedImage> images,
      List<AffectedHost> hosts, List<AffectedContainer> containers) {}

  private static final int[] NONE = new int[2];

  private void refresh(Connection c) throws SQLException {
    // Versions first: a change committed while the memberships load is seen again next time.
    Map<String, Host> next = new TreeMap<>();
    List<String> stale = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT id, name, last_seen, membership_version FROM hosts");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String id = rs.getString(1);
        long version = rs.getLong(4);
        Host known = hosts.get(id);
        if (known == null || known.version() != version) {
          stale.add(id);
          next.put(id, new Host(id, rs.getString(2), getTime(rs, "last_seen"), version, Set.of(), List.of()));
        } else {
          next.put(id, new Host(id, rs.getString(2), getTime(rs, "last_seen"), version, known.images(),
              known.running()));
        }
      }
    }
    for (int from = 0; from < stale.size(); from += CHUNK) {
      List<String> part = stale.subList(from, Math.min(stale.size(), from + CHUNK));
      Map<String, Set<String>> images = new HashMap<>();
      Map<String, List<Running>> running = new HashMap<>();
      try (PreparedStatement ps = dialect.anyOf(c, "SELECT host_id, image_id FROM host_images WHERE present = TRUE AND %s",
          "host_id", part); ResultSet rs = ps.executeQuery()) {
        while (rs.next()) images.computeIfAbsent(rs.getString(1), k -> new HashSet<>()).add(imageId(rs.getString(2)));
      }
      try (PreparedStatement ps = dialect.anyOf(c, "SELECT host_id, id, name, image_id, state FROM containers"
          + " WHERE present = TRUE AND state = 'running' AND %s ORDER BY host_id, name, id", "host_id", part);
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          running.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
              .add(new Running(rs.getString(2), rs.getString(3), imageId(rs.getString(4)), rs.getString(5)));
        }
      }
      for (String id : part) {
        Host h = next.get(id);
        next.put(id, new Host(id, h.name(), h.lastSeen(), h.version(), Set.copyOf(images.getOrDefault(id, Set.of())),
            List.copyOf(running.getOrDefault(id, List.of()))));
      }
    }
    for (Host gone : hosts.values()) {
      Host now = next.get(gone.id());
      if (now == null || now.version() != gone.version()) count(gone, -1);
    }
    for (String id : stale) count(next.get(id), 1);
    hosts = next;
    if (!stale.isEmpty()) forgetUnusedImageIds();
  }

  private void count(Host h, int sign) {
    for (String image : h.images()) perImage.computeIfAbsent(image, k -> new int[2])[0] += sign;
    for (Running r : h.running()) perImage.computeIfAbsent(r.imageId(), k -> new int[2])[1] += sign;
  }

  private String imageId(String id) {
    return imageIds.computeIfAbsent(id, k -> k);
  }

  private void forgetUnusedImageIds() {
    if (imageIds.size() < 1_024) return;
    Set<String> used = new HashSet<>();
    for (Host h : hosts.values()) {
      used.addAll(h.images());
      for (Running r : h.running()) used.add(r.imageId());
    }
    if (used.size() * 2 < imageIds.size()) {
      imageIds.keySet().retainAll(used);
      perImage.keySet().retainAll(used);
    }
  }
}
