package io.portolan.collector.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An image as one host's engine describes it. Tags and digests are per host (two hosts may tag the
 * same image ID differently); everything else is intrinsic to the image ID. {@code created} is null
 * when the engine does not know it.
 */
public record ImageFacts(
    String id,
    List<String> repoTags,
    List<String> repoDigests,
    Instant created,
    long sizeBytes,
    String os,
    String architecture,
    String variant,
    List<String> layerDiffIds,
    List<HistoryEntry> history,
    Config config,
    String author,
    String dockerVersion) {

  public ImageFacts {
    repoTags = List.copyOf(repoTags);
    repoDigests = List.copyOf(repoDigests);
    layerDiffIds = List.copyOf(layerDiffIds);
    history = List.copyOf(history);
  }

  /** One step of the image's build history; {@code created} is null when unknown. */
  public record HistoryEntry(Instant created, String createdBy, boolean emptyLayer, String comment) {}

  /** The runtime configuration baked into the image. Environment values never leave the host. */
  public record Config(
      List<String> entrypoint,
      List<String> cmd,
      List<String> envNames,
      String user,
      List<String> exposedPorts,
      Map<String, String> labels,
      String workingDir) {
    public Config {
      entrypoint = List.copyOf(entrypoint);
      cmd = List.copyOf(cmd);
      envNames = List.copyOf(envNames);
      exposedPorts = List.copyOf(exposedPorts);
      labels = Map.copyOf(labels);
    }

    public static final Config EMPTY = new Config(List.of(), List.of(), List.of(), "", List.of(), Map.of(), "");
  }
}
