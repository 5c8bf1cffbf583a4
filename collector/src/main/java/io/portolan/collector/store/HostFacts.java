package io.portolan.collector.store;

import java.util.List;
import java.util.Map;

/** What an agent reports about its host in its Hello. Strings are empty, never null, when unknown. */
public record HostFacts(
    String hostName,
    List<String> ips,
    String os,
    String kernel,
    String architecture,
    String dockerVersion,
    String dockerApiVersion,
    Map<String, String> labels,
    String storageDriver,
    String dockerRootDir,
    int cpus,
    long memoryBytes) {
  public HostFacts {
    ips = List.copyOf(ips);
    labels = Map.copyOf(labels);
  }
}
