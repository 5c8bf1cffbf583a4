package io.portolan.agent.cache;

import java.nio.file.Path;

/** Signals that the agent's durable state cannot be used: corrupt, locked by another agent, or failing I/O. */
public final class AgentStateException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final Path stateDir;

  public AgentStateException(Path stateDir, String message, Throwable cause) {
    super(message, cause);
    this.stateDir = stateDir;
  }

  /** The state directory the failure is about. */
  public Path stateDir() {
    return stateDir;
  }
}
