package io.portolan.inventory.lang.php;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ComposerAnalyzer} on excerpts of real Composer files ({@code lang/php/PROVENANCE.tsv}). */
class ComposerAnalyzerTest {
  private static final Path DIR = Path.of("src/test/resources/lang/php");
  private final ComposerAnalyzer analyzer = new ComposerAnalyzer();

  @Test
  void wantsInstalledJsonAndLockFiles() {
    assertThat(analyzer.wants("var/www/html/vendor/composer/installed.json")).isTrue();
    assertThat(analyzer.wants("vendor/composer/installed.json")).isTrue();
    assertThat(analyzer.wants("app/composer.lock")).isTrue();
    assertThat(analyzer.wants("composer.lock")).isTrue();
    assertThat(analyzer.wants("app/composer.json")).isFalse();
    assertThat(analyzer.wants("app/vendor/composer/installed.php")).isFalse();
    assertThat(analyzer.wants("app/installed.json")).isFalse();
  }

  @Test
  void installedJsonComposer2WithDevNames() throws IOException {
    List<Package> packages = analyze("app/vendor/composer/installed.json", DIR.resolve("installed-v2.json"));
    assertThat(packages).extracting(Package::purl).containsExactly(
        "pkg:composer/aws/aws-crt-php@v1.2.2", "pkg:composer/aws/aws-sdk-php@3.278.3",
        "pkg:composer/doctrine/instantiator@2.0.0", "pkg:composer/guzzlehttp/guzzle@7.7.0",
        "pkg:composer/guzzlehttp/promises@1.5.3");
    assertThat(packages.get(0).name()).isEqualTo("aws/aws-crt-php");
    assertThat(packages.get(0).version()).isEqualTo("v1.2.2");
    assertThat(packages.get(0).license()).isEqualTo("Apache-2.0");
    assertThat(packages.get(0).properties()).containsEntry("reference", "2f1dc7b7eda080498be96a4a6d683a41583030e9")
        .doesNotContainKey("dev");
    assertThat(packages).filteredOn(p -> "true".equals(p.properties().get("dev"))).extracting(Package::name)
        .containsExactly("doctrine/instantiator");
  }

  @Test
  void installedJsonComposer1Array() throws IOException {
    List<Package> packages = analyze("vendor/composer/installed.json", DIR.resolve("installed-v1.json"));
    assertThat(packages).extracting(Package::purl)
        .containsExactly("pkg:composer/composer/ca-bundle@1.1.1", "pkg:composer/composer/composer@1.6.5");
    assertThat(packages).allSatisfy(p -> assertThat(p.type()).isEqualTo("composer"));
  }

  @Test
  void composerLockMarksPackagesDev() throws IOException {
    List<Package> packages = analyze("srv/app/composer.lock", DIR.resolve("composer.lock"));
    assertThat(packages).extracting(Package::name).containsExactly("educoder/pest", "doctrine/instantiator",
        "guzzlehttp/guzzle", "phar-io/version");
    assertThat(packages.get(0).properties()).doesNotContainKey("dev");
    assertThat(packages.subList(1, 4)).allSatisfy(p -> assertThat(p.properties()).containsEntry("dev", "true"));
    assertThat(packages.get(0).purl()).isEqualTo("pkg:composer/educoder/pest@dev-master");
    assertThat(packages.get(3).license()).isEqualTo("BSD-3-Clause");
  }

  @Test
  void corruptInputNamesFileAndOffset() {
    assertThatThrownBy(() -> analyze("composer.lock", "{\"packages\": [ {\"name\": ".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("composer.lock").hasMessageContaining("offset");
    assertThatThrownBy(() -> analyze("composer.lock", "{\"packages\": [{\"name\": \"noslash\", \"version\": \"1\"}]}"
        .getBytes(StandardCharsets.UTF_8))).isInstanceOf(AnalysisException.class).hasMessageContaining("packages[0]");
    assertThatThrownBy(() -> analyze("vendor/composer/installed.json", "42".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("installed.json");
    assertThatThrownBy(() -> analyze("composer.lock", "{\"packages\": {}}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("not an array");
  }

  private List<Package> analyze(String path, Path file) throws IOException {
    return analyze(path, Files.readAllBytes(file));
  }

  private List<Package> analyze(String path, byte[] data) throws IOException {
    assertThat(analyzer.wants(path)).isTrue();
    List<FileFindings> findings = analyzer.analyze(path, new ByteArrayInputStream(data), data.length);
    assertThat(findings).singleElement().extracting(FileFindings::path).isEqualTo(path);
    return findings.get(0).packages();
  }
}
