package io.portolan.inventory.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every source stops between two entries once asked, ends the layer in progress as failed, and reads no further. */
class CancellationTest {
  @TempDir
  Path root;

  static byte[] manyFiles(int n) {
    Tars t = new Tars().dir("data");
    for (int i = 0; i < n; i++) t.file(String.format("data/f%03d", i), "x".repeat(4096));
    return t.bytes();
  }

  /** True once the recorder saw {@code n} entries in all. */
  static BooleanSupplier after(Recorder recorder, int n) {
    return () -> recorder.layers.values().stream().mapToInt(l -> l.entries.size()).sum() >= n;
  }

  /** Counts the bytes a source pulled from its stream. */
  static final class Counting extends FilterInputStream {
    long read;

    Counting(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) read++;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) read += n;
      return n;
    }
  }

  @Test
  void theSaveStreamStopsInsideALayerAndLeavesTheRestUnread() throws IOException {
    byte[] big = manyFiles(200);
    byte[] save = Tars.legacySave(List.of(big), List.of(Tars.sha256(big)));
    Recorder recorder = new Recorder();
    Counting in = new Counting(new ByteArrayInputStream(save));
    try (LayerSource source = new DockerSaveLayerSource(in)) {
      assertThatThrownBy(() -> source.walk(recorder, after(recorder, 20)))
          .isInstanceOfSatisfying(WalkCancelledException.class, e -> {
            assertThat(e.layer()).endsWith("/layer.tar");
            assertThat(e.entries()).isEqualTo(20);
            assertThat(e.lastEntry()).isEqualTo("data/f018");
          });
    }
    Recorder.Layer layer = recorder.layers.values().iterator().next();
    assertThat(layer.end).isInstanceOfSatisfying(LayerEnd.Failed.class,
        f -> assertThat(f.message()).startsWith("cancelled in layer"));
    assertThat(layer.entries).hasSize(20);
    // 200 files of 4 KiB: stopping after 19 of them leaves most of the stream unread.
    assertThat(in.read).isLessThan(save.length / 2);
  }

  @Test
  void overlay2StopsBetweenFilesOfALayerAndStartsNoOtherLayer() throws IOException {
    List<String> diffIds = List.of(Tars.sha256("a".getBytes()), Tars.sha256("b".getBytes()));
    for (int i = 0; i < diffIds.size(); i++) {
      String chain = Overlay2LayerSource.chainIds(diffIds).get(i);
      Path db = Files.createDirectories(root.resolve("image/overlay2/layerdb/sha256").resolve(Tars.hex(chain)));
      Files.writeString(db.resolve("diff"), diffIds.get(i));
      Files.writeString(db.resolve("cache-id"), "cache" + i);
      Files.write(db.resolve("tar-split.json.gz"), Overlay2LayerSourceTest.tarSplit(List.of()));
      Path diff = Files.createDirectories(root.resolve("overlay2/cache" + i + "/diff/data"));
      for (int f = 0; f < 100; f++) Files.writeString(diff.resolve(String.format("f%03d", f)), "x");
    }
    Recorder recorder = new Recorder();
    try (LayerSource source = new Overlay2LayerSource(root, diffIds)) {
      assertThatThrownBy(() -> source.walk(recorder, after(recorder, 30)))
          .isInstanceOfSatisfying(WalkCancelledException.class, e -> {
            assertThat(e.entries()).isEqualTo(30);
            assertThat(e.lastEntry()).isEqualTo("data/f028");
            assertThat(e.layer()).contains("cache0");
          });
    }
    assertThat(recorder.starts).hasSize(1);
    assertThat(recorder.layers.values().iterator().next().end).isInstanceOf(LayerEnd.Failed.class);
  }

  @Test
  void overlay2WalkingLayersAtOnceStopsThemAllAndEndsEachStartedLayerOnceAfterItsLastEntry() throws IOException {
    List<String> diffIds = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) diffIds.add(Tars.sha256(("p" + i).getBytes()));
    for (int i = 0; i < diffIds.size(); i++) {
      String chain = Overlay2LayerSource.chainIds(diffIds).get(i);
      Path db = Files.createDirectories(root.resolve("image/overlay2/layerdb/sha256").resolve(Tars.hex(chain)));
      Files.writeString(db.resolve("diff"), diffIds.get(i));
      Files.writeString(db.resolve("cache-id"), "par" + i);
      Files.write(db.resolve("tar-split.json.gz"), Overlay2LayerSourceTest.tarSplit(List.of()));
      Path diff = Files.createDirectories(root.resolve("overlay2/par" + i + "/diff/data"));
      for (int f = 0; f < 200; f++) Files.writeString(diff.resolve(String.format("f%03d", f)), "x");
    }
    java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
    java.util.Queue<String> violations = new java.util.concurrent.ConcurrentLinkedQueue<>();
    List<java.util.concurrent.atomic.AtomicInteger> ends = new java.util.concurrent.CopyOnWriteArrayList<>();
    LayerVisitor visitor = start -> {
      java.util.concurrent.atomic.AtomicInteger ended = new java.util.concurrent.atomic.AtomicInteger();
      ends.add(ended);
      return java.util.Optional.of(new LayerHandler() {
        @Override
        public void entry(LayerEntry entry, EntryContent content) {
          if (ended.get() > 0) violations.add("entry " + entry.path() + " after the end of " + start.location());
          seen.incrementAndGet();
        }

        @Override
        public void whiteout(String path) {}

        @Override
        public void opaqueDirectory(String directory) {}

        @Override
        public void warning(String path, String message) {}

        @Override
        public void end(LayerEnd end) {
          if (!(end instanceof LayerEnd.Failed)) violations.add("not failed: " + end);
          ended.incrementAndGet();
        }
      });
    };
    try (LayerSource source = new Overlay2LayerSource(root, diffIds, 2)) {
      assertThatThrownBy(() -> source.walk(visitor, () -> seen.get() >= 50)).isInstanceOf(WalkCancelledException.class);
    }
    assertThat(violations).isEmpty();
    // Layers are offered until the walk is cancelled, which may come before the last is offered.
    assertThat(ends).isNotEmpty().hasSizeLessThanOrEqualTo(4).allSatisfy(e -> assertThat(e.get()).isEqualTo(1));
    assertThat(seen.get()).isLessThan(4 * 201);
  }

  @Test
  void aSavedTarballStopsBetweenLayers() throws IOException {
    byte[] first = new Tars().file("a", "1").bytes();
    byte[] second = new Tars().file("b", "2").bytes();
    Path file = root.resolve("image.tar");
    Files.write(file, Tars.legacySave(List.of(first, second), List.of(Tars.sha256(first), Tars.sha256(second))));
    Recorder recorder = new Recorder();
    try (LayerSource source = SavedImageLayerSource.tarball(file)) {
      assertThatThrownBy(() -> source.walk(recorder, () -> recorder.layers.size() == 1
          && recorder.layers.values().iterator().next().end != null))
          .isInstanceOf(WalkCancelledException.class).hasMessageContaining("between layers");
    }
    assertThat(recorder.layers).hasSize(1);
  }

  @Test
  void withoutCancellationEverythingIsRead() throws IOException {
    byte[] big = manyFiles(30);
    Recorder recorder = new Recorder();
    try (LayerSource source = new DockerSaveLayerSource(new ByteArrayInputStream(
        Tars.legacySave(List.of(big), List.of(Tars.sha256(big)))))) {
      assertThat(source.walk(recorder, () -> false)).singleElement()
          .satisfies(r -> assertThat(r.error()).isEmpty());
    }
    assertThat(recorder.layers.values().iterator().next().entries).hasSize(31);
  }
}
