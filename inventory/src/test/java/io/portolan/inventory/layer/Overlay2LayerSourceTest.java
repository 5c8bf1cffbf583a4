package io.portolan.inventory.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.function.BiPredicate;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Overlay2LayerSourceTest {
  @TempDir
  Path root;

  /** Lays out one layer as Docker's overlay2 driver stores it; returns its diff directory. */
  Path layer(List<String> diffIds, int index, String cacheId, List<String> tarNames) throws IOException {
    String chain = Overlay2LayerSource.chainIds(diffIds).get(index);
    Path db = Files.createDirectories(root.resolve("image/overlay2/layerdb/sha256").resolve(Tars.hex(chain)));
    Files.writeString(db.resolve("diff"), diffIds.get(index));
    Files.writeString(db.resolve("cache-id"), cacheId);
    Files.write(db.resolve("tar-split.json.gz"), tarSplit(tarNames));
    return Files.createDirectories(root.resolve("overlay2").resolve(cacheId).resolve("diff"));
  }

  /**
   * tar-split as Docker writes it (vbatts/tar-split storage): per tar entry, a type-2 segment with
   * the raw header bytes, then a type-1 file record with the name, size and a CRC64 payload.
   */
  static byte[] tarSplit(List<String> names) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream gz = new GZIPOutputStream(out)) {
      int position = 0;
      for (String name : names) {
        byte[] header = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, header, 0, Math.min(n.length, 100));
        gz.write(("{\"type\":2,\"payload\":\"" + Base64.getEncoder().encodeToString(header) + "\",\"position\":"
            + position++ + "}\n").getBytes(StandardCharsets.UTF_8));
        gz.write(("{\"type\":1,\"name\":\"" + name + "\",\"payload\":null,\"position\":" + position++ + "}\n")
            .getBytes(StandardCharsets.UTF_8));
      }
      gz.write(("{\"type\":2,\"payload\":\"" + Base64.getEncoder().encodeToString(new byte[1024])
          + "\",\"position\":" + position + "}\n").getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  static void mknodWhiteout(Path path) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("mknod", path.toString(), "c", "0", "0").inheritIO().start();
    assertThat(p.waitFor()).as("mknod (the tests run as root)").isZero();
  }

  @Test
  void chainIdsFollowDockersDefinition() {
    String a = Tars.sha256("a".getBytes());
    String b = Tars.sha256("b".getBytes());
    String c = Tars.sha256("c".getBytes());
    List<String> chains = Overlay2LayerSource.chainIds(List.of(a, b, c));
    String ab = Tars.sha256((a + " " + b).getBytes(StandardCharsets.UTF_8));
    assertThat(chains).containsExactly(a, ab, Tars.sha256((ab + " " + c).getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void overlay2LayerGivesTheSameEntriesAndWhiteoutsAsItsTar() throws Exception {
    // The same layer twice: as the tar docker save would produce, and as overlay2 stores it.
    byte[] tar = new Tars().dir("etc").file("etc/.wh.os-release", "").dir("var").dir("var/lib")
        .dir("var/lib/dpkg").file("var/lib/dpkg/.wh..wh..opq", "").file("var/lib/dpkg/status", "Package: b\n")
        .symlink("var/lib/dpkg/link", "/etc/../../../passwd").dir("gone").file("gone/.wh.file", "").bytes();
    List<String> diffIds = List.of(Tars.sha256(tar));
    Path diff = layer(diffIds, 0, "abc123", List.of("etc/", "etc/.wh.os-release", "var/", "var/lib/",
        "var/lib/dpkg/", "var/lib/dpkg/.wh..wh..opq", "var/lib/dpkg/status", "var/lib/dpkg/link", "gone/",
        "gone/.wh.file"));
    Files.createDirectories(diff.resolve("etc"));
    mknodWhiteout(diff.resolve("etc/os-release"));
    Files.createDirectories(diff.resolve("var/lib/dpkg"));
    Files.writeString(diff.resolve("var/lib/dpkg/status"), "Package: b\n");
    Files.createSymbolicLink(diff.resolve("var/lib/dpkg/link"), Path.of("/etc/../../../passwd"));
    Files.createDirectories(diff.resolve("gone"));
    mknodWhiteout(diff.resolve("gone/file"));
    for (Path p : List.of(diff.resolve("etc"), diff.resolve("var"), diff.resolve("var/lib"),
        diff.resolve("var/lib/dpkg"), diff.resolve("gone"))) {
      Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Files.setPosixFilePermissions(diff.resolve("var/lib/dpkg/status"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));

    Recorder fromDisk = new Recorder();
    List<LayerRef> refs;
    try (LayerSource source = new Overlay2LayerSource(root, diffIds)) {
      refs = source.walk(fromDisk);
    }
    Recorder fromTar = new Recorder();
    List<LayerRef> tarRefs = DockerSaveLayerSourceTest.walk(Tars.legacySave(List.of(tar), diffIds), fromTar);

    assertThat(refs).singleElement().satisfies(r -> assertThat(r.error()).isEmpty());
    Recorder.Layer disk = fromDisk.inOrder(refs).get(0);
    Recorder.Layer streamed = fromTar.inOrder(tarRefs).get(0);
    assertThat(disk.end).isEqualTo(new LayerEnd.Complete(diff.toString(), diffIds.get(0)));
    assertThat(disk.entries).isEqualTo(streamed.entries).contains("var/lib/dpkg/link SYMLINK 0 777 passwd");
    assertThat(disk.whiteouts).isEqualTo(streamed.whiteouts).containsExactly("etc/os-release", "gone/file");
    assertThat(disk.opaque).isEqualTo(streamed.opaque).containsExactly("var/lib/dpkg");
    assertThat(disk.contents).isEqualTo(streamed.contents);
  }

  @Test
  void modesDevicesAndFifosMatchTheTar() throws Exception {
    // A set-user-ID binary, a data file, a fifo and a real (non-whiteout) character device.
    byte[] tar = new Tars().dir("bin").file("bin/su", "ELF".getBytes(StandardCharsets.UTF_8), 04755)
        .file("bin/data", "x".getBytes(StandardCharsets.UTF_8), 0640).bytes();
    List<String> diffIds = List.of(Tars.sha256(tar));
    Path diff = layer(diffIds, 0, "modes", List.of("bin/", "bin/su", "bin/data"));
    Files.createDirectories(diff.resolve("bin"));
    Files.setPosixFilePermissions(diff.resolve("bin"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(diff.resolve("bin/su"), "ELF");
    Files.writeString(diff.resolve("bin/data"), "x");
    Files.setPosixFilePermissions(diff.resolve("bin/data"), PosixFilePermissions.fromString("rw-r-----"));
    run("chmod", "4755", diff.resolve("bin/su").toString());
    run("mkfifo", diff.resolve("pipe").toString());
    run("mknod", diff.resolve("null").toString(), "c", "1", "3");

    Recorder fromDisk = new Recorder();
    List<LayerRef> refs;
    try (LayerSource source = new Overlay2LayerSource(root, diffIds)) {
      refs = source.walk(fromDisk);
    }
    Recorder.Layer disk = fromDisk.inOrder(refs).get(0);
    Recorder.Layer streamed = tarLayer(tar, diffIds);
    assertThat(disk.end).isInstanceOf(LayerEnd.Complete.class);
    // Set-ID bits are not part of an entry's mode in either source.
    assertThat(disk.entries).containsAll(streamed.entries)
        .contains("bin/su FILE 3 755 ", "bin/data FILE 1 640 ", "pipe OTHER 0 644 ", "null OTHER 0 644 ");
    assertThat(disk.whiteouts).isEmpty();
  }

  @Test
  void theNativeListingLoadsOnTheLinuxMachinesItServes() {
    // Otherwise every walk here would silently test the java.nio fallback only.
    assertThat(System.getProperty("os.name")).isEqualTo("Linux");
    assertThat(System.getProperty("os.arch")).isIn("amd64", "aarch64");
    assertThat(LinuxDirectories.get()).isPresent();
  }

  @Test
  void nativeAndJavaNioListingsWalkAlikeWhateverTheHandlerIsInterestedIn() throws Exception {
    List<String> diffIds = List.of(Tars.sha256("listing".getBytes()));
    Path diff = layer(diffIds, 0, "listing", List.of());
    // Enough long names in one directory that getdents64 needs several calls for it.
    Path many = Files.createDirectories(diff.resolve("usr/lib/node_modules/many"));
    for (int i = 0; i < 700; i++) {
      Files.writeString(many.resolve("a-rather-long-file-name-so-that-the-listing-spans-buffers-" + i + ".js"), "x" + i);
    }
    Files.writeString(many.resolve("package.json"), "{}");
    Files.createDirectories(diff.resolve("empty"));
    Files.createDirectories(diff.resolve("private"));
    Files.setPosixFilePermissions(diff.resolve("private"), PosixFilePermissions.fromString("rwx------"));
    Files.writeString(diff.resolve("private/café.json"), "{\"é\": 1}");
    Files.writeString(diff.resolve("tool"), "ELF");
    Files.setPosixFilePermissions(diff.resolve("tool"), PosixFilePermissions.fromString("rwxr-x---"));
    Files.createFile(diff.resolve("empty.json"));
    Files.createSymbolicLink(diff.resolve("link.json"), Path.of("usr/lib/node_modules/many/package.json"));
    run("mkfifo", diff.resolve("pipe").toString());
    run("mknod", diff.resolve("null").toString(), "c", "1", "3");
    mknodWhiteout(diff.resolve("removed.json"));
    mknodWhiteout(diff.resolve("usr/lib/removed"));
    // Deeper than the walk keeps directories open: the lowest ones are opened by full path.
    Path deep = Files.createDirectories(diff.resolve("deep" + "/d".repeat(70)));
    Files.writeString(deep.resolve("bottom.json"), "[]");
    String deepJson = "deep" + "/d".repeat(70) + "/bottom.json";
    // A name that is not UTF-8 sends its directory to java.nio, even in a native walk.
    run("bash", "-c", "printf '{}' > \"$(printf '%s/odd/\\377.json' \"$1\")\"", "-",
        Files.createDirectories(diff.resolve("odd")).getParent().toString());

    List<BiPredicate<String, LayerEntry.Type>> interests = List.of((path, type) -> true,
        (path, type) -> path.endsWith(".json") || type == LayerEntry.Type.OTHER,
        (path, type) -> false);
    for (BiPredicate<String, LayerEntry.Type> interest : interests) {
      Recorder.Layer natively = walkListing(diffIds, interest, true);
      Recorder.Layer throughNio = walkListing(diffIds, interest, false);
      assertThat(natively.end).isInstanceOf(LayerEnd.Complete.class);
      assertThat(natively.entries).isEqualTo(throughNio.entries);
      assertThat(natively.contents).isEqualTo(throughNio.contents);
      assertThat(natively.whiteouts).isEqualTo(throughNio.whiteouts).containsExactly("removed.json", "usr/lib/removed");
      assertThat(natively.warnings).isEqualTo(throughNio.warnings).isEmpty();
    }
    Recorder.Layer all = walkListing(diffIds, interests.get(0), true);
    assertThat(all.entries).hasSize(700 + 15 + 72).contains(deepJson + " FILE 2 644 ","private DIRECTORY 0 700 ", "tool FILE 3 750 ",
        "private/café.json FILE 9 644 ", "empty.json FILE 0 644 ", "pipe OTHER 0 644 ", "null OTHER 0 644 ",
        "link.json SYMLINK 0 777 usr/lib/node_modules/many/package.json");
    assertThat(all.contents).containsEntry("odd/\uFFFD.json", "{}").containsEntry("private/café.json", "{\"é\": 1}");
    Recorder.Layer some = walkListing(diffIds, interests.get(1), true);
    assertThat(some.entries).containsExactlyInAnyOrder("usr/lib/node_modules/many/package.json FILE 2 644 ",
        "private/café.json FILE 9 644 ", "empty.json FILE 0 644 ", "odd/\uFFFD.json FILE 2 644 ",
        "link.json SYMLINK 0 777 usr/lib/node_modules/many/package.json", "pipe OTHER 0 644 ", "null OTHER 0 644 ",
        deepJson + " FILE 2 644 ");
    assertThat(walkListing(diffIds, interests.get(2), true).entries).isEmpty();
  }

  private Recorder.Layer walkListing(List<String> diffIds, BiPredicate<String, LayerEntry.Type> interest,
      boolean nativeListing) throws IOException {
    Recorder recorder = new Recorder();
    recorder.interested = interest;
    try (LayerSource source = new Overlay2LayerSource(root, diffIds, 1, nativeListing)) {
      return recorder.inOrder(source.walk(recorder)).get(0);
    }
  }

  private static Recorder.Layer tarLayer(byte[] tar, List<String> diffIds) throws Exception {
    Recorder fromTar = new Recorder();
    List<LayerRef> tarRefs = DockerSaveLayerSourceTest.walk(Tars.legacySave(List.of(tar), diffIds), fromTar);
    return fromTar.inOrder(tarRefs).get(0);
  }

  private static void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    assertThat(p.waitFor()).as(String.join(" ", cmd) + " (the tests run as root)").isZero();
  }

  @Test
  void linksAreNeverFollowedAndLoopsCannotHang() throws IOException {
    List<String> diffIds = List.of(Tars.sha256("l0".getBytes()));
    Path diff = layer(diffIds, 0, "loops", List.of());
    Path secret = Files.writeString(root.resolve("secret"), "do not read");
    Files.createSymbolicLink(diff.resolve("out-file"), secret);
    Files.createSymbolicLink(diff.resolve("out-dir"), root);
    Files.createSymbolicLink(diff.resolve("a"), Path.of("b"));
    Files.createSymbolicLink(diff.resolve("b"), Path.of("a"));
    Files.createSymbolicLink(diff.resolve("self"), Path.of("."));

    Recorder recorder = new Recorder();
    try (LayerSource source = new Overlay2LayerSource(root, diffIds)) {
      source.walk(recorder);
    }
    Recorder.Layer layer = recorder.layers.values().iterator().next();
    assertThat(layer.end).isInstanceOf(LayerEnd.Complete.class);
    assertThat(layer.entries).containsExactlyInAnyOrder("a SYMLINK 0 777 b", "b SYMLINK 0 777 a",
        "self SYMLINK 0 777 ", "out-file SYMLINK 0 777 " + root.resolve("secret").toString().substring(1),
        "out-dir SYMLINK 0 777 " + root.toString().substring(1));
    assertThat(layer.contents).isEmpty();
    assertThat(layer.warnings).isEmpty();
  }

  @Test
  void aBrokenLayerFailsAloneAndSkippedLayersAreNotTouched() throws IOException {
    List<String> diffIds = List.of(Tars.sha256("l0".getBytes()), Tars.sha256("l1".getBytes()),
        Tars.sha256("l2".getBytes()));
    layer(diffIds, 0, "zero", List.of());
    Path one = layer(diffIds, 1, "one", List.of());
    Files.delete(root.resolve("overlay2/one/diff"));
    Files.delete(root.resolve("overlay2/one"));
    Path two = layer(diffIds, 2, "two", List.of());
    Files.writeString(two.resolve("file"), "2");

    for (int parallelism : new int[] {1, 3}) {
      Recorder recorder = new Recorder(s -> !s.diffId().orElseThrow().equals(diffIds.get(0)), p -> true, 100);
      List<LayerRef> refs;
      try (LayerSource source = new Overlay2LayerSource(root, diffIds, parallelism)) {
        refs = source.walk(recorder);
      }
      assertThat(refs).extracting(LayerRef::diffId).containsExactlyElementsOf(diffIds);
      assertThat(refs.get(0).error()).isEmpty();
      assertThat(refs.get(1).error()).get().asString().contains(diffIds.get(1)).contains("overlay2");
      assertThat(refs.get(2).error()).isEmpty();
      assertThat(recorder.layers).hasSize(2);
      assertThat(recorder.inOrder(refs).get(2).contents).containsEntry("file", "2");
      assertThat(recorder.inOrder(refs).get(1).end).isInstanceOf(LayerEnd.Failed.class);
      assertThat(one).doesNotExist();
    }
  }

  @Test
  void eachReadLayerGetsItsOwnTarSplitMarkersWhateverWasSkippedAndHoweverManyAreWalkedAtOnce() throws IOException {
    // A skipped (cached) layer and one without a record must not lend their markers to another layer.
    List<String> diffIds = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) diffIds.add(Tars.sha256(("m" + i).getBytes()));
    for (int i = 0; i < 5; i++) {
      Path diff = layer(diffIds, i, "m" + i, List.of("d" + i + "/", "d" + i + "/.wh..wh..opq"));
      Files.createDirectories(diff.resolve("d" + i));
    }
    Files.delete(root.resolve("image/overlay2/layerdb/sha256").resolve(Tars.hex(Overlay2LayerSource.chainIds(diffIds)
        .get(3))).resolve("tar-split.json.gz"));

    for (int parallelism : new int[] {1, 2, 5}) {
      Recorder recorder = new Recorder(s -> !s.diffId().orElseThrow().equals(diffIds.get(1)), p -> true, 100);
      List<LayerRef> refs;
      try (LayerSource source = new Overlay2LayerSource(root, diffIds, parallelism)) {
        refs = source.walk(recorder);
      }
      List<Recorder.Layer> read = recorder.inOrder(refs);
      assertThat(refs).extracting(LayerRef::diffId).containsExactlyElementsOf(diffIds);
      assertThat(recorder.layers).hasSize(4);
      assertThat(read.get(0).opaque).containsExactly("d0");
      assertThat(read.get(1)).isNull();
      assertThat(read.get(2).opaque).containsExactly("d2");
      assertThat(read.get(3).opaque).isEmpty();
      assertThat(read.get(3).warnings).singleElement().asString().contains("opaque directories");
      assertThat(read.get(4).opaque).containsExactly("d4");
      assertThat(read.get(4).entries).containsExactly("d4 DIRECTORY 0 755 ");
    }
  }

  @Test
  void missingTarSplitIsAWarningNotAFailure() throws IOException {
    List<String> diffIds = List.of(Tars.sha256("l0".getBytes()));
    Path diff = layer(diffIds, 0, "nosplit", List.of());
    Files.delete(root.resolve("image/overlay2/layerdb/sha256").resolve(Tars.hex(diffIds.get(0))).resolve("tar-split.json.gz"));
    Files.writeString(diff.resolve("f"), "x");

    Recorder recorder = new Recorder();
    try (LayerSource source = new Overlay2LayerSource(root, diffIds)) {
      source.walk(recorder);
    }
    Recorder.Layer layer = recorder.layers.values().iterator().next();
    assertThat(layer.end).isInstanceOf(LayerEnd.Complete.class);
    assertThat(layer.warnings).singleElement().asString().contains("opaque directories");
  }

  @Test
  void markersAreFoundInLargeRecordsWhereverTheyFallAndInRawNames() throws IOException {
    // Thousands of entries (about 2 MB inflated, so markers straddle the reader's buffers), markers among them.
    List<String> names = new java.util.ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      names.add("usr/lib/node_modules/pkg" + i + "/index.js");
      if (i % 700 == 0) names.add("usr/lib/node_modules/pkg" + i + "/.wh.old.js");
    }
    names.add("srv/.wh..wh..opq");
    Path file = root.resolve("tar-split.json.gz");
    byte[] record = tarSplit(names);
    // One more entry whose name is not UTF-8, kept base64 in name_raw as tar-split does.
    java.io.ByteArrayOutputStream extra = new java.io.ByteArrayOutputStream();
    try (OutputStream gz = new GZIPOutputStream(extra)) {
      gz.write(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(record)).readAllBytes());
      byte[] raw = "caf\u00e9/.wh.x".getBytes(StandardCharsets.ISO_8859_1);
      gz.write(("{\"type\":1,\"name_raw\":\"" + Base64.getEncoder().encodeToString(raw) + "\",\"position\":9}")
          .getBytes(StandardCharsets.UTF_8));
    }
    Files.write(file, extra.toByteArray());
    List<String> found = Overlay2LayerSource.whiteoutNames(file);
    assertThat(found).containsExactly("usr/lib/node_modules/pkg0/.wh.old.js", "usr/lib/node_modules/pkg700/.wh.old.js",
        "usr/lib/node_modules/pkg1400/.wh.old.js", "usr/lib/node_modules/pkg2100/.wh.old.js",
        "usr/lib/node_modules/pkg2800/.wh.old.js", "srv/.wh..wh..opq", "caf\ufffd/.wh.x");
  }
}
