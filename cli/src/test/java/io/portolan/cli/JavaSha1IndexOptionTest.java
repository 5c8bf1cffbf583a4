package io.portolan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.inventory.lang.java.Sha1Index;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class JavaSha1IndexOptionTest {
  private static final String LOG4J = "7a5f0e5e8b8a3f3f0a0b4c6d2f1e9d8c7b6a5f4e";

  @TempDir Path dir;

  @Test
  void agentAndInventoryBothReadTheTable() throws Exception {
    Path table = Files.writeString(dir.resolve("gav.tsv"), "# from Maven Central .sha1 files\n"
        + LOG4J + "\torg.apache.logging.log4j:log4j-core:2.14.1\n");
    AgentCommand agent = parse(new AgentCommand(), "--java-sha1-index", table.toString());
    InventoryCommand inventory = parse(new InventoryCommand(), "--java-sha1-index", table.toString(), "img");
    for (Sha1Index index : new Sha1Index[] {agent.javaSha1Index.load(), inventory.javaSha1Index.load()}) {
      assertThat(index.find(LOG4J)).hasValueSatisfying(g -> assertThat(g.version()).isEqualTo("2.14.1"));
      assertThat(index.fingerprint()).isNotEqualTo(Sha1Index.empty().fingerprint());
    }
  }

  @Test
  void withoutTheOptionTheTableIsEmpty() {
    assertThat(parse(new AgentCommand()).javaSha1Index.load().size()).isZero();
  }

  @Test
  void aConfigFileKeyWorksLikeTheFlag() throws Exception {
    Path table = Files.writeString(dir.resolve("gav.tsv"), LOG4J + "\tg:a:1\n");
    Path config = Files.writeString(dir.resolve("agent.properties"), "java-sha1-index=" + table + "\n");
    String[] args = {"--config", config.toString(), "agent"};
    CommandLine cli = Main.commandLine(args);
    cli.setDefaultValueProvider(ConfigDefaults.load(args, java.util.Map.of()));
    CommandLine.ParseResult parsed = cli.parseArgs(args);
    AgentCommand agent = parsed.subcommand().commandSpec().commandLine().getCommand();
    assertThat(agent.javaSha1Index.load().find(LOG4J)).isPresent();
  }

  @Test
  void aMissingOrMalformedTableIsRefusedNamingTheProblem() throws Exception {
    Path missing = dir.resolve("nope.tsv");
    assertThatThrownBy(() -> parse(new AgentCommand(), "--java-sha1-index", missing.toString()).javaSha1Index.load())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no such file").hasMessageContaining("nope.tsv");
    Path bad = Files.writeString(dir.resolve("bad.tsv"), LOG4J + "\tg:a:1\nnot-a-sha1\tg:a:2\n");
    assertThatThrownBy(() -> parse(new AgentCommand(), "--java-sha1-index", bad.toString()).javaSha1Index.load())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 2").hasMessageContaining("not a hex SHA-1");
  }

  private static <T> T parse(T command, String... args) {
    new CommandLine(command).parseArgs(args);
    return command;
  }
}
