package io.portolan.collector.match;

import static org.assertj.core.api.Assertions.assertThat;

import io.portolan.collector.store.VulnerabilityStore.PackageKey;
import io.portolan.vuln.match.InstalledPackage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MatchServiceTest {

  @ParameterizedTest
  @CsvSource({
      "debian-12, debian:12",
      "debian-trixie, debian:13",
      "alpine-3.19.1, alpine:3.19",
      "ubuntu-22.04, ubuntu:22.04",
      "rhel-9.3, rhel:9",
  })
  void storedDistrosMapToMatchingNamespaces(String distro, String namespace) {
    assertThat(MatchService.namespace(distro)).contains(namespace);
  }

  @Test
  void languagePackagesAreNamedTheWayOsvNamesThem() {
    assertThat(installed("maven", "log4j-core", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"))
        .isEqualTo(new InstalledPackage("maven", "", "org.apache.logging.log4j:log4j-core", "2.14.1", "", ""));
    assertThat(installed("npm", "core", "pkg:npm/%40babel/core@7.0.0").name()).isEqualTo("@babel/core");
    assertThat(installed("golang", "net", "pkg:golang/golang.org/x/net@v0.1.0").name()).isEqualTo("golang.org/x/net");
    assertThat(installed("pypi", "Flask_Cors", "pkg:pypi/Flask_Cors@3.0.0").name()).isEqualTo("flask-cors");
    // A purl that does not parse still matches by the stored name.
    assertThat(installed("npm", "lodash", "not a purl").name()).isEqualTo("lodash");
  }

  @Test
  void distroPackagesKeepTheirSourceIdentity() {
    InstalledPackage p = MatchService.installed(new PackageKey(1, "deb", "libssl3", "3.0.11-1~deb12u2", "openssl",
        "3.0.11-1~deb12u2", "debian-12", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12"));
    assertThat(p.namespace()).isEqualTo("debian:12");
    assertThat(p.sourceOrName()).isEqualTo("openssl");
  }

  private static InstalledPackage installed(String type, String name, String purl) {
    return MatchService.installed(new PackageKey(1, type, name, purl.replaceAll(".*@", ""), "", "", "", purl));
  }
}
