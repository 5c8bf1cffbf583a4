package io.portolan.cli;

import io.portolan.collector.Collector;
import io.portolan.collector.store.StoreException;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code portolan} command. */
@Command(
    name = "portolan",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Container image inventory and vulnerability platform.")
public final class Main {
  /**
   * The subcommands, in the order help lists them. They are not in the {@code @Command} annotation
   * because picocli then builds every one's model on each start (reflection over all their options,
   * a few hundred ms on a loaded host), which a one-shot {@code inventory} would pay for nothing.
   */
  static final Map<String, Class<?>> SUBCOMMANDS = subcommands();

  @Option(names = "--config", description = "Properties file with option defaults (keys are option names, e.g. http-port=7070). Also PORTOLAN_CONFIG.")
  String config;

  public static void main(String[] args) {
    System.exit(run(args, System.getenv()));
  }

  static int run(String[] args, Map<String, String> env) {
    preferPlatformSelector();
    PrintWriter out = writer(System.out, "sun.stdout.encoding");
    PrintWriter err = writer(System.err, "sun.stderr.encoding");
    Optional<PlainInventory> plain = PlainInventory.parse(args, env);
    if (plain.isPresent()) {
      try {
        return plain.get().run(out, err);
      } catch (Exception e) {
        try {
          return reportFailure(e, err);
        } catch (Exception unexpected) {
          // What picocli does with an exception its handler rethrows.
          unexpected.printStackTrace(err);
          return 1;
        }
      } finally {
        out.flush();
        err.flush();
      }
    }
    CommandLine cli = commandLine(args);
    cli.setOut(out);
    cli.setErr(err);
    try {
      cli.setDefaultValueProvider(ConfigDefaults.load(args, env));
    } catch (IllegalArgumentException e) {
      cli.getErr().println("portolan: " + e.getMessage());
      return 2;
    }
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> reportFailure(e, cmd.getErr()));
    return cli.execute(args);
  }

  /**
   * Expected failures (bad config, database unreachable, port taken, no such image) get a message
   * and exit code 1, not a stack trace; anything else is rethrown.
   */
  private static int reportFailure(Exception e, PrintWriter err) throws Exception {
    if (e instanceof StoreException || e instanceof IllegalArgumentException || e instanceof IllegalStateException
        || e instanceof java.io.UncheckedIOException || e instanceof java.io.IOException) {
      err.println("portolan: " + e.getMessage());
      return 1;
    }
    throw e;
  }

  /**
   * A writer on {@code stream} as picocli makes its own, so that plain and picocli runs print the
   * same bytes: in the charset {@code encodingProperty} names (set by Windows consoles only), else
   * the JVM's default (UTF-8), flushed at each line.
   */
  private static PrintWriter writer(PrintStream stream, String encodingProperty) {
    String encoding = System.getProperty(encodingProperty);
    Charset charset = encoding != null && Charset.isSupported(encoding) ? Charset.forName(encoding) : Charset.defaultCharset();
    return new PrintWriter(new BufferedWriter(new OutputStreamWriter(stream, charset)), true);
  }

  /**
   * Names Linux's selector provider, unless the JVM was given one. Without a name, the first
   * socket the process opens (the Docker engine's) waits while a ServiceLoader looks for a provider
   * in every jar of the class path: 50-70 ms before {@code inventory --source save} can ask the
   * engine for the image, and the engine then exports for seconds before it answers.
   */
  private static void preferPlatformSelector() {
    String key = "java.nio.channels.spi.SelectorProvider";
    if (System.getProperty(key) != null || !System.getProperty("os.name", "").equals("Linux")) {
      return;
    }
    try {
      // What SelectorProvider will do with the name: a wrong one would fail every socket.
      Class<?> provider = Class.forName(LINUX_SELECTOR_PROVIDER, false, ClassLoader.getPlatformClassLoader());
      if (java.nio.channels.spi.SelectorProvider.class.isAssignableFrom(provider)
          && java.lang.reflect.Modifier.isPublic(provider.getModifiers())) {
        provider.getConstructor();
        System.setProperty(key, LINUX_SELECTOR_PROVIDER);
      }
    } catch (ReflectiveOperationException e) {
      // Another JDK layout: the ServiceLoader finds the default, only more slowly.
    }
  }

  private static final String LINUX_SELECTOR_PROVIDER = "sun.nio.ch.EPollSelectorProvider";

  /**
   * The command line for {@code args}: with only the subcommand they name when they name one, else
   * with all of them, so that {@code portolan --help} lists them and a typo gets picocli's
   * suggestions.
   */
  static CommandLine commandLine(String[] args) {
    CommandLine cli = new CommandLine(new Main());
    Class<?> chosen = SUBCOMMANDS.get(subcommandName(args));
    if (chosen != null) {
      cli.addSubcommand(new CommandLine(chosen));
    } else {
      SUBCOMMANDS.values().forEach(c -> cli.addSubcommand(new CommandLine(c)));
    }
    return cli;
  }

  /** All subcommands registered, as help and tests see the command. */
  static CommandLine commandLine() {
    return commandLine(new String[0]);
  }

  /** The first argument that is neither a top-level option nor {@code --config}'s value; null if none. */
  static String subcommandName(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config")) {
        i++;
      } else if (!args[i].startsWith("-")) {
        return args[i];
      } else if (args[i].equals("--")) {
        return null;
      }
    }
    return null;
  }

  private static Map<String, Class<?>> subcommands() {
    Map<String, Class<?>> m = new LinkedHashMap<>();
    m.put("up", UpCommand.class);
    m.put("collector", CollectorCommand.class);
    m.put("agent", AgentCommand.class);
    m.put("inventory", InventoryCommand.class);
    m.put("advisories", AdvisoriesCommand.class);
    return m;
  }

  /** Reports the build's version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"portolan " + Collector.version()};
    }
  }
}
