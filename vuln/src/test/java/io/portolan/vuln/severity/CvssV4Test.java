package io.portolan.vuln.severity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class CvssV4Test {
  static Stream<Arguments> publishedScores() {
    return Stream.of(
            "v4_redhat_cvss_simple4.tsv",
            "v4_redhat_cvss_threat4.tsv",
            "v4_redhat_cvss_security4.tsv",
            "v4_go_cvss.tsv")
        .flatMap(file -> CvssVectors.load(file).stream());
  }

  @ParameterizedTest
  @MethodSource("publishedScores")
  void scoresAsPublished(String vector, String score) {
    CvssScore parsed = Cvss.parse(vector);

    assertThat(parsed.version()).isEqualTo("4.0");
    assertThat(parsed.vector()).isEqualTo(vector);
    assertThat(parsed.baseScore()).isCloseTo(Double.parseDouble(score), within(1e-9));
    assertThat(parsed.severity()).isEqualTo(Severity.fromScore(parsed.baseScore()));
  }

  static List<Arguments> threatAndEnvironmental() {
    return CvssVectors.load("v4_polycvss_bte.tsv");
  }

  @ParameterizedTest
  @MethodSource("threatAndEnvironmental")
  void scoresThreatAndEnvironmentalMetricsAsPublished(
      String vector, String macroVector, String score) {
    assertThat(CvssV4.macroVector(vector)).isEqualTo(macroVector);
    assertThat(Cvss.parse(vector).baseScore()).isCloseTo(Double.parseDouble(score), within(1e-9));
  }

  @Test
  void coversManyMacroVectors() {
    long distinct =
        Stream.concat(
                publishedScores().map(a -> (String) a.get()[0]),
                threatAndEnvironmental().stream().map(a -> (String) a.get()[0]))
            .map(CvssV4::macroVector)
            .distinct()
            .count();

    assertThat(distinct).isGreaterThanOrEqualTo(80);
  }

  // RedHatProductSecurity/cvss tests/test_cvss4.py (commit 370b273): JSON schema cases.
  @ParameterizedTest
  @CsvSource({
    "CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:P/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N, 0.0",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N, 8.7",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/AR:L, 7.9",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MSI:H, 7.7",
  })
  void scoresTheReferencePackagesSchemaExamples(String vector, double score) {
    assertThat(Cvss.parse(vector).baseScore()).isEqualTo(score);
  }

  // The same file's test_severity: full vectors with every metric group, metrics out of the
  // specification's order (AU before SA), checked by band only.
  @ParameterizedTest
  @CsvSource({
    "CVSS:4.0/AV:L/AC:H/AT:P/PR:N/UI:P/VC:H/VI:N/VA:N/SC:N/SI:N/AU:N/SA:N/S:P/R:A/V:D/RE:L/U:Red/MAV:L/MAC:L/MAT:N/MPR:L/MUI:A/MVC:L/MVI:N/MVA:H/MSC:H/MSI:L/MSA:N/CR:H/IR:L/AR:L/E:P, LOW",
    "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:P/VC:N/VI:L/VA:L/SC:H/SI:N/AU:Y/SA:N/S:N/R:I/V:C/RE:M/U:Amber/MAV:L/MAC:H/MAT:P/MPR:N/MUI:P/MVC:L/MVI:N/MVA:H/MSC:H/MSI:H/MSA:S/CR:M/IR:M/AR:M/E:A, HIGH",
    "CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:L/SI:N/AU:Y/SA:L/S:P/R:U/V:D/RE:M/U:Red/MAV:N/MAC:H/MAT:P/MPR:H/MUI:P/MVC:L/MVI:H/MVA:L/MSC:N/MSI:H/MSA:H/CR:L/IR:H/AR:M/E:U, LOW",
    "CVSS:4.0/AV:A/AC:H/AT:N/PR:N/UI:A/VC:L/VI:L/VA:N/SC:N/SI:H/AU:N/SA:L/S:P/R:U/V:D/RE:H/U:Clear/MAV:A/MAC:L/MAT:N/MPR:N/MUI:P/MVC:N/MVI:L/MVA:L/MSC:H/MSI:N/MSA:L/CR:M/IR:M/AR:L/E:U, LOW",
    "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:A/VC:H/VI:H/VA:N/SC:H/SI:N/AU:Y/SA:N/S:N/R:I/V:C/RE:L/U:Green/MAV:L/MAC:L/MAT:N/MPR:H/MUI:P/MVC:L/MVI:L/MVA:N/MSC:H/MSI:H/MSA:S/CR:H/IR:H/AR:H/E:P, MEDIUM",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:H/SC:H/SI:L/AU:Y/SA:H/S:N/R:U/V:C/RE:M/U:Amber/MAV:L/MAC:H/MAT:N/MPR:H/MUI:N/MVC:N/MVI:L/MVA:N/MSC:L/MSI:S/MSA:H/CR:H/IR:M/AR:M/E:A, MEDIUM",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:L/SI:L/SA:L, MEDIUM",
    "CVSS:4.0/AV:A/AC:H/AT:P/PR:N/UI:P/VC:N/VI:L/VA:N/SC:H/SI:H/AU:N/SA:N/S:N/R:A/V:C/RE:M/U:Green/MAV:L/MAC:L/MAT:P/MPR:L/MUI:A/MVC:N/MVI:L/MVA:H/MSC:L/MSI:N/MSA:S/CR:L/IR:L/AR:M/E:P, LOW",
    "CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:A/VC:H/VI:N/VA:H/SC:L/SI:N/AU:N/SA:H/S:P/R:I/V:D/RE:M/U:Red/MAV:N/MAC:L/MAT:N/MPR:N/MUI:N/MVC:H/MVI:H/MVA:H/MSC:H/MSI:S/MSA:S/CR:H/IR:H/AR:H/E:U, CRITICAL",
    "CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:P/VC:L/VI:N/VA:H/SC:L/SI:N/AU:Y/SA:H/S:P/R:I/V:D/RE:H/U:Green/MAV:A/MAC:L/MAT:N/MPR:N/MUI:A/MVC:L/MVI:H/MVA:H/MSC:N/MSI:H/MSA:L/CR:L/IR:H/AR:L/E:U, MEDIUM",
    "CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:N/VC:L/VI:N/VA:H/SC:L/SI:H/AU:N/SA:H/S:P/R:U/V:C/RE:H/U:Red/MAV:L/MAC:L/MAT:P/MPR:L/MUI:P/MVC:N/MVI:N/MVA:N/MSC:N/MSI:N/MSA:N/CR:H/IR:H/AR:H/E:P, NEGLIGIBLE",
  })
  void bandsTheReferencePackagesSeverityExamples(String vector, Severity band) {
    assertThat(Cvss.parse(vector).severity()).isEqualTo(band);
  }

  @Test
  void notDefinedMeansWorstCase() {
    String base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N";
    double score = Cvss.parse(base).baseScore();

    assertThat(Cvss.parse(base + "/E:X/CR:X/IR:X/AR:X/MAV:X/MSI:X/U:X").baseScore())
        .isEqualTo(Cvss.parse(base + "/E:A/CR:H/IR:H/AR:H").baseScore())
        .isEqualTo(score);
  }

  @Test
  void exploitMaturityLowersTheScore() {
    String base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";

    assertThat(Cvss.parse(base).baseScore()).isEqualTo(9.3);
    assertThat(Cvss.parse(base + "/E:P").baseScore()).isLessThan(9.3);
    assertThat(Cvss.parse(base + "/E:U").baseScore())
        .isLessThan(Cvss.parse(base + "/E:P").baseScore());
  }

  @Test
  void macroVectorTableHasEveryReachableClass() {
    // EQ1 has 3 levels, EQ2 2, EQ3 with EQ6 5 combinations, EQ4 3, EQ5 3.
    assertThat(CvssV4.LOOKUP).hasSize(3 * 2 * 5 * 3 * 3);
    assertThat(CvssV4.LOOKUP.values()).allMatch(tenths -> tenths >= 1 && tenths <= 100);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "CVSS:4.0/AV:F/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N | metric AV has value \"F\"",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/E:A/E:X | metric E is given more than once",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/ui:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N | unknown metric \"ui\"",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/SC:N/SI:N/SA:N | mandatory metrics missing: [VA]",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/JJ:H | unknown metric \"JJ\"",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:J | metric SA has value \"J\"",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SI:H | metric SI is given more than once",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/U:red | metric U has value \"red\"",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MSC:S | metric MSC has value \"S\"",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:S/SA:N | metric SI has value \"S\"",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/ | \"\" is not of the form METRIC:VALUE",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/E | \"E\" is not of the form METRIC:VALUE",
        "CVSS:4.0 | no metrics",
      })
  void rejectsMalformedVectors(String vector, String problem) {
    assertThatThrownBy(() -> Cvss.parse(vector))
        .isInstanceOf(InvalidCvssException.class)
        .hasMessageContaining("\"" + vector + "\"")
        .hasMessageContaining(problem);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // v3.x metric names are not v4.0 ones.
        "CVSS:4.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "cvss:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
      })
  void rejectsOtherVersionsSyntax(String vector) {
    assertThatThrownBy(() -> Cvss.parse(vector)).isInstanceOf(InvalidCvssException.class);
  }
}
