package io.portolan.cli;

import io.portolan.agent.Agent;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code portolan agent}: the daemon on each Docker host. */
@Command(name = "agent", mixinStandardHelpOptions = true, description = "Run the agent on this Docker host.")
final class AgentCommand implements Callable<Integer> {
  @Mixin AgentOptions options;

  @Override
  public Integer call() throws Exception {
    Lifecycle life = new Lifecycle();
    try {
      Agent agent = life.add(new Agent(options.toConfig()));
      agent.start();
    } catch (RuntimeException e) {
      life.closeAll();
      throw e;
    }
    return life.runUntilStopped();
  }
}
