package io.portolan.inventory.purl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.inventory.analyzer.OsRelease;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The purl building and the image-level {@code distro} qualifier. */
class PurlsTest {
  private static OsRelease os(String id, String versionId, String codename) {
    return new OsRelease(id, id, versionId, codename, id, Optional.empty());
  }

  @Test
  void buildsCanonicalPurlsAndDropsEmptyQualifiers() {
    assertThat(Purls.of("deb", "debian", "bash", "5.2.15-2+b13", Map.of("arch", "amd64")))
        .isEqualTo("pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64");
    assertThat(Purls.of("rpm", "", "foo", "1-2", Map.of("arch", "", "epoch", "3")))
        .isEqualTo("pkg:rpm/foo@1-2?epoch=3");
    assertThatThrownBy(() -> Purls.of("deb", "debian", "", "1", Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void addsDistroPerOsRelease() {
    assertThat(Purls.withDistro("pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64", os("debian", "12", "bookworm")))
        .isEqualTo("pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12");
    assertThat(Purls.withDistro("pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64", os("alpine", "3.19.1", "")))
        .isEqualTo("pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1");
  }

  @Test
  void debAndApkTakeTheNamespaceFromTheOs() {
    assertThat(Purls.withDistro("pkg:deb/debian/bash@5.1-6ubuntu1?arch=amd64", os("ubuntu", "22.04", "jammy")))
        .isEqualTo("pkg:deb/ubuntu/bash@5.1-6ubuntu1?arch=amd64&distro=ubuntu-22.04");
    assertThat(Purls.withDistro("pkg:apk/alpine/glibc@2.39-r0?arch=x86_64", os("wolfi", "20230201", "")))
        .isEqualTo("pkg:apk/wolfi/glibc@2.39-r0?arch=x86_64&distro=wolfi-20230201");
  }

  @Test
  void rpmKeepsItsVendorNamespaceOrTakesTheOsId() {
    assertThat(Purls.withDistro("pkg:rpm/redhat/openssl@3.0.7-27.el9?arch=x86_64&epoch=1", os("rhel", "9.4", "")))
        .isEqualTo("pkg:rpm/redhat/openssl@3.0.7-27.el9?arch=x86_64&distro=rhel-9.4&epoch=1");
    assertThat(Purls.withDistro("pkg:rpm/foo@1-2?arch=noarch", os("rocky", "9.3", "")))
        .isEqualTo("pkg:rpm/rocky/foo@1-2?arch=noarch&distro=rocky-9.3");
  }

  @Test
  void rollingReleasesUseTheCodenameAndOtherTypesAreUntouched() {
    assertThat(Purls.withDistro("pkg:deb/debian/bash@5.2?arch=amd64", os("debian", "", "trixie")))
        .isEqualTo("pkg:deb/debian/bash@5.2?arch=amd64&distro=debian-trixie");
    assertThat(Purls.withDistro("pkg:maven/org.example/lib@1.0", os("debian", "12", "bookworm")))
        .isEqualTo("pkg:maven/org.example/lib@1.0");
    assertThat(Purls.withDistro("pkg:deb/debian/bash@5.2", os("", "", ""))).isEqualTo("pkg:deb/debian/bash@5.2");
  }
}
