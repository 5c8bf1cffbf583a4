package io.portolan.vuln.advisory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.vuln.advisory.VersionRange.Event;
import io.portolan.vuln.advisory.VersionRange.Kind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OsvParserTest {
  private static final String LOG4SHELL = "osv/ghsa/GHSA-jfh8-c2jp-5v3q.json";
  private static final String LOG4J_INCOMPLETE = "osv/ghsa/GHSA-7rjr-3q55-vv33.json";

  @TempDir Path tmp;
  private final OsvParser parser = new OsvParser();

  private static VersionRange range(String introduced, String fixed) {
    return new VersionRange("ECOSYSTEM",
        List.of(new Event(Kind.INTRODUCED, introduced), new Event(Kind.FIXED, fixed)));
  }

  private VulnData.Collected parseFile(String relative) throws IOException {
    return VulnData.parse(parser, FeedSnapshots.open(VulnData.path(relative)));
  }

  private static String text(String relative) {
    return new String(VulnData.bytes(relative), StandardCharsets.UTF_8);
  }

  @Test
  void log4ShellGhsaKeepsEveryRangeAndItsCve() throws IOException {
    var got = parseFile(LOG4SHELL);
    assertThat(got.problems).isEmpty();
    Advisory a = got.byId("GHSA-jfh8-c2jp-5v3q");

    assertThat(a.aliases()).containsExactly("CVE-2021-44228");
    assertThat(a.summary()).isEqualTo("Remote code injection in Log4j");
    assertThat(a.details()).startsWith("# Summary");
    assertThat(a.published()).isEqualTo(Instant.parse("2021-12-10T00:40:56Z"));
    assertThat(a.modified()).isEqualTo(Instant.parse("2022-03-25T20:56:18Z"));
    assertThat(a.withdrawn()).isFalse();
    assertThat(a.severities()).containsExactly(
        new SeverityRating("ghsa", "CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"),
        new SeverityRating("ghsa", "LABEL", "CRITICAL"));
    assertThat(a.references()).hasSize(62)
        .startsWith("https://nvd.nist.gov/vuln/detail/CVE-2021-44228");
    assertThat(a.affected()).hasSize(3).allSatisfy(af -> {
      assertThat(af.ecosystem()).isEqualTo("maven");
      assertThat(af.namespace()).isEmpty();
      assertThat(af.packageName()).isEqualTo("org.apache.logging.log4j:log4j-core");
      assertThat(af.sourcePackage()).isFalse();
      assertThat(af.state()).isEqualTo(AffectedState.RANGES);
      assertThat(af.versions()).isEmpty();
      assertThat(af.severity()).isEmpty();
    });
    assertThat(a.affected()).flatExtracting(Affected::ranges).containsExactly(
        range("2.13.0", "2.15.0"), range("0", "2.3.1"), range("2.4", "2.12.2"));
  }

  @Test
  void incompleteLog4jFixGhsaIsItsOwnVulnerability() throws IOException {
    Advisory a = parseFile(LOG4J_INCOMPLETE).byId("GHSA-7rjr-3q55-vv33");
    assertThat(a.aliases()).containsExactly("CVE-2021-45046");
    assertThat(a.severities()).contains(
        new SeverityRating("ghsa", "CVSS_V3", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H"));
    assertThat(a.affected()).flatExtracting(Affected::ranges)
        .containsExactly(range("2.13.0", "2.16.0"), range("0", "2.12.2"));
  }

  @Test
  void pypaYamlDropsGitRangesAndKeepsEventOrderAndVersions() throws IOException {
    var got = VulnData.parse(parser, FeedSnapshots.open(VulnData.path("osv/pypa/urllib3")));
    assertThat(got.problems).isEmpty();
    assertThat(got.ids()).hasSize(11).contains("PYSEC-2023-192", "PYSEC-2017-98");

    Advisory a = got.byId("PYSEC-2023-192");
    assertThat(a.aliases()).containsExactlyInAnyOrder("CVE-2023-43804", "GHSA-v845-jxx5-vc9f");
    assertThat(a.published()).isEqualTo(Instant.parse("2023-10-04T17:15:00Z"));
    assertThat(a.modified()).isEqualTo(Instant.parse("2023-10-10T14:28:19.389317Z"));
    assertThat(a.severities()).containsExactly(
        new SeverityRating("pypa", "CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N"));
    Affected af = a.affected().get(0);
    assertThat(a.affected()).hasSize(1);
    assertThat(af.ecosystem()).isEqualTo("pypi");
    assertThat(af.packageName()).isEqualTo("urllib3");
    assertThat(af.ranges()).containsExactly(new VersionRange("ECOSYSTEM", List.of(
        new Event(Kind.INTRODUCED, "2.0.0"), new Event(Kind.FIXED, "2.0.6"),
        new Event(Kind.INTRODUCED, "0"), new Event(Kind.FIXED, "1.26.17"))));
    // Quoted in YAML only because they would otherwise read as numbers; they stay text.
    assertThat(af.versions()).hasSize(85).contains("0.2", "1.10", "1.10.1", "1.26.16", "2.0.5");
    assertThat(a.references()).contains(
        "https://github.com/urllib3/urllib3/security/advisories/GHSA-v845-jxx5-vc9f");
  }

  @Test
  void unquotedYamlNumbersKeepTheirSpelling() throws IOException {
    String yaml = """
        id: PYSEC-0000-1
        modified: 2024-01-01T00:00:00Z
        affected:
        - package: {ecosystem: PyPI, name: Some_Package.Name}
          ranges:
          - type: ECOSYSTEM
            events: [{introduced: 0}, {fixed: 1.10}]
          versions: [1.0, 1.10, 010]
        """;
    var got = VulnData.parse(parser,
        FeedSnapshots.ofBytes("x.yaml", yaml.getBytes(StandardCharsets.UTF_8)));
    Affected af = got.byId("PYSEC-0000-1").affected().get(0);
    assertThat(af.packageName()).isEqualTo("some-package-name");
    assertThat(af.ranges()).containsExactly(range("0", "1.10"));
    assertThat(af.versions()).containsExactly("1.0", "1.10", "010");
  }

  @Test
  void debianDsaSampleIsDebian7SourcePackageWithItsCve() throws IOException {
    Advisory a = parseFile("osv/debian-format-samples/DSA-3029-1.json").byId("DSA-3029-1");
    assertThat(a.aliases()).containsExactly("CVE-2014-3616");
    assertThat(a.summary()).isEqualTo("nginx - security update");
    assertThat(a.affected()).containsExactly(new Affected("deb", "debian:7", "nginx", true,
        AffectedState.RANGES, List.of(range("0", "1.2.1-2.2+wheezy3")), List.of(), "", ""));
  }

  @Test
  void debianDlaSampleTakesItsRelatedCveAsAliasBecauseItIsARollUp() throws IOException {
    Advisory a = parseFile("osv/debian-format-samples/DLA-0001-1.json").byId("DLA-0001-1");
    assertThat(a.aliases()).containsExactly("CVE-2014-3466");
    Affected af = a.affected().get(0);
    assertThat(af.ecosystem()).isEqualTo("deb");
    assertThat(af.namespace()).isEqualTo("debian:6");
    assertThat(af.packageName()).isEqualTo("gnutls26");
    assertThat(af.sourcePackage()).isTrue();
    assertThat(af.ranges()).containsExactly(range("0", "2.8.6-1+squeeze4"));
    assertThat(af.versions()).containsExactly(
        "2.8.6-1", "2.8.6-1+squeeze1", "2.8.6-1+squeeze2", "2.8.6-1+squeeze3");
  }

  @Test
  void relatedIsNotAnAliasOutsideRollUps() throws IOException {
    String json = text(LOG4SHELL).replaceFirst("\"aliases\"",
        "\"related\": [\"CVE-2021-45046\"],\n  \"upstream\": [\"CVE-2099-1\"],\n  \"aliases\"");
    Advisory a = VulnData.parse(parser, FeedSnapshots.ofBytes("g.json",
        json.getBytes(StandardCharsets.UTF_8))).byId("GHSA-jfh8-c2jp-5v3q");
    assertThat(a.aliases()).containsExactly("CVE-2021-44228");
  }

  @Test
  void rollUpWithUpstreamCvesAliasesEachButNotOtherRollUps() throws IOException {
    // The shape osv.dev gives DSAs today: several upstream CVEs, and related distro records.
    String json = text("osv/debian-format-samples/DSA-3029-1.json")
        .replace("\"aliases\": [\n    \"CVE-2014-3616\"\n  ],",
            "\"upstream\": [\"CVE-2014-3616\", \"CVE-2014-0133\"],\n"
                + "  \"related\": [\"DEBIAN-CVE-2014-3616\", \"CVE-2014-0088\"],")
        .replace("\"Debian:7\"", "\"Debian:12\"");
    Advisory a = VulnData.parse(parser, FeedSnapshots.ofBytes("DSA-3029-1.json",
        json.getBytes(StandardCharsets.UTF_8))).byId("DSA-3029-1");
    assertThat(a.aliases())
        .containsExactlyInAnyOrder("CVE-2014-3616", "CVE-2014-0133", "CVE-2014-0088");
    assertThat(a.affected().get(0).namespace()).isEqualTo("debian:12");
  }

  @Test
  void debianUrgencyAndUbuntuPriorityBecomeThePackageSeverity() throws IOException {
    String json = """
        [{"id": "DEBIAN-CVE-2011-3374", "modified": "2024-01-01T00:00:00Z",
          "upstream": ["CVE-2011-3374"],
          "affected": [{"package": {"ecosystem": "Debian:12", "name": "apt"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
            "ecosystem_specific": {"urgency": "unimportant"}}]},
         {"id": "UBUNTU-CVE-2024-1", "modified": "2024-01-01T00:00:00Z",
          "upstream": ["CVE-2024-1"],
          "severity": [{"type": "Ubuntu", "score": "medium"}],
          "affected": [{"package": {"ecosystem": "Ubuntu:Pro:22.04:LTS", "name": "OpenSSL"},
            "ranges": [{"type": "ECOSYSTEM",
                        "events": [{"introduced": "0"}, {"fixed": "3.0.2-0ubuntu1.15"}]}]}]}]
        """;
    var got = VulnData.parse(parser,
        FeedSnapshots.ofBytes("all.json", json.getBytes(StandardCharsets.UTF_8)));
    assertThat(got.problems).isEmpty();
    Advisory debian = got.byId("DEBIAN-CVE-2011-3374");
    assertThat(debian.aliases()).containsExactly("CVE-2011-3374");
    assertThat(debian.affected().get(0).severity()).isEqualTo("unimportant");
    assertThat(debian.affected().get(0).ranges())
        .containsExactly(new VersionRange("ECOSYSTEM", List.of(new Event(Kind.INTRODUCED, "0"))));

    Advisory ubuntu = got.byId("UBUNTU-CVE-2024-1");
    assertThat(ubuntu.severities())
        .containsExactly(new SeverityRating("ubuntu", "LABEL", "medium"));
    Affected af = ubuntu.affected().get(0);
    assertThat(af.namespace()).isEqualTo("ubuntu:22.04");
    assertThat(af.packageName()).isEqualTo("openssl");
    assertThat(af.severity()).isEqualTo("medium");
  }

  @Test
  void withdrawnRecordIsStillDelivered() throws IOException {
    String json = text(LOG4J_INCOMPLETE).replaceFirst("\"modified\"",
        "\"withdrawn\": \"2023-01-01T00:00:00Z\",\n  \"modified\"");
    Advisory a = VulnData.parse(parser, FeedSnapshots.ofBytes("w.json",
        json.getBytes(StandardCharsets.UTF_8))).byId("GHSA-7rjr-3q55-vv33");
    assertThat(a.withdrawn()).isTrue();
    assertThat(a.affected()).hasSize(2);
  }

  @Test
  void zipOfRealRecordsReadsLikeTheFiles() throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>(VulnData.flat(LOG4SHELL, LOG4J_INCOMPLETE,
        "osv/pypa/urllib3/PYSEC-2023-192.yaml", "osv/debian-format-samples/DLA-0001-1.json",
        "osv/debian-format-samples/DSA-3029-1.json"));
    entries.put("README.txt", "not a record".getBytes(StandardCharsets.UTF_8));
    Path zip = Files.write(tmp.resolve("all.zip"), VulnData.zip(entries, false));

    var got = VulnData.parse(parser, FeedSnapshots.open(zip));

    assertThat(got.problems).isEmpty();
    assertThat(got.ids()).containsExactly("GHSA-jfh8-c2jp-5v3q", "GHSA-7rjr-3q55-vv33",
        "PYSEC-2023-192", "DLA-0001-1", "DSA-3029-1");
    assertThat(got.byId("GHSA-jfh8-c2jp-5v3q"))
        .isEqualTo(parseFile(LOG4SHELL).byId("GHSA-jfh8-c2jp-5v3q"));
  }

  @Test
  void wholeOsvDirectoryReadsEveryRecord() throws IOException {
    var got = VulnData.parse(parser, FeedSnapshots.open(VulnData.path("osv")));
    assertThat(got.problems).isEmpty();
    assertThat(got.advisories).hasSize(26);
    assertThat(got.advisories).filteredOn(a -> a.id().startsWith("PYSEC")).hasSize(16);
    assertThat(got.advisories).allSatisfy(a -> assertThat(a.affected()).isNotEmpty());
    assertThat(parser.skippedEcosystems()).isEmpty();
  }

  @Test
  void garbageAndMalformedRecordsAreProblemsWhileTheRestIsDelivered() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("feed"));
    Files.write(dir.resolve("GHSA-jfh8-c2jp-5v3q.json"), VulnData.bytes(LOG4SHELL));
    Files.write(dir.resolve("garbage.json"), new byte[] {0x1f, (byte) 0x8b, 0, 1, 2, 3});
    Files.writeString(dir.resolve("no-id.json"), "{\"modified\": \"2024-01-01T00:00:00Z\"}");
    Files.writeString(dir.resolve("cut.yaml"), "id: PYSEC-1\naffected:\n  - package: [\n");
    Files.write(dir.resolve("z.yaml"), VulnData.bytes("osv/pypa/requests/PYSEC-2023-74.yaml"));

    var got = VulnData.parse(parser, FeedSnapshots.open(dir));

    assertThat(got.ids()).containsExactly("GHSA-jfh8-c2jp-5v3q", "PYSEC-2023-74");
    assertThat(got.problems).hasSize(3);
    assertThat(got.problems.get(0)).startsWith("cut.yaml: not valid YAML");
    assertThat(got.problems.get(1)).startsWith("garbage.json: not valid JSON");
    assertThat(got.problems.get(2)).isEqualTo("no-id.json: not an OSV record (no id)");
  }

  @Test
  void aSnapshotWithNoRecordsAtAllIsNotOsv() {
    assertThatThrownBy(() -> VulnData.parse(parser, FeedSnapshots.ofBytes("garbage.json",
        "<html>".getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(FeedFormatException.class)
        .hasMessageContaining("garbage.json: no OSV records")
        .hasMessageContaining("not valid JSON");
  }

  @Test
  void truncatedZipFailsAfterDeliveringTheRecordsBeforeTheCut() {
    byte[] zip = VulnData.zip(VulnData.flat(LOG4SHELL, LOG4J_INCOMPLETE,
        "osv/ghsa/GHSA-599f-7c49-w659.json"), false);
    byte[] cut = Arrays.copyOf(zip, VulnData.localHeaders(zip).get(2) + 100);
    VulnData.Collected got = new VulnData.Collected();

    assertThatThrownBy(() -> parser.parse(FeedSnapshots.ofBytes("all.zip", cut),
        got.advisories::add, got.problems::add))
        .isInstanceOf(FeedFormatException.class)
        .hasMessageContaining("GHSA-599f-7c49-w659.json");
    assertThat(got.ids()).containsExactly("GHSA-jfh8-c2jp-5v3q", "GHSA-7rjr-3q55-vv33");
  }

  @Test
  void unknownEcosystemsAreSkippedAndCountedNotErrors() throws IOException {
    String json = """
        {"id": "OSV-2024-1", "modified": "2024-01-01T00:00:00Z",
         "affected": [
           {"package": {"ecosystem": "Android", "name": "platform/frameworks/base"},
            "versions": ["13"]},
           {"ranges": [{"type": "GIT", "repo": "https://x", "events": [{"introduced": "0"}]}]},
           {"package": {"ecosystem": "crates.io", "name": "smallvec"},
            "ranges": [{"type": "SEMVER",
                        "events": [{"introduced": "0.6.3"}, {"last_affected": "0.6.13"}]}]},
           {"package": {"ecosystem": "Go", "name": "golang.org/x/net"},
            "ranges": [{"type": "GIT", "repo": "https://x", "events": [{"introduced": "0"}]}]}]}
        """;
    var got = VulnData.parse(parser,
        FeedSnapshots.ofBytes("o.json", json.getBytes(StandardCharsets.UTF_8)));
    assertThat(got.problems).isEmpty();
    Advisory a = got.byId("OSV-2024-1");
    assertThat(a.affected()).singleElement().satisfies(af -> {
      assertThat(af.ecosystem()).isEqualTo("cargo");
      assertThat(af.ranges()).containsExactly(new VersionRange("SEMVER", List.of(
          new Event(Kind.INTRODUCED, "0.6.3"), new Event(Kind.LAST_AFFECTED, "0.6.13"))));
    });
    assertThat(parser.skippedEcosystems())
        .containsExactly(Map.entry("(no package)", 1L), Map.entry("Android", 1L));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "Debian:12|deb|debian:12|true",
      "Debian:6.0|deb|debian:6|true",
      "Debian:sid|deb|debian:unstable|true",
      "Debian|-|-|-",
      "Alpine:v3.18|apk|alpine:3.18|true",
      "Ubuntu:22.04:LTS|deb|ubuntu:22.04|true",
      "Ubuntu:Pro:18.04:LTS|deb|ubuntu:18.04|true",
      "Ubuntu:23.10|deb|ubuntu:23.10|true",
      "Ubuntu:Pro:FIPS-updates:22.04:LTS|-|-|-",
      "Rocky Linux:9|rpm|rocky:9|true",
      "AlmaLinux:8|rpm|almalinux:8|true",
      "Red Hat:enterprise_linux:9::appstream|rpm|rhel:9|false",
      "Red Hat:rhel_eus:8.6::baseos|rpm|rhel:8|false",
      "Red Hat:openshift:4.14::el9|-|-|-",
      "SUSE:Linux Enterprise Server 15 SP5|rpm|sles:15|true",
      "SUSE:Linux Enterprise Module for Basesystem 15 SP6|rpm|sles:15|true",
      "SUSE:Linux Enterprise Micro 5.5|rpm|sle-micro:5|true",
      "openSUSE:Leap 15.5|rpm|opensuse-leap:15|true",
      "openSUSE:Tumbleweed|-|-|-",
      "Wolfi|apk|wolfi|false",
      "Chainguard|apk|chainguard|false",
      "Maven|maven||false",
      "Maven:https://maven.google.com|maven||false",
      "npm|npm||false",
      "PyPI|pypi||false",
      "Go|golang||false",
      "crates.io|cargo||false",
      "RubyGems|gem||false",
      "NuGet|nuget||false",
      "Packagist|composer||false",
      "Hex|hex||false",
      "Pub|pub||false",
      "Android|-|-|-",
      "Linux|-|-|-"})
  void ecosystemsMapToPurlTypeAndNamespace(String ecosystem, String type, String namespace,
      Boolean source) {
    Optional<OsvParser.Target> t = OsvParser.target(ecosystem, "");
    if (type == null) {
      assertThat(t).isEmpty();
    } else {
      String ns = namespace == null ? "" : namespace;
      assertThat(t).contains(new OsvParser.Target(type, ns, source));
    }
  }

  @Test
  void redHatSourceRpmsAreToldByTheirPurl() {
    assertThat(OsvParser.target("Red Hat:enterprise_linux:9::appstream",
        "pkg:rpm/redhat/openssl?arch=src")).map(OsvParser.Target::sourcePackage).contains(true);
  }
}
