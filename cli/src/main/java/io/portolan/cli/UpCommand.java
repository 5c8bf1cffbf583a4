package io.portolan.cli;

import io.portolan.agent.Agent;
import io.portolan.collector.Collector;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code portolan up}: a collector on embedded H2 plus an agent for the local engine, in one process. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Run the collector and a local agent (embedded H2 unless --db-url). Ctrl-C stops both.")
final class UpCommand implements Callable<Integer> {
  @Mixin CollectorOptions collectorOptions;

  @Option(names = "--docker-host", description = "Docker engine socket for the local agent")
  Optional<String> dockerHost;

  @Override
  public Integer call() throws Exception {
    Lifecycle life = new Lifecycle();
    try {
      Collector collector = life.add(new Collector(collectorOptions.toConfig(), Clock.systemUTC()).start());
      Agent agent = life.add(new Agent(AgentOptions.local(collectorOptions.dataDir, collector.grpcPort(), dockerHost)));
      agent.start();
      String host = collectorOptions.bind.equals("0.0.0.0") ? "127.0.0.1" : collectorOptions.bind;
      System.out.println();
      System.out.println("  Portolan is up.");
      System.out.println("  Console and API: http://" + host + ":" + collector.httpPort() + "/");
      System.out.println("  REST API:        http://" + host + ":" + collector.httpPort() + "/api/v1/images");
      System.out.println("  More hosts:      ./portolan agent --collector <this-host>:" + collector.grpcPort());
      System.out.println("  Ctrl-C stops.");
      System.out.println();
    } catch (RuntimeException e) {
      life.closeAll();
      throw e;
    }
    return life.runUntilStopped();
  }
}
