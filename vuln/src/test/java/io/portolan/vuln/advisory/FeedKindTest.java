package io.portolan.vuln.advisory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeedKindTest {
  @TempDir Path tmp;

  private static FeedKind detect(String name, String content) throws IOException {
    return FeedKind.detect(FeedSnapshots.ofBytes(name, content.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void osvJsonYamlZipAndDirectory() throws IOException {
    assertThat(FeedKind.detect(FeedSnapshots.open(VulnData.path("osv/ghsa"))))
        .isEqualTo(FeedKind.OSV);
    assertThat(FeedKind.detect(
        FeedSnapshots.open(VulnData.path("osv/pypa/urllib3/PYSEC-2023-192.yaml"))))
        .isEqualTo(FeedKind.OSV);
    // The whole osv folder starts with PROVENANCE.tsv and the Debian samples.
    assertThat(FeedKind.detect(FeedSnapshots.open(VulnData.path("osv")))).isEqualTo(FeedKind.OSV);
    byte[] zip = VulnData.zip(VulnData.flat("osv/debian-format-samples/DSA-3029-1.json"), false);
    assertThat(FeedKind.detect(FeedSnapshots.ofBytes("all.zip", zip))).isEqualTo(FeedKind.OSV);
  }

  @Test
  void osvWhoseFirstKeyHoldsAnObjectIsStillOsv() throws IOException {
    assertThat(detect("x.json", "{\"database_specific\": {\"CVE-2020-1\": {\"a\": [1]}},"
        + " \"id\": \"X-1\", \"modified\": \"2024-01-01T00:00:00Z\"}")).isEqualTo(FeedKind.OSV);
    assertThat(detect("all.json", "[{\"id\": \"X-1\", \"schema_version\": \"1.6.0\"}]"))
        .isEqualTo(FeedKind.OSV);
  }

  @Test
  void alpineSecdbJsonAndYaml() throws IOException {
    assertThat(FeedKind.detect(FeedSnapshots.open(VulnData.path("alpine/secdb-v3.11"))))
        .isEqualTo(FeedKind.ALPINE_SECDB);
    assertThat(FeedKind.detect(FeedSnapshots.open(VulnData.path("alpine/secdb-v3.11/main.yaml"))))
        .isEqualTo(FeedKind.ALPINE_SECDB);
    assertThat(FeedKind.detect(FeedSnapshots.open(VulnData.path("alpine"))))
        .isEqualTo(FeedKind.ALPINE_SECDB);
  }

  @Test
  void debianTrackerJson() throws IOException {
    String tracker = """
        {"apt": {"CVE-2011-3374": {"description": "It was found that apt-key ...",
                  "scope": "local", "releases": {"bookworm": {"status": "open",
                  "repositories": {"bookworm": "2.6.1"}, "urgency": "unimportant"}}}},
         "curl": {}}
        """;
    assertThat(detect("debian.json", tracker)).isEqualTo(FeedKind.DEBIAN_TRACKER);
  }

  @Test
  void vulnListDebianJson() throws IOException {
    String dsa = """
        {"Header": {"Original": "[11 Oct 2023] DSA-5523-1 curl - security update",
                    "ID": "DSA-5523-1", "Description": "curl - security update"},
         "Annotations": [{"Original": "{CVE-2023-38545 CVE-2023-38546}", "Type": "xref",
                          "Bugs": ["CVE-2023-38545", "CVE-2023-38546"]}]}
        """;
    assertThat(detect("DSA-5523-1.json", dsa)).isEqualTo(FeedKind.DEBIAN_TRACKER);
  }

  @Test
  void debianNativeListsByContentOrName() throws IOException {
    assertThat(detect("CVE-list.excerpt", "CVE-2024-28085 [escape sequence Injection in wall]\n"
        + "\t- util-linux <unfixed>\n")).isEqualTo(FeedKind.DEBIAN_TRACKER);
    assertThat(detect("DSA-list.excerpt", "\n[11 Oct 2023] DSA-5523-1 curl - security update\n"
        + "\t{CVE-2023-38545 CVE-2023-38546}\n\t[bookworm] - curl 7.88.1-10+deb12u4\n"))
        .isEqualTo(FeedKind.DEBIAN_TRACKER);
    assertThat(detect("DLA-list", "[05 Dec 2024] DLA-3990-1 curl - security update\n"))
        .isEqualTo(FeedKind.DEBIAN_TRACKER);

    Path repo = tmp.resolve("security-tracker");
    Files.createDirectories(repo.resolve("data/CVE"));
    Files.writeString(repo.resolve("README.md"), "# tracker");
    Files.writeString(repo.resolve("data/CVE/list"), "anything at all\n");
    assertThat(FeedKind.detect(FeedSnapshots.open(repo))).isEqualTo(FeedKind.DEBIAN_TRACKER);
  }

  @Test
  void documentationIsSkippedBeforeDeciding() throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("README.md",
        "CVE-2099-1 looks like a tracker line".getBytes(StandardCharsets.UTF_8));
    entries.put("LICENSE", "CC-BY-4.0".getBytes(StandardCharsets.UTF_8));
    entries.putAll(VulnData.flat("osv/ghsa/GHSA-jfh8-c2jp-5v3q.json"));
    assertThat(FeedKind.detect(FeedSnapshots.ofBytes("all.zip", VulnData.zip(entries, false))))
        .isEqualTo(FeedKind.OSV);
  }

  @Test
  void anUnreadableFirstEntryDoesNotHideTheFeedBehindIt() throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("a-broken.json", "{\"id\": ".getBytes(StandardCharsets.UTF_8));
    entries.putAll(VulnData.flat("osv/ghsa/GHSA-jfh8-c2jp-5v3q.json"));
    assertThat(FeedKind.detect(FeedSnapshots.ofBytes("all.zip", VulnData.zip(entries, false))))
        .isEqualTo(FeedKind.OSV);
  }

  @Test
  void unknownContentIsAClearFormatError() {
    assertThatThrownBy(() -> detect("index.html", "<html><body>404</body></html>"))
        .isInstanceOf(FeedFormatException.class)
        .hasMessageContaining("index.html: not a known advisory feed")
        .hasMessageContaining("looked at [index.html]")
        .hasMessageContaining("OSV");
    assertThatThrownBy(() -> detect("x.json", "{\"name\": \"package.json\", \"version\": \"1\"}"))
        .isInstanceOf(FeedFormatException.class);
    assertThatThrownBy(() -> FeedKind.detect(
        FeedSnapshots.ofBytes("empty.zip", VulnData.zip(Map.of(), false))))
        .isInstanceOf(FeedFormatException.class)
        .hasMessageContaining("no data entries");
  }

  @Test
  void detectionStopsAtTheFirstVerdict() throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>(VulnData.flat(
        "osv/ghsa/GHSA-jfh8-c2jp-5v3q.json"));
    entries.put("huge.json", new byte[2 << 20]);
    var limits = new FeedSnapshots.Limits(1 << 20, 1L << 30);
    // huge.json would break the entry limit if detection read on past the first record.
    assertThat(FeedKind.detect(FeedSnapshots.ofBytes("all.zip", VulnData.zip(entries, false),
        limits))).isEqualTo(FeedKind.OSV);
  }
}
