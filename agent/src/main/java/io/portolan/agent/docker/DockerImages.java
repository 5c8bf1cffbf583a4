package io.portolan.agent.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Info;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Read-only access to image content on the local engine: what an image is made of, where overlay2
 * keeps its layers, and its {@code docker save} stream.
 */
public final class DockerImages implements AutoCloseable {
  private final DockerClient client;
  private final Info info;

  private DockerImages(DockerClient client, Info info) {
    this.client = client;
    this.info = info;
  }

  public static DockerImages open(String dockerHost, String apiVersion) {
    DockerWatcher.Negotiated n = DockerWatcher.negotiate(dockerHost, apiVersion);
    return new DockerImages(n.client(), n.client().infoCmd().exec());
  }

  /** An image as its config describes it. */
  public record ImageRef(String id, List<String> repoTags, List<String> diffIds, long sizeBytes) {}

  /** Resolves a name, a tag or an ID (or ID prefix) as {@code docker inspect} would. */
  public Optional<ImageRef> resolve(String nameOrId) {
    try {
      InspectImageResponse i = client.inspectImageCmd(nameOrId).exec();
      List<String> diffIds = i.getRootFS() == null || i.getRootFS().getLayers() == null
          ? List.of() : List.copyOf(i.getRootFS().getLayers());
      return Optional.of(new ImageRef(i.getId(), i.getRepoTags() == null ? List.of() : i.getRepoTags(), diffIds,
          i.getSize() == null ? 0 : i.getSize()));
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }

  /**
   * The engine's data root when layers can be read straight from overlay2 (storage driver overlay2
   * and its layer database readable by this process), else empty.
   */
  public Optional<Path> overlay2Root() {
    if (!"overlay2".equals(info.getDriver()) || info.getDockerRootDir() == null) return Optional.empty();
    Path root = Path.of(info.getDockerRootDir());
    return Files.isReadable(root.resolve("image/overlay2/layerdb/sha256")) ? Optional.of(root) : Optional.empty();
  }

  /** The {@code docker save} stream of one image; the caller closes it. */
  public InputStream save(String imageId) {
    return client.saveImageCmd(imageId).exec();
  }

  @Override
  public void close() throws IOException {
    client.close();
  }
}
