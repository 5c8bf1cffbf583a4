package io.portolan.cli;

import io.portolan.agent.AgentConfig;
import io.portolan.cli.InventoryCommand.Request;
import io.portolan.inventory.Analyzers;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The plain forms of a one-shot {@code inventory} command line, run without picocli: {@code
 * inventory IMAGE} with at most one each of {@code --source}, {@code --format} and {@code
 * --pkg-types} in long form, and no environment or config-file defaults. In a cold JVM, picocli
 * takes 0.2-0.3 s of CPU to build its model (reflection, annotation proxies, all of it
 * interpreted) and its factory looks for Groovy in every jar of the class path (0.1 s more): on
 * two cores, that competed with the walk of a 60,000-file tree, and with an engine exporting an
 * image for {@code --source save}.
 *
 * <p>Anything else (help, a typo, an abbreviation, an {@code @file}, a repeated or another option,
 * a default from the environment) goes to picocli. Tests hold this parse to picocli's for every
 * plain form, and {@link InventoryCommand#run} is what both call.
 */
record PlainInventory(Request request, String format) {
  private static final List<String> OPTIONS = List.of("--source", "--format", "--pkg-types");
  private static final List<String> ENV_DEFAULTS = List.of("PORTOLAN_CONFIG", ConfigDefaults.envName("--source"),
      ConfigDefaults.envName("--format"), ConfigDefaults.envName("--pkg-types"),
      ConfigDefaults.envName("--docker-host"), ConfigDefaults.envName("--docker-root"),
      ConfigDefaults.envName("--java-sha1-index"));
  static final String DEFAULT_FORMAT = "table";

  /** The plain inventory {@code args} ask for; empty for anything picocli must parse. */
  static Optional<PlainInventory> parse(String[] args, Map<String, String> env) {
    if (args.length < 2 || !args[0].equals("inventory") || ENV_DEFAULTS.stream().anyMatch(env::containsKey)) {
      return Optional.empty();
    }
    String image = null;
    String source = InventoryCommand.DEFAULT_SOURCE;
    String format = DEFAULT_FORMAT;
    String pkgTypes = Analyzers.PackageType.DEFAULT;
    Set<String> given = new HashSet<>();
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      if (arg.startsWith("@")) return Optional.empty(); // picocli reads arguments from that file
      if (!arg.startsWith("-")) {
        if (image != null) return Optional.empty();
        image = arg;
        continue;
      }
      int eq = arg.indexOf('=');
      String name = eq < 0 ? arg : arg.substring(0, eq);
      if (!OPTIONS.contains(name) || !given.add(name)) return Optional.empty();
      String value;
      if (eq >= 0) {
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.length && !args[i + 1].startsWith("-") && !args[i + 1].startsWith("@")) {
        value = args[++i];
      } else {
        return Optional.empty();
      }
      switch (name) {
        case "--source" -> source = value;
        case "--format" -> format = value;
        default -> pkgTypes = value;
      }
    }
    if (image == null) return Optional.empty();
    return Optional.of(new PlainInventory(new Request(image, source, AgentConfig.DEFAULT_DOCKER_HOST,
        Path.of(InventoryCommand.DEFAULT_DOCKER_ROOT), null, pkgTypes), format));
  }

  /** Runs it as picocli would have run the command: the exit code. */
  int run(PrintWriter out, PrintWriter err) throws Exception {
    return InventoryCommand.run(request, format, out, err);
  }
}
