package io.portolan.collector.api;

import io.portolan.collector.store.ImageFacts;
import io.portolan.collector.store.Queries.ImageDetail;
import java.time.Instant;
import java.util.List;

/** The image detail as the API shows it: header facts, counts, config and build history. */
public record ImageView(
    String id,
    String shortId,
    String registry,
    List<String> repositories,
    List<String> repoTags,
    List<String> repoDigests,
    Instant created,
    String os,
    String architecture,
    String variant,
    long sizeBytes,
    String format,
    int layerCount,
    long hostCount,
    long containerCount,
    long runningContainerCount,
    Instant firstSeen,
    Instant lastSeen,
    String author,
    String dockerVersion,
    List<String> layerDiffIds,
    List<ImageFacts.HistoryEntry> history,
    ImageFacts.Config config,
    io.portolan.collector.store.Queries.Inventory inventory,
    io.portolan.collector.store.Queries.Vulnerabilities vulnerabilities,
    io.portolan.collector.store.Queries.Scan scan) {

  static ImageView of(ImageDetail d) {
    var s = d.summary();
    return new ImageView(
        s.id(), shortId(s.id()), d.registry(), s.repositories(), s.repoTags(), d.repoDigests(), s.created(),
        s.os(), s.architecture(), d.variant(), s.sizeBytes(), d.format(), d.layerDiffIds().size(),
        s.hostCount(), s.containerCount(), s.runningContainerCount(), s.firstSeen(), s.lastSeen(),
        d.author(), d.dockerVersion(), d.layerDiffIds(), d.history(), d.config(), s.inventory(),
        s.vulnerabilities(), s.scan());
  }

  /** The 12 hex digits Docker shows. */
  public static String shortId(String id) {
    String hex = id.startsWith("sha256:") ? id.substring(7) : id;
    return hex.length() > 12 ? hex.substring(0, 12) : hex;
  }
}
