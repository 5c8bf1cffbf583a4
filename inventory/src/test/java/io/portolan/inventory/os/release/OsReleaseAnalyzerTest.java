package io.portolan.inventory.os.release;

import static org.assertj.core.api.Assertions.assertThat;

import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.OsRelease;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OsReleaseAnalyzerTest {
  final OsReleaseAnalyzer analyzer = new OsReleaseAnalyzer();

  OsRelease parse(String path, String text) throws IOException {
    byte[] data = text.getBytes(StandardCharsets.UTF_8);
    List<FileFindings> found = analyzer.analyze(path, new ByteArrayInputStream(data), data.length);
    assertThat(found).singleElement().satisfies(f -> {
      assertThat(f.path()).isEqualTo(path);
      assertThat(f.packages()).isEmpty();
    });
    return found.getFirst().os().orElseThrow();
  }

  @Test
  void debianOsRelease() throws IOException {
    OsRelease os = parse("usr/lib/os-release", """
        PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
        NAME="Debian GNU/Linux"
        VERSION_ID="12"
        VERSION="12 (bookworm)"
        VERSION_CODENAME=bookworm
        ID=debian
        """);
    assertThat(os).isEqualTo(new OsRelease("debian", "Debian GNU/Linux", "12", "bookworm",
        "Debian GNU/Linux 12 (bookworm)", Optional.of(LocalDate.of(2028, 6, 30))));
  }

  @Test
  void codenamesAreDerivedWhenMissing() throws IOException {
    assertThat(parse("etc/os-release", "ID=debian\nVERSION_ID=\"10\"\n").codename()).isEqualTo("buster");
    OsRelease ubuntu = parse("etc/os-release", "NAME=\"Ubuntu\"\nID=ubuntu\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\nVERSION_ID=\"22.04\"\n");
    assertThat(ubuntu.codename()).isEqualTo("jammy");
    assertThat(ubuntu.prettyName()).isEqualTo("Ubuntu 22.04.3 LTS (Jammy Jellyfish)");
    assertThat(ubuntu.endOfLife()).contains(LocalDate.of(2027, 6, 1));
  }

  @Test
  void shellQuotingAndEscapes() {
    var v = OsReleaseAnalyzer.parseAssignments("""
        # comment
        A="say \\"hi\\" \\$HOME \\n"
        B='single $literal \\x'
        C=bare\\ word trailing
        D="con"'cat'
        not a line
        E=
        """);
    assertThat(v).containsEntry("A", "say \"hi\" $HOME \\n").containsEntry("B", "single $literal \\x")
        .containsEntry("C", "bare word").containsEntry("D", "concat").containsEntry("E", "").hasSize(5);
  }

  @Test
  void alpineAndDebianVersionFiles() throws IOException {
    OsRelease alpine = parse("etc/alpine-release", "3.19.1\n");
    assertThat(alpine.id()).isEqualTo("alpine");
    assertThat(alpine.versionId()).isEqualTo("3.19.1");
    assertThat(alpine.endOfLife()).contains(LocalDate.of(2025, 11, 1));
    OsRelease debian = parse("etc/debian_version", "11.9\n");
    assertThat(debian.codename()).isEqualTo("bullseye");
    assertThat(debian.endOfLife()).contains(LocalDate.of(2026, 8, 31));
    assertThat(parse("etc/debian_version", "trixie/sid\n").codename()).isEqualTo("trixie");
  }

  @Test
  void redHatFamily() throws IOException {
    OsRelease rhel = parse("etc/redhat-release", "Red Hat Enterprise Linux release 9.3 (Plow)\n");
    assertThat(rhel.id()).isEqualTo("rhel");
    assertThat(rhel.versionId()).isEqualTo("9.3");
    assertThat(rhel.codename()).isEqualTo("Plow");
    assertThat(rhel.endOfLife()).contains(LocalDate.of(2032, 5, 31));
    assertThat(parse("etc/centos-release", "CentOS Linux release 7.9.2009 (Core)").endOfLife())
        .contains(LocalDate.of(2024, 6, 30));
    assertThat(parse("etc/redhat-release", "CentOS Stream release 8").endOfLife()).contains(LocalDate.of(2024, 5, 31));
    assertThat(parse("etc/rocky-release", "Rocky Linux release 8.9 (Green Obsidian)").id()).isEqualTo("rocky");
  }

  @Test
  void endOfLifeTableCoversTheListedReleases() {
    for (String v : List.of("8", "9", "10", "11", "12", "13")) {
      assertThat(EndOfLife.of("debian", v, "")).as("debian " + v).isPresent();
    }
    for (int minor = 12; minor <= 22; minor++) {
      assertThat(EndOfLife.of("alpine", "3." + minor + ".0", "")).as("alpine 3." + minor).isPresent();
    }
    for (String id : List.of("rhel", "rocky", "almalinux")) {
      assertThat(EndOfLife.of(id, "8.9", "")).as(id).isPresent();
      assertThat(EndOfLife.of(id, "9", "")).as(id).isPresent();
    }
    assertThat(EndOfLife.of("amzn", "2", "")).isPresent();
    assertThat(EndOfLife.of("amzn", "2023", "")).isPresent();
    assertThat(EndOfLife.of("ubuntu", "24.04", "")).isPresent();
    assertThat(EndOfLife.of("plan9", "4", "")).isEmpty();
  }

  @Test
  void wantsOnlyReleaseFiles() {
    assertThat(analyzer.wants("etc/os-release")).isTrue();
    assertThat(analyzer.wants("usr/lib/os-release")).isTrue();
    assertThat(analyzer.wants("etc/passwd")).isFalse();
  }

  @Test
  void garbageYieldsNoOs() throws IOException {
    byte[] data = "\u0000\u0001garbage".getBytes(StandardCharsets.UTF_8);
    assertThat(analyzer.analyze("etc/os-release", new ByteArrayInputStream(data), data.length))
        .singleElement().satisfies(f -> assertThat(f.os()).isEmpty());
  }
}
