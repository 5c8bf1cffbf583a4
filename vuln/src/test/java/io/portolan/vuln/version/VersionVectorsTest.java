package io.portolan.vuln.version;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every published comparison vector, in both directions. The files and where each row comes from
 * are listed in vulndata/version-vectors/PROVENANCE.tsv.
 */
class VersionVectorsTest {
  private static final String[][] PAIR_FILES = {
      {"dpkg.tsv", "deb"},
      {"dpkg-dataset-pairs.tsv", "deb"},
      {"rpm.tsv", "rpm"},
      {"apk.tsv", "apk"},
      {"semver.tsv", "npm"},
      {"go.tsv", "golang"},
      {"maven.tsv", "maven"},
      {"pep440.tsv", "pypi"},
      {"rubygems.tsv", "gem"},
      {"nuget.tsv", "nuget"},
      {"composer.tsv", "composer"},
  };

  private static final String[][] VALIDITY_FILES = {
      {"go-validity.tsv", "golang"},
      {"pep440-validity.tsv", "pypi"},
      {"rubygems-validity.tsv", "gem"},
      {"nuget-validity.tsv", "nuget"},
      {"composer-validity.tsv", "composer"},
  };

  static Stream<Arguments> pairs() {
    return Stream.of(PAIR_FILES).flatMap(f -> Vectors.rows(f[0]).stream()
        .map(r -> Arguments.of(f[0], f[1], r[0], r[1], r[2])));
  }

  static Stream<Arguments> validity() {
    return Stream.of(VALIDITY_FILES).flatMap(f -> Vectors.rows(f[0]).stream()
        .map(r -> Arguments.of(f[0], f[1], r[0], Boolean.parseBoolean(r[1]))));
  }

  static Stream<Arguments> composerNormalize() {
    return Vectors.rows("composer-normalize.tsv").stream().map(r -> Arguments.of(r[0], r[1]));
  }

  @ParameterizedTest(name = "{0}: {2} vs {3} -> {4}")
  @MethodSource("pairs")
  void comparesAsUpstreamDoesInBothDirections(
      String file, String purlType, String a, String b, String expected) {
    VersionScheme scheme = VersionSchemes.forEcosystem(purlType).orElseThrow();
    int forward = Integer.signum(scheme.compare(a, b));
    int backward = Integer.signum(scheme.compare(b, a));
    if (expected.equals("ne")) {
      assertThat(forward).as("%s <=> %s", a, b).isNotZero();
    } else {
      assertThat(forward).as("%s <=> %s", a, b).isEqualTo(Integer.parseInt(expected));
    }
    assertThat(backward).as("antisymmetry of %s <=> %s", b, a).isEqualTo(-forward);
  }

  @ParameterizedTest(name = "{0}: {2} valid={3}")
  @MethodSource("validity")
  void acceptsWhatUpstreamParses(String file, String purlType, String version, boolean valid) {
    assertThat(VersionSchemes.forEcosystem(purlType).orElseThrow().isValid(version))
        .as("isValid(%s)", version).isEqualTo(valid);
  }

  @ParameterizedTest(name = "normalize({0}) = {1}")
  @MethodSource("composerNormalize")
  void normalizesComposerVersionsAsVersionParserDoes(String input, String normalized) {
    assertThat(ComposerVersion.normalize(input)).isEqualTo(normalized);
  }
}
