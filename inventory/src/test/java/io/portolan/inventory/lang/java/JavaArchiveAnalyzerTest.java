package io.portolan.inventory.lang.java;

import static io.portolan.inventory.lang.java.Jars.classFile;
import static io.portolan.inventory.lang.java.Jars.deflated;
import static io.portolan.inventory.lang.java.Jars.manifest;
import static io.portolan.inventory.lang.java.Jars.pom;
import static io.portolan.inventory.lang.java.Jars.sha1;
import static io.portolan.inventory.lang.java.Jars.stored;
import static io.portolan.inventory.lang.java.Jars.zip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link JavaArchiveAnalyzer} on archives built by the tests. */
class JavaArchiveAnalyzerTest {
  private final JavaArchiveAnalyzer analyzer = new JavaArchiveAnalyzer();

  @Test
  void wantsJavaArchivesAnywhere() {
    assertThat(analyzer.name()).isEqualTo("java-archive");
    assertThat(analyzer.version()).isEqualTo(2);
    for (String p : List.of("app.jar", "opt/app/lib/x.JAR", "srv/a.war", "a.ear", "var/jenkins/plugins/git.jpi",
        "h.hpi")) {
      assertThat(analyzer.wants(p)).as(p).isTrue();
    }
    for (String p : List.of("app.jar.sha1", "x.zip", "jar", "lib/x.class")) {
      assertThat(analyzer.wants(p)).as(p).isFalse();
    }
  }

  @Test
  void pomPropertiesJar() throws IOException {
    byte[] jar = zip(manifest("Implementation-Title: other", "Implementation-Version: 9"),
        pom("org.apache.logging.log4j", "log4j-core", "2.14.1"), classFile("org/apache/logging/log4j/core/A.class"));
    FileFindings findings = analyze("opt/app/log4j-core-2.14.1.jar", jar);
    assertThat(findings.path()).isEqualTo("opt/app/log4j-core-2.14.1.jar");
    assertThat(findings.analyzer()).isEqualTo("java-archive");
    Package p = single(findings);
    assertThat(p.type()).isEqualTo("maven");
    assertThat(p.name()).isEqualTo("org.apache.logging.log4j:log4j-core");
    assertThat(p.version()).isEqualTo("2.14.1");
    assertThat(p.purl()).isEqualTo("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
    // Identified by what it says about itself: not hashed (see the analyzer's cost note).
    assertThat(p.properties()).containsEntry("path", "opt/app/log4j-core-2.14.1.jar")
        .doesNotContainKey("sha1").containsEntry("identity", "pom.properties").doesNotContainKey("problem");
  }

  @Test
  void manifestOnlyJar() throws IOException {
    byte[] jar = zip(manifest("Implementation-Title: jackson-databind", "Implementation-Version: 2.13.0",
        "Implementation-Vendor-Id: com.fasterxml.jackson.core", "Implementation-Vendor: FasterXML",
        "Bundle-SymbolicName: com.fasterxml.jackson.core.jackson-databind"), classFile("A.class"));
    Package p = single(analyze("app/lib/databind.jar", jar));
    assertThat(p.name()).isEqualTo("com.fasterxml.jackson.core:jackson-databind");
    assertThat(p.version()).isEqualTo("2.13.0");
    assertThat(p.vendor()).isEqualTo("FasterXML");
    assertThat(p.purl()).isEqualTo("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.0");
    assertThat(p.properties()).containsEntry("identity", "manifest").containsEntry("confidence", "medium")
        .doesNotContainKey("sha1");
  }

  @Test
  void onlyTheManifestsMainSectionIsRead() throws IOException {
    // A signed jar's manifest: the main section, then one section per entry with its digest.
    StringBuilder perEntry = new StringBuilder();
    for (int i = 0; i < 5_000; i++) {
      perEntry.append("Name: org/bouncycastle/C").append(i).append(".class\r\nSHA-256-Digest: ")
          .append("x".repeat(44)).append("\r\n\r\n");
    }
    byte[] jar = zip(deflated("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nImplementation-Title: bcprov\r\n"
        + "Implementation-Version: 1.82\r\nImplementation-Vendor-Id: org.bouncycastle\r\n\r\n" + perEntry));
    Package p = single(analyze("lib/bcprov-jdk18on-1.82.jar", jar));
    assertThat(p.purl()).isEqualTo("pkg:maven/org.bouncycastle/bcprov-jdk18on@1.82");
    assertThat(p.properties()).doesNotContainKey("problem");
  }

  @Test
  void shadedJarReportsEveryPomProperties() throws IOException {
    byte[] jar = zip(pom("com.example", "app", "1.0.0"), pom("com.google.guava", "guava", "31.1-jre"),
        pom("org.apache.commons", "commons-text", "1.9"),
        deflated("META-INF/maven/org.apache.commons/commons-text/copy/pom.properties",
            "groupId=org.apache.commons\nartifactId=commons-text\nversion=1.9\n"),
        classFile("com/example/Main.class"));
    List<Package> packages = analyze("app.jar", jar).packages();
    assertThat(packages).extracting(p -> p.name() + "@" + p.version()).containsExactly(
        "com.example:app@1.0.0", "com.google.guava:guava@31.1-jre", "org.apache.commons:commons-text@1.9");
    assertThat(packages).allSatisfy(p -> assertThat(p.properties()).containsEntry("path", "app.jar"));
  }

  @Test
  void springBootFatJarWithStoredNestedJars() throws IOException {
    byte[] textJar = zip(pom("org.apache.commons", "commons-text", "1.9"), classFile("T.class"));
    byte[] databindJar = zip(manifest("Implementation-Title: jackson-databind", "Implementation-Version: 2.13.0",
        "Implementation-Vendor-Id: com.fasterxml.jackson.core"));
    byte[] loose = zip(classFile("L.class"));
    byte[] fat = zip(manifest("Main-Class: org.springframework.boot.loader.JarLauncher"),
        pom("com.example", "demo", "0.0.1-SNAPSHOT"), classFile("org/springframework/boot/loader/JarLauncher.class"),
        deflated("BOOT-INF/classes/application.properties", "server.port=8080"),
        stored("BOOT-INF/lib/commons-text-1.9.jar", textJar), stored("BOOT-INF/lib/jackson-databind-2.13.0.jar",
            databindJar), stored("BOOT-INF/lib/loose-lib-4.2.jar", loose));
    List<Package> packages = analyze("app/app.jar", fat).packages();
    assertThat(packages).extracting(p -> p.properties().get("path") + " " + p.name() + "@" + p.version())
        .containsExactly(
            "app/app.jar com.example:demo@0.0.1-SNAPSHOT",
            "app/app.jar!/BOOT-INF/lib/commons-text-1.9.jar org.apache.commons:commons-text@1.9",
            "app/app.jar!/BOOT-INF/lib/jackson-databind-2.13.0.jar com.fasterxml.jackson.core:jackson-databind@2.13.0",
            "app/app.jar!/BOOT-INF/lib/loose-lib-4.2.jar loose-lib@4.2");
    assertThat(packages.get(3).properties()).containsEntry("identity", "filename").containsEntry("confidence", "low")
        .doesNotContainKey("sha1");
  }

  @Test
  void warWithDeflatedWebInfLibAndAnEarAroundIt() throws IOException {
    byte[] lib = zip(pom("commons-io", "commons-io", "2.11.0"));
    byte[] war = zip(pom("com.example", "web", "2.0"), deflated("WEB-INF/web.xml", "<web-app/>"),
        deflated("WEB-INF/lib/commons-io-2.11.0.jar", lib));
    byte[] ear = zip(deflated("web.war", war));
    List<Package> packages = analyze("srv/shop.ear", ear).packages();
    assertThat(packages).extracting(p -> p.properties().get("path") + " " + p.name())
        .containsExactly(
            "srv/shop.ear shop.ear",
            "srv/shop.ear!/web.war com.example:web",
            "srv/shop.ear!/web.war!/WEB-INF/lib/commons-io-2.11.0.jar commons-io:commons-io");
    assertThat(packages.get(0).properties()).containsEntry("identity", "unidentified");
  }

  @Test
  void archivesNestedBeyondTheDepthLimitAreReportedNotRead() throws IOException {
    JavaArchiveAnalyzer shallow = new JavaArchiveAnalyzer(Sha1Index.empty(),
        new JavaArchiveAnalyzer.Limits(2, 1 << 20, 1 << 30, 1 << 16));
    byte[] level3 = zip(pom("org.deep", "deep", "3"));
    byte[] level2 = zip(pom("org.deep", "middle", "2"), deflated("lib/deep-3.jar", level3));
    byte[] level1 = zip(pom("org.deep", "outer", "1"), deflated("lib/middle-2.jar", level2));
    byte[] top = zip(pom("org.deep", "top", "0"), deflated("lib/outer-1.jar", level1));
    List<Package> packages = shallow.analyze("top.jar", new ByteArrayInputStream(top), top.length).get(0).packages();
    assertThat(packages).extracting(Package::name, Package::version).containsExactly(
        org.assertj.core.groups.Tuple.tuple("org.deep:top", "0"),
        org.assertj.core.groups.Tuple.tuple("org.deep:outer", "1"),
        org.assertj.core.groups.Tuple.tuple("org.deep:middle", "2"),
        org.assertj.core.groups.Tuple.tuple("deep", "3"));
    Package deep = packages.get(3);
    assertThat(deep.properties()).containsEntry("path", "top.jar!/lib/outer-1.jar!/lib/middle-2.jar!/lib/deep-3.jar")
        .containsEntry("identity", "filename").containsEntry("confidence", "low").doesNotContainKey("sha1");
    assertThat(deep.properties().get("problem")).contains("nested deeper than 2");
  }

  @Test
  void nameOnlyJarIsLowConfidence() throws IOException {
    Package p = single(analyze("opt/lib/netty-common-4.1.100.Final.jar", zip(classFile("N.class"))));
    assertThat(p.name()).isEqualTo("netty-common");
    assertThat(p.version()).isEqualTo("4.1.100.Final");
    // No group, so no purl: packageurl-java requires a maven namespace.
    assertThat(p.purl()).isEmpty();
    assertThat(p.properties()).containsEntry("identity", "filename").containsEntry("confidence", "low");
  }

  @Test
  void unidentifiedJarHasNoVersionAndNoPurl() throws IOException {
    byte[] jar = zip(manifest("Created-By: hand", "Implementation-Vendor: Someone"), classFile("U.class"));
    Package p = single(analyze("opt/app/app.jar", jar));
    assertThat(p.type()).isEqualTo("maven");
    assertThat(p.name()).isEqualTo("app.jar");
    assertThat(p.version()).isEmpty();
    assertThat(p.purl()).isEmpty();
    assertThat(p.properties()).containsEntry("identity", "unidentified").containsEntry("sha1", sha1(jar))
        .containsEntry("path", "opt/app/app.jar").doesNotContainKey("confidence");
  }

  @Test
  void sha1TableIdentifiesTopLevelAndNestedJars() throws IOException {
    byte[] nested = zip(classFile("N.class"));
    byte[] jar = zip(classFile("U.class"), stored("lib/nested.jar", nested));
    Sha1Index index = Sha1Index.read("t", new StringReader(
        sha1(jar) + "\torg.example:thing:1.2.3\n" + sha1(nested) + "\torg.example:inner:4\n"));
    List<Package> packages = new JavaArchiveAnalyzer(index).analyze("app.jar", new ByteArrayInputStream(jar),
        jar.length).get(0).packages();
    assertThat(packages).extracting(p -> p.purl() + " " + p.properties().get("identity")).containsExactly(
        "pkg:maven/org.example/thing@1.2.3 sha1", "pkg:maven/org.example/inner@4 sha1");
    // Without the table the same bytes are unidentified.
    assertThat(analyze("app.jar", jar).packages()).extracting(p -> p.properties().get("identity"))
        .containsExactly("unidentified", "unidentified");
  }

  @Test
  void fullyExecutableJarWithALaunchScript() throws IOException {
    byte[] jar = zip(pom("com.example", "exec", "1.0"));
    byte[] script = "#!/bin/bash\n# Spring Boot launch script\nexec java -jar \"$0\" \"$@\"\n".repeat(50)
        .getBytes(StandardCharsets.UTF_8);
    byte[] executable = new byte[script.length + jar.length];
    System.arraycopy(script, 0, executable, 0, script.length);
    System.arraycopy(jar, 0, executable, script.length, jar.length);
    Package p = single(analyze("app.jar", executable));
    assertThat(p.name()).isEqualTo("com.example:exec");
    // The same with the script's length added to every offset, as Spring Boot's own writer does it.
    byte[] loose = zip(classFile("L.class"));
    byte[] adjusted = withPrefix(script, loose);
    assertThat(single(analyze("opt/tool.jar", adjusted)).properties()).containsEntry("identity", "unidentified")
        .containsEntry("sha1", sha1(adjusted));
  }

  @Test
  void emptyArchiveFallsBackToItsName() throws IOException {
    byte[] empty = {'P', 'K', 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    Package p = single(analyze("lib/empty-1.0.jar", empty));
    assertThat(p.properties()).containsEntry("identity", "filename");
  }

  @Test
  void truncatedArchivesFailNamingTheFile() {
    byte[] jar = zip(pom("com.example", "app", "1.0"), classFile("a/A.class"), classFile("a/B.class"));
    byte[] half = Arrays.copyOf(jar, jar.length / 2);
    assertThatThrownBy(() -> analyze("opt/app.jar", half)).isInstanceOf(AnalysisException.class)
        .hasMessageStartingWith("opt/app.jar: corrupt archive");
    // Cut at the central directory: every entry is whole, only the end record tells.
    int central = indexOf(jar, new byte[] {'P', 'K', 1, 2});
    byte[] noDirectory = Arrays.copyOf(jar, central + 10);
    assertThatThrownBy(() -> analyze("opt/app.jar", noDirectory)).isInstanceOf(AnalysisException.class)
        .hasMessageContaining("opt/app.jar").hasMessageContaining("no end of central directory");
    byte[] text = "just text, not a zip".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> analyze("x.jar", text)).isInstanceOf(AnalysisException.class)
        .hasMessageContaining("x.jar").hasMessageContaining("not a zip archive");
  }

  @Test
  void corruptNestedJarIsRecordedWithoutLosingTheOthers() throws IOException {
    byte[] good = zip(pom("org.good", "good", "1"));
    byte[] bad = zip(pom("org.bad", "bad", "2"), classFile("a/A.class"), classFile("a/B.class"));
    byte[] truncated = Arrays.copyOf(bad, bad.length - 40);
    byte[] outer = zip(pom("org.outer", "outer", "3"), stored("lib/bad-2.jar", truncated),
        deflated("lib/garbage.jar", "not a zip at all"), stored("lib/good-1.jar", good));
    List<Package> packages = analyze("app.jar", outer).packages();
    assertThat(packages).extracting(p -> p.properties().get("path") + " " + p.name() + " "
            + p.properties().get("identity"))
        .containsExactly(
            "app.jar org.outer:outer pom.properties",
            "app.jar!/lib/bad-2.jar bad filename",
            "app.jar!/lib/garbage.jar garbage.jar unidentified",
            "app.jar!/lib/good-1.jar org.good:good pom.properties");
    // A nested archive whose directory cannot be read is known by its name only, and never hashed.
    assertThat(packages.get(1).properties().get("problem")).startsWith("corrupt: truncated");
    assertThat(packages.get(1).properties()).doesNotContainKey("sha1");
    assertThat(packages.get(2).properties().get("problem")).contains("not a zip archive");
    assertThat(packages.get(3).properties()).doesNotContainKey("problem");
  }

  @Test
  void outerArchiveCutInsideANestedJarFailsTheWholeFile() {
    byte[] nested = zip(pom("org.n", "n", "1"), classFile("a/A.class"), classFile("a/B.class"),
        classFile("a/C.class"));
    byte[] outer = zip(pom("org.outer", "outer", "3"), deflated("lib/n-1.jar", nested));
    int nestedStart = indexOf(outer, "lib/n-1.jar".getBytes(StandardCharsets.UTF_8));
    byte[] cut = Arrays.copyOf(outer, nestedStart + 200);
    // The outer archive broke, not the nested jar: no partial result, the file is corrupt.
    assertThatThrownBy(() -> analyze("app.jar", cut)).isInstanceOf(AnalysisException.class)
        .hasMessageStartingWith("app.jar: corrupt archive: truncated: no end of central directory record");
  }

  @Test
  void zipBombNestedEntryIsReportedNotRead() throws IOException {
    JavaArchiveAnalyzer limited = new JavaArchiveAnalyzer(Sha1Index.empty(),
        new JavaArchiveAnalyzer.Limits(4, 1 << 20, 1L << 30, 1 << 16));
    // Over the limit by the directory's word: skipped without inflating a byte.
    byte[] declared = zip(stored("zeros.bin", new byte[2 << 20]));
    byte[] bomb = zip(stored("zeros.bin", new byte[4 << 20]));
    // A directory that lies (says 1000 bytes): stopped once the limit is inflated.
    byte[] liar = zip(stored("zeros.bin", new byte[3 << 20]));
    byte[] outer = zip(pom("org.outer", "outer", "1"), stored("lib/declared.jar", declared),
        deflated("lib/bomb.jar", bomb), deflated("lib/liar.jar", liar), stored("lib/ok-1.jar", zip(pom("org.ok", "ok", "1"))));
    outer = withCentralSize(outer, "lib/liar.jar", 1000);
    assertThat(outer.length).isLessThan(3 << 20);
    List<Package> packages = limited.analyze("app.jar", new ByteArrayInputStream(outer), outer.length).get(0)
        .packages();
    assertThat(packages).extracting(Package::name).containsExactly("org.outer:outer", "bomb.jar", "declared.jar",
        "liar.jar", "org.ok:ok");
    assertThat(packages.get(1).properties().get("problem")).startsWith("not read: 4194");
    assertThat(packages.get(2).properties().get("problem")).startsWith("not read: ");
    assertThat(packages.get(3).properties().get("problem")).contains("inflates to more than its declared 1000 bytes");
  }

  @Test
  void entriesThatDoNotIdentifyAnythingAreNeverInflated() throws IOException {
    // 32 MiB of zeros beside the pom: with a 16 MiB budget the file still reads, since only the pom is inflated.
    JavaArchiveAnalyzer limited = new JavaArchiveAnalyzer(Sha1Index.empty(),
        new JavaArchiveAnalyzer.Limits(4, 1 << 20, 16L << 20, 1 << 16));
    byte[] jar = zip(pom("org.x", "x", "1"), deflated("zeros.bin", new byte[32 << 20]));
    assertThat(single(limited.analyze("big.jar", new ByteArrayInputStream(jar), jar.length).get(0)).name())
        .isEqualTo("org.x:x");
  }

  @Test
  void inflationBudgetStopsATopLevelFileOfManyNestedArchives() {
    JavaArchiveAnalyzer limited = new JavaArchiveAnalyzer(Sha1Index.empty(),
        new JavaArchiveAnalyzer.Limits(4, 16L << 20, 16L << 20, 1 << 16));
    byte[] nested = zip(stored("zeros.bin", new byte[7 << 20]));
    byte[] bomb = zip(pom("org.x", "x", "1"), deflated("lib/a.jar", nested), deflated("lib/b.jar", nested),
        deflated("lib/c.jar", nested));
    assertThatThrownBy(() -> limited.analyze("bomb.jar", new ByteArrayInputStream(bomb), bomb.length))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("bomb.jar")
        .hasMessageContaining("inflates to more than").hasMessageContaining("lib/c.jar");
  }

  @Test
  void archivesOnDiskAreReadInPlaceThroughAChannel() throws IOException {
    byte[] textJar = zip(pom("org.apache.commons", "commons-text", "1.9"), classFile("T.class"));
    byte[] fat = zip(pom("com.example", "demo", "1"), stored("BOOT-INF/lib/commons-text-1.9.jar", textJar),
        deflated("BOOT-INF/lib/unknown.jar", zip(classFile("U.class"))));
    java.nio.file.Path file = java.nio.file.Files.createTempFile("portolan-jar", ".jar");
    try {
      java.nio.file.Files.write(file, fat);
      try (var channel = java.nio.channels.FileChannel.open(file)) {
        assertThat(analyzer.randomAccess()).isTrue();
        List<Package> viaChannel = analyzer.analyze("app.jar", channel, fat.length).get(0).packages();
        assertThat(viaChannel).isEqualTo(analyze("app.jar", fat).packages());
        assertThat(viaChannel).extracting(Package::name).containsExactly("com.example:demo",
            "org.apache.commons:commons-text", "unknown.jar");
      }
    } finally {
      java.nio.file.Files.delete(file);
    }
  }

  @Test
  void zip64ArchivesAreRead() throws IOException {
    // More than 65,535 entries forces the Zip64 end records.
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (var zip = new java.util.zip.ZipOutputStream(out)) {
      zip.setLevel(0);
      for (int i = 0; i < 70_000; i++) {
        zip.putNextEntry(new java.util.zip.ZipEntry("c/" + i));
        zip.closeEntry();
      }
      zip.putNextEntry(new java.util.zip.ZipEntry("META-INF/maven/org.big/big/pom.properties"));
      zip.write("groupId=org.big\nartifactId=big\nversion=7\n".getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
    }
    assertThat(single(analyze("big.jar", out.toByteArray())).purl()).isEqualTo("pkg:maven/org.big/big@7");
  }

  /** The archive with {@code entry}'s uncompressed size in the central directory replaced. */
  private static byte[] withCentralSize(byte[] zip, String entry, int size) {
    byte[] name = entry.getBytes(StandardCharsets.UTF_8);
    byte[] out = zip.clone();
    for (int p = 0; p + 46 < out.length; p++) {
      if (out[p] == 'P' && out[p + 1] == 'K' && out[p + 2] == 1 && out[p + 3] == 2
          && java.util.Arrays.equals(out, p + 46, p + 46 + name.length, name, 0, name.length)) {
        java.nio.ByteBuffer.wrap(out, p + 24, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(size);
        return out;
      }
    }
    throw new AssertionError("no central directory entry " + entry);
  }

  /** {@code zip} behind {@code prefix}, every offset moved by the prefix's length. */
  private static byte[] withPrefix(byte[] prefix, byte[] zip) {
    byte[] out = new byte[prefix.length + zip.length];
    System.arraycopy(prefix, 0, out, 0, prefix.length);
    System.arraycopy(zip, 0, out, prefix.length, zip.length);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int p = prefix.length; p + 46 < out.length; p++) {
      if (b.getInt(p) == 0x02014b50) {
        b.putInt(p + 42, b.getInt(p + 42) + prefix.length);
      }
    }
    int end = out.length - 22;
    b.putInt(end + 16, b.getInt(end + 16) + prefix.length);
    return out;
  }

  private FileFindings analyze(String path, byte[] archive) throws IOException {
    List<FileFindings> findings = analyzer.analyze(path, new ByteArrayInputStream(archive), archive.length);
    assertThat(findings).hasSize(1);
    return findings.get(0);
  }

  private static Package single(FileFindings findings) {
    assertThat(findings.packages()).hasSize(1);
    return findings.packages().get(0);
  }

  private static int indexOf(byte[] data, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= data.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (data[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
