package io.portolan.inventory.lang.dotnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link DotnetDepsAnalyzer} on a publish-shaped deps.json ({@code lang/dotnet/}) and broken input. */
class DotnetDepsAnalyzerTest {
  private static final Path FIXTURE = Path.of("src/test/resources/lang/dotnet/webapp.deps.json");
  private final DotnetDepsAnalyzer analyzer = new DotnetDepsAnalyzer();

  @Test
  void wantsDepsJsonAnywhere() {
    assertThat(analyzer.wants("app/WebApp.deps.json")).isTrue();
    assertThat(analyzer.wants("usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json"))
        .isTrue();
    assertThat(analyzer.wants("app/WebApp.runtimeconfig.json")).isFalse();
    assertThat(analyzer.wants("app/deps.json")).isFalse();
    assertThat(analyzer.name()).isEqualTo("dotnet-deps");
    assertThat(analyzer.version()).isEqualTo(1);
  }

  @Test
  void onlyPackageLibrariesCount() throws IOException {
    List<Package> packages = analyze("app/WebApp.deps.json", Files.readAllBytes(FIXTURE));
    assertThat(packages).extracting(Package::name, Package::version, Package::purl).containsExactly(
        org.assertj.core.groups.Tuple.tuple("Newtonsoft.Json", "13.0.1", "pkg:nuget/Newtonsoft.Json@13.0.1"),
        org.assertj.core.groups.Tuple.tuple("Serilog", "3.1.1", "pkg:nuget/Serilog@3.1.1"),
        org.assertj.core.groups.Tuple.tuple("Serilog.AspNetCore", "8.0.0", "pkg:nuget/Serilog.AspNetCore@8.0.0"));
    assertThat(packages).allSatisfy(p -> {
      assertThat(p.type()).isEqualTo("nuget");
      assertThat(p.properties().get("sha512")).startsWith("sha512-");
    });
  }

  @Test
  void corruptInputNamesTheFile() {
    assertThatThrownBy(() -> analyze("app/a.deps.json", "{\"libraries\": {\"X/1\": ".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("app/a.deps.json").hasMessageContaining("offset");
    assertThatThrownBy(() -> analyze("app/b.deps.json",
        "{\"libraries\": {\"NoVersion\": {\"type\": \"package\"}}}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("app/b.deps.json").hasMessageContaining("NoVersion");
    assertThatThrownBy(() -> analyze("app/c.deps.json", "[]".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("app/c.deps.json");
    assertThatThrownBy(() -> new DotnetDepsAnalyzer(10).analyze("app/d.deps.json",
        new ByteArrayInputStream(new byte[100]), 100)).isInstanceOf(AnalysisException.class)
        .hasMessageContaining("app/d.deps.json");
  }

  private List<Package> analyze(String path, byte[] data) throws IOException {
    try (InputStream in = new ByteArrayInputStream(data)) {
      List<FileFindings> findings = analyzer.analyze(path, in, data.length);
      assertThat(findings).singleElement().extracting(FileFindings::analyzer).isEqualTo("dotnet-deps");
      return findings.get(0).packages();
    }
  }
}
