package io.portolan.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A collector or agent running as its own JVM, started through the real launcher entry point, so
 * tests can kill it the hard way (SIGKILL) and start it again on the same state.
 */
final class PortolanProcess implements AutoCloseable {
  private final List<String> command;
  private final Path log;
  private Process process;

  private PortolanProcess(List<String> args, Path log) {
    String java = ProcessHandle.current().info().command().orElse("java");
    this.command = new ArrayList<>(List.of(java));
    command.addAll(io.portolan.cli.JvmOptions.forCommand(args.get(0)));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.portolan.cli.Main"));
    this.command.addAll(args);
    this.log = log;
  }

  static PortolanProcess collector(Path workDir, int httpPort, int grpcPort, String dbUrl, String dbUser,
      String dbPassword) {
    return collector(workDir, "collector", httpPort, grpcPort, dbUrl, dbUser, dbPassword);
  }

  /**
   * A collector named {@code name} (its data directory and log), so several can run side by side;
   * {@code extra} flags override the defaults (e.g. a shorter --offline-after).
   */
  static PortolanProcess collector(Path workDir, String name, int httpPort, int grpcPort, String dbUrl, String dbUser,
      String dbPassword, String... extra) {
    List<String> args = new ArrayList<>(List.of("collector", "--data-dir", workDir.resolve(name).toString(),
        "--http-port", Integer.toString(httpPort), "--grpc-port", Integer.toString(grpcPort),
        "--heartbeat-interval", "2s"));
    if (!List.of(extra).contains("--offline-after")) args.addAll(List.of("--offline-after", "20s"));
    if (!dbUrl.isEmpty()) args.addAll(List.of("--db-url", dbUrl, "--db-user", dbUser, "--db-password", dbPassword));
    args.addAll(List.of(extra));
    return new PortolanProcess(args, workDir.resolve(name + ".log"));
  }

  static PortolanProcess agent(Path workDir, String hostName, int grpcPort, String... extra) {
    List<String> args = new ArrayList<>(List.of("agent", "--collector", "127.0.0.1:" + grpcPort,
        "--state-dir", workDir.resolve("agent-" + hostName).toString(), "--host-name", hostName));
    args.addAll(List.of(extra));
    return new PortolanProcess(args, workDir.resolve("agent-" + hostName + ".log"));
  }

  PortolanProcess start() {
    try {
      Files.createDirectories(log.getParent());
      process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
    return this;
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  boolean isAlive() {
    return process != null && process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    if (process == null || !process.isAlive()) return;
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) kill();
    } catch (InterruptedException e) {
      kill();
      Thread.currentThread().interrupt();
    }
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
