package io.portolan.inventory.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerRootImagesTest {
  private static final String ID = "a".repeat(64);
  private static final String OTHER = "b".repeat(64);

  @TempDir Path root;

  private void engine(String repositories, String config) throws Exception {
    Path base = Files.createDirectories(root.resolve("image/overlay2/imagedb/content/sha256"));
    Files.writeString(root.resolve("image/overlay2/repositories.json"), repositories);
    Files.writeString(base.resolve(ID), config);
    Files.writeString(base.resolve(OTHER), "{}");
  }

  @Test
  void findsAnImageByTagIdAndPrefix() throws Exception {
    engine("{\"Repositories\":{\"nginx\":{\"nginx:1\":\"sha256:" + ID + "\",\"nginx:latest\":\"sha256:" + ID + "\","
            + "\"nginx@sha256:" + OTHER + "\":\"sha256:" + ID + "\"},\"x/y\":{\"x/y:2\":\"sha256:" + OTHER + "\"}},"
            + "\"Other\":[1,{\"a\":2}]}",
        "{\"architecture\":\"amd64\",\"config\":{\"Env\":[\"A=1\"],\"Labels\":{\"rootfs\":\"no\"}},"
            + "\"history\":[{\"diff_ids\":[\"decoy\"]}],"
            + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:11\",\"sha256:22\"]}}");
    var expected = new DockerRootImages.Found("sha256:" + ID, List.of("nginx:1", "nginx:latest"),
        List.of("sha256:11", "sha256:22"));
    assertThat(DockerRootImages.resolve(root, "nginx")).contains(expected);
    assertThat(DockerRootImages.resolve(root, "docker.io/library/nginx:1")).contains(expected);
    assertThat(DockerRootImages.resolve(root, "sha256:" + ID)).contains(expected);
    assertThat(DockerRootImages.resolve(root, "aaaa")).contains(expected);
    assertThat(DockerRootImages.resolve(root, "x/y:2")).hasValueSatisfying(f -> {
      assertThat(f.repoTags()).containsExactly("x/y:2");
      assertThat(f.diffIds()).isEmpty();
    });
    assertThat(DockerRootImages.resolve(root, "nope")).isEmpty();
  }

  @Test
  void brokenRecordsMeanAskTheEngine() throws Exception {
    engine("{\"Repositories\":{\"nginx\":{\"nginx:1\":\"sha256:" + ID + "\"}}}", "{\"rootfs\":{\"diff_ids\":[\"sha");
    assertThat(DockerRootImages.resolve(root, "nginx:1")).isEmpty();
    Files.writeString(root.resolve("image/overlay2/repositories.json"), "[");
    assertThat(DockerRootImages.resolve(root, "nginx:1")).isEmpty();
  }
}
