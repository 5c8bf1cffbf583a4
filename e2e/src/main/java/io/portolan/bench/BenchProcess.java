package io.portolan.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A collector or agent started as its own JVM through the real entry point ({@code io.portolan.cli.Main})
 * with the launcher's JVM flags, so its CPU and memory can be read from /proc. Every started process is
 * tracked so that a failing or interrupted benchmark still stops it.
 */
final class BenchProcess implements AutoCloseable {
  private static final Set<BenchProcess> LIVE = ConcurrentHashMap.newKeySet();

  private final String name;
  private final List<String> command;
  private final Path log;
  private Process process;

  private BenchProcess(String name, List<String> args, Path log) {
    this.name = name;
    this.command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(io.portolan.cli.JvmOptions.forCommand(args.get(0)));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.portolan.cli.Main"));
    command.addAll(args);
    this.log = log;
  }


  /** A collector on fresh ports; {@code db} null means embedded H2 under {@code workDir}. */
  static BenchProcess collector(Path workDir, int httpPort, int grpcPort, Database db, Duration heartbeat) {
    Duration offline = Duration.ofSeconds(Math.max(60, heartbeat.toSeconds() * 3));
    List<String> args = new ArrayList<>(List.of("collector",
        "--data-dir", workDir.resolve("collector-data").toString(),
        "--http-port", Integer.toString(httpPort), "--grpc-port", Integer.toString(grpcPort),
        "--heartbeat-interval", heartbeat.toSeconds() + "s", "--offline-after", offline.toSeconds() + "s"));
    if (db != null) args.addAll(List.of("--db-url", db.url(), "--db-user", db.user(), "--db-password", db.password()));
    return new BenchProcess("collector", args, workDir.resolve("collector.log"));
  }

  /** An agent reading the local Docker engine and reporting to the collector on {@code grpcPort}. */
  static BenchProcess agent(Path workDir, int grpcPort, String hostName) {
    return new BenchProcess("agent", List.of("agent", "--collector", "127.0.0.1:" + grpcPort,
        "--state-dir", workDir.resolve("agent-state").toString(), "--host-name", hostName),
        workDir.resolve("agent.log"));
  }

  /** Connection settings of an external database. */
  record Database(String url, String user, String password) {}

  BenchProcess start() {
    try {
      Files.createDirectories(log.getParent());
      process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the " + name + ": " + command, e);
    }
    LIVE.add(this);
    return this;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** Fails with the end of the log when the process has died. */
  void requireAlive() {
    if (!isAlive()) {
      throw new IllegalStateException("the " + name + " exited (code " + process.exitValue() + "); log " + log
          + ":\n" + logTail(40));
    }
  }

  String name() {
    return name;
  }

  Path log() {
    return log;
  }

  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** SIGTERM, then SIGKILL if it has not stopped within 20 s. */
  @Override
  public void close() {
    LIVE.remove(this);
    if (process == null || !process.isAlive()) return;
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Stops whatever is still running; for the JVM shutdown hook (Ctrl-C). */
  static void closeAll() {
    for (BenchProcess p : List.copyOf(LIVE)) p.close();
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A fresh directory for one run's logs and data; its path is printed so the logs can be read. */
  static Path workDir(String benchmark) {
    try {
      Path dir = Files.createTempDirectory("portolan-bench-" + benchmark + "-");
      System.out.println("logs and data: " + dir);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
