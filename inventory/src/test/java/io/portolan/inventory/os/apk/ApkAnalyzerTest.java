package io.portolan.inventory.os.apk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.os.Golden;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Golden and corrupt-input tests for {@link ApkAnalyzer}; fixture under {@code apk/alpine-3.19/}. */
class ApkAnalyzerTest {
  private static final String PATH = "lib/apk/db/installed";
  private final ApkAnalyzer analyzer = new ApkAnalyzer();

  @Test
  void wantsOnlyTheInstalledDatabase() {
    assertThat(analyzer.wants(PATH)).isTrue();
    assertThat(analyzer.wants("lib/apk/db/triggers")).isFalse();
    assertThat(analyzer.wants("usr/lib/apk/db/installed")).isFalse();
  }

  @Test
  void alpineInstalledMatchesGolden() throws IOException {
    FileFindings findings = Golden.analyze(analyzer, PATH, Golden.resource("apk/alpine-3.19/installed"));
    assertThat(findings.analyzer()).isEqualTo("apk");
    assertThat(findings.packages()).extracting(Package::name).containsExactly("alpine-baselayout",
        "alpine-baselayout-data", "busybox", "ca-certificates-bundle", "libcrypto3", "libssl3", "musl", "scanelf",
        "zlib");
    Package libcrypto = findings.packages().get(4);
    assertThat(libcrypto.sourceName()).isEqualTo("openssl");
    assertThat(libcrypto.sourceVersion()).isEqualTo("3.1.4-r2");
    assertThat(libcrypto.license()).isEqualTo("Apache-2.0");
    assertThat(libcrypto.architecture()).isEqualTo("x86_64");
    assertThat(libcrypto.purl()).isEqualTo("pkg:apk/alpine/libcrypto3@3.1.4-r2?arch=x86_64");
    assertThat(libcrypto.properties()).containsEntry("installed-size", "4206592");
    // F:/R: file lists, without configuration (etc/), per package.
    assertThat(findings.owned()).extracting(o -> o.ownerKey()).contains("apk/musl/x86_64")
        .doesNotContain("apk/alpine-baselayout-data/x86_64");
    assertThat(findings.owned()).filteredOn(o -> o.name().equals("musl")).singleElement()
        .satisfies(o -> assertThat(o.paths()).contains("lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1"));
    Golden.assertMatches(Golden.resource("apk/alpine-3.19/expected.json"), findings.packages());
  }

  @Test
  void emptyDatabaseHasNoPackages() throws IOException {
    assertThat(parse("")).isEmpty();
    assertThat(parse("\n\n\n")).isEmpty();
  }

  @Test
  void missingOriginMeansTheBinaryIsItsOwnSource() throws IOException {
    assertThat(parse("P:foo\nV:1.0-r0\nA:aarch64\n")).singleElement()
        .satisfies(p -> assertThat(p.sourceName()).isEqualTo("foo"));
  }

  @Test
  void structuralErrorsNameTheLine() {
    assertError("P:foo\nV:1-r0\nP:bar\n", "duplicate P: at line 3 (offset 13)");
    assertError("P:foo\n", "has no V: (version)");
    assertError("V:1\n", "has no P: (name)");
    assertError("P:foo\nthis is garbage\n", "expected 'K:value' at line 2 (offset 6)");
    assertError("P:foo\nV:1\u0000\n", "NUL byte at offset 9");
  }

  @Test
  void truncatedDatabaseFails() throws IOException {
    byte[] db = Files.readAllBytes(Golden.resource("apk/alpine-3.19/installed"));
    String text = new String(db, StandardCharsets.ISO_8859_1);
    int cut = text.indexOf("\nP:musl") + 2; // leaves a lone "P" line
    byte[] truncated = Arrays.copyOf(db, cut);
    assertThatThrownBy(() -> analyzer.analyze(PATH, new ByteArrayInputStream(truncated), cut))
        .isInstanceOf(AnalysisException.class)
        .hasMessageContaining(PATH)
        .hasMessageContaining("offset " + (cut - 1));
  }

  @Test
  void garbageAndMutationsNeverCrash() throws IOException {
    Random random = new Random(11);
    for (int i = 0; i < 50; i++) {
      byte[] garbage = new byte[1 + random.nextInt(2048)];
      random.nextBytes(garbage);
      garbage[0] = (byte) '~';
      assertThatThrownBy(() -> analyzer.analyze(PATH, new ByteArrayInputStream(garbage), garbage.length))
          .isInstanceOf(AnalysisException.class).hasMessageContaining(PATH);
    }
    byte[] db = Files.readAllBytes(Golden.resource("apk/alpine-3.19/installed"));
    for (int i = 0; i < 300; i++) {
      byte[] mutated = db.clone();
      for (int j = 0; j < 1 + random.nextInt(8); j++) {
        mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
      }
      try {
        analyzer.analyze(PATH, new ByteArrayInputStream(mutated), mutated.length);
      } catch (AnalysisException expected) {
        assertThat(expected).hasMessageContaining(PATH);
      }
    }
  }

  @Test
  void oversizedFileIsRefused() {
    ApkAnalyzer small = new ApkAnalyzer(8);
    assertThatThrownBy(() -> small.analyze(PATH, new ByteArrayInputStream(new byte[9]), 9))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("limit");
  }

  private void assertError(String content, String message) {
    assertThatThrownBy(() -> parse(content))
        .isInstanceOf(AnalysisException.class)
        .hasMessageStartingWith(PATH)
        .hasMessageContaining(message);
  }

  private List<Package> parse(String content) throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    return analyzer.analyze(PATH, new ByteArrayInputStream(bytes), bytes.length).get(0).packages();
  }
}
