package io.portolan.inventory.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DockerSaveLayerSourceTest {
  static final byte[] BASE = new Tars().dir("etc").file("etc/os-release", "ID=debian\n")
      .dir("var/lib/dpkg").file("var/lib/dpkg/status", "Package: a\n").file("usr/bin/big", "x".repeat(5000))
      .symlink("etc/alias", "../usr/bin/big").bytes();
  static final byte[] UPPER = new Tars().dir("etc").file("etc/.wh.os-release", "").dir("var/lib/dpkg")
      .file("var/lib/dpkg/.wh..wh..opq", "").file("var/lib/dpkg/status", "Package: b\n")
      .hardlink("usr/bin/again", "usr/bin/big").bytes();

  static List<LayerRef> walk(byte[] save, Recorder recorder) throws IOException {
    try (LayerSource source = new DockerSaveLayerSource(new ByteArrayInputStream(save))) {
      return source.walk(recorder);
    }
  }

  @Test
  void legacyStreamWithManifestLastYieldsLayersWithVerifiedDiffIds() throws IOException {
    List<String> diffIds = List.of(Tars.sha256(BASE), Tars.sha256(UPPER));
    Recorder recorder = new Recorder();
    List<LayerRef> refs = walk(Tars.legacySave(List.of(BASE, UPPER), diffIds), recorder);

    assertThat(refs).extracting(LayerRef::diffId).containsExactlyElementsOf(diffIds);
    assertThat(refs).allSatisfy(r -> assertThat(r.error()).isEmpty());
    // Legacy layer directories carry no diff ID: it is learned at the end of each layer.
    assertThat(recorder.starts).allSatisfy(s -> assertThat(s.diffId()).isEmpty());
    List<Recorder.Layer> layers = recorder.inOrder(refs);
    assertThat(layers.get(0).diffId()).isEqualTo(diffIds.get(0));
    assertThat(layers.get(0).entries).containsExactlyInAnyOrder(
        "etc DIRECTORY 0 755 ", "etc/os-release FILE 10 644 ", "var/lib/dpkg DIRECTORY 0 755 ",
        "var/lib/dpkg/status FILE 11 644 ", "usr/bin/big FILE 5000 644 ", "etc/alias SYMLINK 0 777 usr/bin/big");
    assertThat(layers.get(0).contents).containsEntry("var/lib/dpkg/status", "Package: a\n");
    assertThat(layers.get(1).whiteouts).containsExactly("etc/os-release");
    assertThat(layers.get(1).opaque).containsExactly("var/lib/dpkg");
    assertThat(layers.get(1).entries).contains("usr/bin/again HARDLINK 0 644 usr/bin/big")
        .noneMatch(e -> e.contains(".wh."));
  }

  @Test
  void ociStreamReadsPlainAndGzipBlobsAndVerifiesBoth() throws IOException {
    List<String> diffIds = List.of(Tars.sha256(BASE), Tars.sha256(UPPER));
    Recorder recorder = new Recorder();
    List<LayerRef> refs = walk(Tars.ociSave(List.of(BASE, Tars.gzip(UPPER)), diffIds), recorder);

    assertThat(refs).extracting(LayerRef::diffId).containsExactlyElementsOf(diffIds);
    assertThat(refs).allSatisfy(r -> assertThat(r.error()).isEmpty());
    List<Recorder.Layer> layers = recorder.inOrder(refs);
    assertThat(layers).extracting(Recorder.Layer::diffId).containsExactlyElementsOf(diffIds);
    assertThat(layers.get(1).contents).containsEntry("var/lib/dpkg/status", "Package: b\n");
    // An uncompressed blob is named by its diff ID, so a cached one can be skipped unread.
    assertThat(recorder.starts).filteredOn(s -> s.diffId().isPresent())
        .extracting(s -> s.diffId().get()).contains(diffIds.get(0));
  }

  @Test
  void skippedLayersAreNotParsedAndOthersStillCount() throws IOException {
    List<String> diffIds = List.of(Tars.sha256(BASE), Tars.sha256(UPPER));
    Recorder recorder = new Recorder(s -> !s.diffId().equals(Optional.of(diffIds.get(0))), p -> true, 1 << 20);
    List<LayerRef> refs = walk(Tars.ociSave(List.of(BASE, UPPER), diffIds), recorder);

    assertThat(recorder.layers).hasSize(1);
    assertThat(refs).allSatisfy(r -> assertThat(r.error()).isEmpty());
    assertThat(recorder.layers.get(refs.get(1).location()).diffId()).isEqualTo(diffIds.get(1));
  }

  @Test
  void pathTraversalAndAbsoluteNamesNeverLeaveTheRoot() throws IOException {
    byte[] evil = new Tars().file("../../etc/passwd", "root").file("/abs/file", "a")
        .file("a/../../escape", "e").file("ok/./b/../c", "c").symlink("link", "../../../../etc/shadow")
        .symlink("abs-link", "/etc/../../shadow").hardlink("hard", "../outside").bytes();
    Recorder recorder = new Recorder();
    List<LayerRef> refs = walk(Tars.legacySave(List.of(evil), List.of(Tars.sha256(evil))), recorder);

    Recorder.Layer layer = recorder.inOrder(refs).get(0);
    assertThat(layer.end).isInstanceOf(LayerEnd.Complete.class);
    assertThat(layer.entries).containsExactlyInAnyOrder("abs/file FILE 1 644 ", "ok/c FILE 1 644 ",
        "link SYMLINK 0 777 etc/shadow", "abs-link SYMLINK 0 777 shadow");
    assertThat(layer.warnings).hasSize(3).anyMatch(w -> w.startsWith("../../etc/passwd"))
        .anyMatch(w -> w.startsWith("a/../../escape")).anyMatch(w -> w.startsWith("hard"));
  }

  @Test
  void truncatedGarbageAndCorruptGzipLayersFailAloneNamingTheLayer() throws IOException {
    byte[] truncated = Arrays.copyOf(BASE, 700);
    byte[] garbage = "this is not a tar at all, just some words".repeat(40).getBytes();
    byte[] corruptGzip = Tars.gzip(UPPER);
    corruptGzip[corruptGzip.length / 2] ^= 0x55;
    corruptGzip[corruptGzip.length / 2 + 1] ^= 0x55;
    List<byte[]> layers = List.of(truncated, BASE, garbage, Tars.gzip(UPPER), corruptGzip);
    List<String> diffIds = List.of(Tars.sha256(truncated), Tars.sha256(BASE), Tars.sha256(garbage),
        Tars.sha256(UPPER), Tars.sha256(UPPER));
    Recorder recorder = new Recorder();
    List<LayerRef> refs = walk(Tars.legacySave(layers, diffIds), recorder);

    assertThat(refs).hasSize(5);
    assertThat(refs.get(0).error()).get().asString().contains(refs.get(0).location()).contains("offset");
    assertThat(refs.get(1).error()).isEmpty();
    assertThat(refs.get(2).error()).get().asString().contains(refs.get(2).location());
    assertThat(refs.get(3).error()).isEmpty();
    assertThat(refs.get(4).error()).get().asString().contains(refs.get(4).location());
    assertThat(recorder.inOrder(refs).get(1).contents).containsKey("var/lib/dpkg/status");
    assertThat(recorder.inOrder(refs).get(3).contents).containsKey("var/lib/dpkg/status");
  }

  @Test
  void zeroByteLayerIsAnEmptyLayer() throws IOException {
    byte[] empty = new byte[0];
    Recorder recorder = new Recorder();
    List<LayerRef> refs = walk(Tars.legacySave(List.of(empty, BASE), List.of(Tars.sha256(empty), Tars.sha256(BASE))), recorder);

    assertThat(refs).allSatisfy(r -> assertThat(r.error()).isEmpty());
    assertThat(recorder.inOrder(refs).get(0).entries).isEmpty();
    assertThat(recorder.inOrder(refs).get(0).end).isInstanceOf(LayerEnd.Complete.class);
  }

  static List<LayerRef> walkFromEngine(byte[] save, Recorder recorder) throws IOException {
    try (LayerSource source = DockerSaveLayerSource.fromEngine(new ByteArrayInputStream(save))) {
      return source.walk(recorder);
    }
  }

  @Test
  void engineStreamIsNotHashedItsLayersAreNamedByTheManifest() throws IOException {
    List<String> diffIds = List.of(Tars.sha256(BASE), Tars.sha256(UPPER));
    Recorder verified = new Recorder();
    List<LayerRef> verifiedRefs = walk(Tars.legacySave(List.of(BASE, UPPER), diffIds), verified);
    Recorder trusted = new Recorder();
    List<LayerRef> refs = walkFromEngine(Tars.legacySave(List.of(BASE, UPPER), diffIds), trusted);

    assertThat(refs).isEqualTo(verifiedRefs);
    // Nothing named the legacy layers while they were read, and nothing hashed them.
    assertThat(trusted.inOrder(refs)).allSatisfy(l -> assertThat(l.diffId()).isEmpty());
    for (int i = 0; i < 2; i++) {
      assertThat(trusted.inOrder(refs).get(i).entries).isEqualTo(verified.inOrder(verifiedRefs).get(i).entries);
      assertThat(trusted.inOrder(refs).get(i).contents).isEqualTo(verified.inOrder(verifiedRefs).get(i).contents);
    }
    // An OCI blob's name is its diff ID, so it is named up front, still without hashing.
    Recorder oci = new Recorder();
    List<LayerRef> ociRefs = walkFromEngine(Tars.ociSave(List.of(BASE, Tars.gzip(UPPER)), diffIds), oci);
    assertThat(ociRefs).extracting(LayerRef::diffId).containsExactlyElementsOf(diffIds);
    assertThat(ociRefs).allSatisfy(r -> assertThat(r.error()).isEmpty());
  }

  @Test
  void engineStreamTrustsTheManifestButStillCatchesTruncation() throws IOException {
    String lie = Tars.sha256("something else".getBytes());
    byte[] truncated = Arrays.copyOf(BASE, 700);
    List<LayerRef> refs = walkFromEngine(Tars.legacySave(List.of(BASE, truncated),
        List.of(lie, Tars.sha256(truncated))), new Recorder());

    // The engine vouches for its own diff IDs (as it does for overlay2): not re-checked.
    assertThat(refs.get(0).diffId()).isEqualTo(lie);
    assertThat(refs.get(0).error()).isEmpty();
    assertThat(refs.get(1).error()).get().asString().contains(refs.get(1).location()).contains("offset");
  }

  @Test
  void contentNotMatchingTheConfigIsAnErrorForThatLayer() throws IOException {
    String lie = Tars.sha256("something else".getBytes());
    List<LayerRef> refs = walk(Tars.legacySave(List.of(BASE, UPPER), List.of(lie, Tars.sha256(UPPER))), new Recorder());

    assertThat(refs.get(0).error()).get().asString().contains("hashes to " + Tars.sha256(BASE)).contains(lie);
    assertThat(refs.get(1).error()).isEmpty();
  }

  @Test
  void ociBlobNotMatchingItsDigestFails() throws IOException {
    // Swap the content of the layer blob after the layout was built: its name no longer matches.
    byte[] save = Tars.ociSave(List.of(BASE), List.of(Tars.sha256(BASE)));
    byte[] tampered = new String(save, java.nio.charset.StandardCharsets.ISO_8859_1)
        .replace("Package: a", "Package: z").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    List<LayerRef> refs = walk(tampered, new Recorder());

    assertThat(refs.get(0).error()).get().asString().contains("not to its diff ID");
  }

  @Test
  void oversizedWantedFileIsRefusedWithoutReading() throws IOException {
    Recorder recorder = new Recorder(s -> true, p -> true, 100);
    List<LayerRef> refs = walk(Tars.legacySave(List.of(BASE), List.of(Tars.sha256(BASE))), recorder);

    Recorder.Layer layer = recorder.inOrder(refs).get(0);
    assertThat(layer.contentErrors).containsOnlyKeys("usr/bin/big");
    assertThat(layer.contents).containsKey("etc/os-release");
    assertThat(refs.get(0).error()).isEmpty();
  }

  @Test
  void garbageOrTruncatedOuterStreamIsAnImageError() {
    assertThatThrownBy(() -> walk("garbage".repeat(200).getBytes(), new Recorder()))
        .isInstanceOf(IOException.class);
    byte[] save = Tars.legacySave(List.of(BASE, UPPER), List.of(Tars.sha256(BASE), Tars.sha256(UPPER)));
    Recorder recorder = new Recorder();
    assertThatThrownBy(() -> walk(Arrays.copyOf(save, save.length / 2), recorder))
        .isInstanceOf(IOException.class).hasMessageContaining("docker save");
  }
}
