package io.portolan.agent.testing;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Image;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Builds tiny images on the local engine without pulling anything, for tests that need real
 * images and containers, and removes everything it (or containers from its images) created.
 *
 * <p>Every image carries the label {@value #LABEL} with this instance's run id, and the images'
 * containers inherit it, so {@link #close()} finds them even if a test failed half-way. Tags
 * should start with {@value #TAG_PREFIX}.
 */
public final class TestImages implements AutoCloseable {

  /** Label key marking objects created by tests; the value is the run id of one TestImages. */
  public static final String LABEL = "portolan-it.run";
  /** Prefix for the repository part of test tags. */
  public static final String TAG_PREFIX = "portolan-it/";

  private static final Path BUSYBOX = Path.of("/bin/busybox");

  private final DockerClient docker;
  private final String runId = UUID.randomUUID().toString();

  /** Connects to DOCKER_HOST, or the default socket; fails (never skips) if the engine is not there. */
  public TestImages() {
    String host = System.getenv().getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock");
    DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
        .withDockerHost(host)
        .withApiVersion("1.41")
        .build();
    this.docker = DockerClientImpl.getInstance(config, new ApacheDockerHttpClient.Builder()
        .dockerHost(URI.create(host))
        .connectionTimeout(Duration.ofSeconds(5))
        .build());
    try {
      docker.pingCmd().exec();
    } catch (RuntimeException e) {
      throw new IllegalStateException("dockerd is not reachable at " + host
          + " (start it, e.g. scripts/ensure-docker.sh): " + e.getMessage(), e);
    }
  }

  /** The client, for tests that create containers from the built images. */
  public DockerClient docker() {
    return docker;
  }

  /** The label value identifying objects of this instance. */
  public String runId() {
    return runId;
  }

  /** Labels to put on containers so that {@link #close()} also removes them. */
  public Map<String, String> cleanupLabels() {
    return Map.of(LABEL, runId);
  }

  /**
   * Builds {@code FROM scratch} + Debian's static busybox, running {@code busybox sleep 3600}.
   * Distinct labels or env give distinct image IDs.
   *
   * @return the image ID ("sha256:...")
   */
  public String busybox(String tag, Map<String, String> labels, Map<String, String> env) {
    if (!Files.isRegularFile(BUSYBOX) || !Files.isExecutable(BUSYBOX)) {
      throw new IllegalStateException(BUSYBOX + " is missing: run `apt-get install busybox-static`"
          + " (the test images copy Debian's static busybox; nothing is pulled)");
    }
    StringBuilder dockerfile = new StringBuilder("FROM scratch\nCOPY busybox /bin/busybox\n");
    env.forEach((k, v) -> dockerfile.append("ENV ").append(k).append("=\"").append(v).append("\"\n"));
    dockerfile.append("CMD [\"/bin/busybox\", \"sleep\", \"3600\"]\n");
    try {
      return build(tag, dockerfile.toString(), Map.of(Path.of("busybox"), Files.readAllBytes(BUSYBOX)), labels);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Builds {@code FROM scratch} with the given files (relative paths) copied to the root, one
   * layer, no command.
   *
   * @return the image ID ("sha256:...")
   */
  public String scratch(String tag, Map<String, byte[]> files, Map<String, String> labels) {
    Map<Path, byte[]> context = new LinkedHashMap<>();
    files.forEach((path, content) -> context.put(Path.of("rootfs").resolve(path), content));
    String dockerfile = files.isEmpty() ? "FROM scratch\nLABEL portolan-it.empty=true\n" : "FROM scratch\nCOPY rootfs/ /\n";
    return build(tag, dockerfile, context, labels);
  }

  private String build(String tag, String dockerfile, Map<Path, byte[]> files, Map<String, String> labels) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("portolan-it-build");
      Files.writeString(dir.resolve("Dockerfile"), dockerfile);
      for (Map.Entry<Path, byte[]> file : files.entrySet()) {
        Path target = dir.resolve(file.getKey()).normalize();
        if (!target.startsWith(dir)) {
          throw new IllegalArgumentException("file outside the build context: " + file.getKey());
        }
        Files.createDirectories(target.getParent());
        Files.write(target, file.getValue());
        if (target.getFileName().toString().equals("busybox")) {
          target.toFile().setExecutable(true, false);
        }
      }
      Map<String, String> allLabels = new LinkedHashMap<>(labels);
      allLabels.put(LABEL, runId);
      String id = docker.buildImageCmd(dir.toFile())
          .withTags(Set.of(tag))
          .withLabels(allLabels)
          .withPull(false)
          .withRemove(true)
          .exec(new BuildImageResultCallback())
          .awaitImageId(60, TimeUnit.SECONDS);
      return docker.inspectImageCmd(id).exec().getId();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (dir != null) {
        deleteTree(dir);
      }
    }
  }

  /** Removes this instance's containers, then its images (by label, so also untagged ones). */
  @Override
  public void close() {
    List<Container> containers = docker.listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of(LABEL, runId)).exec();
    for (Container container : containers) {
      try {
        docker.removeContainerCmd(container.getId()).withForce(true).withRemoveVolumes(true).exec();
      } catch (NotFoundException e) {
        // Already gone, which is what we want.
      }
    }
    List<Image> images = docker.listImagesCmd().withShowAll(true)
        .withLabelFilter(Map.of(LABEL, runId)).exec();
    for (Image image : images) {
      try {
        docker.removeImageCmd(image.getId()).withForce(true).exec();
      } catch (NotFoundException e) {
        // Already gone.
      }
    }
    try {
      docker.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
