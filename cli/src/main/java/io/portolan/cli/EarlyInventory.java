package io.portolan.cli;

import io.portolan.agent.AgentConfig;
import io.portolan.cli.InventoryCommand.Request;
import io.portolan.cli.InventoryCommand.Walked;
import io.portolan.inventory.Analyzers;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Starts a one-shot {@code inventory} while picocli is still parsing its command line. In a cold
 * JVM, picocli takes 0.2-0.3 s to build its model and parse (reflection, annotation proxies, all
 * of it interpreted): a third of an OS-package inventory, and time during which a {@code docker
 * save} could already be streaming. So the few plain forms of the command line ({@code inventory
 * IMAGE} with {@code --source}, {@code --format} or {@code --pkg-types}, and no environment or
 * config-file defaults) start their walk at once, on another thread.
 *
 * <p>picocli stays the parser of record: {@link InventoryCommand#call} claims the early walk only
 * when the request picocli parsed is exactly the one started. Anything else (help, a typo, another
 * option, a default from the environment) starts nothing early, and a walk that is not claimed is
 * simply dropped with the process.
 */
final class EarlyInventory {
  private static final List<String> OPTIONS = List.of("--source", "--format", "--pkg-types");
  private static final List<String> ENV_DEFAULTS = List.of("PORTOLAN_CONFIG", ConfigDefaults.envName("--source"),
      ConfigDefaults.envName("--pkg-types"), ConfigDefaults.envName("--docker-host"),
      ConfigDefaults.envName("--docker-root"), ConfigDefaults.envName("--java-sha1-index"));

  private static volatile EarlyInventory started;

  private final Request request;
  private final FutureTask<Walked> walk;

  private EarlyInventory(Request request) {
    this.request = request;
    this.walk = new FutureTask<>(() -> InventoryCommand.walk(request));
  }

  /** Starts the walk {@code args} ask for, if they are a plain {@code inventory} command line. */
  static void startIfPlain(String[] args, Map<String, String> env) {
    Optional<Request> request = plainRequest(args, env);
    if (request.isEmpty()) return;
    EarlyInventory early = new EarlyInventory(request.get());
    Thread t = new Thread(early.walk, "portolan-early-inventory");
    t.setDaemon(true);
    started = early;
    t.start();
  }

  /**
   * The request {@code args} make when they are {@code inventory IMAGE} plus long-form {@code
   * --source}, {@code --format} and {@code --pkg-types} and the environment supplies no defaults;
   * empty for anything else.
   */
  static Optional<Request> plainRequest(String[] args, Map<String, String> env) {
    if (args.length < 2 || !args[0].equals("inventory") || ENV_DEFAULTS.stream().anyMatch(env::containsKey)) {
      return Optional.empty();
    }
    String image = null;
    String source = InventoryCommand.DEFAULT_SOURCE;
    String pkgTypes = Analyzers.PackageType.DEFAULT;
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("-")) {
        if (image != null) return Optional.empty();
        image = arg;
        continue;
      }
      int eq = arg.indexOf('=');
      String name = eq < 0 ? arg : arg.substring(0, eq);
      if (!OPTIONS.contains(name)) return Optional.empty();
      String value;
      if (eq >= 0) {
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.length && !args[i + 1].startsWith("-")) {
        value = args[++i];
      } else {
        return Optional.empty();
      }
      if (name.equals("--source")) source = value;
      if (name.equals("--pkg-types")) pkgTypes = value;
    }
    if (image == null) return Optional.empty();
    return Optional.of(new Request(image, source, AgentConfig.DEFAULT_DOCKER_HOST,
        Path.of(InventoryCommand.DEFAULT_DOCKER_ROOT), null, pkgTypes));
  }

  /**
   * The early walk's outcome if it read exactly {@code parsed}: waits for it, and rethrows what it
   * threw, as a walk started now would have.
   */
  static Optional<Walked> claim(Request parsed) throws Exception {
    EarlyInventory early = started;
    started = null;
    if (early == null || !early.request.equals(parsed)) return Optional.empty();
    try {
      return Optional.of(early.walk.get());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) throw cause;
      throw e;
    }
  }
}
