package io.portolan.vuln.advisory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlpineSecdbParserTest {
  @TempDir Path tmp;
  private final AlpineSecdbParser parser = new AlpineSecdbParser();

  /** The JSON pair only: the YAML files in the same folder say the same thing again. */
  private VulnData.Collected v311Json() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("json"));
    for (String repo : List.of("main", "community")) {
      Files.write(dir.resolve(repo + ".json"),
          VulnData.bytes("alpine/secdb-v3.11/" + repo + ".json"));
    }
    return VulnData.parse(parser, FeedSnapshots.open(dir));
  }

  private static Affected only(Advisory a, String pkg) {
    return a.affected().stream().filter(af -> af.packageName().equals(pkg)).findFirst()
        .orElseThrow();
  }

  @Test
  void v311MainAndCommunityGiveOneAdvisoryPerVulnerability() throws IOException {
    var got = v311Json();

    assertThat(got.problems).isEmpty();
    // Counted independently from the files: 175 main + 85 community packages, 2006 distinct
    // CVE/XSA ids, 2154 (id, package) pairs.
    assertThat(got.advisories).hasSize(2006);
    assertThat(got.advisories).flatExtracting(Advisory::affected).hasSize(2154);
    assertThat(got.advisories.stream().flatMap(a -> a.affected().stream())
        .map(Affected::packageName).distinct().count()).isEqualTo(260);
    assertThat(got.advisories).filteredOn(a -> a.id().startsWith("XSA-")).hasSize(104);
    assertThat(got.advisories).allSatisfy(a -> {
      assertThat(a.aliases()).isEmpty();
      assertThat(a.severities()).isEmpty();
      assertThat(a.withdrawn()).isFalse();
    });
    assertThat(got.advisories).flatExtracting(Advisory::affected).allSatisfy(af -> {
      assertThat(af.ecosystem()).isEqualTo("apk");
      assertThat(af.namespace()).isEqualTo("alpine:3.11");
      assertThat(af.sourcePackage()).isTrue();
      assertThat(af.state()).isEqualTo(AffectedState.RANGES);
    });
  }

  @Test
  void muslFixIsARangeFromTheBeginning() throws IOException {
    Advisory a = v311Json().byId("CVE-2019-14697");
    assertThat(a.affected()).containsExactly(new Affected("apk", "alpine:3.11", "musl", true,
        AffectedState.RANGES, List.of(VersionRange.fixedIn("1.1.23-r2")), List.of(), "", ""));
  }

  @Test
  void aVulnerabilityFixedTwiceKeepsBothFixes() throws IOException {
    Affected busybox = only(v311Json().byId("CVE-2019-5747"), "busybox");
    assertThat(busybox.ranges()).hasSize(2);
  }

  @Test
  void yamlAndJsonOfTheSameBranchAgree() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("yaml"));
    for (String repo : List.of("main", "community")) {
      Files.write(dir.resolve(repo + ".yaml"),
          VulnData.bytes("alpine/secdb-v3.11/" + repo + ".yaml"));
    }
    var yaml = VulnData.parse(parser, FeedSnapshots.open(dir));
    assertThat(yaml.problems).isEmpty();
    assertThat(yaml.advisories).containsExactlyElementsOf(v311Json().advisories);
  }

  @Test
  void textAfterIdsIsIgnored() throws IOException {
    var got = v311Json();
    // "CVE-2017-17434-1" and "-2" are two patches for one CVE; "TALOS-2017-0488" is no id of ours.
    assertThat(got.ids()).contains("CVE-2017-17434", "CVE-2017-12122", "CVE-2018-14468")
        .noneMatch(id -> id.startsWith("TALOS") || id.startsWith("CVE-2017-17434-"));
    assertThat(AlpineSecdbParser.ids("CVE-2018-10103 (SMB - partially fixed, CVE-2018-1)"))
        .containsExactly("CVE-2018-10103");
    assertThat(AlpineSecdbParser.ids("CVE-2019-1 XSA-1 GHSA-jfh8-c2jp-5v3q TALOS-2017-0488"))
        .containsExactly("XSA-1", "GHSA-jfh8-c2jp-5v3q");
    assertThat(AlpineSecdbParser.ids("CVE-2017-17434-1")).containsExactly("CVE-2017-17434");
  }

  @Test
  void versionZeroMeansTheBranchWasNeverAffected() throws IOException {
    // v3.11 has no "0" entry; take the real musl record and add one as newer branches do.
    String json = new String(VulnData.bytes("alpine/secdb-v3.11/main.json"), StandardCharsets.UTF_8)
        .replace("\"1.1.23-r2\": [", "\"0\": [\"CVE-2020-28928\"],\n \"1.1.23-r2\": [");
    var got = VulnData.parse(parser,
        FeedSnapshots.ofBytes("main.json", json.getBytes(StandardCharsets.UTF_8)));
    assertThat(got.byId("CVE-2020-28928").affected()).containsExactly(new Affected("apk",
        "alpine:3.11", "musl", true, AffectedState.NOT_AFFECTED, List.of(), List.of(), "", ""));
  }

  @Test
  void unknownBranchOrShapeIsAProblemAndNothingAtAllIsAFormatError() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("mixed"));
    Files.writeString(dir.resolve("a.json"), "{\"distroversion\": \"next\", \"packages\": []}");
    Files.writeString(dir.resolve("b.json"), "{\"id\": \"GHSA-x\"}");
    Files.writeString(dir.resolve("c.json"),
        "{\"distroversion\": \"v3.19\", \"reponame\": \"main\","
        + " \"packages\": [{\"pkg\": {\"name\": \"OpenSSL\", \"secfixes\": {\"3.1.4-r1\":"
        + " [\"CVE-2023-5678\"]}}}]}");
    var got = VulnData.parse(parser, FeedSnapshots.open(dir));
    assertThat(got.problems).containsExactly(
        "a.json: unknown Alpine branch 'next' in distroversion",
        "b.json: not an Alpine secdb database (no packages list)");
    assertThat(got.byId("CVE-2023-5678").affected()).singleElement()
        .satisfies(af -> {
          assertThat(af.namespace()).isEqualTo("alpine:3.19");
          assertThat(af.packageName()).isEqualTo("openssl");
        });

    assertThatThrownBy(() -> VulnData.parse(parser, FeedSnapshots.ofBytes("x.json",
        "{\"id\": \"GHSA-x\"}".getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(FeedFormatException.class)
        .hasMessageContaining("x.json: no Alpine secdb database");
  }
}
