package io.portolan.vuln.advisory;

import static io.portolan.vuln.advisory.DebianTrackerTestSnapshots.DEBIAN;
import static io.portolan.vuln.advisory.DebianTrackerTestSnapshots.parse;
import static io.portolan.vuln.advisory.DebianTrackerTestSnapshots.resources;
import static io.portolan.vuln.advisory.DebianTrackerTestSnapshots.texts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.vuln.advisory.DebianTrackerTestSnapshots.Parsed;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DebianTrackerParserTest {
  private static final String BOOKWORM = "debian:12";
  private static final String BULLSEYE = "debian:11";
  private static final String BUSTER = "debian:10";
  private static final String UNSTABLE = "debian:unstable";

  @Test
  void bookwormFixOfCurlComesFromTheDsaList() throws IOException {
    Parsed p = parse(resources(DEBIAN + "/reconstructed-native"));

    Advisory curl = p.advisory("CVE-2023-38545");
    assertThat(curl.aliases()).containsExactly("DSA-5523-1");
    assertThat(curl.summary()).startsWith("This flaw makes curl overflow a heap based buffer");
    assertThat(p.affected("CVE-2023-38545", BOOKWORM, "curl"))
        .isEqualTo(fixed(BOOKWORM, "curl", "7.88.1-10+deb12u4"));
    assertThat(p.affected("CVE-2023-38545", BULLSEYE, "curl"))
        .isEqualTo(fixed(BULLSEYE, "curl", "7.74.0-1.3+deb11u10"));
    assertThat(p.affected("CVE-2023-38545", UNSTABLE, "curl"))
        .isEqualTo(fixed(UNSTABLE, "curl", "8.3.0-3"));
    assertThat(p.affected("CVE-2023-38545", BUSTER, "curl").state())
        .isEqualTo(AffectedState.NOT_AFFECTED);
    assertThat(curl.references()).contains("https://curl.se/docs/CVE-2023-38545.html",
        "https://github.com/curl/curl/commit/fb4415d8aee6c1045be932a34fe6107c2f5ed147");
  }

  @Test
  void cveMentionedOnlyByADsaStillBecomesAnAdvisory() throws IOException {
    Parsed p = parse(resources(DEBIAN + "/reconstructed-native"));

    Advisory other = p.advisory("CVE-2023-38546");
    assertThat(other.aliases()).containsExactly("DSA-5523-1");
    assertThat(other.affected()).containsExactly(
        fixed(BULLSEYE, "curl", "7.74.0-1.3+deb11u10"),
        fixed(BOOKWORM, "curl", "7.88.1-10+deb12u4"));
    assertThat(p.affected("CVE-2023-4911", BOOKWORM, "glibc"))
        .isEqualTo(fixed(BOOKWORM, "glibc", "2.36-9+deb12u3"));
  }

  @Test
  void theDsaJoinDoesNotDependOnWhichListComesFirst() throws IOException {
    String cve = "CVE-2023-0001 (a flaw)\n\t- foo 1.2-1\n";
    String dsa = "[01 Feb 2023] DSA-5000-1 foo - security update\n\t{CVE-2023-0001}\n"
        + "\t[bookworm] - foo 1.1-1+deb12u1\n";

    Parsed cveFirst = parse(texts("data/CVE/list", cve, "data/DSA/list", dsa));
    Parsed dsaFirst = parse(texts("data/DSA/list", dsa, "data/CVE/list", cve));

    assertThat(cveFirst.advisories()).isEqualTo(dsaFirst.advisories());
    assertThat(cveFirst.affected("CVE-2023-0001", BOOKWORM, "foo"))
        .isEqualTo(fixed(BOOKWORM, "foo", "1.1-1+deb12u1"));
  }

  @Test
  void aCvesOwnReleaseLineWinsOverTheDsa() throws IOException {
    Parsed p = parse(texts(
        "data/CVE/list", "CVE-2023-0002 [a flaw]\n\t- foo 1.2-1\n"
            + "\t[bookworm] - foo <not-affected> (Vulnerable code introduced later)\n",
        "data/DSA/list", "[01 Feb 2023] DSA-5000-1 foo - security update\n\t{CVE-2023-0002}\n"
            + "\t[bookworm] - foo 1.1-1+deb12u1\n\t[bullseye] - foo 1.0-1+deb11u1\n"));

    assertThat(p.affected("CVE-2023-0002", BOOKWORM, "foo").state())
        .isEqualTo(AffectedState.NOT_AFFECTED);
    assertThat(p.affected("CVE-2023-0002", BULLSEYE, "foo"))
        .isEqualTo(fixed(BULLSEYE, "foo", "1.0-1+deb11u1"));
  }

  @Test
  void ofTwoAdvisoriesFixingOneReleaseTheEarlierFixWins() throws IOException {
    // A regression update re-lists the CVEs; versions between the two fixes are not affected.
    Parsed p = parse(texts("data/DSA/list",
        "[03 Feb 2023] DSA-5000-2 foo - regression update\n\t{CVE-2023-0003}\n"
            + "\t[bookworm] - foo 1.1-1+deb12u10\n"
            + "[01 Feb 2023] DSA-5000-1 foo - security update\n\t{CVE-2023-0003}\n"
            + "\t[bookworm] - foo 1.1-1+deb12u9\n"));

    assertThat(p.affected("CVE-2023-0003", BOOKWORM, "foo"))
        .isEqualTo(fixed(BOOKWORM, "foo", "1.1-1+deb12u9"));
    assertThat(p.advisory("CVE-2023-0003").aliases()).containsExactlyInAnyOrder(
        "DSA-5000-1", "DSA-5000-2");
  }

  @Test
  void multiPackageRecordKeepsEveryPackageAndRelease() throws IOException {
    Parsed p = parse(resources(DEBIAN + "/reconstructed-native"));

    Advisory terrapin = p.advisory("CVE-2023-48795");
    assertThat(terrapin.aliases())
        .containsExactlyInAnyOrder("DSA-5591-1", "DSA-5588-1", "DSA-5586-1", "DLA-3694-1");
    assertThat(terrapin.affected()).hasSize(41);
    assertThat(terrapin.affected()).extracting(a -> a.namespace() + " " + a.packageName())
        .doesNotHaveDuplicates();
    assertThat(terrapin.affected().stream().map(Affected::packageName).distinct())
        .hasSize(18)
        .contains("dropbear", "libssh2", "openssh", "tinyssh", "php-phpseclib3", "jsch");
    assertThat(p.affected("CVE-2023-48795", BOOKWORM, "libssh2")).isEqualTo(
        new Affected("deb", BOOKWORM, "libssh2", true, AffectedState.NOT_AFFECTED, List.of(),
            List.of(), "", "ChaCha20-Poly1305 and CBC-EtM support not present"));
    assertThat(p.affected("CVE-2023-48795", UNSTABLE, "libssh2"))
        .isEqualTo(fixed(UNSTABLE, "libssh2", "1.11.0-4"));
    assertThat(p.affected("CVE-2023-48795", UNSTABLE, "dropbear").state())
        .isEqualTo(AffectedState.UNFIXED);
    assertThat(p.affected("CVE-2023-48795", BOOKWORM, "dropbear"))
        .extracting(Affected::state, Affected::note)
        .containsExactly(AffectedState.NO_DSA, "Minor issue");
    assertThat(p.affected("CVE-2023-48795", UNSTABLE, "jsch").state())
        .isEqualTo(AffectedState.NOT_AFFECTED);
    assertThat(p.affected("CVE-2023-48795", UNSTABLE, "openssh"))
        .isEqualTo(fixed(UNSTABLE, "openssh", "1:9.6p1-1"));
  }

  @Test
  void unimportantUrgencyAppliesToItsLine() throws IOException {
    Parsed p = parse(resources(DEBIAN + "/reconstructed-native"));

    assertThat(p.affected("CVE-2011-3374", UNSTABLE, "apt")).isEqualTo(new Affected("deb",
        UNSTABLE, "apt", true, AffectedState.UNFIXED, List.of(), List.of(), "unimportant", ""));
    assertThat(p.advisory("CVE-2011-3374").severities())
        .containsExactly(new SeverityRating("debian", "LABEL", "unimportant"));
    assertThat(p.affected("CVE-2022-27943", UNSTABLE, "gcc-12").severity())
        .isEqualTo("unimportant");
    // "(bug #1059058; unimportant)": the urgency is on tinyssh's line only.
    assertThat(p.affected("CVE-2023-48795", UNSTABLE, "tinyssh"))
        .isEqualTo(new Affected("deb", UNSTABLE, "tinyssh", true, AffectedState.RANGES,
            List.of(VersionRange.fixedIn("20230101-4")), List.of(), "unimportant", ""));
    assertThat(p.affected("CVE-2023-48795", UNSTABLE, "openssh").severity()).isEmpty();
    assertThat(p.advisory("CVE-2024-2236").severities()).isEmpty();
  }

  @Test
  void everyTrackerStateMapsToTheModel() throws IOException {
    Parsed p = parse(texts("data/CVE/list", String.join("\n",
        "CVE-2024-0100 (several states)",
        "\t- a 1.0-2 (low)",
        "\t[bookworm] - a <ignored> (Minor issue, too intrusive to backport)",
        "\t[bullseye] - a <postponed> (Fix along with a future DSA)",
        "\t[buster] - a <end-of-life> (Unsupported in buster-lts)",
        "\t- b <undetermined>",
        "\t[bookworm] - b <removed>",
        "\t- c <itp> (bug #123456)",
        "\t[experimental] - a 1.1-1",
        "\t- d <unfixed> (bug #1; medium)",
        "\t[trixie] - d <no-dsa> (Minor issue)",
        "")));

    assertThat(p.problems()).isEmpty();
    assertThat(p.advisory("CVE-2024-0100").affected()).containsExactly(
        new Affected("deb", UNSTABLE, "a", true, AffectedState.RANGES,
            List.of(VersionRange.fixedIn("1.0-2")), List.of(), "low", ""),
        state(BOOKWORM, "a", AffectedState.IGNORED, "Minor issue, too intrusive to backport"),
        state(BULLSEYE, "a", AffectedState.POSTPONED, "Fix along with a future DSA"),
        state(BUSTER, "a", AffectedState.IGNORED, "end-of-life"),
        state(UNSTABLE, "b", AffectedState.UNFIXED, "undetermined"),
        state(BOOKWORM, "b", AffectedState.REMOVED, ""),
        new Affected("deb", UNSTABLE, "d", true, AffectedState.UNFIXED, List.of(), List.of(),
            "medium", ""),
        state("debian:13", "d", AffectedState.NO_DSA, "Minor issue"));
    assertThat(p.advisory("CVE-2024-0100").severities()).containsExactly(
        new SeverityRating("debian", "LABEL", "low"),
        new SeverityRating("debian", "LABEL", "medium"));
  }

  @Test
  void rejectedIsWithdrawnAndRecordsWithoutPackagesAreNotAdvisories() throws IOException {
    Parsed p = parse(texts("data/CVE/list", String.join("\n",
        "CVE-2024-0201",
        "\tREJECTED",
        "CVE-2024-0202 (Some web app ...)",
        "\tNOT-FOR-US: Some web app",
        "CVE-2024-0203",
        "\tRESERVED",
        "CVE-2024-XXXX [placeholder for an unnamed issue]",
        "\t- foo <unfixed>",
        "")));

    assertThat(p.problems()).isEmpty();
    assertThat(p.advisories()).extracting(Advisory::id).containsExactly("CVE-2024-0201");
    assertThat(p.advisory("CVE-2024-0201").withdrawn()).isTrue();
  }

  @Test
  void malformedLinesAreReportedWithFileAndLineAndParsingGoesOn() throws IOException {
    Parsed p = parse(texts("data/CVE/list", String.join("\n",
        "\t- orphan 1.0-1",
        "CVE-2024-0301 (first)",
        "\t- foo 1.0-1",
        "\tthis is not an annotation",
        "\t- foo <fixed-somewhere>",
        "\t- bar <unfixed> (bug #12; urgent)",
        "\t- foo 1.0-2",
        "cve-2024-0302 lower case header",
        "\t- ignored-with-its-header 1.0-1",
        "CVE-2024-0303 (after the damage)",
        "\t- baz 2.0-1",
        "")));

    assertThat(p.problems()).hasSize(6);
    assertThat(p.problems().get(0)).startsWith("data/CVE/list:1: annotation before any header");
    assertThat(p.problems().get(1)).startsWith("data/CVE/list:4: invalid annotation")
        .contains("CVE-2024-0301");
    assertThat(p.problems().get(2)).startsWith("data/CVE/list:5: invalid pseudo-version");
    assertThat(p.problems().get(3))
        .startsWith("data/CVE/list:6: invalid inner annotation 'urgent'");
    assertThat(p.problems().get(4)).startsWith("data/CVE/list:7: duplicate package annotation");
    assertThat(p.problems().get(5)).startsWith("data/CVE/list:8: malformed header");
    assertThat(p.advisory("CVE-2024-0301").affected()).containsExactly(
        fixed(UNSTABLE, "foo", "1.0-1"), state(UNSTABLE, "bar", AffectedState.UNFIXED, ""));
    assertThat(p.affected("CVE-2024-0303", UNSTABLE, "baz"))
        .isEqualTo(fixed(UNSTABLE, "baz", "2.0-1"));
    assertThat(p.advisories()).extracting(Advisory::id)
        .containsExactly("CVE-2024-0301", "CVE-2024-0303");
  }

  @Test
  void dsaLinesNeedAReleaseAndUnknownReleasesAreReportedOnce() throws IOException {
    Parsed p = parse(texts("DSA-list.excerpt", String.join("\n",
        "[01 Feb 2005] DSA-0001-1 foo - security update",
        "\t{CVE-2005-0001 CVE-2005-0002}",
        "\t- foo 1.0-1",
        "\t[sarge] - foo 1.0-0sarge1",
        "[02 Feb 2005] DSA-0002-1 bar - security update",
        "\t{CVE-2005-0003}",
        "\t[sarge] - bar 2.0-0sarge1",
        "\t[squeeze] - bar 2.0-1+squeeze1",
        "")));

    assertThat(p.problems()).containsExactly(
        "DSA-list.excerpt:3: release annotation required in a DSA/DLA list (in DSA-0001-1): "
            + "- foo 1.0-1",
        "DSA-list.excerpt:4: release [sarge] has no Debian namespace; lines for it are skipped "
            + "(reported once)");
    assertThat(p.advisories()).extracting(Advisory::id).containsExactly("CVE-2005-0003");
    assertThat(p.affected("CVE-2005-0003", "debian:6", "bar"))
        .isEqualTo(fixed("debian:6", "bar", "2.0-1+squeeze1"));
  }

  @Test
  void vulnListRecordsReportTheirJsonLine() throws IOException {
    String record = """
        {
          "Header": {"Original": "CVE-2024-0401 (x)", "ID": "CVE-2024-0401"},
          "Annotations": [
            {"Original": "- foo 1.0-1", "Type": "package"},
            {"Original": "- foo ??", "Type": "package"},
            {"Type": "NOTE"}
          ]
        }
        """;
    Parsed p = parse(texts("tracker/CVE/2024/CVE-2024-0401.json", record));

    assertThat(p.problems()).containsExactlyInAnyOrder(
        "tracker/CVE/2024/CVE-2024-0401.json:5: invalid annotation (in CVE-2024-0401): - foo ??",
        "tracker/CVE/2024/CVE-2024-0401.json:6: annotation without Original; skipped");
    assertThat(p.advisory("CVE-2024-0401").affected())
        .containsExactly(fixed(UNSTABLE, "foo", "1.0-1"));
  }

  @Test
  void exportStatesMapToTheModel() throws IOException {
    String json = """
        {"foo": {
          "CVE-2024-0501": {"description": "a flaw", "scope": "local", "releases": {
            "bookworm": {"status": "open", "repositories": {"bookworm": "1.0-1"},
                         "urgency": "end-of-life"},
            "bullseye": {"status": "open", "repositories": {}, "urgency": "low*",
                         "nodsa": "Minor issue", "nodsa_reason": "ignored"},
            "trixie": {"status": "undetermined", "repositories": {},
                       "urgency": "not yet assigned"},
            "sid": {"status": "resolved", "repositories": {"sid": "1.0-2"},
                    "fixed_version": "1.0-2", "urgency": "medium"},
            "hamm": {"status": "open", "repositories": {}, "urgency": "low"}
          }},
          "TEMP-1234567-ABCDEF": {"releases": {
            "sid": {"status": "open", "repositories": {}, "urgency": "unimportant"}}}
        }}
        """;
    // Served as ".../tracker/data/json": no extension, recognised by its content.
    Parsed named = parse(texts("tracker/data/json", json));

    assertThat(named.problems()).containsExactly("tracker/data/json:1: release hamm has no "
        + "Debian namespace; entries for it are skipped (reported once)");
    assertThat(named.advisory("CVE-2024-0501").summary()).isEqualTo("a flaw");
    assertThat(named.advisory("CVE-2024-0501").affected()).containsExactly(
        state(BOOKWORM, "foo", AffectedState.IGNORED, "end-of-life"),
        new Affected("deb", BULLSEYE, "foo", true, AffectedState.IGNORED, List.of(), List.of(),
            "low*", "Minor issue"),
        state("debian:13", "foo", AffectedState.UNFIXED, "undetermined"),
        new Affected("deb", UNSTABLE, "foo", true, AffectedState.RANGES,
            List.of(VersionRange.fixedIn("1.0-2")), List.of(), "medium", ""));
    assertThat(named.affected("TEMP-1234567-ABCDEF", UNSTABLE, "foo").severity())
        .isEqualTo("unimportant");
  }

  @Test
  void truncatedExportReportsWhereAndKeepsTheCompletePackages() throws IOException {
    byte[] whole = DebianTrackerTestSnapshots.resourceBytes(
        DEBIAN + "/tracker-export/tracker-data.json");
    String text = new String(whole, StandardCharsets.UTF_8);
    int cut = text.indexOf("\"CVE-2024-2511\"");
    byte[] truncated = Arrays.copyOf(whole, text.substring(0, cut).getBytes(
        StandardCharsets.UTF_8).length + 40);

    Parsed p = parse(DebianTrackerTestSnapshots.bytes(Map.of("tracker/data/json", truncated)));

    assertThat(p.problems()).hasSize(1);
    assertThat(p.problems().get(0))
        .startsWith("tracker/data/json:")
        .contains("truncated or malformed after 10 complete source package(s) (at openssl)");
    assertThat(p.advisories()).extracting(Advisory::id)
        .contains("CVE-2011-3374", "CVE-2023-38545", "CVE-2023-48795", "CVE-2023-50495")
        .doesNotContain("CVE-2023-5678", "CVE-2024-2511", "CVE-2023-45853");
    assertThat(p.affected("CVE-2023-50495", BOOKWORM, "ncurses").state())
        .isEqualTo(AffectedState.NO_DSA);
  }

  @Test
  void entriesAreRecognisedByContentAndOthersAreIgnored() throws IOException {
    Parsed p = parse(texts(
        "README.md", "# not tracker data\n",
        "PROVENANCE.tsv", "file\tupstream_repo\n",
        "mirror/cves.txt", "CVE-2024-0601 (x)\n\t- foo 1.0-1\n"));

    assertThat(p.problems()).isEmpty();
    assertThat(p.affected("CVE-2024-0601", UNSTABLE, "foo"))
        .isEqualTo(fixed(UNSTABLE, "foo", "1.0-1"));
  }

  @Test
  void aSnapshotWithoutTrackerDataIsNotThisFeed() {
    assertThatThrownBy(() -> parse(texts("README.md", "# hello\n", "data.json", "[1, 2]")))
        .isInstanceOf(FeedFormatException.class)
        .hasMessageContaining("memory:[README.md, data.json]")
        .hasMessageContaining("no Debian security tracker data");
  }

  @Test
  void problemsOfOneEntryAreCapped() throws IOException {
    StringBuilder list = new StringBuilder("CVE-2024-0701 (x)\n");
    for (int i = 0; i < DebianTrackerParser.MAX_PROBLEMS_PER_ENTRY + 5; i++) {
      list.append("\tgarbage ").append(i).append('\n');
    }
    Parsed p = parse(texts("data/CVE/list", list.toString()));

    assertThat(p.problems()).hasSize(DebianTrackerParser.MAX_PROBLEMS_PER_ENTRY + 1);
    assertThat(p.problems().get(p.problems().size() - 1))
        .isEqualTo("data/CVE/list: 5 more problem(s) not shown");
  }

  private static Affected fixed(String namespace, String pkg, String version) {
    return new Affected("deb", namespace, pkg, true, AffectedState.RANGES,
        List.of(VersionRange.fixedIn(version)), List.of(), "", "");
  }

  private static Affected state(String namespace, String pkg, AffectedState state, String note) {
    return new Affected("deb", namespace, pkg, true, state, List.of(), List.of(), "", note);
  }
}
