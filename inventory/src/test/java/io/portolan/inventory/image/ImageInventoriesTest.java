package io.portolan.inventory.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.OsRelease;
import io.portolan.inventory.analyzer.Package;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ImageInventoriesTest {
  static final String STATUS = "var/lib/dpkg/status";

  static Package deb(String name, String version) {
    return new Package("deb", name, version, "amd64", name, version, "", "", "pkg:deb/debian/" + name, Map.of());
  }

  static FileFindings file(String path, Package... packages) {
    return new FileFindings(path, "dpkg", List.of(packages), Optional.empty());
  }

  static LayerFindings layer(String diffId, List<FileFindings> files, List<String> whiteouts, List<String> opaque) {
    return new LayerFindings(diffId, "dpkg", 1, files, whiteouts, opaque, List.of());
  }

  static LayerFindings layer(String diffId, FileFindings... files) {
    return layer(diffId, List.of(files), List.of(), List.of());
  }

  static List<String> names(List<Package> packages) {
    return packages.stream().map(p -> p.name() + "@" + p.version()).toList();
  }

  @Test
  void packagesAreAttributedToTheLayerThatLastAddedOrChangedThem() {
    ImageInventory inv = ImageInventories.of(List.of(
        layer("L0", file(STATUS, deb("base", "1"), deb("libc", "2.36"))),
        layer("L1", file(STATUS, deb("base", "1"), deb("libc", "2.36"), deb("curl", "7"))),
        layer("L2", file(STATUS, deb("base", "1"), deb("libc", "2.37"), deb("curl", "7")))));

    assertThat(inv.packages()).extracting(p -> p.pkg().name(), p -> p.pkg().version(), ImageInventory.InstalledPackage::diffId)
        .containsExactlyInAnyOrder(tuple("base", "1", "L0"), tuple("libc", "2.37", "L2"), tuple("curl", "7", "L1"));
    assertThat(inv.layers()).extracting(ImageInventory.LayerChanges::diffId).containsExactly("L0", "L1", "L2");
    assertThat(names(inv.layers().get(0).added())).containsExactlyInAnyOrder("base@1", "libc@2.36");
    assertThat(names(inv.layers().get(1).added())).containsExactly("curl@7");
    assertThat(inv.layers().get(1).changed()).isEmpty();
    assertThat(names(inv.layers().get(2).changed())).containsExactly("libc@2.37");
    assertThat(inv.layers().get(2).added()).isEmpty();
    assertThat(inv.layers().get(2).removed()).isEmpty();
  }

  @Test
  void purgeInAnUpperLayerRemovesThePackage() {
    ImageInventory inv = ImageInventories.of(List.of(
        layer("L0", file(STATUS, deb("base", "1"))),
        layer("L1", file(STATUS, deb("base", "1"), deb("vim", "9"), deb("vim-common", "9"))),
        layer("L2", file(STATUS, deb("base", "1")))));

    assertThat(names(inv.packages().stream().map(ImageInventory.InstalledPackage::pkg).toList())).containsExactly("base@1");
    assertThat(names(inv.layers().get(2).removed())).containsExactlyInAnyOrder("vim@9", "vim-common@9");
    assertThat(inv.packages().getFirst().diffId()).isEqualTo("L0");
  }

  @Test
  void fileWhiteoutDeletesThePathAndEverythingUnderIt() {
    ImageInventory inv = ImageInventories.of(List.of(
        layer("L0", file("var/lib/dpkg/status.d/a", deb("a", "1")), file("var/lib/dpkg/status.d/b", deb("b", "1")),
            file("opt/app/pkg.json", deb("app", "1"))),
        layer("L1", List.of(), List.of("var/lib/dpkg/status.d/a", "opt"), List.of())));

    assertThat(inv.packages()).extracting(p -> p.pkg().name()).containsExactly("b");
    assertThat(names(inv.layers().get(1).removed())).containsExactlyInAnyOrder("a@1", "app@1");
  }

  @Test
  void whiteoutsAndOpaqueDirectoriesSpareNeighboursThatOnlyShareTheirPrefix() {
    // '-', '.' and '0'..'9' sort around '/': "opt/a-b" lies between "opt/a" and "opt/a/x".
    ImageInventory inv = ImageInventories.of(List.of(
        layer("L0", file("opt/a", deb("a", "1")), file("opt/a/x", deb("ax", "1")), file("opt/a/y/z", deb("ayz", "1")),
            file("opt/a-b", deb("a-b", "1")), file("opt/a.c", deb("a.c", "1")), file("opt/a0", deb("a0", "1")),
            file("opt/ab", deb("ab", "1")), file("opt/d", deb("d", "1")), file("opt/d/e", deb("de", "1")),
            file("opt/d-e/f", deb("d-e-f", "1")), file("opt/d0", deb("d0", "1"))),
        layer("L1", List.of(), List.of("opt/a"), List.of("opt/d"))));

    assertThat(inv.packages()).extracting(p -> p.pkg().name())
        .containsExactlyInAnyOrder("a-b", "a.c", "a0", "ab", "d", "d-e-f", "d0");
    assertThat(names(inv.layers().get(1).removed())).containsExactlyInAnyOrder("a@1", "ax@1", "ayz@1", "de@1");
  }

  @Test
  void aWhiteoutOfTheRootRemovesEverythingAndAnOpaqueRootKeepsNothingBelowIt() {
    ImageInventory whiteout = ImageInventories.of(List.of(
        layer("L0", file("opt/a", deb("a", "1")), file(STATUS, deb("b", "1"))),
        layer("L1", List.of(), List.of(""), List.of())));
    ImageInventory opaque = ImageInventories.of(List.of(
        layer("L0", file("opt/a", deb("a", "1")), file(STATUS, deb("b", "1"))),
        layer("L1", List.of(file("opt/c", deb("c", "1"))), List.of(), List.of(""))));

    assertThat(whiteout.packages()).isEmpty();
    assertThat(opaque.packages()).extracting(p -> p.pkg().name()).containsExactly("c");
  }

  @Test
  void opaqueDirectoryHidesLowerPathsButKeepsItsOwnNewFiles() {
    ImageInventory inv = ImageInventories.of(List.of(
        layer("L0", file("var/lib/dpkg/status.d/a", deb("a", "1")), file("var/lib/dpkg/status.d/b", deb("b", "1")),
            file("var/lib/dpkgx/keep", deb("x", "1"))),
        layer("L1", List.of(file("var/lib/dpkg/status.d/c", deb("c", "1"))), List.of(), List.of("var/lib/dpkg/status.d"))));

    assertThat(inv.packages()).extracting(p -> p.pkg().name(), ImageInventory.InstalledPackage::diffId)
        .containsExactlyInAnyOrder(tuple("c", "L1"), tuple("x", "L0"));
    assertThat(names(inv.layers().get(1).removed())).containsExactlyInAnyOrder("a@1", "b@1");
    assertThat(names(inv.layers().get(1).added())).containsExactly("c@1");
  }

  @Test
  void rewrittenEmptyDatabaseHidesTheLowerOne() {
    ImageInventory inv = ImageInventories.of(List.of(
        layer("L0", file(STATUS, deb("a", "1"))),
        layer("L1", file(STATUS))));

    assertThat(inv.packages()).isEmpty();
    assertThat(names(inv.layers().get(1).removed())).containsExactly("a@1");
  }

  @Test
  void aPackageRemovedThenReAddedBelongsToTheLayerThatReAddedIt() {
    ImageInventory inv = ImageInventories.of(List.of(
        layer("L0", file(STATUS, deb("a", "1"))),
        layer("L1", List.of(), List.of(STATUS), List.of()),
        layer("L2", file(STATUS, deb("a", "1")))));

    assertThat(inv.packages()).singleElement().extracting(ImageInventory.InstalledPackage::diffId).isEqualTo("L2");
    assertThat(names(inv.layers().get(1).removed())).containsExactly("a@1");
    assertThat(names(inv.layers().get(2).added())).containsExactly("a@1");
  }

  @Test
  void sameKeyTwiceInOneDatabaseIsTrackedByVersion() {
    Package k1 = new Package("rpm", "kernel", "5.14-1", "x86_64", "", "", "", "", "", Map.of());
    Package k2 = new Package("rpm", "kernel", "5.14-2", "x86_64", "", "", "", "", "", Map.of());
    Package k3 = new Package("rpm", "kernel", "5.14-3", "x86_64", "", "", "", "", "", Map.of());
    ImageInventory inv = ImageInventories.of(List.of(
        layer("L0", file("var/lib/rpm/rpmdb.sqlite", k1)),
        layer("L1", file("var/lib/rpm/rpmdb.sqlite", k1, k2)),
        layer("L2", file("var/lib/rpm/rpmdb.sqlite", k2, k3))));

    assertThat(inv.packages()).extracting(p -> p.pkg().version(), ImageInventory.InstalledPackage::diffId)
        .containsExactly(tuple("5.14-2", "L1"), tuple("5.14-3", "L2"));
    assertThat(names(inv.layers().get(1).added())).containsExactly("kernel@5.14-2");
    assertThat(names(inv.layers().get(2).changed())).containsExactly("kernel@5.14-3");
  }

  @Test
  void repeatedDiffIdsAndFindingsInAnyOrderAreStackedByTheGivenOrder() {
    LayerFindings empty = layer("E");
    ImageInventory inv = ImageInventories.of(List.of("L0", "E", "L1", "E"),
        List.of(layer("L1", file(STATUS, deb("a", "2"))), empty, layer("L0", file(STATUS, deb("a", "1")))));

    assertThat(inv.layers()).extracting(ImageInventory.LayerChanges::diffId).containsExactly("L0", "E", "L1", "E");
    assertThat(inv.packages()).singleElement().satisfies(p -> {
      assertThat(p.pkg().version()).isEqualTo("2");
      assertThat(p.diffId()).isEqualTo("L1");
    });
  }

  static FileFindings os(String path, String id, String version) {
    return new FileFindings(path, "os-release", List.of(),
        Optional.of(new OsRelease(id, id, version, "", id + " " + version, Optional.empty())));
  }

  static LayerFindings osLayer(String diffId, List<FileFindings> files, List<String> whiteouts) {
    return new LayerFindings(diffId, "os-release", 1, files, whiteouts, List.of(), List.of());
  }

  @Test
  void osComesFromTheMostTrustedSurvivingFile() {
    ImageInventory inv = ImageInventories.of(List.of(
        osLayer("L0", List.of(os("usr/lib/os-release", "debian", "11"), os("etc/debian_version", "debian", "11.9")), List.of()),
        osLayer("L1", List.of(os("etc/alpine-release", "alpine", "3.19.1")), List.of())));
    assertThat(inv.os()).get().extracting(OsRelease::versionId).isEqualTo("11");

    ImageInventory whitedOut = ImageInventories.of(List.of(
        osLayer("L0", List.of(os("etc/os-release", "debian", "11"), os("etc/alpine-release", "alpine", "3.19.1")), List.of()),
        osLayer("L1", List.of(), List.of("etc/os-release"))));
    assertThat(whitedOut.os()).get().extracting(OsRelease::id).isEqualTo("alpine");
  }

  @Test
  void distrolessIsDebianFromStatusDAndBaseFiles() {
    ImageInventory inv = ImageInventories.of(List.of(
        layer("L0", file("var/lib/dpkg/status.d/base", deb("base-files", "12.4+deb12u5")),
            file("var/lib/dpkg/status.d/tzdata", deb("tzdata", "2024a")))));

    assertThat(inv.os()).get().satisfies(os -> {
      assertThat(os.id()).isEqualTo("debian");
      assertThat(os.versionId()).isEqualTo("12");
      assertThat(os.codename()).isEqualTo("bookworm");
      assertThat(os.endOfLife()).contains(LocalDate.of(2028, 6, 30));
    });
    assertThat(ImageInventories.of(List.of(layer("L0", file(STATUS, deb("a", "1"))))).os()).isEmpty();
  }

  @Test
  void errorsOfEveryLayerAreKept() {
    LayerFindings broken = new LayerFindings("L0", "dpkg", 1, List.of(), List.of(), List.of(),
        List.of(new LayerFindings.LayerError(STATUS, "corrupt at offset 12")));
    assertThat(ImageInventories.of(List.of(broken)).errors()).extracting(LayerFindings.LayerError::message)
        .containsExactly("corrupt at offset 12");
  }

  static Package lang(String type, String name, String version, Map<String, String> properties) {
    return new Package(type, name, version, "", "", "", "", "", "pkg:" + type + "/" + name + "@" + version, properties);
  }

  static LayerFindings mixed(String diffId, FileFindings... files) {
    return new LayerFindings(diffId, "mixed", 1, List.of(files), List.of(), List.of(), List.of());
  }

  static FileFindings langFile(String analyzer, String path, Package... packages) {
    return new FileFindings(path, analyzer, List.of(packages), Optional.empty());
  }

  static FileFindings list(String owner, String... paths) {
    return new FileFindings("var/lib/dpkg/info/" + owner + ".list", "dpkg", List.of(), Optional.empty(),
        List.of(new io.portolan.inventory.analyzer.OwnedFiles("deb", owner, "", List.of(paths))));
  }

  @Test
  void aLanguagePackageInAFileAnOsPackageInstalledIsThatOsPackageOnce() {
    String metadata = "usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO";
    Package requests = lang("pypi", "requests", "2.28.1", Map.of());
    Package flask = lang("pypi", "flask", "3.0.0", Map.of());
    ImageInventory inv = ImageInventories.of(List.of(
        mixed("L0", file(STATUS, deb("base", "1"))),
        mixed("L1", file(STATUS, deb("base", "1"), deb("python3-requests", "2.28.1+dfsg-1")),
            list("python3-requests", "usr/lib/python3/dist-packages/requests-2.28.1.egg-info", metadata),
            langFile("python", metadata, requests)),
        // pip installs flask beside it: nobody owns that one.
        mixed("L2", langFile("python", "usr/local/lib/python3.11/site-packages/flask-3.0.0.dist-info/METADATA",
            flask))));

    assertThat(inv.packages()).extracting(p -> p.pkg().type() + ":" + p.pkg().name(), ImageInventory.InstalledPackage::diffId)
        .containsExactlyInAnyOrder(tuple("deb:base", "L0"), tuple("deb:python3-requests", "L1"),
            tuple("pypi:flask", "L2"));
    ImageInventory.InstalledPackage deb = inv.packages().stream()
        .filter(p -> p.pkg().name().equals("python3-requests")).findFirst().orElseThrow();
    assertThat(deb.linked()).extracting(Package::purl).containsExactly("pkg:pypi/requests@2.28.1");
    // Counted once in the layer that brought it, too.
    assertThat(names(inv.layers().get(1).added())).containsExactly("python3-requests@2.28.1+dfsg-1");
    assertThat(names(inv.layers().get(2).added())).containsExactly("flask@3.0.0");
  }

  @Test
  void aPurgedOsPackageOwnsNothingAndItsLeftoversCountOnTheirOwn() {
    String jar = "usr/share/java/log4j-core.jar";
    ImageInventory inv = ImageInventories.of(List.of(
        mixed("L0", file(STATUS, deb("liblog4j2-java", "2.19.0-2")), list("liblog4j2-java", jar),
            langFile("java-archive", jar, lang("maven", "org.apache.logging.log4j:log4j-core", "2.19.0", Map.of()))),
        // The package is gone from the database but its file list and jar stay (a broken removal).
        mixed("L1", file(STATUS))));

    assertThat(inv.packages()).extracting(p -> p.pkg().name(), ImageInventory.InstalledPackage::diffId)
        .containsExactly(tuple("org.apache.logging.log4j:log4j-core", "L0"));
    assertThat(names(inv.layers().get(1).removed())).containsExactly("liblog4j2-java@2.19.0-2");
    assertThat(names(inv.layers().get(1).added())).containsExactly("org.apache.logging.log4j:log4j-core@2.19.0");
  }

  @Test
  void lockFilesGiveWayToWhatIsInstalled() {
    Map<String, String> lock = Map.of("source", "lockfile");
    ImageInventory inv = ImageInventories.of(List.of(
        mixed("L0",
            // An npm project with node_modules (in the next layer) and one without.
            langFile("npm", "app/package-lock.json", lang("npm", "lodash", "4.17.20", lock),
                lang("npm", "left-pad", "1.3.0", lock)),
            langFile("npm", "tool/package-lock.json", lang("npm", "chalk", "5.3.0", lock)),
            // Composer: installed.json beside the lock wins.
            langFile("composer", "web/composer.lock", lang("composer", "monolog/monolog", "3.5.0", lock)),
            langFile("composer", "web/vendor/composer/installed.json", lang("composer", "monolog/monolog", "3.5.0",
                Map.of())),
            // Python: a pin gives way to an installed distribution of the same (normalized) name.
            langFile("python", "srv/requirements.txt", lang("pypi", "Flask_Cors", "4.0.0", lock),
                lang("pypi", "gunicorn", "21.2.0", lock)),
            langFile("python", "usr/lib/python3/site-packages/flask_cors-4.0.0.dist-info/METADATA",
                lang("pypi", "flask-cors", "4.0.0", Map.of()))),
        mixed("L1", langFile("npm", "app/node_modules/lodash/package.json", lang("npm", "lodash", "4.17.21",
            Map.of())))));

    assertThat(inv.packages()).extracting(p -> p.pkg().name() + "@" + p.pkg().version() + " " + p.path())
        .containsExactlyInAnyOrder(
            "lodash@4.17.21 app/node_modules/lodash/package.json",
            "chalk@5.3.0 tool/package-lock.json",
            "monolog/monolog@3.5.0 web/vendor/composer/installed.json",
            "gunicorn@21.2.0 srv/requirements.txt",
            "flask-cors@4.0.0 usr/lib/python3/site-packages/flask_cors-4.0.0.dist-info/METADATA");
    // node_modules arriving makes the lock file's entries give way: they leave, the installed tree comes.
    assertThat(names(inv.layers().get(1).added())).containsExactly("lodash@4.17.21");
    assertThat(names(inv.layers().get(1).removed())).containsExactlyInAnyOrder("lodash@4.17.20", "left-pad@1.3.0");
  }
}
