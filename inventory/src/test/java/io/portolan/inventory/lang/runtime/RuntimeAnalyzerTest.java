package io.portolan.inventory.lang.runtime;

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

/** {@link RuntimeAnalyzer}: JDK release files, Node.js header and binary, CPython headers, Go installs. */
class RuntimeAnalyzerTest {
  private final RuntimeAnalyzer analyzer = new RuntimeAnalyzer();

  @Test
  void wantsOnlyRuntimeMarkers() {
    assertThat(analyzer.wants("opt/java/openjdk/release")).isTrue();
    assertThat(analyzer.wants("usr/local/include/node/node_version.h")).isTrue();
    assertThat(analyzer.wants("usr/local/bin/node")).isTrue();
    assertThat(analyzer.wants("usr/local/include/python3.11/patchlevel.h")).isTrue();
    assertThat(analyzer.wants("usr/local/go/VERSION")).isTrue();
    assertThat(analyzer.wants("etc/release")).isFalse();
    assertThat(analyzer.wants("usr/local/bin/nodemon.js")).isFalse();
    assertThat(analyzer.wants("usr/local/go/src/VERSION.txt")).isFalse();
  }

  @Test
  void temurinReleaseFile() throws IOException {
    Package jdk = one("opt/java/openjdk/release",
        Files.readAllBytes(Path.of("src/test/resources/lang/runtime/temurin-17.0.1-release")));
    assertThat(jdk.purl()).isEqualTo("pkg:generic/openjdk@17.0.1");
    assertThat(jdk.vendor()).isEqualTo("Eclipse Adoptium");
    assertThat(jdk.architecture()).isEqualTo("x86_64");
    assertThat(jdk.properties()).containsEntry("image-type", "JDK").containsEntry("runtime", "java");
    String official = "IMPLEMENTOR=\"N/A\"\nJAVA_VERSION=\"17.0.9\"\nOS_ARCH=\"amd64\"\n";
    assertThat(one("usr/local/openjdk-17/release", official.getBytes(StandardCharsets.UTF_8)).version())
        .isEqualTo("17.0.9");
    assertThat(analyzer.analyze("srv/app/release", new ByteArrayInputStream("v=1\n".getBytes()), 4)).isEmpty();
  }

  @Test
  void nodeFromHeaderAndFromBinary() throws IOException {
    String header = "#ifndef SRC_NODE_VERSION_H_\n#define NODE_MAJOR_VERSION 18\n#define NODE_MINOR_VERSION 19\n"
        + "#define NODE_PATCH_VERSION 0\n";
    assertThat(one("usr/local/include/node/node_version.h", header.getBytes(StandardCharsets.UTF_8)).purl())
        .isEqualTo("pkg:generic/node@18.19.0");
    // The marker straddles the 64 KiB window boundary, which the overlap must catch.
    byte[] binary = new byte[200_000];
    binary[0] = 0x7f;
    byte[] marker = "https://nodejs.org/download/release/v20.11.1/node-v20.11.1-headers.tar.gz"
        .getBytes(StandardCharsets.ISO_8859_1);
    System.arraycopy(marker, 0, binary, 65_536 - 20, marker.length);
    assertThat(one("usr/local/bin/node", binary).version()).isEqualTo("20.11.1");
    assertThat(analyzer.analyze("usr/bin/node", new ByteArrayInputStream(new byte[1000]), 1000)).isEmpty();
  }

  @Test
  void pythonPatchlevelMustMatchItsDirectory() throws IOException {
    String h = "/* Version as a string */\n#define PY_VERSION              \"3.11.4\"\n";
    Package py = one("usr/local/include/python3.11/patchlevel.h", h.getBytes(StandardCharsets.UTF_8));
    assertThat(py.purl()).isEqualTo("pkg:generic/python@3.11.4");
    assertThatThrownBy(() -> one("usr/include/python3.12/patchlevel.h", h.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("python3.12/patchlevel.h")
        .hasMessageContaining("offset");
  }

  @Test
  void goInstallIsTheStandardLibrary() throws IOException {
    Package go = one("usr/local/go/VERSION", "go1.21.5\ntime 2023-11-29T21:21:57Z\n".getBytes(StandardCharsets.UTF_8));
    assertThat(go.type()).isEqualTo("golang");
    assertThat(go.purl()).isEqualTo("pkg:golang/stdlib@v1.21.5");
    assertThat(go.properties()).containsEntry("toolchain", "go1.21.5");
  }

  @Test
  void corruptAndOversizedInput() {
    assertThatThrownBy(() -> one("usr/local/include/node/node_version.h", "#define NODE_MAJOR_VERSION 1\n".getBytes()))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("node_version.h");
    assertThatThrownBy(() -> one("opt/java/openjdk/release", new byte[] {'J', 0}))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("NUL byte at offset 1");
    assertThatThrownBy(() -> new RuntimeAnalyzer(1000).analyze("usr/bin/node",
        new ByteArrayInputStream(new byte[5000]), 5000)).isInstanceOf(AnalysisException.class)
        .hasMessageContaining("usr/bin/node");
  }

  private Package one(String path, byte[] data) throws IOException {
    assertThat(analyzer.wants(path)).isTrue();
    List<FileFindings> findings = analyzer.analyze(path, new ByteArrayInputStream(data), data.length);
    assertThat(findings).singleElement().extracting(FileFindings::analyzer).isEqualTo("runtime");
    assertThat(findings.get(0).packages()).hasSize(1);
    return findings.get(0).packages().get(0);
  }
}
