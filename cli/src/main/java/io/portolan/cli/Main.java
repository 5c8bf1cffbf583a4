package io.portolan.cli;

import io.portolan.collector.Collector;
import io.portolan.collector.store.StoreException;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code portolan} command. */
@Command(
    name = "portolan",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Container image inventory and vulnerability platform.",
    subcommands = {UpCommand.class, CollectorCommand.class, AgentCommand.class, InventoryCommand.class,
        AdvisoriesCommand.class})
public final class Main {
  @Option(names = "--config", description = "Properties file with option defaults (keys are option names, e.g. http-port=7070). Also PORTOLAN_CONFIG.")
  String config;

  public static void main(String[] args) {
    System.exit(run(args, System.getenv()));
  }

  static int run(String[] args, Map<String, String> env) {
    CommandLine cli = new CommandLine(new Main());
    try {
      cli.setDefaultValueProvider(ConfigDefaults.load(args, env));
    } catch (IllegalArgumentException e) {
      cli.getErr().println("portolan: " + e.getMessage());
      return 2;
    }
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      PrintWriter err = cmd.getErr();
      // Expected failures (bad config, database unreachable, port taken) get a message, not a stack trace.
      if (e instanceof StoreException || e instanceof IllegalArgumentException || e instanceof IllegalStateException
          || e instanceof java.io.UncheckedIOException || e instanceof java.io.IOException) {
        err.println("portolan: " + e.getMessage());
        return 1;
      }
      throw e;
    });
    return cli.execute(args);
  }

  /** Reports the build's version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"portolan " + Collector.version()};
    }
  }
}
