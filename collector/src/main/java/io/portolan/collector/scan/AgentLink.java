package io.portolan.collector.scan;

import io.portolan.proto.agent.v1.Command;
import java.util.Set;

/** The agent streams this collector holds and its matching, as the scan service needs them. */
public interface AgentLink {
  /** Sends the command if this collector holds the agent's stream; false otherwise. */
  boolean send(String agentId, Command command);

  /** Agents whose stream this collector holds now. */
  Set<String> connectedAgents();

  /** Runs {@code task} after the matching of inventories reported so far (so counts are current). */
  void afterMatching(Runnable task);

  /** Whether a new inventory of the image is still being matched (its counts are not current yet). */
  boolean matchPending(String imageId);
}
