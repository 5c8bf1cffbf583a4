package io.portolan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.portolan.inventory.analyzer.OsRelease;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class MainTest {
  @Test
  void subcommandNamesAreTheCommandsOwn() {
    Main.SUBCOMMANDS.forEach((name, type) -> assertThat(type.getAnnotation(Command.class).name()).isEqualTo(name));
    assertThat(Main.commandLine().getSubcommands().keySet()).containsExactlyElementsOf(Main.SUBCOMMANDS.keySet());
  }

  @Test
  void onlyTheChosenSubcommandIsBuilt() {
    assertThat(Main.commandLine(new String[] {"inventory", "--help"}).getSubcommands()).containsOnlyKeys("inventory");
    assertThat(Main.commandLine(new String[] {"--config", "agent", "collector"}).getSubcommands())
        .containsOnlyKeys("collector");
    assertThat(Main.commandLine(new String[] {"--help"}).getSubcommands()).hasSize(Main.SUBCOMMANDS.size());
    assertThat(Main.commandLine(new String[] {"invntory"}).getSubcommands()).hasSize(Main.SUBCOMMANDS.size());
  }

  /** What the command line built for {@code args} prints when run with them; it must succeed. */
  private static String output(String... args) {
    CommandLine cli = Main.commandLine(args);
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute(args)).as(String.join(" ", args)).isZero();
    return out.toString();
  }

  @Test
  void topLevelHelpStillListsEverySubcommand() {
    assertThat(output("--help")).contains("up", "collector", "agent", "inventory", "advisories");
  }

  @Test
  void versionIsTheBuildsOwn() {
    assertThat(output("--version").trim()).isEqualTo("portolan " + io.portolan.collector.Collector.version());
  }

  @Test
  void repeatedOptionsCollectInOrder() {
    CommandLine cli = Main.commandLine(new String[] {"agent"});
    cli.parseArgs("agent", "--label", "env=prod", "--label", "zone=b", "--label", "app=shop");
    AgentCommand agent = cli.getSubcommands().get("agent").getCommand();
    assertThat(agent.options.labels).containsExactly(Map.entry("env", "prod"), Map.entry("zone", "b"),
        Map.entry("app", "shop"));
  }

  @Test
  void subcommandHelpWorks() {
    for (String name : Main.SUBCOMMANDS.keySet()) {
      assertThat(output(name, "--help")).as(name).contains("Usage: portolan " + name);
    }
  }

  @Test
  void streamedJsonReportIsWhatTheObjectMapperWrote() throws Exception {
    ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule()).registerModule(new Jdk8Module())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);
    var row = new InventoryCommand.Row("deb", "libc6", "2.36-9", "amd64", "glibc", "2.36-9", null,
        "pkg:deb/debian/libc6@2.36-9?arch=amd64", "var/lib/dpkg/status", 0, "sha256:aa", Map.of(),
        List.of("pkg:pypi/requests@2.28.1"));
    var jar = new InventoryCommand.Row("maven", "org.x:y", "1.0", "", "", "", "", "", "app.jar!/lib/y-1.0.jar", 1,
        "sha256:bb", new java.util.TreeMap<>(Map.of("confidence", "low", "identity", "filename")), List.of());
    var layer = new InventoryCommand.Layer(0, "sha256:aa", 1, 0, 2);
    var withOs = new InventoryCommand.Report("sha256:img", List.of("a:1", "b \"quoted\""),
        Optional.of(new OsRelease("debian", "Debian GNU/Linux", "12", "bookworm", "Debian 12",
            Optional.of(LocalDate.of(2028, 6, 30)))), "overlay2", List.of("os", "library"), List.of(row, row, jar), List.of(layer),
        List.of("layer x: broken\n\u00e9"));
    var bare = new InventoryCommand.Report("x", List.of(), Optional.empty(), "save", List.of("os"), List.of(), List.of(), List.of());
    var noEol = new InventoryCommand.Report("x", List.of(), Optional.of(new OsRelease("alpine", "", "3.19", "", "",
        Optional.empty())), "tar", List.of(), List.of(), List.of(), List.of());
    for (var report : List.of(withOs, bare, noEol)) {
      StringWriter out = new StringWriter();
      try (PrintWriter w = new PrintWriter(out)) {
        InventoryCommand.json(w, report);
      }
      assertThat(out.toString()).isEqualTo(mapper.writeValueAsString(report));
    }
  }
}
