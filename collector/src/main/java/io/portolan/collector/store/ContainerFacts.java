package io.portolan.collector.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A container as its host's engine describes it. Timestamps are null when the engine has none. */
public record ContainerFacts(
    String id,
    List<String> names,
    String imageId,
    String imageRef,
    String state,
    String status,
    String command,
    Instant created,
    Instant started,
    Instant finished,
    int exitCode,
    List<Port> ports,
    Map<String, String> labels,
    int restartCount) {

  public ContainerFacts {
    names = List.copyOf(names);
    ports = List.copyOf(ports);
    labels = Map.copyOf(labels);
  }

  /** The first name, which is what Docker shows. */
  public String name() {
    return names.isEmpty() ? "" : names.get(0);
  }

  /** A published or exposed port. {@code publicPort} is 0 when not published. */
  public record Port(String ip, int privatePort, int publicPort, String protocol) {}
}
