package io.portolan.inventory.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SavedImageLayerSourceTest {
  static final byte[] BASE = DockerSaveLayerSourceTest.BASE;
  static final byte[] UPPER = DockerSaveLayerSourceTest.UPPER;
  static final List<String> DIFF_IDS = List.of(Tars.sha256(BASE), Tars.sha256(UPPER));

  @TempDir
  Path dir;

  static List<LayerRef> walk(LayerSource source, Recorder recorder) throws IOException {
    try (source) {
      return source.walk(recorder);
    }
  }

  @Test
  void tarballOnDiskIsReadInImageOrderWithDiffIdsKnownInAdvance() throws IOException {
    Path file = dir.resolve("image.tar");
    Files.write(file, Tars.legacySave(List.of(BASE, UPPER), DIFF_IDS));
    Recorder recorder = new Recorder();
    List<LayerRef> refs = walk(SavedImageLayerSource.tarball(file), recorder);

    assertThat(recorder.starts).extracting(s -> s.diffId().orElseThrow()).containsExactlyElementsOf(DIFF_IDS);
    assertThat(refs).allSatisfy(r -> assertThat(r.error()).isEmpty());
    assertThat(recorder.inOrder(refs).get(1).opaque).containsExactly("var/lib/dpkg");
  }

  @Test
  void ociLayoutDirectoryWithGzipBlobsMatchesTheStream() throws IOException {
    for (Map.Entry<String, byte[]> f : Tars.ociLayout(List.of(Tars.gzip(BASE), UPPER), DIFF_IDS).entrySet()) {
      Files.createDirectories(dir.resolve(f.getKey()).getParent());
      Files.write(dir.resolve(f.getKey()), f.getValue());
    }
    Recorder fromDir = new Recorder();
    List<LayerRef> refs = walk(SavedImageLayerSource.directory(dir), fromDir);
    Recorder fromStream = new Recorder();
    List<LayerRef> streamRefs = DockerSaveLayerSourceTest.walk(Tars.legacySave(List.of(BASE, UPPER), DIFF_IDS), fromStream);

    assertThat(refs).extracting(LayerRef::diffId).containsExactlyElementsOf(DIFF_IDS);
    for (int i = 0; i < 2; i++) {
      Recorder.Layer a = fromDir.inOrder(refs).get(i);
      Recorder.Layer b = fromStream.inOrder(streamRefs).get(i);
      assertThat(a.entries).isEqualTo(b.entries);
      assertThat(a.whiteouts).isEqualTo(b.whiteouts);
      assertThat(a.opaque).isEqualTo(b.opaque);
      assertThat(a.contents).isEqualTo(b.contents);
      assertThat(a.diffId()).isEqualTo(b.diffId());
    }
  }

  @Test
  void cachedLayersAreNeverOpened() throws IOException {
    Path file = dir.resolve("image.tar");
    Files.write(file, Tars.legacySave(List.of(BASE, UPPER), DIFF_IDS));
    Recorder recorder = new Recorder(s -> !s.diffId().equals(Optional.of(DIFF_IDS.get(1))), p -> true, 1 << 20);
    List<LayerRef> refs = walk(SavedImageLayerSource.tarball(file), recorder);

    assertThat(recorder.layers).containsOnlyKeys(refs.get(0).location());
    assertThat(refs).allSatisfy(r -> assertThat(r.error()).isEmpty());
  }

  @Test
  void missingAndMismatchedLayersFailAlone() throws IOException {
    Path file = dir.resolve("image.tar");
    String lie = Tars.sha256(new byte[] {1});
    Files.write(file, Tars.legacySave(List.of(BASE, UPPER), List.of(lie, DIFF_IDS.get(1))));
    Recorder recorder = new Recorder();
    List<LayerRef> refs = walk(SavedImageLayerSource.tarball(file), recorder);

    assertThat(refs.get(0).error()).get().asString().contains("not to its diff ID");
    assertThat(refs.get(1).error()).isEmpty();
  }

  @Test
  void layoutLinksLeavingTheDirectoryAreRefused() throws IOException {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(outside.resolve("index.json"), "{\"manifests\":[]}");
    Path layout = Files.createDirectories(dir.resolve("layout"));
    Files.createSymbolicLink(layout.resolve("index.json"), outside.resolve("index.json"));

    assertThatThrownBy(() -> walk(SavedImageLayerSource.directory(layout), new Recorder()))
        .isInstanceOf(IOException.class).hasMessageContaining("outside");
  }

  @Test
  void garbageFileIsAnImageError() throws IOException {
    Path file = dir.resolve("garbage.tar");
    Files.write(file, "not a tar".repeat(100).getBytes());
    assertThatThrownBy(() -> walk(SavedImageLayerSource.tarball(file), new Recorder()))
        .isInstanceOf(IOException.class);
  }
}
