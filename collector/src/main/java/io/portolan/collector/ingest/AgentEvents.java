package io.portolan.collector.ingest;

import io.portolan.collector.store.ScanStore.AgentResult;
import io.portolan.proto.agent.v1.CommandUpdate;
import java.util.List;

/**
 * What the scan service learns from agents' streams on this collector. Calls come on gRPC and
 * writer threads: implementations hand the work off and return at once.
 */
public interface AgentEvents {
  AgentEvents NONE = new AgentEvents() {};

  /** The agent was welcomed: its stream is open on this collector. */
  default void connected(String agentId) {}

  /** A stream of the agent ended (a newer one may already be open: ask {@link AgentStreamService#isConnected}). */
  default void disconnected(String agentId) {}

  /** A best-effort update (seq 0): accepted, refused, or progress of one image. */
  default void commandUpdate(String agentId, CommandUpdate update) {}

  /** Per-image results committed to the database, after the inventories of the same commit were reported. */
  default void scanResults(List<AgentResult> results) {}
}
