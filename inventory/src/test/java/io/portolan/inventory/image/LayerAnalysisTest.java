package io.portolan.inventory.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.layer.DockerSaveLayerSource;
import io.portolan.inventory.layer.SavedImageLayerSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerAnalysisTest {
  @TempDir
  Path dir;

  /** Reports one package per line of every wanted file; "boom" makes it fail. */
  static final class LineAnalyzer implements Analyzer {
    final String name;
    final String wanted;
    final long max;
    final List<String> seen = new ArrayList<>();

    LineAnalyzer(String name, String wanted, long max) {
      this.name = name;
      this.wanted = wanted;
      this.max = max;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public int version() {
      return 1;
    }

    @Override
    public boolean wants(String path) {
      return path.startsWith(wanted);
    }

    @Override
    public long maxFileBytes() {
      return max;
    }

    @Override
    public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
      seen.add(path);
      String text = new String(content.readAllBytes(), StandardCharsets.UTF_8);
      if (text.contains("boom")) {
        throw new AnalysisException(path + ": boom at offset 0");
      }
      if (text.contains("crash")) {
        throw new IllegalStateException("parser bug");
      }
      List<Package> packages = text.lines().filter(l -> !l.isBlank()).map(l -> pkg(l, "1")).toList();
      return packages.isEmpty() ? List.of() : List.of(new FileFindings(path, name, packages, Optional.empty()));
    }
  }

  static Package pkg(String name, String version) {
    return new Package("deb", name, version, "amd64", name, version, "", "", "pkg:deb/" + name + "@" + version, Map.of());
  }

  static byte[] tar(Map<String, String> files) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      for (Map.Entry<String, String> f : files.entrySet()) {
        byte[] data = f.getValue().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(f.getKey());
        e.setSize(data.length);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
      }
    }
    return out.toByteArray();
  }

  static String sha(byte[] data) throws Exception {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  static byte[] save(List<byte[]> layers, List<String> diffIds) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      List<String> paths = new ArrayList<>();
      for (int i = 0; i < layers.size(); i++) {
        put(tar, "l" + i + "/layer.tar", layers.get(i));
        paths.add("\"l" + i + "/layer.tar\"");
      }
      put(tar, "config.json", ("{\"rootfs\":{\"diff_ids\":[" + String.join(",", diffIds.stream()
          .map(d -> "\"" + d + "\"").toList()) + "]}}").getBytes(StandardCharsets.UTF_8));
      put(tar, "manifest.json", ("[{\"Config\":\"config.json\",\"Layers\":[" + String.join(",", paths) + "]}]")
          .getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  static void put(TarArchiveOutputStream tar, String name, byte[] data) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(data.length);
    tar.putArchiveEntry(e);
    tar.write(data);
    tar.closeArchiveEntry();
  }

  @Test
  void oneWalkFeedsEveryAnalyzerThatWantsAFileAndKeepsEmptyFindings() throws Exception {
    byte[] l0 = tar(Map.of("db/status", "a\nb\n", "db/empty", "", "other/x", "zzz"));
    LineAnalyzer first = new LineAnalyzer("first", "db/", 1024);
    LineAnalyzer second = new LineAnalyzer("second", "db/status", 1024);
    LayerAnalysis.Result result = new LayerAnalysis(List.of(first, second), FindingsCache.NONE)
        .run(new DockerSaveLayerSource(new ByteArrayInputStream(save(List.of(l0), List.of(sha(l0))))));

    assertThat(result.imageError()).isEmpty();
    assertThat(result.failures()).isEmpty();
    assertThat(result.diffIds()).containsExactly(sha(l0));
    assertThat(result.findings()).hasSize(2);
    LayerFindings f = result.findings().stream().filter(x -> x.analyzer().equals("first")).findFirst().orElseThrow();
    assertThat(f.files()).extracting(FileFindings::path).containsExactlyInAnyOrder("db/status", "db/empty");
    assertThat(f.files()).filteredOn(x -> x.path().equals("db/empty")).singleElement()
        .satisfies(x -> assertThat(x.packages()).isEmpty());
    LayerFindings s = result.findings().stream().filter(x -> x.analyzer().equals("second")).findFirst().orElseThrow();
    assertThat(s.files()).singleElement().satisfies(x -> assertThat(x.packages()).extracting(Package::name)
        .containsExactly("a", "b"));
  }

  @Test
  void aHardlinkAtAWantedPathIsReadWithItsTargetsContent() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      put(tar, "db/status", "a\nb\n".getBytes(StandardCharsets.UTF_8));
      put(tar, "other/x", "c\n".getBytes(StandardCharsets.UTF_8));
      for (String[] link : new String[][] {{"db/copy", "db/status"}, {"db/other", "other/x"}}) {
        TarArchiveEntry e = new TarArchiveEntry(link[0], TarConstants.LF_LINK);
        e.setLinkName(link[1]);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
      }
    }
    byte[] l0 = out.toByteArray();
    LineAnalyzer a = new LineAnalyzer("a", "db/", 1024);
    LayerAnalysis.Result result = new LayerAnalysis(List.of(a), FindingsCache.NONE)
        .run(new DockerSaveLayerSource(new ByteArrayInputStream(save(List.of(l0), List.of(sha(l0))))));

    LayerFindings f = result.findings().get(0);
    assertThat(f.files()).filteredOn(x -> x.path().equals("db/copy")).singleElement()
        .satisfies(x -> assertThat(x.packages()).extracting(Package::name).containsExactly("a", "b"));
    // other/x passed unread, so its link cannot be read: an error that says so, not a silent gap.
    assertThat(f.files()).filteredOn(x -> x.path().equals("db/other")).singleElement()
        .satisfies(x -> assertThat(x.packages()).isEmpty());
    assertThat(f.errors()).singleElement().satisfies(e -> {
      assertThat(e.path()).isEqualTo("db/other");
      assertThat(e.message()).contains("hardlink to other/x", "a did not read");
    });
  }

  @Test
  void engineStreamLayersNamedOnlyByTheManifestGetTheirFindings() throws Exception {
    byte[] l0 = tar(Map.of("db/status", "a\nb\n"));
    byte[] l1 = tar(Map.of("db/status", "c\n"));
    byte[] save = save(List.of(l0, l1), List.of(sha(l0), sha(l1)));
    LineAnalyzer a = new LineAnalyzer("a", "db/", 1024);
    LayerAnalysis.Result verified = new LayerAnalysis(List.of(a), FindingsCache.NONE)
        .run(new DockerSaveLayerSource(new ByteArrayInputStream(save)));
    LayerAnalysis.Result trusted = new LayerAnalysis(List.of(a), FindingsCache.NONE)
        .run(DockerSaveLayerSource.fromEngine(new ByteArrayInputStream(save)));

    assertThat(trusted).isEqualTo(verified);
    assertThat(trusted.findings()).extracting(LayerFindings::diffId).containsExactly(sha(l0), sha(l1));
  }

  @Test
  void analyzerFailuresAndOversizedFilesBecomeFileErrors() throws Exception {
    byte[] l0 = tar(Map.of("db/bad", "boom", "db/crash", "crash", "db/good", "ok", "db/huge", "x".repeat(200)));
    LineAnalyzer a = new LineAnalyzer("a", "db/", 100);
    LayerAnalysis.Result result = new LayerAnalysis(List.of(a), FindingsCache.NONE)
        .run(new DockerSaveLayerSource(new ByteArrayInputStream(save(List.of(l0), List.of(sha(l0))))));

    LayerFindings f = result.findings().getFirst();
    assertThat(f.files()).extracting(FileFindings::path).containsExactly("db/good");
    assertThat(f.errors()).extracting(LayerFindings.LayerError::path)
        .containsExactlyInAnyOrder("db/bad", "db/crash", "db/huge");
    assertThat(a.seen).doesNotContain("db/huge");
    assertThat(result.failures()).isEmpty();
  }

  @Test
  void cachedAnalyzersAreNotRunAndFullyCachedLayersAreNotRead() throws Exception {
    byte[] l0 = tar(Map.of("db/status", "a\n"));
    byte[] l1 = tar(Map.of("db/status", "b\n"));
    Path file = dir.resolve("image.tar");
    Files.write(file, save(List.of(l0, l1), List.of(sha(l0), sha(l1))));
    LineAnalyzer a = new LineAnalyzer("a", "db/", 100);
    LineAnalyzer b = new LineAnalyzer("b", "db/", 100);
    Set<String> cached = Set.of(sha(l0) + "|a", sha(l0) + "|b", sha(l1) + "|a");
    LayerAnalysis.Result result = new LayerAnalysis(List.of(a, b), (d, n, v) -> v == 1 && cached.contains(d + "|" + n))
        .run(SavedImageLayerSource.tarball(file));

    assertThat(result.findings()).extracting(LayerFindings::diffId, LayerFindings::analyzer)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(sha(l1), "b"));
    assertThat(a.seen).isEmpty();
    assertThat(b.seen).containsExactly("db/status");
  }

  @Test
  void aBrokenLayerIsReportedAndTheOthersStillCount() throws Exception {
    byte[] l0 = tar(Map.of("db/status", "a\n"));
    byte[] l1 = Arrays.copyOf(tar(Map.of("db/status", "b\n", "db/more", "c\n".repeat(400))), 1100);
    byte[] l2 = tar(Map.of("db/status", "d\n"));
    LineAnalyzer a = new LineAnalyzer("a", "db/", 10_000);
    LayerAnalysis.Result result = new LayerAnalysis(List.of(a), FindingsCache.NONE).run(new DockerSaveLayerSource(
        new ByteArrayInputStream(save(List.of(l0, l1, l2), List.of(sha(l0), sha(l1), sha(l2))))));

    assertThat(result.failures()).singleElement().satisfies(f -> {
      assertThat(f.diffId()).isEqualTo(sha(l1));
      assertThat(f.message()).contains("l1/layer.tar");
    });
    assertThat(result.findings()).extracting(LayerFindings::diffId).containsExactly(sha(l0), sha(l1), sha(l2));
    assertThat(result.findings().get(1).errors()).isNotEmpty();
    assertThat(result.findings().get(2).files()).singleElement()
        .satisfies(x -> assertThat(x.packages()).extracting(Package::name).containsExactly("d"));
  }

  @Test
  void anUnreadableImageIsAnImageErrorNotAnException() {
    LayerAnalysis.Result result = new LayerAnalysis(List.of(new LineAnalyzer("a", "db/", 10)), FindingsCache.NONE)
        .run(new DockerSaveLayerSource(new ByteArrayInputStream("garbage".repeat(300).getBytes())));
    assertThat(result.imageError()).isPresent();
    assertThat(result.diffIds()).isEmpty();
  }

  @Test
  void aCancelledRunStopsBetweenFilesKeepsOnlyWholeLayersAndReportsProgress() throws Exception {
    byte[] l0 = tar(Map.of("db/status", "a\n"));
    Map<String, String> many = new java.util.TreeMap<>();
    for (int i = 0; i < 50; i++) many.put("db/f" + String.format("%02d", i), "p" + i + "\n");
    byte[] l1 = tar(many);
    byte[] l2 = tar(Map.of("db/status", "z\n"));
    LineAnalyzer a = new LineAnalyzer("a", "db/", 10_000);
    List<Integer> progress = new ArrayList<>();
    LayerAnalysis.Result result = new LayerAnalysis(List.of(a), FindingsCache.NONE).run(new DockerSaveLayerSource(
        new ByteArrayInputStream(save(List.of(l0, l1, l2), List.of(sha(l0), sha(l1), sha(l2))))),
        () -> a.seen.size() >= 11, progress::add);

    assertThat(result.cancelled()).hasValueSatisfying(where -> assertThat(where)
        .contains("l1/layer.tar").contains("after 10 entries").contains("db/f09"));
    // The first file of the second layer plus nine more were read, then nothing: not the end of the layer.
    assertThat(a.seen).hasSize(11).doesNotContain("db/f10", "db/f49");
    assertThat(result.findings()).extracting(LayerFindings::diffId).containsExactly(sha(l0));
    assertThat(progress).containsExactly(1, 2);
  }

  /** Reports which way it got each executable: as a stream, or as a channel (with its size). */
  static final class ExecAnalyzer implements Analyzer {
    @Override
    public String name() {
      return "exec";
    }

    @Override
    public int version() {
      return 1;
    }

    @Override
    public boolean wants(String path) {
      return path.startsWith("bin/");
    }

    @Override
    public boolean wants(String path, int mode) {
      return wants(path) && (mode & 0111) != 0;
    }

    @Override
    public boolean narrowsByMode() {
      return true;
    }

    @Override
    public boolean randomAccess() {
      return true;
    }

    @Override
    public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
      return List.of(new FileFindings(path, "exec", List.of(pkg("stream-" + content.readAllBytes().length, "1")),
          Optional.empty()));
    }

    @Override
    public List<FileFindings> analyze(String path, java.nio.channels.SeekableByteChannel content, long size)
        throws IOException {
      content.position(size - 1);
      java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
      content.read(last);
      return List.of(new FileFindings(path, "exec", List.of(pkg("channel-" + size + "-" + (char) last.get(0), "1")),
          Optional.empty()));
    }
  }

  static byte[] tarWithModes(Map<String, Integer> modes, Map<String, String> contents, Map<String, String> hardlinks)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      for (Map.Entry<String, String> f : contents.entrySet()) {
        byte[] data = f.getValue().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(f.getKey());
        e.setMode(modes.getOrDefault(f.getKey(), 0644));
        e.setSize(data.length);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
      }
      for (Map.Entry<String, String> l : hardlinks.entrySet()) {
        TarArchiveEntry e = new TarArchiveEntry(l.getKey(), org.apache.commons.compress.archivers.tar.TarConstants.LF_LINK);
        e.setLinkName(l.getValue());
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
      }
    }
    return out.toByteArray();
  }

  @Test
  void executablesAreWantedByTheirModeAndStreamsReachRandomAccessAnalyzersAsStreams() throws Exception {
    Map<String, String> contents = new java.util.LinkedHashMap<>();
    contents.put("bin/tool", "ELF-ish");
    contents.put("bin/readme", "text");
    byte[] l0 = tarWithModes(Map.of("bin/tool", 0755), contents, Map.of("bin/tool-link", "bin/tool"));
    ExecAnalyzer exec = new ExecAnalyzer();
    LayerAnalysis.Result result = new LayerAnalysis(List.of(exec), FindingsCache.NONE)
        .run(new DockerSaveLayerSource(new ByteArrayInputStream(save(List.of(l0), List.of(sha(l0))))));

    // The non-executable file is never offered, only marked as holding nothing; the hard link gets
    // its target's findings.
    assertThat(result.findings().getFirst().files())
        .extracting(FileFindings::path, f -> f.packages().stream().map(Package::name).toList())
        .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("bin/tool", List.of("stream-7")),
            org.assertj.core.groups.Tuple.tuple("bin/tool-link", List.of("stream-7")),
            org.assertj.core.groups.Tuple.tuple("bin/readme", List.of()));
  }

  @Test
  void anExecutableWhoseExecuteBitsALaterLayerRemovedNoLongerCounts() throws Exception {
    // chmod -x in a later layer copies the file up unchanged but for its mode; so does replacing
    // the binary with data. Neither is read again, and neither may keep the binary's findings.
    byte[] l0 = tarWithModes(Map.of("bin/tool", 0755, "bin/other", 0755, "bin/kept", 0755),
        Map.of("bin/tool", "ELF-ish", "bin/other", "ELF-too", "bin/kept", "ELF-kept"), Map.of());
    byte[] l1 = tarWithModes(Map.of("bin/tool", 0644, "bin/other", 0600),
        Map.of("bin/tool", "ELF-ish", "bin/other", "now a text file"), Map.of());
    ExecAnalyzer exec = new ExecAnalyzer();
    LayerAnalysis.Result result = new LayerAnalysis(List.of(exec), FindingsCache.NONE)
        .run(new DockerSaveLayerSource(new ByteArrayInputStream(save(List.of(l0, l1), List.of(sha(l0), sha(l1))))));
    assertThat(result.failures()).isEmpty();

    ImageInventory inv = ImageInventories.of(result.diffIds(), result.findings());
    assertThat(inv.packages()).extracting(p -> p.location() + " " + p.pkg().name())
        .containsExactly("bin/kept stream-8");
    assertThat(inv.layers().get(1).removed()).extracting(Package::name).containsExactlyInAnyOrder("stream-7", "stream-7");
  }

  @Test
  void sharedFilesOfAStreamEachReachEveryAnalyzerWholeThroughTheReusedBuffer() throws Exception {
    // Largest first, then smaller and larger ones, in two layers: each file must be read as itself,
    // never with the tail of a larger one read before it into the same buffer.
    Map<String, String> files = new java.util.TreeMap<>(Map.of("db/a", "a1\na2\na3\na4\na5\na6\n", "db/b", "b1\n",
        "db/c", "c1\nc2\n", "db/d", ""));
    byte[] l0 = tar(files);
    byte[] l1 = tar(Map.of("db/e", "e1\ne2\ne3\ne4\ne5\ne6\ne7\ne8\n", "db/f", "f1\n"));
    LineAnalyzer first = new LineAnalyzer("first", "db/", 1024);
    LineAnalyzer second = new LineAnalyzer("second", "db/", 1024);
    LayerAnalysis.Result result = new LayerAnalysis(List.of(first, second), FindingsCache.NONE, 1024)
        .run(new DockerSaveLayerSource(new ByteArrayInputStream(save(List.of(l0, l1), List.of(sha(l0), sha(l1))))));

    assertThat(result.failures()).isEmpty();
    assertThat(result.findings()).hasSize(4).allSatisfy(f -> assertThat(f.errors()).isEmpty());
    for (String analyzer : List.of("first", "second")) {
      assertThat(result.findings().stream().filter(f -> f.analyzer().equals(analyzer))
          .flatMap(f -> f.files().stream()).flatMap(f -> f.packages().stream()).map(Package::name).sorted())
          .as(analyzer).containsExactly("a1", "a2", "a3", "a4", "a5", "a6", "b1", "c1", "c2", "e1", "e2", "e3", "e4",
              "e5", "e6", "e7", "e8", "f1");
    }
  }

  @Test
  void aSharedFileTooLargeToBufferIsSpooledOnceAndEveryAnalyzerReadsItWhole() throws Exception {
    String lines = "p1\np2\np3\np4\np5\n";
    byte[] l0 = tar(Map.of("db/status", lines));
    LineAnalyzer first = new LineAnalyzer("first", "db/", 1024);
    LineAnalyzer second = new LineAnalyzer("second", "db/status", 1024);
    LayerAnalysis.Result result = new LayerAnalysis(List.of(first, second), FindingsCache.NONE, 4)
        .run(new DockerSaveLayerSource(new ByteArrayInputStream(save(List.of(l0), List.of(sha(l0))))));

    assertThat(result.findings()).hasSize(2).allSatisfy(f -> {
      assertThat(f.errors()).isEmpty();
      assertThat(f.files()).singleElement().satisfies(x -> assertThat(x.packages()).extracting(Package::name)
          .containsExactly("p1", "p2", "p3", "p4", "p5"));
    });
  }

  @Test
  void aSourceWithFilesOnDiskHandsOneChannelToEveryAnalyzerFromTheStart() throws Exception {
    Path file = dir.resolve("tool");
    Files.writeString(file, "a\nb\nZ");
    io.portolan.inventory.layer.LayerSource source = new io.portolan.inventory.layer.LayerSource() {
      @Override
      public List<io.portolan.inventory.layer.LayerRef> walk(io.portolan.inventory.layer.LayerVisitor visitor,
          java.util.function.BooleanSupplier cancelled) throws IOException {
        var handler = visitor.startLayer(new io.portolan.inventory.layer.LayerStart("dir", Optional.of("sha256:l0")))
            .orElseThrow();
        java.nio.channels.FileChannel[] opened = {null};
        handler.entry(new io.portolan.inventory.layer.LayerEntry("bin/tool",
            io.portolan.inventory.layer.LayerEntry.Type.FILE, Files.size(file), 0755, ""),
            new io.portolan.inventory.layer.EntryContent() {
              @Override
              public InputStream open(long maxBytes) {
                throw new AssertionError("a file on disk is opened once, as a channel");
              }

              @Override
              public Optional<java.nio.channels.SeekableByteChannel> openChannel(long maxBytes) throws IOException {
                opened[0] = java.nio.channels.FileChannel.open(file);
                return Optional.of(opened[0]);
              }
            });
        opened[0].close();
        handler.end(new io.portolan.inventory.layer.LayerEnd.Complete("dir", "sha256:l0"));
        return List.of(new io.portolan.inventory.layer.LayerRef("sha256:l0", "dir", Optional.empty()));
      }

      @Override
      public void close() {}
    };
    LineAnalyzer lines = new LineAnalyzer("lines", "bin/", 1024);
    LayerAnalysis.Result result = new LayerAnalysis(List.of(new ExecAnalyzer(), lines), FindingsCache.NONE)
        .run(source);

    assertThat(result.findings()).extracting(f -> f.files().get(0).packages().stream().map(Package::name).toList())
        .containsExactly(List.of("channel-5-Z"), List.of("a", "b", "Z"));
  }
}
