package io.portolan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.agent.AgentConfig;
import io.portolan.inventory.Analyzers;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConfigDefaultsTest {
  @TempDir Path dir;

  CollectorOptions parse(Map<String, String> env, String... args) {
    CommandLine cli = Main.commandLine();
    cli.setDefaultValueProvider(ConfigDefaults.load(args, env));
    var parsed = cli.parseArgs(args);
    CollectorCommand cmd = (CollectorCommand) parsed.subcommand().commandSpec().userObject();
    return cmd.options;
  }

  @Test
  void commandLineBeatsEnvironmentBeatsFileBeatsDefault() throws Exception {
    Path file = dir.resolve("portolan.properties");
    Files.writeString(file, "http-port=8000\ngrpc-port=8001\noffline-after=5m\n");
    var o = parse(Map.of("PORTOLAN_GRPC_PORT", "9001", "PORTOLAN_HTTP_PORT", "9000"),
        "--config", file.toString(), "collector", "--http-port", "7000");
    assertThat(o.httpPort).isEqualTo(7000);
    assertThat(o.grpcPort).isEqualTo(9001);
    assertThat(o.offlineAfter).isEqualTo(Duration.ofMinutes(5));
    assertThat(o.bind).isEqualTo("127.0.0.1");
    assertThat(o.toConfig().databaseSettings().jdbcUrl()).startsWith("jdbc:h2:file:");
  }

  @Test
  void theConfigFileCanComeFromTheEnvironment() throws Exception {
    Path file = dir.resolve("c.properties");
    Files.writeString(file, "db-url=jdbc:postgresql://db:5432/portolan\n");
    var o = parse(Map.of("PORTOLAN_CONFIG", file.toString()), "collector");
    assertThat(o.toConfig().databaseSettings().jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/portolan");
  }

  AgentOptions parseAgent(Map<String, String> env, String... args) {
    CommandLine cli = Main.commandLine();
    cli.setDefaultValueProvider(ConfigDefaults.load(args, env));
    var parsed = cli.parseArgs(args);
    return ((AgentCommand) parsed.subcommand().commandSpec().userObject()).options;
  }

  @Test
  void theAgentInventoriesEveryPackageTypeUnlessNarrowedAndTakesASha1Table() throws Exception {
    assertThat(parseAgent(Map.of(), "agent").toConfig().packageTypes())
        .containsExactly(Analyzers.PackageType.OS, Analyzers.PackageType.LIBRARY);
    assertThat(parseAgent(Map.of(), "agent").toConfig().javaSha1Index()).isEmpty();

    Path table = dir.resolve("sha1.tsv");
    Files.writeString(table, "# sha1\tgav\n");
    Path file = dir.resolve("agent.properties");
    Files.writeString(file, "pkg-types=os\njava-sha1-index=" + table + "\n");
    AgentConfig fromFile = parseAgent(Map.of(), "--config", file.toString(), "agent").toConfig();
    assertThat(fromFile.packageTypes()).containsExactly(Analyzers.PackageType.OS);
    assertThat(fromFile.javaSha1Index()).contains(table);
    assertThat(parseAgent(Map.of(), "agent", "--pkg-types", "library").toConfig().packageTypes())
        .containsExactly(Analyzers.PackageType.LIBRARY);
  }

  @Test
  void aBadPackageTypeOrAMissingSha1TableStopsTheAgentWithAMessage() {
    assertThatThrownBy(() -> parseAgent(Map.of(), "agent", "--pkg-types", "os,apps").toConfig())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--pkg-types").hasMessageContaining("'apps'");
    assertThatThrownBy(() -> parseAgent(Map.of(), "agent", "--java-sha1-index", dir.resolve("nope.tsv").toString())
        .toConfig()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no such file");
  }

  @Test
  void badInputIsAClearErrorNotAStackTrace() {
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setErr(new PrintWriter(err));
    int code = cli.execute("collector", "--offline-after", "soon");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("'soon' is not a duration");

    int missing = Main.run(new String[] {"--config", dir.resolve("nope.properties").toString(), "collector"}, Map.of());
    assertThat(missing).isEqualTo(2);
  }

  @Test
  void environmentNamesFollowTheFlags() {
    assertThat(ConfigDefaults.envName("--db-password")).isEqualTo("PORTOLAN_DB_PASSWORD");
  }
}
