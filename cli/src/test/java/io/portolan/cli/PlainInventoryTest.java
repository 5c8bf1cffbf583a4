package io.portolan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.portolan.cli.InventoryCommand.Request;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PlainInventoryTest {
  @TempDir
  Path dir;

  private static Optional<PlainInventory> plain(String... args) {
    return PlainInventory.parse(args, Map.of());
  }

  /** What picocli makes of the same command line. */
  private static PlainInventory parsed(String... args) {
    CommandLine.ParseResult result = Main.commandLine(args).parseArgs(args);
    InventoryCommand command = (InventoryCommand) result.subcommand().commandSpec().userObject();
    return new PlainInventory(command.request(), command.format);
  }

  @Test
  void plainCommandLinesMeanWhatTheyMeanToPicocli() {
    for (String[] args : List.of(
        new String[] {"inventory", "nginx:1"},
        new String[] {"inventory", "nginx:1", "--source", "save", "--format", "json"},
        new String[] {"inventory", "--source=overlay2", "--pkg-types", "os", "sha256:ab12"},
        new String[] {"inventory", "--format=cyclonedx", "x", "--source", "tar:/tmp/x.tar", "--pkg-types=library"},
        new String[] {"inventory", "x", "--format", "yaml"},
        new String[] {"inventory", "x", "--source="})) {
      assertThat(plain(args)).as(String.join(" ", args)).contains(parsed(args));
    }
    assertThat(plain("inventory", "nginx:1", "--source", "save")).contains(new PlainInventory(new Request("nginx:1",
        "save", "unix:///var/run/docker.sock", Path.of("/var/lib/docker"), null, "os,library"), "table"));
  }

  @Test
  void anythingElseIsPicocliToParse() {
    for (String[] args : List.of(
        new String[] {"inventory"},
        new String[] {"inventory", "--help"},
        new String[] {"inventory", "a", "--version"},
        new String[] {"inventory", "a", "b"},
        new String[] {"inventory", "a", "--source"},
        new String[] {"inventory", "a", "--source", "--format", "json"},
        new String[] {"inventory", "a", "--source", "save", "--source", "overlay2"},
        new String[] {"inventory", "a", "--format=json", "--format", "table"},
        new String[] {"inventory", "a", "--sou", "save"},
        new String[] {"inventory", "@args.txt"},
        new String[] {"inventory", "a", "--source", "@source.txt"},
        new String[] {"inventory", "a", "--", "b"},
        new String[] {"inventory", "a", "--docker-root", "/srv/docker"},
        new String[] {"inventory", "a", "--docker-host", "tcp://h:2375"},
        new String[] {"inventory", "a", "--java-sha1-index", "gav.tsv"},
        new String[] {"--config", "p.properties", "inventory", "a"},
        new String[] {"agent", "a"})) {
      assertThat(plain(args)).as(String.join(" ", args)).isEmpty();
    }
    // Defaults from the environment or a config file are picocli's to apply.
    for (String env : List.of("PORTOLAN_CONFIG", "PORTOLAN_DOCKER_ROOT", "PORTOLAN_SOURCE", "PORTOLAN_FORMAT",
        "PORTOLAN_PKG_TYPES", "PORTOLAN_DOCKER_HOST", "PORTOLAN_JAVA_SHA1_INDEX")) {
      assertThat(PlainInventory.parse(new String[] {"inventory", "a"}, Map.of(env, "x"))).as(env).isEmpty();
    }
  }

  /** What {@link Main#run} printed and returned. */
  private record Run(int code, String out, String err) {}

  private static Run main(String... args) {
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.run(args, Map.of());
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
  }

  @Test
  void aPlainRunReportsAndFailsAsThePicocliRunOfTheSameRequest() throws Exception {
    Path saved = savedImage(dir.resolve("image.tar"));
    // --docker-host (its default value) makes the same request a command line for picocli.
    String[] plainArgs = {"inventory", "img", "--source", "tar:" + saved, "--format", "json"};
    String[] picocliArgs = {"inventory", "img", "--source", "tar:" + saved, "--format", "json",
        "--docker-host", "unix:///var/run/docker.sock"};
    assertThat(plain(plainArgs)).isPresent();
    assertThat(plain(picocliArgs)).isEmpty();
    Run plainRun = main(plainArgs);
    assertThat(plainRun).isEqualTo(main(picocliArgs));
    assertThat(plainRun.code()).isZero();
    assertThat(plainRun.out()).contains("\"name\" : \"zlib1g\"", "\"version\" : \"1:1.2.13.dfsg-1\"",
        "Dèbian GNU/Linux 12");

    String[] missing = {"inventory", "img", "--source", "tar:" + dir.resolve("missing.tar")};
    Run failed = main(missing);
    assertThat(failed).isEqualTo(main(missing[0], missing[1], missing[2], missing[3], "--docker-root",
        "/var/lib/docker"));
    assertThat(failed.code()).isEqualTo(1);
    assertThat(failed.err()).isEqualTo("portolan: no such file or directory: " + dir.resolve("missing.tar")
        + System.lineSeparator());
    assertThat(main("inventory", "img", "--source", "tar:" + saved, "--format", "yaml").err())
        .startsWith("portolan: --format must be table, json or cyclonedx, got 'yaml'");
  }

  /**
   * A one-layer {@code docker save} tarball whose dpkg status lists one installed package, and whose
   * OS has a name that is not ASCII (so that both runs are held to the same output encoding).
   */
  private static Path savedImage(Path file) throws Exception {
    ByteArrayOutputStream layer = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(layer)) {
      add(tar, "var/lib/dpkg/status", ("Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\n"
          + "Source: zlib\nVersion: 1:1.2.13.dfsg-1\n\n").getBytes(StandardCharsets.UTF_8));
      add(tar, "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Dèbian GNU/Linux 12\"\n"
          .getBytes(StandardCharsets.UTF_8));
    }
    String diffId = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(layer.toByteArray()));
    try (OutputStream out = Files.newOutputStream(file); TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      add(tar, "l1/layer.tar", layer.toByteArray());
      add(tar, "config.json", ("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]}}")
          .getBytes(StandardCharsets.UTF_8));
      add(tar, "manifest.json", "[{\"Config\":\"config.json\",\"RepoTags\":[\"img:1\"],\"Layers\":[\"l1/layer.tar\"]}]"
          .getBytes(StandardCharsets.UTF_8));
    }
    return file;
  }

  private static void add(TarArchiveOutputStream tar, String name, byte[] data) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(data.length);
    tar.putArchiveEntry(e);
    tar.write(data);
    tar.closeArchiveEntry();
  }
}
