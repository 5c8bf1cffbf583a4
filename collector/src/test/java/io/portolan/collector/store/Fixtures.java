package io.portolan.collector.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Small builders for store test data; IDs are readable prefixes padded to real lengths. */
public final class Fixtures {
  private Fixtures() {}

  /** A time with microseconds, so round-trips are checked at the precision the store promises. */
  public static final Instant T0 = Instant.parse("2025-03-01T10:00:00.123456Z");

  public static Instant at(long seconds) {
    return T0.plusSeconds(seconds);
  }

  /** "sha256:" + the hex prefix padded with zeros to 64 digits. */
  public static String imageId(String hexPrefix) {
    return "sha256:" + hexPrefix + "0".repeat(64 - hexPrefix.length());
  }

  public static String containerId(String hexPrefix) {
    return hexPrefix + "0".repeat(64 - hexPrefix.length());
  }

  public static HostFacts host(String name) {
    return new HostFacts(name, List.of("10.0.0.1", "fd00::1"), "Debian GNU/Linux 12", "6.1.0", "x86_64", "27.3.1",
        "1.47", Map.of("env", "prod", "team", "core"), "overlay2", "/var/lib/docker", 4, 8L << 30);
  }

  public static ImageFacts image(String idPrefix, String... repoTags) {
    return image(idPrefix, 1000, T0.minusSeconds(3600), repoTags);
  }

  public static ImageFacts image(String idPrefix, long size, Instant created, String... repoTags) {
    List<String> digests = List.of(repoTags).stream()
        .map(t -> t.substring(0, t.lastIndexOf(':')) + "@sha256:" + "d".repeat(63) + idPrefix.charAt(0))
        .toList();
    return new ImageFacts(imageId(idPrefix), List.of(repoTags), digests, created, size, "linux", "amd64", "",
        List.of("sha256:" + "1".repeat(64), "sha256:" + idPrefix + "2".repeat(64 - idPrefix.length())),
        List.of(new ImageFacts.HistoryEntry(T0.minusSeconds(7200), "/bin/sh -c #(nop) ADD file:abc in /", false, ""),
            new ImageFacts.HistoryEntry(null, "/bin/sh -c #(nop) CMD [\"sh\"]", true, "a comment")),
        new ImageFacts.Config(List.of("/entrypoint.sh"), List.of("run"), List.of("PATH", "HOME"), "app",
            List.of("8080/tcp"), Map.of("b", "2", "a", "1"), "/srv"),
        "someone", "24.0.7");
  }

  public static ContainerFacts container(String idPrefix, String name, String imageIdPrefix, String state) {
    return new ContainerFacts(containerId(idPrefix), List.of(name), imageId(imageIdPrefix),
        "registry.example.com/app:1", state, state.equals("running") ? "Up 5 minutes" : "Exited (0) 1 hour ago",
        "/entrypoint.sh run", T0.minusSeconds(600), T0.minusSeconds(590),
        state.equals("running") ? null : T0.minusSeconds(60), 0,
        List.of(new ContainerFacts.Port("0.0.0.0", 8080, 18080, "tcp")), Map.of("z", "last", "a", "first"), 0);
  }
}
