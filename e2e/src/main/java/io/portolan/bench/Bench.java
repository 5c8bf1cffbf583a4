package io.portolan.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code portolan bench}: the rerunnable benchmarks. Each starts the collector (and agent) as separate
 * processes through the real entry point, measures them from outside, prints a summary block and one
 * {@code RESULT} line, and stops everything it started, also on failure or Ctrl-C.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Portolan benchmarks: ingest, event-latency, agent-idle, inventory, lang, match, schedules, scan,"
        + " console.",
    subcommands = {IngestBench.class, EventLatencyBench.class, AgentIdleBench.class, InventoryBench.class,
        LangBench.class, MatchBench.class, ScheduleBench.class, ScanBench.class, ConsoleBench.class})
public final class Bench implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    Runtime.getRuntime().addShutdownHook(new Thread(BenchProcess::closeAll, "bench-cleanup"));
    CommandLine cli = new CommandLine(new Bench());
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof IllegalStateException || e instanceof java.io.UncheckedIOException) {
        cmd.getErr().println("bench: FAILED: " + e.getMessage());
        return 1;
      }
      throw e;
    });
    System.exit(cli.execute(args));
  }
}
