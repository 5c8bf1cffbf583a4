package io.portolan.vuln.severity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class CvssTest {
  static List<Arguments> v31() {
    return CvssVectors.load("v31_redhat_cvss_simple31.tsv");
  }

  static List<Arguments> v30() {
    return CvssVectors.load("v30_redhat_cvss_simple3.tsv");
  }

  static List<Arguments> v2() {
    return CvssVectors.load("v2_redhat_cvss_simple2.tsv");
  }

  @ParameterizedTest
  @MethodSource("v31")
  void scoresV31AsPublished(String vector, String score) {
    assertScore(vector, "3.1", score);
  }

  @ParameterizedTest
  @MethodSource("v30")
  void scoresV30AsPublished(String vector, String score) {
    assertScore(vector, "3.0", score);
  }

  @ParameterizedTest
  @MethodSource("v2")
  void scoresV2AsPublished(String vector, String score) {
    assertScore(vector, "2.0", score);
  }

  private static void assertScore(String vector, String version, String score) {
    CvssScore parsed = Cvss.parse(vector);

    assertThat(parsed.version()).isEqualTo(version);
    assertThat(parsed.vector()).isEqualTo(vector);
    // -0.0 is how the v2 data writes some zero scores.
    assertThat(parsed.baseScore()).isCloseTo(Double.parseDouble(score), within(1e-9));
  }

  // FIRST "CVSS v3.1: Examples" and NVD's scores of well-known CVEs.
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "CVE-2021-44228 Log4Shell (NVD), CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H, 10.0, CRITICAL",
    "CVE-2021-45046 Log4j (NVD), CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H, 9.0, CRITICAL",
    "CVE-2014-6271 Shellshock, CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H, 9.8, CRITICAL",
    "CVE-2014-0160 Heartbleed, CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N, 7.5, HIGH",
    "CVE-2021-3156 sudo Baron Samedit (NVD), CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H, 7.8, HIGH",
    "CVE-2013-1937 phpMyAdmin reflected XSS, CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N, 6.1, MEDIUM",
    "CVE-2013-0375 MySQL stored SQL injection, CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N, 6.4, MEDIUM",
    "CVE-2014-3566 SSLv3 POODLE, CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N, 3.1, LOW",
    "CVE-2012-1516 VMware guest to host escape, CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H, 9.9, CRITICAL",
    "CVE-2009-0783 Apache Tomcat XML parser, CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L, 4.2, MEDIUM",
    "CVE-2012-0384 Cisco IOS command execution, CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H, 8.8, HIGH",
    "CVE-2015-1098 Apple iWork, CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H, 7.8, HIGH",
    "CVE-2008-1447 DNS cache poisoning, CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N, 6.8, MEDIUM",
    "CVE-2014-2005 Sophos login screen bypass, CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H, 6.8, MEDIUM",
    "CVE-2010-0467 Joomla directory traversal, CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N, 5.8, MEDIUM",
    "CVE-2013-6014 Juniper proxy ARP DoS, CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H, 9.3, CRITICAL",
    "CVE-2014-0224 OpenSSL CCS injection, CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N, 7.4, HIGH",
    "CVE-2016-1645 Chrome PDFium, CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H, 8.8, HIGH",
    "CVE-2014-2019 Apple iOS security control bypass, CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N, 4.6, MEDIUM",
    "CVE-2011-1265 Windows Bluetooth RCE, CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H, 8.8, HIGH",
    "CVE-2014-0160 Heartbleed (NVD v2), AV:N/AC:L/Au:N/C:P/I:N/A:N, 5.0, MEDIUM",
    "CVE-2021-44228 Log4Shell (NVD v2), AV:N/AC:M/Au:N/C:C/I:C/A:C, 9.3, HIGH",
    "CVE-2014-6271 Shellshock (NVD v2), AV:N/AC:L/Au:N/C:C/I:C/A:C, 10.0, HIGH",
  })
  void scoresWellKnownCves(String name, String vector, double score, Severity band) {
    CvssScore parsed = Cvss.parse(vector);

    assertThat(parsed.baseScore()).isEqualTo(score);
    assertThat(parsed.severity()).isEqualTo(band);
  }

  @Test
  void ignoresTemporalAndEnvironmentalMetricsForTheBaseScore() {
    String base = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

    assertThat(Cvss.parse(base + "/E:U/RL:O/RC:R/CR:L/IR:L/AR:L/MAV:P/MS:C/MC:N").baseScore())
        .isEqualTo(9.8);
    assertThat(Cvss.parse("AV:N/AC:L/Au:N/C:C/I:C/A:C/E:U/RL:OF/RC:UC/CDP:N/TD:N").baseScore())
        .isEqualTo(10.0);
  }

  @Test
  void acceptsMetricsInAnyOrderAndNvdsParenthesizedV2() {
    assertThat(Cvss.parse("CVSS:3.1/S:U/C:H/I:H/A:H/AV:N/AC:L/PR:N/UI:N").baseScore())
        .isEqualTo(9.8);
    assertThat(Cvss.parse("(AV:N/AC:L/Au:N/C:P/I:P/A:P)").baseScore()).isEqualTo(7.5);
    assertThat(Cvss.parse("  CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n").vector())
        .isEqualTo("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
  }

  /**
   * Checks the library's rounding on every v3 base vector against the specifications' formulas
   * in exact decimal arithmetic: v3.0's "round up to one decimal" and v3.1's Roundup (Appendix A,
   * which rounds to 5 decimals first). The versions' base scores agree on all 2,592 base vectors;
   * the two roundings only part on temporal and environmental scores, which are not reported.
   */
  @Test
  void roundsV30AndV31BaseScoresAsTheSpecificationsDo() {
    String[] av = {"N", "A", "L", "P"};
    double[] avW = {0.85, 0.62, 0.55, 0.2};
    String[] ac = {"L", "H"};
    double[] acW = {0.77, 0.44};
    String[] pr = {"N", "L", "H"};
    double[] prUnchanged = {0.85, 0.62, 0.27};
    double[] prChanged = {0.85, 0.68, 0.5};
    String[] ui = {"N", "R"};
    double[] uiW = {0.85, 0.62};
    String[] cia = {"H", "L", "N"};
    double[] ciaW = {0.56, 0.22, 0};
    int checked = 0;
    for (int a = 0; a < 4; a++) {
      for (int b = 0; b < 2; b++) {
        for (int p = 0; p < 3; p++) {
          for (int u = 0; u < 2; u++) {
            for (boolean changed : new boolean[] {false, true}) {
              for (int c = 0; c < 3; c++) {
                for (int i = 0; i < 3; i++) {
                  for (int v = 0; v < 3; v++) {
                    BigDecimal exact =
                        exactBase(avW[a], acW[b], changed ? prChanged[p] : prUnchanged[p], uiW[u],
                            changed, ciaW[c], ciaW[i], ciaW[v]);
                    String body =
                        "/AV:%s/AC:%s/PR:%s/UI:%s/S:%s/C:%s/I:%s/A:%s"
                            .formatted(av[a], ac[b], pr[p], ui[u], changed ? "C" : "U", cia[c],
                                cia[i], cia[v]);
                    assertThat(Cvss.parse("CVSS:3.0" + body).baseScore())
                        .as("3.0" + body)
                        .isEqualTo(roundUpV30(exact));
                    assertThat(Cvss.parse("CVSS:3.1" + body).baseScore())
                        .as("3.1" + body)
                        .isEqualTo(roundUpV31(exact));
                    checked++;
                  }
                }
              }
            }
          }
        }
      }
    }
    assertThat(checked).isEqualTo(2592);
  }

  private static BigDecimal exactBase(
      double av, double ac, double pr, double ui, boolean changed, double c, double i, double a) {
    BigDecimal one = BigDecimal.ONE;
    BigDecimal unharmed =
        one.subtract(dec(c)).multiply(one.subtract(dec(i))).multiply(one.subtract(dec(a)));
    BigDecimal iss = one.subtract(unharmed);
    BigDecimal impact;
    if (changed) {
      BigDecimal tail = iss.subtract(dec(0.02)).pow(15, MathContext.DECIMAL128);
      impact = dec(7.52).multiply(iss.subtract(dec(0.029))).subtract(dec(3.25).multiply(tail));
    } else {
      impact = dec(6.42).multiply(iss);
    }
    if (impact.signum() <= 0) {
      return BigDecimal.ZERO;
    }
    BigDecimal exploitability =
        dec(8.22).multiply(dec(av)).multiply(dec(ac)).multiply(dec(pr)).multiply(dec(ui));
    BigDecimal sum = impact.add(exploitability);
    if (changed) {
      sum = sum.multiply(dec(1.08));
    }
    return sum.min(BigDecimal.TEN);
  }

  private static double roundUpV30(BigDecimal x) {
    return x.setScale(1, RoundingMode.CEILING).doubleValue();
  }

  private static double roundUpV31(BigDecimal x) {
    long scaled = x.movePointRight(5).setScale(0, RoundingMode.HALF_UP).longValueExact();
    return scaled % 10000 == 0 ? scaled / 100000.0 : (Math.floorDiv(scaled, 10000) + 1) / 10.0;
  }

  private static BigDecimal dec(double d) {
    return new BigDecimal(Double.toString(d));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H | mandatory metrics missing: [A]",
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H | metric AV has value \"X\"",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:N | metric AV is given more than once",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AT:N | unknown metric \"AT\"",
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MS:Z | metric MS has value \"Z\"",
        "CVSS:3.1/av:n/ac:l/pr:n/ui:n/s:u/c:h/i:h/a:h | unknown metric \"av\"",
        "CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H | unsupported CVSS version \"3.2\"",
        "CVSS:3.1 | no metrics",
        "AV:N/AC:L/Au:N/C:P/I:P | mandatory metrics missing: [A]",
        "AV:N/AC:L/Au:N/C:P/I:P/A:H | metric A has value \"H\"",
        "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H | unknown metric \"PR\"",
        "AV:N//AC:L/Au:N/C:P/I:P/A:P | \"\" is not of the form METRIC:VALUE",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P:P | \"A:P:P\" is not of the form METRIC:VALUE",
        "not a vector | \"not a vector\" is not of the form METRIC:VALUE",
      })
  void rejectsMalformedVectors(String vector, String problem) {
    assertThatThrownBy(() -> Cvss.parse(vector))
        .isInstanceOf(InvalidCvssException.class)
        .hasMessageContaining("\"" + vector + "\"")
        .hasMessageContaining(problem)
        .satisfies(e -> assertThat(((InvalidCvssException) e).vector()).isEqualTo(vector));
  }

  @Test
  void rejectsNullAndBlank() {
    assertThatThrownBy(() -> Cvss.parse(null))
        .isInstanceOf(InvalidCvssException.class)
        .hasMessage("invalid CVSS vector null: no vector");
    assertThatThrownBy(() -> Cvss.parse("  ")).isInstanceOf(InvalidCvssException.class);
  }
}
