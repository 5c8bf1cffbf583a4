package io.portolan.vuln.advisory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeedSnapshotsTest {
  @TempDir Path tmp;

  private static Map<String, Integer> sizes(FeedSnapshot snapshot) throws IOException {
    Map<String, Integer> seen = new LinkedHashMap<>();
    snapshot.forEachEntry((name, in) -> seen.put(name, in.readAllBytes().length));
    return seen;
  }

  @Test
  void directoryIsWalkedInNameOrderWithRegularFilesOnly() throws IOException {
    Path root = tmp.resolve("feed");
    Files.createDirectories(root.resolve("b/sub"));
    Files.createDirectories(root.resolve(".git"));
    Files.writeString(root.resolve("b/sub/z.json"), "{}");
    Files.writeString(root.resolve("a.json"), "{\"a\":1}");
    Files.writeString(root.resolve(".git/config"), "x");
    Files.writeString(root.resolve(".hidden.json"), "x");
    Path outside = Files.writeString(tmp.resolve("secret.json"), "secret");
    Files.createSymbolicLink(root.resolve("leak.json"), outside);
    Files.createSymbolicLink(root.resolve("c-link.json"), root.resolve("a.json"));
    Files.createSymbolicLink(root.resolve("loop"), root);

    FeedSnapshot snapshot = FeedSnapshots.open(root);

    assertThat(sizes(snapshot)).containsExactly(
        Map.entry("a.json", 7), Map.entry("b/sub/z.json", 2), Map.entry("c-link.json", 7));
    assertThat(snapshot.origin()).isEqualTo(root.toString());
  }

  @Test
  void singleFileIsOneEntryNamedByItsFileName() throws IOException {
    Path file = VulnData.path("osv/ghsa/GHSA-jfh8-c2jp-5v3q.json");
    assertThat(sizes(FeedSnapshots.open(file)))
        .containsExactly(Map.entry("GHSA-jfh8-c2jp-5v3q.json", (int) Files.size(file)));
  }

  @Test
  void zipEntriesAreStreamedInArchiveOrderSkippingDirectories() throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("./b.json", "{}".getBytes(StandardCharsets.UTF_8));
    entries.put("dir/", new byte[0]);
    entries.put("dir/a.yaml", "id: x".getBytes(StandardCharsets.UTF_8));
    Path zip = Files.write(tmp.resolve("all.zip"), VulnData.zip(entries, false));

    assertThat(sizes(FeedSnapshots.open(zip)))
        .containsExactly(Map.entry("b.json", 2), Map.entry("dir/a.yaml", 5));
  }

  @Test
  void zipIsRecognizedByContentWhateverItsName() throws IOException {
    byte[] zip = VulnData.zip(VulnData.flat("osv/ghsa/GHSA-jfh8-c2jp-5v3q.json"), true);
    Path file = Files.write(tmp.resolve("download.bin"), zip);

    assertThat(sizes(FeedSnapshots.open(file))).containsOnlyKeys("GHSA-jfh8-c2jp-5v3q.json");
    assertThat(sizes(FeedSnapshots.ofBytes("upload", zip))).containsOnlyKeys(
        "GHSA-jfh8-c2jp-5v3q.json");
  }

  @Test
  void ofBytesWithoutZipShapeIsOneEntry() throws IOException {
    assertThat(sizes(FeedSnapshots.ofBytes("x.json", "{}".getBytes(StandardCharsets.UTF_8))))
        .containsExactly(Map.entry("x.json", 2));
  }

  @Test
  void entryOverTheLimitIsRefusedByName() throws IOException {
    var limits = new FeedSnapshots.Limits(1024, 1L << 30);
    Path file = VulnData.path("osv/ghsa/GHSA-jfh8-c2jp-5v3q.json");
    assertThatThrownBy(() -> sizes(FeedSnapshots.open(file, limits)))
        .isInstanceOf(FeedFormatException.class)
        .hasMessageContaining("GHSA-jfh8-c2jp-5v3q.json")
        .hasMessageContaining("1024-byte limit");

    // A stored entry declares its size up front; a deflated one is only caught while it inflates.
    for (boolean stored : new boolean[] {true, false}) {
      byte[] zip = VulnData.zip(VulnData.flat("osv/ghsa/GHSA-jfh8-c2jp-5v3q.json"), stored);
      assertThatThrownBy(() -> sizes(FeedSnapshots.ofBytes("all.zip", zip, limits)))
          .isInstanceOf(FeedFormatException.class)
          .hasMessageContaining("GHSA-jfh8-c2jp-5v3q.json")
          .hasMessageContaining("limit");
    }
  }

  @Test
  void oversizedEntryIsRefusedEvenWhenTheVisitorDoesNotReadIt() {
    var limits = new FeedSnapshots.Limits(1024, 1L << 30);
    byte[] zip = VulnData.zip(Map.of("big.bin", new byte[1 << 20]), false);
    assertThatThrownBy(() -> FeedSnapshots.ofBytes("all.zip", zip, limits)
        .forEachEntry((name, in) -> { }))
        .isInstanceOf(FeedFormatException.class)
        .hasMessageContaining("big.bin");
  }

  @Test
  void zipInflatingPastTheTotalLimitIsRefused() {
    var limits = new FeedSnapshots.Limits(1L << 20, 20_000);
    byte[] zip = VulnData.zip(VulnData.flat("osv/ghsa/GHSA-jfh8-c2jp-5v3q.json",
        "osv/ghsa/GHSA-7rjr-3q55-vv33.json", "osv/ghsa/GHSA-599f-7c49-w659.json",
        "osv/ghsa/GHSA-v845-jxx5-vc9f.json"), false);
    List<String> visited = new ArrayList<>();
    assertThatThrownBy(() -> FeedSnapshots.ofBytes("all.zip", zip, limits)
        .forEachEntry((name, in) -> visited.add(name)))
        .isInstanceOf(FeedFormatException.class)
        .hasMessageContaining("total limit")
        .hasMessageContaining("GHSA-599f-7c49-w659.json");
    assertThat(visited).isNotEmpty().hasSizeLessThan(4);
  }

  @Test
  void garbageNamedZipIsAFormatError() {
    byte[] garbage = "this is not a zip".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> FeedSnapshots.ofBytes("all.zip", garbage).forEachEntry((n, in) -> { }))
        .isInstanceOf(FeedFormatException.class)
        .hasMessageContaining("all.zip: not a zip archive");
  }

  @Test
  void zipCutInsideAnEntryDeliversTheEntriesBeforeAndThenFails() {
    byte[] zip = VulnData.zip(VulnData.flat("osv/ghsa/GHSA-jfh8-c2jp-5v3q.json",
        "osv/ghsa/GHSA-7rjr-3q55-vv33.json", "osv/ghsa/GHSA-599f-7c49-w659.json"), false);
    int third = VulnData.localHeaders(zip).get(2);
    byte[] cut = Arrays.copyOf(zip, third + 120);
    List<String> complete = new ArrayList<>();

    assertThatThrownBy(() -> FeedSnapshots.ofBytes("all.zip", cut).forEachEntry((name, in) -> {
      in.readAllBytes();
      complete.add(name);
    })).isInstanceOf(FeedFormatException.class)
        .hasMessageContaining("all.zip")
        .hasMessageContaining("GHSA-599f-7c49-w659.json");
    assertThat(complete).containsExactly("GHSA-jfh8-c2jp-5v3q.json", "GHSA-7rjr-3q55-vv33.json");
  }

  @Test
  void zipCutBetweenEntriesIsStillNoticed() {
    byte[] zip = VulnData.zip(VulnData.flat("osv/ghsa/GHSA-jfh8-c2jp-5v3q.json",
        "osv/ghsa/GHSA-7rjr-3q55-vv33.json"), false);
    byte[] cut = Arrays.copyOf(zip, VulnData.localHeaders(zip).get(1));
    List<String> complete = new ArrayList<>();

    assertThatThrownBy(() -> FeedSnapshots.ofBytes("all.zip", cut)
        .forEachEntry((name, in) -> complete.add(name)))
        .isInstanceOf(FeedFormatException.class)
        .hasMessageContaining("truncated zip")
        .hasMessageContaining("GHSA-jfh8-c2jp-5v3q.json");
    assertThat(complete).containsExactly("GHSA-jfh8-c2jp-5v3q.json");
  }

  @Test
  void aVisitorSwallowingAReadErrorCannotHideIt() {
    byte[] zip = VulnData.zip(VulnData.flat("osv/ghsa/GHSA-jfh8-c2jp-5v3q.json"), false);
    byte[] cut = Arrays.copyOf(zip, 400);
    assertThatThrownBy(() -> FeedSnapshots.ofBytes("all.zip", cut).forEachEntry((name, in) -> {
      try {
        in.readAllBytes();
      } catch (IOException ignored) {
        // The parser under test would report a problem and carry on.
      }
    })).isInstanceOf(FeedFormatException.class).hasMessageContaining("GHSA-jfh8-c2jp-5v3q.json");
  }

  @Test
  void missingPathIsAnError() {
    assertThatThrownBy(() -> FeedSnapshots.open(tmp.resolve("nope")))
        .isInstanceOf(IOException.class);
  }
}
