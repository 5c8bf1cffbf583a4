package io.portolan.inventory.layer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against the real dockerd: an image built by the test (busybox-static only, FROM scratch) read
 * through overlay2 and through {@code docker save} must give identical layers. Fails, never skips,
 * when dockerd or busybox is missing.
 */
class LayerSourcesIT {
  @TempDir
  Path context;

  static String run(Path dir, String... command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().put("DOCKER_BUILDKIT", "0");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(String.join(" ", command) + "\n" + out).isZero();
    return out.strip();
  }

  @Test
  void overlay2AndSaveStreamGiveIdenticalLayers() throws Exception {
    Files.copy(Path.of("/bin/busybox"), context.resolve("busybox"));
    Path data = context.resolve("data");
    Files.createDirectories(data.resolve("gone"));
    Files.createDirectories(data.resolve("sub"));
    Files.createDirectories(data.resolve("opq"));
    Files.writeString(data.resolve("keep"), "keep\n");
    Files.writeString(data.resolve("gone/a"), "a\n");
    Files.writeString(data.resolve("sub/file1"), "1\n");
    Files.writeString(data.resolve("sub/file2"), "2\n");
    Files.writeString(data.resolve("opq/old"), "old\n");
    Files.writeString(context.resolve("Dockerfile"), """
        FROM scratch
        COPY busybox /bin/busybox
        COPY data/ /data/
        RUN ["/bin/busybox", "rm", "-rf", "/data/gone", "/data/sub/file2"]
        RUN ["/bin/busybox", "sh", "-c", "/bin/busybox rm -rf /data/opq && /bin/busybox mkdir /data/opq && echo new > /data/opq/new && /bin/busybox ln -s ../keep /data/sub/link"]
        """);
    String tag = "portolan-it-" + UUID.randomUUID().toString().substring(0, 8) + ":latest";
    try {
      run(context, "docker", "build", "-q", "-t", tag, ".");
      List<String> diffIds = new ArrayList<>();
      new ObjectMapper().readTree(run(context, "docker", "image", "inspect", "--format", "{{json .RootFS.Layers}}", tag))
          .forEach(n -> diffIds.add(n.asText()));
      Path dockerRoot = Path.of(run(context, "docker", "info", "--format", "{{.DockerRootDir}}"));
      assertThat(diffIds).hasSize(4);

      Recorder fromDisk = new Recorder(s -> true, p -> !p.equals("bin/busybox"), 1 << 20);
      List<LayerRef> diskRefs;
      try (LayerSource source = new Overlay2LayerSource(dockerRoot, diffIds)) {
        diskRefs = source.walk(fromDisk);
      }
      Recorder fromSave = new Recorder(s -> true, p -> !p.equals("bin/busybox"), 1 << 20);
      List<LayerRef> saveRefs;
      Process save = new ProcessBuilder("docker", "save", tag).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      try (LayerSource source = new DockerSaveLayerSource(save.getInputStream())) {
        saveRefs = source.walk(fromSave);
      }
      assertThat(save.waitFor()).isZero();

      assertThat(diskRefs).extracting(LayerRef::diffId).containsExactlyElementsOf(diffIds);
      assertThat(saveRefs).extracting(LayerRef::diffId).containsExactlyElementsOf(diffIds);
      assertThat(diskRefs).allSatisfy(r -> assertThat(r.error()).isEmpty());
      assertThat(saveRefs).allSatisfy(r -> assertThat(r.error()).isEmpty());
      for (int i = 0; i < diffIds.size(); i++) {
        Recorder.Layer disk = fromDisk.inOrder(diskRefs).get(i);
        Recorder.Layer saved = fromSave.inOrder(saveRefs).get(i);
        assertThat(disk.diffId()).isEqualTo(diffIds.get(i));
        assertThat(saved.diffId()).isEqualTo(diffIds.get(i));
        assertThat(disk.entries).as("entries of layer " + i).isEqualTo(saved.entries);
        assertThat(disk.whiteouts).as("whiteouts of layer " + i).isEqualTo(saved.whiteouts);
        assertThat(disk.opaque).as("opaque directories of layer " + i).isEqualTo(saved.opaque);
        assertThat(disk.contents).as("contents of layer " + i).isEqualTo(saved.contents);
        assertThat(disk.warnings).isEmpty();
      }
      Recorder.Layer removing = fromDisk.inOrder(diskRefs).get(2);
      assertThat(removing.whiteouts).containsExactlyInAnyOrder("data/gone", "data/sub/file2");
      Recorder.Layer recreating = fromDisk.inOrder(diskRefs).get(3);
      assertThat(recreating.opaque).containsExactly("data/opq");
      assertThat(recreating.contents).containsEntry("data/opq/new", "new\n");
      assertThat(recreating.entries).contains("data/sub/link SYMLINK 0 777 data/keep");
    } finally {
      new ProcessBuilder("docker", "rmi", "-f", tag).redirectErrorStream(true).start().waitFor();
    }
  }
}
