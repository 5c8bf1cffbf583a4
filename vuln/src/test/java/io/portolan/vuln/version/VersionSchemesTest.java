package io.portolan.vuln.version;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class VersionSchemesTest {
  private static final List<String> PURL_TYPES = List.of(
      "deb", "rpm", "apk", "npm", "cargo", "hex", "pub", "golang", "maven", "pypi", "gem", "nuget",
      "composer");

  // Advisory feeds and package databases hold all of these; none may make a comparison throw.
  private static final List<String> GARBAGE = List.of(
      "", " ", "\t\n", "   1.0   ", "-", "+", ":", "~", "^", ".", "..", "_", "!", "@", "#", "v",
      "1:", ":1", "1-", "-1", "1..2", "1.2.", ".1", "1.0-", "1.0+", "1.0_", "1.0~~", "1.0^^",
      "1.0-r", "1.0_foo", "abc", "ÄÖÜ", "1.0-ß", "٠١٢.٣٤٥", "\uD835\uDFE4", "1\u00002", "\uFFFF",
      "99999999999999999999999999999999999999",
      "1.99999999999999999999999999999999999999",
      "1.0-99999999999999999999999999999999999999",
      "99999999999999999999999999999999999999:1.0",
      "1!2!3", "1.0+a+b", "dev-", "dev-master", "1.x-dev", "v1.2.3+incompatible",
      "1.0.0-" + "a.".repeat(200) + "b");

  static Stream<Arguments> schemesAndGarbage() {
    return PURL_TYPES.stream().flatMap(t -> GARBAGE.stream().flatMap(a -> GARBAGE.stream()
        .map(b -> Arguments.of(t, a, b))));
  }

  @ParameterizedTest
  @CsvSource({
      "deb, dpkg", "rpm, rpm", "apk, apk", "npm, semver", "cargo, semver", "hex, semver",
      "pub, semver", "golang, go", "maven, maven", "pypi, pep440", "gem, rubygems",
      "nuget, nuget", "composer, composer", "DEB, dpkg"})
  void picksTheSchemeByPurlType(String purlType, String scheme) {
    assertThat(VersionSchemes.forEcosystem(purlType)).hasValueSatisfying(
        s -> assertThat(s.name()).isEqualTo(scheme));
  }

  @Test
  void knowsNothingOfOtherTypes() {
    assertThat(VersionSchemes.forEcosystem("swift")).isEmpty();
    assertThat(VersionSchemes.forEcosystem("")).isEmpty();
    assertThat(VersionSchemes.forEcosystem(null)).isEmpty();
  }

  @Test
  void garbageNeverThrowsAndStaysAntisymmetric() {
    schemesAndGarbage().forEach(args -> {
      Object[] v = args.get();
      VersionScheme s = VersionSchemes.forEcosystem((String) v[0]).orElseThrow();
      String a = (String) v[1];
      String b = (String) v[2];
      assertThatCode(() -> s.isValid(a)).doesNotThrowAnyException();
      int forward = Integer.signum(s.compare(a, b));
      int backward = Integer.signum(s.compare(b, a));
      assertThat(backward).as("%s: %s <=> %s", s.name(), a, b).isEqualTo(-forward);
      if (a.equals(b)) {
        assertThat(forward).as("%s: %s reflexive", s.name(), a).isZero();
      }
    });
  }

  @ParameterizedTest
  @MethodSource("purlTypes")
  void nullsAreOrderedNotThrown(String purlType) {
    VersionScheme s = VersionSchemes.forEcosystem(purlType).orElseThrow();
    assertThat(s.compare(null, null)).isZero();
    assertThat(Integer.signum(s.compare(null, "1.0")))
        .isEqualTo(-Integer.signum(s.compare("1.0", null)));
    assertThat(s.isValid(null)).isFalse();
  }

  static Stream<String> purlTypes() {
    return PURL_TYPES.stream();
  }

  static Stream<String> purlTypesButApk() {
    return PURL_TYPES.stream().filter(t -> !t.equals("apk"));
  }

  @ParameterizedTest
  @MethodSource("purlTypesButApk")
  void comparesNumbersLongerThanALongExactly(String purlType) {
    VersionScheme s = VersionSchemes.forEcosystem(purlType).orElseThrow();
    String big = "1.2.36893488147419103232";
    String bigger = "1.2.36893488147419103233";
    assertThat(s.compare(big, bigger)).as(s.name()).isNegative();
    assertThat(s.compare(bigger, big)).as(s.name()).isPositive();
    assertThat(s.compare(big, big)).as(s.name()).isZero();
  }

  @Test
  void apkTreatsNumbersOfEighteenDigitsAsInvalidTokensAsApkDoes() {
    VersionScheme apk = VersionSchemes.forEcosystem("apk").orElseThrow();
    assertThat(apk.isValid("1.2.123456789012345678")).isFalse();
    assertThat(apk.isValid("1.2.12345678901234567")).isTrue();
    assertThat(apk.compare("1.2.12345678901234567", "1.2.12345678901234568")).isNegative();
    assertThat(apk.compare("1.2.36893488147419103232", "1.2.36893488147419103233")).isZero();
  }

  @Test
  void dpkgComparesHugeEpochsWithoutOverflow() {
    VersionScheme dpkg = VersionSchemes.forEcosystem("deb").orElseThrow();
    assertThat(dpkg.compare("99999999999999999999:1.0", "99999999999999999998:2.0")).isPositive();
    assertThat(dpkg.isValid("1:2.3-4")).isTrue();
    assertThat(dpkg.isValid("2.3:4")).isFalse();
    assertThat(dpkg.isValid("a1.0")).isFalse();
  }

  @Test
  void rpmComparesReleasesOnlyWhenBothHaveOne() {
    VersionScheme rpm = VersionSchemes.forEcosystem("rpm").orElseThrow();
    assertThat(rpm.compare("1.0-1.el8", "1.0")).isZero();
    assertThat(rpm.compare("1.0-1.el8", "1.0-2.el8")).isNegative();
    assertThat(rpm.compare("1:1.0-1", "2.0-1")).isPositive();
    assertThat(rpm.compare("0:1.0-1", "1.0-1")).isZero();
  }

  @Test
  void goReadsVersionsWithoutTheVAndIgnoresIncompatible() {
    VersionScheme go = VersionSchemes.forEcosystem("golang").orElseThrow();
    assertThat(go.compare("1.2.3", "v1.2.3")).isZero();
    assertThat(go.compare("v2.0.0+incompatible", "v2.0.0")).isZero();
    String pseudo = "v0.0.0-20191109021931-daa7c04131f5";
    assertThat(go.compare(pseudo, "v0.0.0-20200101000000-000000000000")).isNegative();
    assertThat(go.compare("v0.0.0-20191109021931-daa7c04131f5", "v0.0.1")).isNegative();
    assertThat(go.compare("not a version", "v0.0.0")).isNegative();
  }

  @Test
  void semverReadsLooseVersions() {
    VersionScheme semver = VersionSchemes.forEcosystem("npm").orElseThrow();
    assertThat(semver.compare("1.2", "1.2.0")).isZero();
    assertThat(semver.compare("v1", "1.0.0")).isZero();
    assertThat(semver.compare("1.2.3beta", "1.2.3-beta")).isZero();
    assertThat(semver.compare("1.2.3.4", "0.0.1")).isNegative();
    assertThat(semver.isValid("1.2.3-beta.1+build")).isTrue();
    assertThat(semver.isValid("1.2")).isFalse();
    assertThat(semver.isValid("01.2.3")).isFalse();
  }

  @Test
  void nugetOrdersFourPartVersions() {
    VersionScheme nuget = VersionSchemes.forEcosystem("nuget").orElseThrow();
    assertThat(nuget.compare("1.0.0.1", "1.0.0")).isPositive();
    assertThat(nuget.compare("1.0.0.1-beta", "1.0.0.1")).isNegative();
    assertThat(nuget.isValid("1.2.3.2147483648")).isFalse();
    assertThat(nuget.compare("1.2.3.2147483648", "1.2.3.2147483647")).isPositive();
  }

  @Test
  void composerOrdersStabilitiesAsPhpDoes() {
    VersionScheme composer = VersionSchemes.forEcosystem("composer").orElseThrow();
    assertThat(composer.compare("1.0.0-dev", "1.0.0-alpha")).isNegative();
    assertThat(composer.compare("1.0.0-alpha", "1.0.0-beta")).isNegative();
    assertThat(composer.compare("1.0.0-beta", "1.0.0-RC1")).isNegative();
    assertThat(composer.compare("1.0.0-RC1", "1.0.0")).isNegative();
    assertThat(composer.compare("1.0.0", "1.0.0-p1")).isNegative();
    assertThat(composer.compare("v1.0", "1.0.0.0")).isZero();
  }
}
