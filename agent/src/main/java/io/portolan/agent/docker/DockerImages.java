package io.portolan.agent.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Info;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Read-only access to image content on the local engine: what an image is made of, where overlay2
 * keeps its layers, and its {@code docker save} stream.
 *
 * <p>On a unix socket (the usual local engine) it speaks HTTP to the socket itself ({@link
 * EngineSocket}) and never loads docker-java; on other hosts it uses docker-java.
 */
public final class DockerImages implements AutoCloseable {
  private static final String UNIX = "unix://";

  private final EngineSocket socket;
  private final DockerClient client;
  private Optional<EngineRoot> root;

  private DockerImages(EngineSocket socket, DockerClient client, Optional<EngineRoot> root) {
    this.socket = socket;
    this.client = client;
    this.root = root;
  }

  /** The storage driver and data root, from the engine's info; fetched once, when first needed. */
  private record EngineRoot(String driver, String dir) {}

  public static DockerImages open(String dockerHost, String apiVersion) {
    if (dockerHost.startsWith(UNIX)) {
      return new DockerImages(EngineSocket.open(Path.of(dockerHost.substring(UNIX.length())), apiVersion), null, null);
    }
    DockerWatcher.Negotiated n = DockerWatcher.negotiate(dockerHost, apiVersion);
    Info info = n.client().infoCmd().exec();
    return new DockerImages(null, n.client(), Optional.of(new EngineRoot(String.valueOf(info.getDriver()),
        info.getDockerRootDir() == null ? "" : info.getDockerRootDir())));
  }

  /** An image as its config describes it. */
  public record ImageRef(String id, List<String> repoTags, List<String> diffIds, long sizeBytes) {}

  /** Resolves a name, a tag or an ID (or ID prefix) as {@code docker inspect} would. */
  public Optional<ImageRef> resolve(String nameOrId) {
    if (socket != null) {
      return socket.getJson("/images/" + EngineSocket.encode(nameOrId) + "/json").map(i -> new ImageRef(
          i.path("Id").asText(), texts(i.path("RepoTags")), texts(i.path("RootFS").path("Layers")),
          i.path("Size").asLong(0)));
    }
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

  private static List<String> texts(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(v -> values.add(v.asText()));
    return List.copyOf(values);
  }

  /**
   * The engine's data root when layers can be read straight from overlay2 (storage driver overlay2
   * and its layer database readable by this process), else empty.
   */
  public Optional<Path> overlay2Root() {
    if (root == null) {
      root = socket.getJson("/info").map(i -> new EngineRoot(i.path("Driver").asText(""),
          i.path("DockerRootDir").asText("")));
    }
    if (root.isEmpty() || !"overlay2".equals(root.get().driver()) || root.get().dir().isEmpty()) {
      return Optional.empty();
    }
    Path dir = Path.of(root.get().dir());
    return Files.isReadable(dir.resolve("image/overlay2/layerdb/sha256")) ? Optional.of(dir) : Optional.empty();
  }

  /**
   * Asks a local engine (unix socket) for the save stream of {@code reference} at once, before
   * anything is resolved or negotiated: the engine exports the whole image before it sends the
   * first byte (6 s for 1.2 GB here), so a request sent first overlaps that export with everything
   * the caller does next. The answer is read on the stream's first read. Empty for other hosts.
   * The engine resolves {@code reference} itself, so the caller must check that the stream holds
   * the image it resolved.
   */
  public static Optional<InputStream> requestSave(String dockerHost, String reference) throws IOException {
    if (!dockerHost.startsWith(UNIX)) {
      return Optional.empty();
    }
    return Optional.of(EngineSocket.unversioned(Path.of(dockerHost.substring(UNIX.length())))
        .requestStream(savePath(reference)));
  }

  /** The {@code docker save} stream of one image; the caller closes it. */
  public InputStream save(String imageId) {
    if (socket != null) {
      return socket.stream(savePath(imageId));
    }
    return client.saveImageCmd(imageId).exec();
  }

  private static String savePath(String reference) {
    return "/images/get?names=" + EngineSocket.encode(reference);
  }

  @Override
  public void close() throws IOException {
    if (client != null) {
      client.close();
    }
  }
}
