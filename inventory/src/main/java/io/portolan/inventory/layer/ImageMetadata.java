package io.portolan.inventory.layer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Finds an image's layers, in order, in the metadata of a saved image: {@code manifest.json} (the
 * legacy {@code docker save} layout, also written by newer engines next to their OCI layout) or
 * else the OCI {@code index.json}. The first image in the archive is the one read.
 */
final class ImageMetadata {
  static final int MAX_METADATA_BYTES = 8 * 1024 * 1024;
  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_INDEX_DEPTH = 4;

  private ImageMetadata() {}

  /** A layer as the metadata names it: its diff ID and its path inside the archive. */
  record Layer(String diffId, String path) {}

  /** Reads a small file of the archive by normalized path; empty when it is not (yet) there. */
  @FunctionalInterface
  interface Files {
    Optional<byte[]> read(String path) throws IOException;
  }

  /**
   * The image's layers, or empty while a file they depend on is missing (a stream may not have
   * reached it yet). Throws when the metadata is present but wrong.
   */
  static Optional<List<Layer>> resolve(Files files) throws IOException {
    Optional<byte[]> manifest = files.read("manifest.json");
    if (manifest.isPresent()) {
      return fromDockerManifest(files, parse(manifest.get(), "manifest.json"));
    }
    Optional<byte[]> index = files.read("index.json");
    if (index.isPresent()) {
      return fromIndex(files, parse(index.get(), "index.json"), 0);
    }
    return Optional.empty();
  }

  static String blobPath(String digest) throws IOException {
    if (!DIGEST.matcher(digest).matches()) {
      throw new IOException("unsupported or malformed digest " + digest);
    }
    return "blobs/sha256/" + digest.substring("sha256:".length());
  }

  private static Optional<List<Layer>> fromDockerManifest(Files files, JsonNode manifest)
      throws IOException {
    if (!manifest.isArray() || manifest.isEmpty()) {
      throw new IOException("manifest.json lists no image");
    }
    JsonNode image = manifest.get(0);
    String configPath = path(image.path("Config").asText(""), "manifest.json Config");
    Optional<byte[]> config = files.read(configPath);
    if (config.isEmpty()) {
      return Optional.empty();
    }
    List<String> diffIds = diffIds(parse(config.get(), configPath), configPath);
    JsonNode layers = image.path("Layers");
    if (layers.size() != diffIds.size()) {
      throw new IOException("manifest.json lists " + layers.size() + " layers but " + configPath
          + " has " + diffIds.size() + " diff IDs");
    }
    List<Layer> result = new ArrayList<>();
    for (int i = 0; i < diffIds.size(); i++) {
      result.add(new Layer(diffIds.get(i), path(layers.get(i).asText(""), "manifest.json Layers")));
    }
    return Optional.of(result);
  }

  private static Optional<List<Layer>> fromIndex(Files files, JsonNode index, int depth)
      throws IOException {
    if (depth > MAX_INDEX_DEPTH) {
      throw new IOException("OCI indexes nested deeper than " + MAX_INDEX_DEPTH);
    }
    for (JsonNode descriptor : index.path("manifests")) {
      if (descriptor.path("platform").path("os").asText("").equals("unknown")
          || descriptor.path("annotations").path("vnd.docker.reference.type").asText("")
              .equals("attestation-manifest")) {
        continue; // build attestations, not an image
      }
      String path = blobPath(descriptor.path("digest").asText(""));
      Optional<byte[]> blob = files.read(path);
      if (blob.isEmpty()) {
        return Optional.empty();
      }
      JsonNode node = parse(blob.get(), path);
      if (node.has("manifests")) {
        Optional<List<Layer>> nested = fromIndex(files, node, depth + 1);
        if (nested.isEmpty() || !nested.get().isEmpty()) {
          return nested;
        }
      } else if (node.has("layers") && node.has("config")) {
        return fromImageManifest(files, node, path);
      }
    }
    throw new IOException("index.json names no image manifest");
  }

  private static Optional<List<Layer>> fromImageManifest(Files files, JsonNode manifest, String where)
      throws IOException {
    String configPath = blobPath(manifest.path("config").path("digest").asText(""));
    Optional<byte[]> config = files.read(configPath);
    if (config.isEmpty()) {
      return Optional.empty();
    }
    List<String> diffIds = diffIds(parse(config.get(), configPath), configPath);
    JsonNode layers = manifest.path("layers");
    if (layers.size() != diffIds.size()) {
      throw new IOException(where + " lists " + layers.size() + " layers but its config has "
          + diffIds.size() + " diff IDs");
    }
    List<Layer> result = new ArrayList<>();
    for (int i = 0; i < diffIds.size(); i++) {
      result.add(new Layer(diffIds.get(i), blobPath(layers.get(i).path("digest").asText(""))));
    }
    return Optional.of(result);
  }

  private static List<String> diffIds(JsonNode config, String where) throws IOException {
    JsonNode ids = config.path("rootfs").path("diff_ids");
    if (!ids.isArray()) {
      throw new IOException(where + " has no rootfs.diff_ids");
    }
    List<String> result = new ArrayList<>();
    for (JsonNode id : ids) {
      String diffId = id.asText("");
      if (!DIGEST.matcher(diffId).matches()) {
        throw new IOException(where + ": malformed diff ID " + diffId);
      }
      result.add(diffId);
    }
    return result;
  }

  private static String path(String raw, String where) throws IOException {
    return LayerPaths.normalize(raw).filter(p -> !p.isEmpty())
        .orElseThrow(() -> new IOException(where + ": path " + raw + " leaves the archive"));
  }

  private static JsonNode parse(byte[] data, String where) throws IOException {
    try {
      return JSON.readTree(data);
    } catch (IOException e) {
      throw new IOException(where + " is not valid JSON: " + e.getMessage(), e);
    }
  }
}
