package io.portolan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.cli.InventoryCommand.Request;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class EarlyInventoryTest {
  private static Optional<Request> plain(String... args) {
    return EarlyInventory.plainRequest(args, Map.of());
  }

  /** The request picocli makes of the same command line: what {@link InventoryCommand#call} claims with. */
  private static Request parsed(String... args) {
    CommandLine.ParseResult result = Main.commandLine(args).parseArgs(args);
    return ((InventoryCommand) result.subcommand().commandSpec().userObject()).request();
  }

  @Test
  void plainCommandLinesStartTheRequestPicocliWillParse() {
    for (String[] args : List.of(
        new String[] {"inventory", "nginx:1"},
        new String[] {"inventory", "nginx:1", "--source", "save", "--format", "json"},
        new String[] {"inventory", "--source=overlay2", "--pkg-types", "os", "sha256:ab12"},
        new String[] {"inventory", "--format=cyclonedx", "x", "--source", "tar:/tmp/x.tar", "--pkg-types=library"})) {
      assertThat(plain(args)).as(String.join(" ", args)).contains(parsed(args));
    }
    assertThat(plain("inventory", "nginx:1", "--source", "save")).contains(new Request("nginx:1", "save",
        "unix:///var/run/docker.sock", Path.of("/var/lib/docker"), null, "os,library"));
  }

  @Test
  void anythingElseStartsNothing() {
    for (String[] args : List.of(
        new String[] {"inventory"},
        new String[] {"inventory", "--help"},
        new String[] {"inventory", "a", "b"},
        new String[] {"inventory", "a", "--source"},
        new String[] {"inventory", "a", "--source", "--format", "json"},
        new String[] {"inventory", "a", "--docker-root", "/srv/docker"},
        new String[] {"inventory", "a", "--java-sha1-index", "gav.tsv"},
        new String[] {"--config", "p.properties", "inventory", "a"},
        new String[] {"agent", "a"})) {
      assertThat(plain(args)).as(String.join(" ", args)).isEmpty();
    }
    // Defaults from the environment or a config file are picocli's to apply.
    for (String env : List.of("PORTOLAN_CONFIG", "PORTOLAN_DOCKER_ROOT", "PORTOLAN_SOURCE", "PORTOLAN_PKG_TYPES",
        "PORTOLAN_DOCKER_HOST", "PORTOLAN_JAVA_SHA1_INDEX")) {
      assertThat(EarlyInventory.plainRequest(new String[] {"inventory", "a"}, Map.of(env, "x"))).as(env).isEmpty();
    }
  }

  @Test
  void onlyTheSameRequestClaimsTheEarlyWalkAndItsFailureIsRethrown() throws Exception {
    String[] args = {"inventory", "x", "--source", "tar:/nonexistent/early.tar"};
    EarlyInventory.startIfPlain(args, Map.of());
    assertThat(EarlyInventory.claim(new Request("x", "save", "unix:///var/run/docker.sock",
        Path.of("/var/lib/docker"), null, "os,library"))).isEmpty();
    // A claim that did not match dropped the early walk: nothing is left to claim.
    assertThat(EarlyInventory.claim(parsed(args))).isEmpty();

    EarlyInventory.startIfPlain(args, Map.of());
    assertThatThrownBy(() -> EarlyInventory.claim(parsed(args))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no such file or directory: /nonexistent/early.tar");
  }
}
