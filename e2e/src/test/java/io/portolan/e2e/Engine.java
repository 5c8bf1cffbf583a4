package io.portolan.e2e;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Image;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The tests' own hands on the real Docker engine: they build tiny images and create, stop and remove
 * containers so the agents have something to see. (The agent itself only ever reads.)
 */
final class Engine implements AutoCloseable {
  static final String LABEL = "io.portolan.e2e";
  static final String DEBIAN_BASE = "portolan-test/debian:bookworm";
  private static final Path BUSYBOX = Path.of("/bin/busybox");

  final DockerClient docker;
  final String run = UUID.randomUUID().toString().substring(0, 8);

  Engine() {
    var config = DefaultDockerClientConfig.createDefaultConfigBuilder()
        .withDockerHost("unix:///var/run/docker.sock").withApiVersion("1.41").build();
    var http = new ApacheDockerHttpClient.Builder().dockerHost(config.getDockerHost()).build();
    this.docker = DockerClientImpl.getInstance(config, http);
    try {
      docker.pingCmd().exec();
    } catch (RuntimeException e) {
      throw new IllegalStateException("no Docker engine answers on /var/run/docker.sock: run scripts/ensure-docker.sh"
          + " (the integration tests need a real dockerd)", e);
    }
  }

  /**
   * Builds the debootstrap bookworm base (scripts/build-test-base.sh, a no-op when the engine has
   * it) and returns its name; fails the test when the script fails or hangs.
   */
  String debianBase() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bash", Path.of("..", "scripts", "build-test-base.sh").toString(), DEBIAN_BASE)
        .inheritIO().start();
    if (!p.waitFor(600, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("build-test-base.sh did not finish within 600 s");
    }
    if (p.exitValue() != 0) throw new AssertionError("build-test-base.sh exit code " + p.exitValue());
    return DEBIAN_BASE;
  }

  /** A FROM-scratch image around Debian's static busybox whose ID is unique to this call. */
  String buildBusyboxImage(String repository, String tag) {
    if (!Files.isExecutable(BUSYBOX))
      throw new IllegalStateException("/bin/busybox is missing: apt-get install busybox-static");
    try {
      Path dir = Files.createTempDirectory("portolan-e2e-image");
      Files.copy(BUSYBOX, dir.resolve("busybox"));
      String unique = UUID.randomUUID().toString();
      Files.writeString(dir.resolve("Dockerfile"), String.join("\n",
          "FROM scratch",
          "COPY busybox /bin/busybox",
          "ENV SECRET_TOKEN=do-not-leak-" + unique,
          "LABEL " + LABEL + "=" + run + " unique=" + unique,
          "CMD [\"/bin/busybox\", \"sleep\", \"3600\"]", ""));
      String built = docker.buildImageCmd(dir.toFile()).withTags(Set.of(repository + ":" + tag)).withPull(false)
          .exec(new BuildImageResultCallback()).awaitImageId();
      return docker.inspectImageCmd(built).exec().getId();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A Debian-looking image of {@code layers} big layers of {@code filesPerLayer} 2 MB files: reading
   * it through the save stream takes seconds, and a cancel lands between two of its files. The
   * layers are the same on every run, so the build cache keeps them between tests.
   */
  String buildLargeImage(String tag, int layers, int filesPerLayer, String osRelease, String dpkgStatus) {
    try {
      Path ctx = Files.createTempDirectory("portolan-e2e-large");
      Files.copy(BUSYBOX, ctx.resolve("busybox"));
      Files.createDirectories(ctx.resolve("root/etc"));
      Files.createDirectories(ctx.resolve("root/var/lib/dpkg"));
      Files.writeString(ctx.resolve("root/etc/os-release"), osRelease);
      Files.writeString(ctx.resolve("root/var/lib/dpkg/status"), dpkgStatus);
      StringBuilder dockerfile = new StringBuilder("FROM scratch\nCOPY busybox /bin/busybox\nCOPY root /\n");
      for (int layer = 1; layer <= layers; layer++) {
        dockerfile.append("RUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox mkdir /data").append(layer)
            .append(" && for i in $(/bin/busybox seq 1 ").append(filesPerLayer).append("); do /bin/busybox dd")
            .append(" if=/dev/zero of=/data").append(layer).append("/f$i bs=1M count=2 2>/dev/null; done\"]\n");
      }
      dockerfile.append("LABEL ").append(LABEL).append("=").append(run).append("\n");
      Files.writeString(ctx.resolve("Dockerfile"), dockerfile);
      String id = docker.buildImageCmd(ctx.toFile()).withTags(Set.of(tag)).withPull(false)
          .exec(new BuildImageResultCallback()).awaitImageId();
      return docker.inspectImageCmd(id).exec().getId();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String createContainer(String imageId, String name, boolean start) {
    String id = docker.createContainerCmd(imageId).withName(name + "-" + run).withLabels(Map.of(LABEL, run))
        .exec().getId();
    if (start) docker.startContainerCmd(id).exec();
    return id;
  }

  void stop(String containerId) {
    docker.stopContainerCmd(containerId).withTimeout(0).exec();
  }

  void removeContainer(String containerId) {
    docker.removeContainerCmd(containerId).withForce(true).exec();
  }

  void removeImage(String imageId) {
    docker.removeImageCmd(imageId).withForce(true).exec();
  }

  void tag(String imageId, String repository, String tag) {
    docker.tagImageCmd(imageId, repository, tag).exec();
  }

  /** Every container on the engine, running or not: ID → state. */
  Map<String, String> containers() {
    Map<String, String> out = new HashMap<>();
    for (Container c : docker.listContainersCmd().withShowAll(true).exec()) out.put(c.getId(), c.getState());
    return out;
  }

  /** Every image `docker images` lists: ID → sorted repo tags. */
  Map<String, List<String>> images() {
    Map<String, List<String>> out = new HashMap<>();
    for (Image i : docker.listImagesCmd().exec()) {
      List<String> tags = i.getRepoTags() == null ? List.of()
          : java.util.Arrays.stream(i.getRepoTags()).filter(t -> !t.equals("<none>:<none>")).sorted().toList();
      out.put(i.getId(), tags);
    }
    return out;
  }

  String dockerVersion() {
    return docker.versionCmd().exec().getVersion();
  }

  /** Removes what this run created. */
  @Override
  public void close() {
    for (Container c : docker.listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of(LABEL, run)).exec()) {
      removeContainer(c.getId());
    }
    Set<String> images = docker.listImagesCmd().withLabelFilter(Map.of(LABEL, run)).exec().stream()
        .map(Image::getId).collect(Collectors.toCollection(java.util.HashSet::new));
    // Children first: a parent image cannot go while an image built on it remains.
    for (int pass = 0; pass < 4 && !images.isEmpty(); pass++) {
      for (String id : List.copyOf(images)) {
        try {
          removeImage(id);
          images.remove(id);
        } catch (com.github.dockerjava.api.exception.NotFoundException gone) {
          images.remove(id);
        } catch (RuntimeException dependentChild) {
          // tried again in the next pass
        }
      }
    }
  }
}
