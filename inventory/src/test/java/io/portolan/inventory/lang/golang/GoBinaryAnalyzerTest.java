package io.portolan.inventory.lang.golang;

import io.portolan.inventory.lang.elf.TestElf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link GoBinaryAnalyzer} on synthetic ELF files ({@link TestElf}) carrying build info laid out
 * as the Go linker writes it, in the Go 1.18+ inline form and the older pointer form. The module
 * info text follows {@code go version -m} output of a real module (github.com/google/ko v0.15.1).
 */
class GoBinaryAnalyzerTest {
  private static final byte[] START = hex("3077af0c9274080241e1c107e6d618e6");
  private static final byte[] END = hex("f932433186182072008242104116d8f2");
  static final String MODINFO = String.join("\n",
      "path\tgithub.com/google/ko",
      "mod\tgithub.com/google/ko\tv0.15.1\th1:Qs7N6J5xT2Wn4bQ4KbYkTBrMtJ3FYN4HQ0GJ2XH0s1Q=",
      "dep\tgithub.com/google/go-containerregistry\tv0.17.0\th1:5p+zYs/R4VGHkhyvgWurWrpJ2hW4Vv9fQI+GzdcwXLk=",
      "dep\tgolang.org/x/net\tv0.17.0",
      "=>\tgolang.org/x/net\tv0.19.0\th1:zTwKpTd2XuCqf8huc7bbRPhuMcVpELEAfHdvhxy5L84=",
      "dep\tgithub.com/example/patched\tv1.0.0\th1:abc=",
      "=>\t../patched\t",
      "dep\tgithub.com/BurntSushi/toml\tv1.3.2\th1:o7IhLm0Msx3BaB+n3Ag7L8EVlByGKpRunt7qvnM2pV8=",
      "build\t-compiler=gc",
      "build\tCGO_ENABLED=0",
      "build\tGOARCH=amd64",
      "build\tGOOS=linux",
      "build\tvcs=git",
      "build\tvcs.revision=4f4e2a9a2d0c5c7f5e7c0a4f4c93a2c1f6a0c8d1",
      "") ;

  private final GoBinaryAnalyzer analyzer = new GoBinaryAnalyzer();

  @Test
  void wantsAnythingThatMayBeAnExecutable() {
    assertThat(analyzer.wants("usr/local/bin/ko")).isTrue();
    assertThat(analyzer.wants("ko-app/ko")).isTrue();
    assertThat(analyzer.wants("app/server")).isTrue();
    assertThat(analyzer.wants("usr/lib/x86_64-linux-gnu/libfoo.so.1")).isTrue();
    assertThat(analyzer.wants("node_modules/@esbuild/linux-x64/bin/esbuild")).isTrue();
    assertThat(analyzer.wants("usr/share/doc/bash/copyright")).isFalse();
    assertThat(analyzer.wants("etc/passwd")).isFalse();
    assertThat(analyzer.wants("app/main.go")).isFalse();
    assertThat(analyzer.wants("app/static/logo.PNG")).isFalse();
    assertThat(analyzer.wants("usr/lib/python3.11/__pycache__/os.cpython-311.pyc")).isFalse();
    assertThat(analyzer.maxFileBytes()).isEqualTo(256L * 1024 * 1024);
  }

  @Test
  void inlineFormatGo118AndLater() throws IOException {
    byte[] elf = TestElf.elf64().section(".text", new byte[64])
        .section(".go.buildinfo", inline("go1.21.5", MODINFO)).build();
    List<Package> packages = analyze("usr/local/bin/ko", elf);
    assertKo(packages);
    assertThat(packages).filteredOn(p -> p.name().equals("stdlib")).singleElement().satisfies(p -> {
      assertThat(p.version()).isEqualTo("v1.21.5");
      assertThat(p.purl()).isEqualTo("pkg:golang/stdlib@v1.21.5");
      assertThat(p.properties()).containsEntry("toolchain", "go1.21.5");
    });
  }

  @Test
  void oldPointerFormat64BitLittleEndian() throws IOException {
    assertKo(analyze("bin/ko", pointerFormat(TestElf.elf64(), "go1.17.13", MODINFO).build()));
  }

  @Test
  void oldPointerFormat32BitBigEndian() throws IOException {
    List<Package> packages = analyze("bin/ko", pointerFormat(TestElf.elf32BigEndian(), "go1.16", MODINFO).build());
    assertKo(packages);
    assertThat(packages).filteredOn(p -> p.name().equals("stdlib")).extracting(Package::version)
        .containsExactly("v1.16.0");
  }

  @Test
  void strippedSectionTableFallsBackToTheWritableSegment() throws IOException {
    byte[] elf = TestElf.elf64().section(".text", new byte[40])
        .section(".data", inline("go1.22.1 X:boringcrypto", MODINFO)).stripSections().build();
    List<Package> packages = analyze("ko", elf);
    assertKo(packages);
    assertThat(packages).filteredOn(p -> p.name().equals("stdlib")).singleElement()
        .satisfies(p -> assertThat(p.properties()).containsEntry("toolchain", "go1.22.1 X:boringcrypto"))
        .extracting(Package::version).isEqualTo("v1.22.1");
  }

  @Test
  void develMainModuleIsKeptButMarkedAndLeftOutOfThePurl() throws IOException {
    String mod = "path\texample.com/cmd/tool\nmod\texample.com\t(devel)\t\ndep\tgolang.org/x/text\tv0.14.0\th1:x=\n";
    List<Package> packages = analyze("tool", TestElf.elf64().section(".go.buildinfo", inline("go1.22rc1", mod)).build());
    assertThat(packages.get(0).name()).isEqualTo("example.com");
    assertThat(packages.get(0).version()).isEqualTo("(devel)");
    assertThat(packages.get(0).purl()).isEqualTo("pkg:golang/example.com");
    assertThat(packages.get(0).properties()).containsEntry("devel", "true").containsEntry("main-module", "true")
        .containsEntry("command", "example.com/cmd/tool");
    assertThat(packages).extracting(Package::purl)
        .containsExactly("pkg:golang/example.com", "pkg:golang/golang.org/x/text@v0.14.0",
            "pkg:golang/stdlib@v1.22.0-rc.1");
  }

  @Test
  void commandLineBuildWithoutModulesReportsOnlyStdlibAndDevelToolchainNothing() throws IOException {
    List<Package> packages = analyze("a.out",
        TestElf.elf64().section(".go.buildinfo", inline("go1.20.14", "path\tcommand-line-arguments\n")).build());
    assertThat(packages).extracting(Package::purl).containsExactly("pkg:golang/stdlib@v1.20.14");
    List<Package> devel = analyze("a.out",
        TestElf.elf64().section(".go.buildinfo", inline("devel go1.23-5e4b9d4 Mon", MODINFO)).build());
    assertThat(devel).extracting(Package::name).doesNotContain("stdlib");
  }

  @Test
  void nonElfInputIsLeftAfterFourBytes() throws IOException {
    AtomicInteger read = new AtomicInteger();
    InputStream in = new InputStream() {
      @Override
      public int read() {
        read.incrementAndGet();
        return '#';
      }

      @Override
      public int read(byte[] b, int off, int len) {
        int n = Math.min(len, 4);
        Arrays.fill(b, off, off + n, (byte) '#');
        read.addAndGet(n);
        return n;
      }
    };
    assertThat(analyzer.analyze("usr/local/bin/script", in, 100L * 1024 * 1024)).isEmpty();
    assertThat(read.get()).isLessThanOrEqualTo(4);
    assertThat(analyzer.analyze("empty", new ByteArrayInputStream(new byte[0]), 0)).isEmpty();
  }

  @Test
  void elfWithoutBuildInfoIsNotAGoBinary() throws IOException {
    assertThat(analyzer.analyze("usr/lib/libc.so.6",
        new ByteArrayInputStream(TestElf.elf64().section(".text", new byte[100]).build()), 0)).isEmpty();
  }

  @Test
  void truncatedElfNamesFileAndOffset() {
    byte[] elf = TestElf.elf64().section(".go.buildinfo", inline("go1.21.5", MODINFO)).build();
    byte[] cut = Arrays.copyOf(elf, elf.length - 100);
    assertThatThrownBy(() -> analyze("usr/bin/cut", cut)).isInstanceOf(AnalysisException.class)
        .hasMessageContaining("usr/bin/cut").hasMessageContaining("offset");
    assertThatThrownBy(() -> analyze("usr/bin/head", Arrays.copyOf(elf, 20))).isInstanceOf(AnalysisException.class)
        .hasMessageContaining("usr/bin/head").hasMessageContaining("offset");
  }

  @Test
  void corruptBuildInfoLengthsNameFileAndOffset() {
    byte[] info = inline("go1.21.5", MODINFO);
    info[32] = (byte) 0xff;
    info[33] = (byte) 0xff;
    info[34] = (byte) 0x7f;
    byte[] elf = TestElf.elf64().section(".go.buildinfo", info).build();
    assertThatThrownBy(() -> analyze("bin/x", elf)).isInstanceOf(AnalysisException.class)
        .hasMessageContaining("bin/x").hasMessageContaining("offset");
    TestElf dangling = TestElf.elf64();
    byte[] header = header(8, 0);
    dangling.put(header, 16, 8, 0x7fff0000L);
    dangling.put(header, 24, 8, 0x7fff0010L);
    assertThatThrownBy(() -> analyze("bin/y", dangling.section(".go.buildinfo", header).build()))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("bin/y").hasMessageContaining("0x7fff0000");
  }

  @Test
  void toolchainVersions() {
    assertThat(GoBinaryAnalyzer.semver("go1.21.5")).contains("v1.21.5");
    assertThat(GoBinaryAnalyzer.semver("go1.20")).contains("v1.20.0");
    assertThat(GoBinaryAnalyzer.semver("go1.21rc2")).contains("v1.21.0-rc.2");
    assertThat(GoBinaryAnalyzer.semver("go1.22.1 X:boringcrypto")).contains("v1.22.1");
    assertThat(GoBinaryAnalyzer.semver("devel go1.23-abc")).isEmpty();
  }

  private static void assertKo(List<Package> packages) {
    assertThat(packages).extracting(Package::name).containsExactly("github.com/google/ko",
        "github.com/google/go-containerregistry", "golang.org/x/net", "github.com/example/patched",
        "github.com/BurntSushi/toml", "stdlib");
    assertThat(packages).allSatisfy(p -> assertThat(p.type()).isEqualTo("golang"));
    Package main = packages.get(0);
    assertThat(main.version()).isEqualTo("v0.15.1");
    assertThat(main.purl()).isEqualTo("pkg:golang/github.com/google/ko@v0.15.1");
    assertThat(main.properties()).containsEntry("main-module", "true")
        .containsEntry("vcs.revision", "4f4e2a9a2d0c5c7f5e7c0a4f4c93a2c1f6a0c8d1").containsEntry("GOOS", "linux");
    Package net = packages.get(2);
    assertThat(net.version()).isEqualTo("v0.19.0");
    assertThat(net.properties()).containsEntry("replaces", "golang.org/x/net@v0.17.0");
    Package patched = packages.get(3);
    assertThat(patched.version()).isEmpty();
    assertThat(patched.properties()).containsEntry("replaced-by-directory", "../patched")
        .containsEntry("replaced-version", "v1.0.0");
    // packageurl-java lower-cases golang namespaces and names, as the purl spec of its release says.
    assertThat(packages.get(4).purl()).isEqualTo("pkg:golang/github.com/burntsushi/toml@v1.3.2");
  }

  private List<Package> analyze(String path, byte[] elf) throws IOException {
    assertThat(analyzer.wants(path)).isTrue();
    List<FileFindings> findings = analyzer.analyze(path, new ByteArrayInputStream(elf), elf.length);
    assertThat(findings).singleElement().satisfies(f -> {
      assertThat(f.path()).isEqualTo(path);
      assertThat(f.analyzer()).isEqualTo("go-binary");
    });
    return findings.get(0).packages();
  }

  /** The Go 1.18+ block: header with flags 2, then uvarint-prefixed version and framed module info. */
  static byte[] inline(String goVersion, String modInfo) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(header(8, 2));
    byte[] v = goVersion.getBytes(StandardCharsets.UTF_8);
    uvarint(out, v.length);
    out.writeBytes(v);
    byte[] m = framed(modInfo);
    uvarint(out, m.length);
    out.writeBytes(m);
    return out.toByteArray();
  }

  /** The pre-1.18 block: pointers to Go string headers in a {@code .rodata} section. */
  static TestElf pointerFormat(TestElf elf, String goVersion, String modInfo) {
    int p = elf.is64() ? 8 : 4;
    byte[] v = goVersion.getBytes(StandardCharsets.UTF_8);
    byte[] m = framed(modInfo);
    elf.section(".text", new byte[48]);
    long rodata = TestElf.BASE + elf.nextSectionOffset();
    byte[] ro = new byte[4 * p + v.length + m.length];
    elf.put(ro, 0, p, rodata + 4L * p);
    elf.put(ro, p, p, v.length);
    elf.put(ro, 2 * p, p, rodata + 4L * p + v.length);
    elf.put(ro, 3 * p, p, m.length);
    System.arraycopy(v, 0, ro, 4 * p, v.length);
    System.arraycopy(m, 0, ro, 4 * p + v.length, m.length);
    elf.section(".rodata", ro);
    byte[] header = header(p, elf.littleEndian() ? 0 : 1);
    elf.put(header, 16, p, rodata);
    elf.put(header, 16 + p, p, rodata + 2L * p);
    return elf.section(".go.buildinfo", header);
  }

  static byte[] header(int ptrSize, int flags) {
    byte[] h = new byte[32];
    System.arraycopy(GoBuildInfo.MAGIC, 0, h, 0, 14);
    h[14] = (byte) ptrSize;
    h[15] = (byte) flags;
    return h;
  }

  private static byte[] framed(String modInfo) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(START);
    out.writeBytes(modInfo.getBytes(StandardCharsets.UTF_8));
    out.writeBytes(END);
    return out.toByteArray();
  }

  private static void uvarint(ByteArrayOutputStream out, long v) {
    while (v >= 0x80) {
      out.write((int) (v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static byte[] hex(String s) {
    byte[] b = new byte[s.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    }
    return b;
  }
}
