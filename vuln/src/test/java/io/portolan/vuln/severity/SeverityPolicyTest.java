package io.portolan.vuln.severity;

import static org.assertj.core.api.Assertions.assertThat;

import io.portolan.vuln.advisory.SeverityRating;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SeverityPolicyTest {
  private static final String V31_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
  private static final String V30_HIGH = "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N";
  private static final String V4_MEDIUM =
      "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:L/VA:N/SC:L/SI:N/SA:N";
  private static final String V2_MEDIUM = "AV:N/AC:L/Au:N/C:P/I:N/A:N";

  private static SeverityRating nvd(String type, String vector) {
    return new SeverityRating("nvd", type, vector);
  }

  private static SeverityRating label(String source, String word) {
    return new SeverityRating(source, "LABEL", word);
  }

  private static List<SeverityRating> ratings(SeverityRating... ratings) {
    return Arrays.asList(ratings);
  }

  @ParameterizedTest
  @ValueSource(strings = {"deb", "apk", "rpm", "DEB"})
  void distroRatingWinsForDistroPackages(String ecosystem) {
    RatedSeverity rated =
        SeverityPolicy.choose(
            ecosystem, "debian", "unimportant",
            ratings(nvd("CVSS_V3", V31_CRITICAL), label("ghsa", "CRITICAL")));

    assertThat(rated)
        .isEqualTo(new RatedSeverity(Severity.NEGLIGIBLE, "debian", V31_CRITICAL, 9.8));
  }

  @Test
  void distroRatingDoesNotApplyToLanguagePackages() {
    RatedSeverity rated =
        SeverityPolicy.choose(
            "maven", "debian", "unimportant", ratings(nvd("CVSS_V3", V31_CRITICAL)));

    assertThat(rated).isEqualTo(new RatedSeverity(Severity.CRITICAL, "nvd", V31_CRITICAL, 9.8));
  }

  @Test
  void distroLabelsInTheAdvisoryDoNotRateLanguagePackages() {
    List<SeverityRating> all =
        ratings(label("debian", "unimportant"), nvd("CVSS_V3", V31_CRITICAL));

    assertThat(SeverityPolicy.choose("npm", "", "", all).severity()).isEqualTo(Severity.CRITICAL);
    assertThat(SeverityPolicy.choose("deb", "", "", all))
        .isEqualTo(new RatedSeverity(Severity.NEGLIGIBLE, "debian", V31_CRITICAL, 9.8));
  }

  @ParameterizedTest
  @ValueSource(strings = {"not yet assigned", "end-of-life", ""})
  void unratedDistroLabelFallsThroughToTheAdvisoryLabel(String urgency) {
    RatedSeverity rated =
        SeverityPolicy.choose(
            "deb", "debian", urgency, ratings(nvd("CVSS_V3", V31_CRITICAL), label("ghsa", "HIGH")));

    assertThat(rated).isEqualTo(new RatedSeverity(Severity.HIGH, "ghsa", V31_CRITICAL, 9.8));
  }

  @Test
  void advisoryLabelBeatsCvssAndTheMostSevereLabelWins() {
    RatedSeverity rated =
        SeverityPolicy.choose(
            "pypi", "", "",
            ratings(label("ghsa", "MODERATE"), nvd("CVSS_V3", V31_CRITICAL), label("osv", "HIGH"),
                label("ghsa", "gibberish")));

    assertThat(rated).isEqualTo(new RatedSeverity(Severity.HIGH, "osv", V31_CRITICAL, 9.8));
  }

  @Test
  void bandComesFromTheNewestVersionButTheReportedVectorPrefersV31() {
    RatedSeverity rated =
        SeverityPolicy.choose(
            "golang", "", "",
            ratings(
                nvd("CVSS_V2", V2_MEDIUM),
                new SeverityRating("ghsa", "CVSS_V4", V4_MEDIUM),
                nvd("CVSS_V3", V31_CRITICAL)));

    assertThat(rated).isEqualTo(new RatedSeverity(Severity.MEDIUM, "ghsa", V31_CRITICAL, 9.8));
  }

  @Test
  void reportsV30WhenThereIsNoV31AndV4WhenThereIsNoV3() {
    assertThat(
            SeverityPolicy.choose(
                "npm", "", "",
                ratings(new SeverityRating("ghsa", "CVSS_V4", V4_MEDIUM), nvd("CVSS_V3", V30_HIGH),
                    nvd("CVSS_V2", V2_MEDIUM))))
        .isEqualTo(new RatedSeverity(Severity.MEDIUM, "ghsa", V30_HIGH, 7.5));
    assertThat(
            SeverityPolicy.choose(
                "npm", "", "",
                ratings(
                    nvd("CVSS_V2", V2_MEDIUM), new SeverityRating("ghsa", "CVSS_V4", V4_MEDIUM))))
        .isEqualTo(new RatedSeverity(Severity.MEDIUM, "ghsa", V4_MEDIUM, 5.3));
    assertThat(SeverityPolicy.choose("npm", "", "", ratings(nvd("CVSS_V2", V2_MEDIUM))))
        .isEqualTo(new RatedSeverity(Severity.MEDIUM, "nvd", V2_MEDIUM, 5.0));
  }

  @Test
  void ofTwoVectorsOfTheSameVersionTheHigherScoreWins() {
    String lower = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N";
    RatedSeverity rated =
        SeverityPolicy.choose(
            "cargo", "", "",
            ratings(new SeverityRating("ghsa", "CVSS_V3", lower), nvd("CVSS_V3", V31_CRITICAL)));

    assertThat(rated).isEqualTo(new RatedSeverity(Severity.CRITICAL, "nvd", V31_CRITICAL, 9.8));
  }

  @Test
  void invalidVectorsAreSkipped() {
    RatedSeverity rated =
        SeverityPolicy.choose(
            "npm", "", "",
            ratings(
                new SeverityRating("ghsa", "CVSS_V4", "CVSS:4.0/AV:N/AC:L"),
                nvd("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q"),
                nvd("CVSS_V3", null),
                null,
                nvd("CVSS_V3", V30_HIGH)));

    assertThat(rated).isEqualTo(new RatedSeverity(Severity.HIGH, "nvd", V30_HIGH, 7.5));
  }

  @Test
  void labelBandKeepsTheBestVectorForDisplay() {
    RatedSeverity rated =
        SeverityPolicy.choose(
            "apk", "alpine", "", ratings(label("ghsa", "LOW"), nvd("CVSS_V3", V31_CRITICAL)));

    assertThat(rated).isEqualTo(new RatedSeverity(Severity.LOW, "ghsa", V31_CRITICAL, 9.8));
  }

  @Test
  void nothingUsableIsUnknownWithoutVector() {
    assertThat(SeverityPolicy.choose("maven", "", "", List.of()))
        .isEqualTo(new RatedSeverity(Severity.UNKNOWN, "", null, null));
    assertThat(SeverityPolicy.choose("deb", "debian", "not yet assigned", null))
        .isEqualTo(new RatedSeverity(Severity.UNKNOWN, "", null, null));
    assertThat(
            SeverityPolicy.choose(
                null, null, null, ratings(label("ghsa", "?"), nvd("CVSS_V3", "garbage"))))
        .isEqualTo(new RatedSeverity(Severity.UNKNOWN, "", null, null));
  }

  @Test
  void redHatAndUbuntuRatingsCountForRpmAndDeb() {
    assertThat(SeverityPolicy.choose("rpm", "redhat", "Important", List.of()))
        .isEqualTo(new RatedSeverity(Severity.HIGH, "redhat", null, null));
    assertThat(SeverityPolicy.choose("deb", "ubuntu", "negligible", List.of()))
        .isEqualTo(new RatedSeverity(Severity.NEGLIGIBLE, "ubuntu", null, null));
  }
}
