package io.portolan.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code portolan <args>} as its own JVM, the way a CI pipeline would, and captures its output. */
final class PortolanCli {
  private PortolanCli() {}

  record Result(int exit, String out, String err) {}

  static Result run(Path work, String... args) throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java));
    cmd.addAll(io.portolan.cli.JvmOptions.forCommand(args[0]));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.portolan.cli.Main"));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(work, "out", ".txt");
    Path err = Files.createTempFile(work, "err", ".txt");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("portolan " + String.join(" ", args) + " did not finish");
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }
}
