package io.portolan.vuln.advisory;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AdvisoryIdsTest {
  private static Advisory advisory(String id, String... aliases) {
    return new Advisory(id, Set.of(aliases), "", "", null, null, false, List.of(), List.of(),
        List.of());
  }

  @Test
  void rollUpsAndSources() {
    assertThat(AdvisoryIds.isRollUp("DSA-5523-1")).isTrue();
    assertThat(AdvisoryIds.isRollUp("DLA-0001-1")).isTrue();
    assertThat(AdvisoryIds.isRollUp("DEBIAN-CVE-2023-38545")).isTrue();
    assertThat(AdvisoryIds.isRollUp("USN-6000-1")).isTrue();
    assertThat(AdvisoryIds.isRollUp("ALSA-2024:1234")).isTrue();
    assertThat(AdvisoryIds.isRollUp("RLSA-2024:1234")).isTrue();
    assertThat(AdvisoryIds.isRollUp("CVE-2023-38545")).isFalse();
    assertThat(AdvisoryIds.isRollUp("GHSA-jfh8-c2jp-5v3q")).isFalse();
    assertThat(AdvisoryIds.isRollUp("PYSEC-2023-192")).isFalse();

    assertThat(AdvisoryIds.source("GHSA-jfh8-c2jp-5v3q")).isEqualTo("ghsa");
    assertThat(AdvisoryIds.source("PYSEC-2023-192")).isEqualTo("pypa");
    assertThat(AdvisoryIds.source("DSA-3029-1")).isEqualTo("debian");
    assertThat(AdvisoryIds.source("RUSTSEC-2021-1")).isEqualTo("rustsec");
    assertThat(AdvisoryIds.source("ZZZ-1")).isEqualTo("zzz");
  }

  @Test
  void ghsaAndPypaOfOneCveAreOneVulnerability() throws IOException {
    var ghsa = VulnData.parse(new OsvParser(),
        FeedSnapshots.open(VulnData.path("osv/ghsa/GHSA-v845-jxx5-vc9f.json")));
    var pypa = VulnData.parse(new OsvParser(),
        FeedSnapshots.open(VulnData.path("osv/pypa/urllib3/PYSEC-2023-192.yaml")));
    List<Advisory> all = new ArrayList<>(ghsa.advisories);
    all.addAll(pypa.advisories);

    assertThat(AdvisoryIds.distinctVulnerabilities(all)).containsExactly(
        Set.of("CVE-2023-43804", "GHSA-v845-jxx5-vc9f", "PYSEC-2023-192"));
  }

  @Test
  void aDsaCoveringTwoCvesDoesNotMergeThem() {
    // The Debian tracker gives each CVE its DSA; OSV gives the DSA its CVEs; a GHSA names one CVE.
    List<Advisory> forCurl = List.of(
        advisory("CVE-2023-38545", "DSA-5523-1"),
        advisory("CVE-2023-38546", "DSA-5523-1"),
        advisory("DSA-5523-1", "CVE-2023-38545", "CVE-2023-38546"),
        advisory("GHSA-0000-0000-0001", "CVE-2023-38545"));

    assertThat(AdvisoryIds.distinctVulnerabilities(forCurl)).containsExactly(
        Set.of("CVE-2023-38545", "DSA-5523-1", "GHSA-0000-0000-0001"),
        Set.of("CVE-2023-38546", "DSA-5523-1"));
  }

  @Test
  void rollUpAloneCountsForWhatItCoversOrForItself() {
    assertThat(AdvisoryIds.distinctVulnerabilities(List.of(
        advisory("DSA-5523-1", "CVE-2023-38545", "CVE-2023-38546")))).hasSize(2);
    assertThat(AdvisoryIds.distinctVulnerabilities(List.of(advisory("DSA-1-1")))).containsExactly(
        Set.of("DSA-1-1"));
    // A DSA that names nothing still joins the CVE that names it.
    assertThat(AdvisoryIds.distinctVulnerabilities(List.of(advisory("DSA-1-1"),
        advisory("CVE-2020-1", "DSA-1-1")))).containsExactly(Set.of("CVE-2020-1", "DSA-1-1"));
  }
}
