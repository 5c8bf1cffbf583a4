package io.portolan.inventory.os.dpkg;

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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Golden and corrupt-input tests for {@link DpkgAnalyzer}; fixtures under {@code dpkg/}, see their README. */
class DpkgAnalyzerTest {
  private final DpkgAnalyzer analyzer = new DpkgAnalyzer();

  @Test
  void wantsStatusStatusDirAndFileLists() {
    assertThat(analyzer.wants("var/lib/dpkg/status")).isTrue();
    assertThat(analyzer.wants("var/lib/dpkg/status.d/libc6")).isTrue();
    assertThat(analyzer.wants("var/lib/dpkg/status.d/libc6.md5sums")).isTrue();
    assertThat(analyzer.wants("var/lib/dpkg/info/libc6:amd64.list")).isTrue();
    assertThat(analyzer.wants("var/lib/dpkg/info/bash.list")).isTrue();
    assertThat(analyzer.wants("var/lib/dpkg/info/bash.md5sums")).isFalse();
    assertThat(analyzer.wants("var/lib/dpkg/info/.list")).isFalse();
    assertThat(analyzer.wants("var/lib/dpkg/info/sub/x.list")).isFalse();
    assertThat(analyzer.wants("var/lib/dpkg/status-old")).isFalse();
    assertThat(analyzer.wants("var/lib/dpkg/status.d/")).isFalse();
    assertThat(analyzer.wants("var/lib/dpkg/status.d/sub/x")).isFalse();
    assertThat(analyzer.wants("usr/var/lib/dpkg/status")).isFalse();
  }

  @Test
  void bookwormMinbaseMatchesDpkgQueryAndGolden() throws IOException {
    FileFindings findings = Golden.analyze(analyzer, "var/lib/dpkg/status", Golden.resource("dpkg/bookworm-minbase/status"));
    assertThat(findings.analyzer()).isEqualTo("dpkg");
    assertThat(asDpkgQuery(findings.packages()))
        .containsExactlyInAnyOrderElementsOf(installed(Golden.resource("dpkg/bookworm-minbase/dpkg-query.txt")));
    assertThat(findings.packages()).hasSize(88);
    Golden.assertMatches(Golden.resource("dpkg/bookworm-minbase/expected.json"), findings.packages());
  }

  @Test
  void binNmuAndEpochSourceVersionsComeFromTheParentheses() throws IOException {
    List<Package> packages = Golden.analyze(analyzer, "var/lib/dpkg/status",
        Golden.resource("dpkg/bookworm-minbase/status")).packages();
    Package bash = packages.stream().filter(p -> p.name().equals("bash")).findFirst().orElseThrow();
    assertThat(bash.version()).isEqualTo("5.2.15-2+b13");
    assertThat(bash.sourceName()).isEqualTo("bash");
    assertThat(bash.sourceVersion()).isEqualTo("5.2.15-2");
    assertThat(bash.purl()).isEqualTo("pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64");
    Package libc = packages.stream().filter(p -> p.name().equals("libc6")).findFirst().orElseThrow();
    assertThat(libc.sourceName()).isEqualTo("glibc");
    assertThat(libc.sourceVersion()).isEqualTo(libc.version());
    Package adduser = packages.stream().filter(p -> p.name().equals("adduser")).findFirst().orElseThrow();
    assertThat(adduser.sourceName()).isEqualTo("adduser");
    assertThat(adduser.architecture()).isEqualTo("all");
    assertThat(adduser.properties()).containsKey("installed-size");
  }

  @Test
  void onlyInstalledStatesCount() throws IOException {
    FileFindings findings = Golden.analyze(analyzer, "var/lib/dpkg/status", Golden.resource("dpkg/states/status"));
    assertThat(asDpkgQuery(findings.packages()))
        .containsExactlyInAnyOrderElementsOf(installed(Golden.resource("dpkg/states/dpkg-query.txt")));
    assertThat(findings.packages()).extracting(Package::name)
        .containsExactly("base-files", "bash", "libcap2", "sed")
        .doesNotContain("gzip", "login", "mawk", "libc6", "tzdata");
    assertThat(findings.packages().get(0).properties()).containsEntry("status", "hold ok installed");
    Golden.assertMatches(Golden.resource("dpkg/states/expected.json"), findings.packages());
  }

  @Test
  void distrolessStatusDirectory() throws IOException {
    Path dir = Golden.resource("dpkg/distroless/status.d");
    List<Package> all = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.sorted().toList()) {
        String layerPath = "var/lib/dpkg/status.d/" + file.getFileName();
        assertThat(analyzer.wants(layerPath)).isTrue();
        FileFindings found = Golden.analyze(analyzer, layerPath, file);
        if (layerPath.endsWith(".md5sums")) {
          // The file list of base-files, minus documentation: owned files, no packages.
          assertThat(found.packages()).isEmpty();
          assertThat(found.owned()).singleElement().satisfies(o -> {
            assertThat(o.ownerKey()).isEqualTo("deb/base-files/");
            assertThat(o.paths()).contains("usr/lib/os-release").noneMatch(p -> p.startsWith("usr/share/doc/"));
          });
          continue;
        }
        all.addAll(found.packages());
      }
    }
    assertThat(asDpkgQuery(all))
        .containsExactlyInAnyOrderElementsOf(installed(Golden.resource("dpkg/distroless/dpkg-query.txt")));
    Golden.assertMatches(Golden.resource("dpkg/distroless/expected.json"), all);
  }

  @Test
  void fileListsNameTheirPackageAndKeepOnlyPathsThatCanHoldLanguagePackages() throws IOException {
    String list = "/.\n/usr\n/usr/lib/python3/dist-packages/requests-2.28.1.egg-info\n"
        + "/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO\n/usr/share/doc/python3-requests/copyright\n"
        + "/usr/share/java/log4j-core.jar\n/etc/ssl/openssl.cnf\n";
    FileFindings f = analyzer.analyze("var/lib/dpkg/info/python3-requests.list",
        new ByteArrayInputStream(list.getBytes(StandardCharsets.UTF_8)), list.length()).get(0);
    assertThat(f.packages()).isEmpty();
    assertThat(f.owned()).singleElement().satisfies(o -> {
      assertThat(o.ownerKey()).isEqualTo("deb/python3-requests/");
      assertThat(o.paths()).containsExactly("usr", "usr/lib/python3/dist-packages/requests-2.28.1.egg-info",
          "usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO", "usr/share/java/log4j-core.jar");
    });
    FileFindings multiArch = analyzer.analyze("var/lib/dpkg/info/libc6:amd64.list",
        new ByteArrayInputStream("/usr/lib/x86_64-linux-gnu/libc.so.6\n".getBytes(StandardCharsets.UTF_8)), 36).get(0);
    assertThat(multiArch.owned().get(0).ownerKey()).isEqualTo("deb/libc6/amd64");
    assertThatThrownBy(() -> analyzer.analyze("var/lib/dpkg/status.d/x.md5sums",
        new ByteArrayInputStream("no separator\n".getBytes(StandardCharsets.UTF_8)), 13))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("status.d/x.md5sums: line 1 (offset 0)");
  }

  @Test
  void emptyStatusHasNoPackages() throws IOException {
    assertThat(parse("var/lib/dpkg/status", "")).isEmpty();
    assertThat(parse("var/lib/dpkg/status", "\n\n")).isEmpty();
  }

  @Test
  void sourceWithoutVersionUsesTheBinaryVersion() throws IOException {
    List<Package> p = parse("var/lib/dpkg/status", """
        Package: libfoo1
        Status: install ok installed
        Architecture: arm64
        Source: foo
        Version: 1:2.0-3+b1
        """);
    assertThat(p).singleElement().satisfies(pkg -> {
      assertThat(pkg.sourceName()).isEqualTo("foo");
      assertThat(pkg.sourceVersion()).isEqualTo("1:2.0-3+b1");
      assertThat(pkg.purl()).isEqualTo("pkg:deb/debian/libfoo1@1%3A2.0-3%2Bb1?arch=arm64");
    });
  }

  @Test
  void truncatedMidLineFailsWithOffset() throws IOException {
    byte[] status = Files.readAllBytes(Golden.resource("dpkg/bookworm-minbase/status"));
    // ISO-8859-1 maps bytes to chars one to one, so indexes are byte offsets.
    String text = new String(status, StandardCharsets.ISO_8859_1);
    int cut = text.indexOf("\nVersion:", text.length() / 2) + 5;
    byte[] truncated = java.util.Arrays.copyOf(status, cut);
    assertThatThrownBy(() -> analyzer.analyze("var/lib/dpkg/status", new ByteArrayInputStream(truncated), cut))
        .isInstanceOf(AnalysisException.class)
        .hasMessageContaining("var/lib/dpkg/status")
        .hasMessageContaining("offset " + (cut - 4));
  }

  @Test
  void garbageFailsCleanly() {
    Random random = new Random(42);
    for (int i = 0; i < 50; i++) {
      byte[] garbage = new byte[1 + random.nextInt(4096)];
      random.nextBytes(garbage);
      garbage[0] = (byte) ('\u0080' + random.nextInt(64)); // never a valid field name start
      assertThatThrownBy(() -> analyzer.analyze("var/lib/dpkg/status", new ByteArrayInputStream(garbage), garbage.length))
          .isInstanceOf(AnalysisException.class)
          .hasMessageContaining("var/lib/dpkg/status");
    }
  }

  @Test
  void mutatedStatusNeverCrashes() throws IOException {
    byte[] status = Files.readAllBytes(Golden.resource("dpkg/states/status"));
    Random random = new Random(7);
    for (int i = 0; i < 300; i++) {
      byte[] mutated = status.clone();
      for (int j = 0; j < 1 + random.nextInt(8); j++) {
        mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
      }
      try {
        analyzer.analyze("var/lib/dpkg/status", new ByteArrayInputStream(mutated), mutated.length);
      } catch (AnalysisException expected) {
        assertThat(expected).hasMessageContaining("var/lib/dpkg/status");
      }
    }
  }

  @Test
  void structuralErrorsNameTheLine() {
    assertError(" continuation\nPackage: x\n", "continuation line without a field at line 1 (offset 0)");
    assertError("Package: a\nStatus: install ok installed\nVersion: 1\nPackage: b\n", "duplicate field Package at line 4");
    assertError("Package: a\nStatus: install ok installed\n", "no Version field for installed package a");
    assertError("Package: a\nStatus: installed\nVersion: 1\n", "malformed Status");
    assertError("Package: a\nVersion: 1\n", "no Status field for a");
    assertError("Status: install ok installed\nVersion: 1\n", "has no Package field");
    assertError("Package: a\0\n", "NUL byte at offset 10");
    assertError("Package: a\nthis is not a field\n", "expected 'Field: value' at line 2 (offset 11)");
  }

  @Test
  void statusDirStanzasNeedNoStatusButHonourOne() throws IOException {
    List<Package> p = parse("var/lib/dpkg/status.d/two", """
        Package: a
        Version: 1
        Architecture: amd64

        Package: b
        Status: deinstall ok config-files
        Version: 2
        Architecture: amd64
        """);
    assertThat(p).extracting(Package::name).containsExactly("a");
  }

  @Test
  void oversizedFileIsRefusedBeforeReading() {
    DpkgAnalyzer small = new DpkgAnalyzer(16);
    assertThatThrownBy(() -> small.analyze("var/lib/dpkg/status", new ByteArrayInputStream(new byte[17]), 17))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("limit");
    // A stream longer than its declared size is caught too.
    assertThatThrownBy(() -> small.analyze("var/lib/dpkg/status", new ByteArrayInputStream(new byte[17]), 3))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("offset 16");
  }

  private void assertError(String content, String message) {
    assertThatThrownBy(() -> parse("var/lib/dpkg/status", content))
        .isInstanceOf(AnalysisException.class)
        .hasMessageStartingWith("var/lib/dpkg/status")
        .hasMessageContaining(message);
  }

  private List<Package> parse(String path, String content) throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    return analyzer.analyze(path, new ByteArrayInputStream(bytes), bytes.length).get(0).packages();
  }

  /** The dpkg-query line format the fixture READMEs use: Package|Version|Architecture|source:Package|source:Version|state. */
  private static List<String> asDpkgQuery(List<Package> packages) {
    return packages.stream().map(p -> String.join("|", p.name(), p.version(), p.architecture(), p.sourceName(),
        p.sourceVersion(), "installed")).toList();
  }

  private static List<String> installed(Path dpkgQuery) throws IOException {
    return Golden.lines(dpkgQuery).stream().filter(l -> l.endsWith("|installed")).toList();
  }
}
