package io.portolan.vuln.severity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Comparator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class SeverityTest {
  @ParameterizedTest
  @CsvSource({
    "10.0, CRITICAL",
    "9.0, CRITICAL",
    "8.9, HIGH",
    "7.0, HIGH",
    "6.9, MEDIUM",
    "4.0, MEDIUM",
    "3.9, LOW",
    "3.95, LOW",
    "0.1, LOW",
    "0.0, NEGLIGIBLE",
    "-0.1, UNKNOWN",
    "10.1, UNKNOWN",
    "NaN, UNKNOWN",
  })
  void bandsScoresOnTheQualitativeScale(double score, Severity band) {
    assertThat(Severity.fromScore(score)).isEqualTo(band);
  }

  @ParameterizedTest
  @CsvSource({
    // Debian urgency, asterisks included.
    "debian, unimportant, NEGLIGIBLE",
    "debian, low, LOW",
    "debian, low*, LOW",
    "debian, low**, LOW",
    "debian, medium, MEDIUM",
    "debian, medium*, MEDIUM",
    "debian, high, HIGH",
    "debian, high**, HIGH",
    "debian, not yet assigned, UNKNOWN",
    "debian, end-of-life, UNKNOWN",
    // GHSA / OSV database_specific.severity.
    "ghsa, LOW, LOW",
    "ghsa, MODERATE, MEDIUM",
    "ghsa, HIGH, HIGH",
    "ghsa, CRITICAL, CRITICAL",
    // Ubuntu priority.
    "ubuntu, negligible, NEGLIGIBLE",
    "ubuntu, low, LOW",
    "ubuntu, medium, MEDIUM",
    "ubuntu, high, HIGH",
    "ubuntu, critical, CRITICAL",
    "ubuntu, untriaged, UNKNOWN",
    // Red Hat impact.
    "redhat, Low, LOW",
    "redhat, Moderate, MEDIUM",
    "redhat, Important, HIGH",
    "redhat, Critical, CRITICAL",
    // Case and whitespace do not matter; unknown words stay unknown.
    "ghsa, '  Moderate ', MEDIUM",
    "nvd, NONE, NEGLIGIBLE",
    "ghsa, severe, UNKNOWN",
    "ghsa, ***, UNKNOWN",
  })
  void mapsVendorLabels(String source, String label, Severity band) {
    assertThat(Severity.fromLabel(source, label)).isEqualTo(band);
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"   "})
  void noLabelIsUnknown(String label) {
    assertThat(Severity.fromLabel("debian", label)).isEqualTo(Severity.UNKNOWN);
    assertThat(Severity.fromLabel(null, label)).isEqualTo(Severity.UNKNOWN);
  }

  @Test
  void ranksCriticalHighestAndUnknownLowest() {
    assertThat(
            Arrays.stream(Severity.values())
                .sorted(Comparator.comparingInt(Severity::rank).reversed())
                .toList())
        .containsExactly(
            Severity.CRITICAL,
            Severity.HIGH,
            Severity.MEDIUM,
            Severity.LOW,
            Severity.NEGLIGIBLE,
            Severity.UNKNOWN);
    assertThat(Severity.UNKNOWN.rank()).isZero();
  }
}
