package io.portolan.cli;

import io.portolan.collector.Collector;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code portolan collector}: the central service. */
@Command(name = "collector", mixinStandardHelpOptions = true, description = "Run the collector (API, console, agent endpoint).")
final class CollectorCommand implements Callable<Integer> {
  @Mixin CollectorOptions options;

  @Override
  public Integer call() throws Exception {
    Lifecycle life = new Lifecycle();
    try {
      life.add(new Collector(options.toConfig(), Clock.systemUTC()).start());
    } catch (RuntimeException e) {
      life.closeAll();
      throw e;
    }
    return life.runUntilStopped();
  }
}
