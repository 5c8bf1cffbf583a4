package io.portolan.inventory.lang.java;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.jar.Attributes;
import org.junit.jupiter.api.Test;

/** The manifest, pom.properties and file-name rules on their own. */
class ArchiveIdentityTest {

  @Test
  void fileNameSplitsAtTheVersion() {
    assertThat(ArchiveIdentity.fromFileName("a/b/jackson-databind-2.13.0.jar"))
        .contains(new Gav("", "jackson-databind", "2.13.0"));
    assertThat(ArchiveIdentity.fromFileName("guava-31.1-jre.jar")).contains(new Gav("", "guava", "31.1-jre"));
    assertThat(ArchiveIdentity.fromFileName("log4j-1.2-api-2.17.1.jar"))
        .contains(new Gav("", "log4j-1.2-api", "2.17.1"));
    assertThat(ArchiveIdentity.fromFileName("spring-core-5.3.20.RELEASE.jar"))
        .contains(new Gav("", "spring-core", "5.3.20.RELEASE"));
    assertThat(ArchiveIdentity.fromFileName("foo-1.0-20240101.120000-3.war"))
        .contains(new Gav("", "foo", "1.0-20240101.120000-3"));
    assertThat(ArchiveIdentity.fromFileName("app!/BOOT-INF/lib/x-2.JAR")).contains(new Gav("", "x", "2"));
    assertThat(ArchiveIdentity.fromFileName("app.jar")).isEmpty();
    assertThat(ArchiveIdentity.fromFileName("my-app.jar")).isEmpty();
    assertThat(ArchiveIdentity.fromFileName("1.0.jar")).isEmpty();
    assertThat(ArchiveIdentity.fromFileName("-1.0.jar")).isEmpty();
  }

  @Test
  void pomPropertiesFallsBackToTheEntryPathButNeedsAVersion() throws IOException {
    assertThat(ArchiveIdentity.fromPomProperties("META-INF/maven/org.x/y/pom.properties", bytes("version=1.0\n")))
        .contains(new Gav("org.x", "y", "1.0"));
    assertThat(ArchiveIdentity.fromPomProperties("META-INF/maven/org.x/y/pom.properties", bytes("groupId=org.x\n")))
        .isEmpty();
    assertThat(ArchiveIdentity.fromPomProperties("META-INF/maven/org.x/y/pom.properties",
        bytes("groupId=org.x\nartifactId=y\nversion=${project.version}\n"))).isEmpty();
  }

  @Test
  void jacksonStyleManifest() {
    Attributes a = attributes("Implementation-Title", "jackson-databind", "Implementation-Version", "2.13.0",
        "Implementation-Vendor-Id", "com.fasterxml.jackson.core", "Implementation-Vendor", "FasterXML",
        "Bundle-SymbolicName", "com.fasterxml.jackson.core.jackson-databind", "Bundle-Version", "2.13.0");
    assertThat(ArchiveIdentity.fromManifest(a, "renamed.jar")).contains(new Gav("com.fasterxml.jackson.core",
        "jackson-databind", "2.13.0"));
  }

  @Test
  void log4jStyleManifestTakesTheArtifactFromAFileNameWithTheSameVersion() {
    Attributes a = attributes("Implementation-Title", "Apache Log4j Core", "Implementation-Version", "2.14.1",
        "Implementation-Vendor-Id", "org.apache.logging.log4j", "Bundle-SymbolicName", "org.apache.logging.log4j.core");
    assertThat(ArchiveIdentity.fromManifest(a, "lib/log4j-core-2.14.1.jar"))
        .contains(new Gav("org.apache.logging.log4j", "log4j-core", "2.14.1"));
    // A file name with another version is not trusted, and "core" is no artifactId.
    assertThat(ArchiveIdentity.fromManifest(a, "lib/log4j-core-9.jar")).isEmpty();
  }

  @Test
  void symbolicNamesGiveAGroupOnlyBeforeAHyphenatedArtifact() {
    // jna's real coordinates are net.java.dev.jna:jna; "com.sun" would be a wrong group.
    Attributes jna = attributes("Bundle-SymbolicName", "com.sun.jna", "Bundle-Version", "5.13.0",
        "Implementation-Title", "jna");
    assertThat(ArchiveIdentity.fromManifest(jna, "jna-5.13.0.jar")).contains(new Gav("", "jna", "5.13.0"));
    Attributes bundle = attributes("Bundle-SymbolicName", "org.example.widgets.core;singleton:=true",
        "Bundle-Version", "3.2.1.v20240101");
    assertThat(ArchiveIdentity.fromManifest(bundle, "x.jar")).isEmpty();
    Attributes text = attributes("Automatic-Module-Name", "org.apache.commons.commons-text",
        "Implementation-Version", "1.9", "Implementation-Title", "Apache Commons Text");
    assertThat(ArchiveIdentity.fromManifest(text, "commons-text-1.9.jar"))
        .contains(new Gav("org.apache.commons", "commons-text", "1.9"));
    Attributes osgi = attributes("Bundle-SymbolicName", "com.example.lib-core", "Bundle-Version", "2.0",
        "Implementation-Title", "lib-core");
    assertThat(ArchiveIdentity.fromManifest(osgi, "whatever.jar")).contains(new Gav("com.example", "lib-core", "2.0"));
  }

  @Test
  void freeTextVendorIsNeverAGroupAndSpecificationVersionIsNeverAVersion() {
    Attributes noGroup = attributes("Implementation-Title", "tool", "Implementation-Version", "1.0",
        "Implementation-Vendor", "The Apache Software Foundation");
    assertThat(ArchiveIdentity.fromManifest(noGroup, "x.jar")).contains(new Gav("", "tool", "1.0"));
    Attributes specOnly = attributes("Specification-Title", "api", "Specification-Version", "2.0",
        "Implementation-Title", "api");
    assertThat(ArchiveIdentity.fromManifest(specOnly, "x.jar")).isEmpty();
    Attributes placeholder = attributes("Implementation-Title", "tool", "Implementation-Version", "${version}");
    assertThat(ArchiveIdentity.fromManifest(placeholder, "x.jar")).isEmpty();
    Attributes noName = attributes("Implementation-Version", "1.0", "Implementation-Title", "Some Tool");
    assertThat(ArchiveIdentity.fromManifest(noName, "x.jar")).isEmpty();
  }

  private static Attributes attributes(String... pairs) {
    Attributes a = new Attributes();
    for (int i = 0; i < pairs.length; i += 2) {
      a.putValue(pairs[i], pairs[i + 1]);
    }
    return a;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
