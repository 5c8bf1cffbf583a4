package io.portolan.inventory.lang.rust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.lang.elf.TestElf;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/**
 * {@link RustAnalyzer} on a real Cargo.lock ({@code lang/rust/PROVENANCE.tsv}) and on synthetic ELF
 * files carrying a {@code .dep-v0} section shaped as cargo-auditable 0.6 writes it.
 */
class RustAnalyzerTest {
  // The audit JSON of a small binary as cargo-auditable emits it: indices in "dependencies",
  // "kind" only when not runtime, "root" on the binary's own crate.
  private static final String AUDIT = """
      {"packages":[{"name":"bitflags","version":"2.4.1","source":"crates.io"},\
      {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"},\
      {"name":"rustix","version":"0.38.21","source":"crates.io","dependencies":[0,1]},\
      {"name":"mytool","version":"0.3.0","source":"local","dependencies":[2],"root":true}]}""";

  private final RustAnalyzer analyzer = new RustAnalyzer();

  @Test
  void wantsCargoLockAndPossibleExecutables() {
    assertThat(analyzer.wants("src/app/Cargo.lock")).isTrue();
    assertThat(analyzer.wants("usr/local/bin/mytool")).isTrue();
    assertThat(analyzer.wants("usr/share/doc/x/copyright")).isFalse();
    assertThat(analyzer.wants("src/app/Cargo.toml")).isFalse();
  }

  @Test
  void cargoLockVersion4() throws IOException {
    byte[] lock = Files.readAllBytes(Path.of("src/test/resources/lang/rust/Cargo.lock"));
    List<Package> packages = analyze("src/wav/Cargo.lock", lock);
    assertThat(packages).hasSize(18);
    assertThat(packages).allSatisfy(p -> assertThat(p.type()).isEqualTo("cargo"));
    assertThat(packages.get(0).purl()).isEqualTo("pkg:cargo/bytemuck@1.25.0");
    assertThat(packages.get(0).properties())
        .containsEntry("source", "registry+https://github.com/rust-lang/crates.io-index")
        .containsEntry("checksum", "c8efb64bd706a16a1bdde310ae86b351e4d21550d98d056f22f8a7f7a2183fec");
    assertThat(packages).filteredOn(p -> p.name().equals("wav_reader")).singleElement()
        .satisfies(p -> assertThat(p.properties()).containsEntry("local", "true"));
    assertThat(packages).extracting(Package::name).contains("windows-targets", "windows_x86_64_msvc", "textplots");
  }

  @Test
  void auditableSectionInElf() throws IOException {
    byte[] elf = TestElf.elf64().section(".text", new byte[32]).section(".dep-v0", zlib(AUDIT)).build();
    List<Package> packages = analyze("usr/local/bin/mytool", elf);
    assertThat(packages).extracting(Package::purl).containsExactly("pkg:cargo/bitflags@2.4.1",
        "pkg:cargo/cc@1.0.83", "pkg:cargo/rustix@0.38.21", "pkg:cargo/mytool@0.3.0");
    assertThat(packages.get(1).properties()).containsEntry("kind", "build");
    assertThat(packages.get(3).properties()).containsEntry("root", "true").containsEntry("local", "true");
    assertThat(packages.get(0).properties()).containsEntry("source", "crates.io").doesNotContainKey("kind");
  }

  @Test
  void nonElfAndElfWithoutAuditDataAreNotReported() throws IOException {
    byte[] script = "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8);
    assertThat(analyzer.analyze("usr/local/bin/hi", new ByteArrayInputStream(script), script.length)).isEmpty();
    byte[] plain = TestElf.elf64().section(".text", new byte[32]).build();
    assertThat(analyzer.analyze("usr/bin/ls", new ByteArrayInputStream(plain), plain.length)).isEmpty();
  }

  @Test
  void corruptZlibTruncatedElfAndBadJsonNameFileAndOffset() {
    byte[] bad = zlib(AUDIT);
    bad[5] ^= 0x5a;
    bad[6] ^= 0x5a;
    byte[] elf = TestElf.elf64().section(".dep-v0", bad).build();
    assertThatThrownBy(() -> analyze("bin/a", elf)).isInstanceOf(AnalysisException.class)
        .hasMessageContaining("bin/a").hasMessageContaining(".dep-v0").hasMessageContaining("offset");
    byte[] shortZlib = Arrays.copyOf(zlib(AUDIT), 20);
    assertThatThrownBy(() -> analyze("bin/b", TestElf.elf64().section(".dep-v0", shortZlib).build()))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("bin/b").hasMessageContaining("truncated");
    byte[] whole = TestElf.elf64().section(".dep-v0", zlib(AUDIT)).build();
    assertThatThrownBy(() -> analyze("bin/c", Arrays.copyOf(whole, whole.length - 30)))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("bin/c").hasMessageContaining("offset");
    assertThatThrownBy(() -> analyze("bin/d", TestElf.elf64().section(".dep-v0", zlib("{\"packages\": [")).build()))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("bin/d").hasMessageContaining("offset");
    assertThatThrownBy(() -> analyze("Cargo.lock", "[[package]]\nname = \"x\"\n".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("line 1 (offset 0)");
  }

  private List<Package> analyze(String path, byte[] data) throws IOException {
    assertThat(analyzer.wants(path)).isTrue();
    List<FileFindings> findings = analyzer.analyze(path, new ByteArrayInputStream(data), data.length);
    assertThat(findings).singleElement().extracting(FileFindings::analyzer).isEqualTo("rust");
    return findings.get(0).packages();
  }

  private static byte[] zlib(String text) {
    Deflater deflater = new Deflater(9);
    deflater.setInput(text.getBytes(StandardCharsets.UTF_8));
    deflater.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    while (!deflater.finished()) {
      out.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    return out.toByteArray();
  }
}
