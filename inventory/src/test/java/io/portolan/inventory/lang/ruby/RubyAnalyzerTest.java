package io.portolan.inventory.lang.ruby;

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

/** {@link RubyAnalyzer} on a real installed gemspec and Gemfile.lock ({@code lang/ruby/PROVENANCE.tsv}). */
class RubyAnalyzerTest {
  private static final Path DIR = Path.of("src/test/resources/lang/ruby");
  private final RubyAnalyzer analyzer = new RubyAnalyzer();

  @Test
  void wantsSpecificationsAndLockFiles() {
    assertThat(analyzer.wants("usr/local/bundle/specifications/rack-2.0.4.gemspec")).isTrue();
    assertThat(analyzer.wants("usr/local/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec")).isTrue();
    assertThat(analyzer.wants("app/Gemfile.lock")).isTrue();
    assertThat(analyzer.wants("Gemfile.lock")).isTrue();
    assertThat(analyzer.wants("app/rack.gemspec")).isFalse();
    assertThat(analyzer.wants("usr/local/bundle/gems/rack-2.0.4/rack.gemspec")).isFalse();
    assertThat(analyzer.wants("app/Gemfile")).isFalse();
  }

  @Test
  void installedGemspec() throws IOException {
    List<Package> packages = analyze("usr/local/bundle/specifications/rack-2.0.4.gemspec",
        Files.readAllBytes(DIR.resolve("specifications/rack-2.0.4.gemspec")));
    assertThat(packages).singleElement().satisfies(p -> {
      assertThat(p.type()).isEqualTo("gem");
      assertThat(p.name()).isEqualTo("rack");
      assertThat(p.version()).isEqualTo("2.0.4");
      assertThat(p.license()).isEqualTo("MIT");
      assertThat(p.purl()).isEqualTo("pkg:gem/rack@2.0.4");
      assertThat(p.properties()).isEmpty();
    });
  }

  @Test
  void gemspecWithOtherBlockVariablePlatformAndDefaultGem() throws IOException {
    String spec = """
        # stub: nokogiri 1.13.8 x86_64-linux lib
        Gem::Specification.new do |spec|
          spec.name = "nokogiri".freeze
          spec.version = "1.13.8"
          spec.platform = "x86_64-linux".freeze
          spec.licenses = ["MIT".freeze, "Apache-2.0".freeze]
        end
        """;
    Package p = analyze("var/lib/gems/3.1.0/specifications/default/nokogiri-1.13.8-x86_64-linux.gemspec",
        spec.getBytes(StandardCharsets.UTF_8)).get(0);
    assertThat(p.name()).isEqualTo("nokogiri");
    assertThat(p.version()).isEqualTo("1.13.8");
    assertThat(p.license()).isEqualTo("MIT OR Apache-2.0");
    assertThat(p.properties()).containsEntry("platform", "x86_64-linux").containsEntry("default-gem", "true")
        .doesNotContainKey("file-name-mismatch");
  }

  @Test
  void defaultGemStubLinesJoinRequirePathsWithNul() throws IOException {
    // As Debian's libruby3.1 ships json-2.6.1.gemspec: the stub line's require paths are NUL-separated.
    String spec = "# -*- encoding: utf-8 -*-\n# stub: json 2.6.1 ruby lib\0/usr/lib/x86_64-linux-gnu/ruby/3.1.0\n\n"
        + "Gem::Specification.new do |s|\n  s.name = \"json\".freeze\n  s.version = \"2.6.1\"\nend\n";
    Package p = analyze("usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec",
        spec.getBytes(StandardCharsets.UTF_8)).get(0);
    assertThat(p.purl()).isEqualTo("pkg:gem/json@2.6.1");
    // Anywhere else a NUL byte is still a binary file in a text file's place.
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> analyze("specifications/x-1.gemspec",
        "s.name = \"x\0\"\n".getBytes(StandardCharsets.UTF_8))).hasMessageContaining("NUL byte at offset");
  }

  @Test
  void fileNameFillsGapsAndDisagreementIsRecorded() throws IOException {
    Package fromName = analyze("specifications/json-2.6.3.gemspec", "# empty\n".getBytes(StandardCharsets.UTF_8)).get(0);
    assertThat(fromName.name()).isEqualTo("json");
    assertThat(fromName.version()).isEqualTo("2.6.3");
    assertThat(fromName.properties()).containsEntry("identity-from", "file-name");
    String spec = "Gem::Specification.new do |s|\n  s.name = \"rake\"\n  s.version = \"13.0.6\"\nend\n";
    Package mismatch = analyze("specifications/rake-13.0.1.gemspec", spec.getBytes(StandardCharsets.UTF_8)).get(0);
    assertThat(mismatch.version()).isEqualTo("13.0.6");
    assertThat(mismatch.properties()).containsEntry("file-name-mismatch", "rake-13.0.1");
  }

  @Test
  void gemfileLockSpecsOfEverySection() throws IOException {
    List<Package> packages = analyze("srv/app/Gemfile.lock", Files.readAllBytes(DIR.resolve("Gemfile.lock")));
    assertThat(packages).hasSize(77);
    assertThat(packages).extracting(Package::purl).contains("pkg:gem/rails@5.2.3", "pkg:gem/nokogiri@1.10.5",
        "pkg:gem/rack@2.0.7", "pkg:gem/xpath@3.2.0").doesNotContain("pkg:gem/bundler");
    String mixed = """
        GIT
          remote: https://github.com/rails/rails.git
          revision: abc123def456
          specs:
            rails (7.1.0.alpha)
              activesupport (= 7.1.0.alpha)

        PATH
          remote: vendor/mygem
          specs:
            mygem (0.1.0)

        GEM
          remote: https://rubygems.org/
          specs:
            nokogiri (1.13.8-x86_64-linux)
              racc (~> 1.4)

        PLATFORMS
          x86_64-linux
        """;
    List<Package> more = analyze("Gemfile.lock", mixed.getBytes(StandardCharsets.UTF_8));
    assertThat(more).extracting(Package::name, Package::version).containsExactly(
        org.assertj.core.groups.Tuple.tuple("rails", "7.1.0.alpha"), org.assertj.core.groups.Tuple.tuple("mygem", "0.1.0"),
        org.assertj.core.groups.Tuple.tuple("nokogiri", "1.13.8"));
    assertThat(more).allSatisfy(p -> assertThat(p.properties()).containsEntry("source", "lockfile"));
    assertThat(more.get(0).properties()).containsEntry("lock-section", "git");
    assertThat(more.get(1).properties()).containsEntry("lock-section", "path");
    assertThat(more.get(2).properties()).containsEntry("platform", "x86_64-linux").doesNotContainKey("lock-section");
  }

  @Test
  void corruptInputNamesFileAndOffset() {
    assertThatThrownBy(() -> analyze("Gemfile.lock", "GEM\n  specs:\n    broken line\n".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("Gemfile.lock").hasMessageContaining("line 3")
        .hasMessageContaining("offset 13");
    assertThatThrownBy(() -> analyze("specifications/x.gemspec", "junk".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("specifications/x.gemspec");
    assertThatThrownBy(() -> analyze("Gemfile.lock", new byte[] {'G', 0, 'M'}))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("NUL byte at offset 1");
  }

  private List<Package> analyze(String path, byte[] data) throws IOException {
    assertThat(analyzer.wants(path)).isTrue();
    List<FileFindings> findings = analyzer.analyze(path, new ByteArrayInputStream(data), data.length);
    assertThat(findings).singleElement().extracting(FileFindings::analyzer).isEqualTo("ruby");
    return findings.get(0).packages();
  }
}
