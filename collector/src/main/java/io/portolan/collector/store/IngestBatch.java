package io.portolan.collector.store;

import java.util.List;
import java.util.Optional;

/**
 * One agent's share of a group commit: an optional (re-)registration from its Hello or a heartbeat
 * with new host facts, then its changes, inventories and scan results up to {@code lastSeq}. {@code lastSeq} 0 means "no durable
 * changes in this batch".
 */
public record IngestBatch(String agentId, Optional<Registration> registration, List<HostChange> changes,
    List<InventoryChange> inventory, List<ScanStore.AgentResult> scanResults, long lastSeq) {
  public IngestBatch {
    changes = List.copyOf(changes);
    inventory = List.copyOf(inventory);
    scanResults = List.copyOf(scanResults);
  }

  /** A batch without scan results. */
  public IngestBatch(String agentId, Optional<Registration> registration, List<HostChange> changes,
      List<InventoryChange> inventory, long lastSeq) {
    this(agentId, registration, changes, inventory, List.of(), lastSeq);
  }

  /** A batch without inventory results. */
  public IngestBatch(String agentId, Optional<Registration> registration, List<HostChange> changes, long lastSeq) {
    this(agentId, registration, changes, List.of(), lastSeq);
  }

  /** The facts a Hello (or a heartbeat that carries changed facts) reports. */
  public record Registration(String agentVersion, HostFacts facts) {}
}
