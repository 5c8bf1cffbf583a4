package io.portolan.inventory.layer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Finds an image in the engine's own on-disk records ({@code image/overlay2/repositories.json} and
 * the image database) instead of asking dockerd, so a one-shot inventory on a host where overlay2
 * is readable starts without a Docker API client. Anything unusual (another storage driver, an
 * unreadable root, an ambiguous name) yields empty, and the caller asks the engine instead.
 */
public final class DockerRootImages {
  /**
   * Streaming, not an ObjectMapper: these two small files are all a one-shot inventory reads as
   * JSON, and databind's setup costs its start more than the parse.
   */
  private static final JsonFactory JSON = new JsonFactory();
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{4,64}");
  private static final long MAX_JSON_BYTES = 64L * 1024 * 1024;

  private DockerRootImages() {}

  /** An image as its config in the image database describes it. */
  public record Found(String id, List<String> repoTags, List<String> diffIds) {}

  public static Optional<Found> resolve(Path dockerRoot, String nameOrId) {
    Path base = dockerRoot.resolve("image/overlay2");
    Path contents = base.resolve("imagedb/content/sha256");
    if (!Files.isDirectory(contents) || !Files.isReadable(contents)) return Optional.empty();
    try {
      Map<String, List<String>> tagsById = tagsById(base.resolve("repositories.json"));
      Optional<String> id = byName(tagsById, nameOrId);
      if (id.isEmpty()) id = byId(contents, nameOrId);
      if (id.isEmpty()) return Optional.empty();
      Path config = contents.resolve(id.get().substring("sha256:".length()));
      if (Files.size(config) > MAX_JSON_BYTES) return Optional.empty();
      List<String> diffIds;
      try (InputStream in = Files.newInputStream(config, LinkOption.NOFOLLOW_LINKS)) {
        diffIds = diffIds(in);
      }
      return Optional.of(new Found(id.get(), tagsById.getOrDefault(id.get(), List.of()), diffIds));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static Map<String, List<String>> tagsById(Path repositories) throws IOException {
    Map<String, List<String>> out = new java.util.HashMap<>();
    if (!Files.isRegularFile(repositories) || Files.size(repositories) > MAX_JSON_BYTES) return out;
    // {"Repositories": {"nginx": {"nginx:1": "sha256:...", "nginx@sha256:...": "sha256:..."}}}
    try (InputStream in = Files.newInputStream(repositories, LinkOption.NOFOLLOW_LINKS);
        JsonParser p = JSON.createParser(in)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException(repositories + " is not a JSON object");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        boolean repos = p.currentName().equals("Repositories");
        if (p.nextToken() != JsonToken.START_OBJECT || !repos) {
          p.skipChildren();
          continue;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          if (p.nextToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            continue;
          }
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String ref = p.currentName();
            JsonToken value = p.nextToken();
            if (value == JsonToken.VALUE_STRING && !ref.contains("@")) {
              out.computeIfAbsent(p.getText(), k -> new ArrayList<>()).add(ref);
            } else {
              p.skipChildren();
            }
          }
        }
      }
    }
    out.replaceAll((k, v) -> List.copyOf(new TreeSet<>(v)));
    return out;
  }

  /** {@code rootfs.diff_ids} of an image config. */
  private static List<String> diffIds(InputStream in) throws IOException {
    List<String> out = new ArrayList<>();
    try (JsonParser p = JSON.createParser(in)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException("the image config is not a JSON object");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        boolean rootfs = p.currentName().equals("rootfs");
        if (p.nextToken() != JsonToken.START_OBJECT || !rootfs) {
          p.skipChildren();
          continue;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          boolean ids = p.currentName().equals("diff_ids");
          if (p.nextToken() != JsonToken.START_ARRAY || !ids) {
            p.skipChildren();
            continue;
          }
          for (JsonToken t; (t = p.nextToken()) != JsonToken.END_ARRAY; ) {
            if (t == null) throw new IOException("the image config ends inside rootfs.diff_ids");
            if (t == JsonToken.VALUE_STRING) out.add(p.getText());
            else p.skipChildren();
          }
        }
      }
    }
    return out;
  }

  private static Optional<String> byName(Map<String, List<String>> tagsById, String name) {
    String wanted = familiar(name);
    int slash = wanted.lastIndexOf('/');
    if (wanted.lastIndexOf(':') <= slash) wanted = wanted + ":latest";
    for (var e : tagsById.entrySet()) {
      for (String tag : e.getValue()) if (familiar(tag).equals(wanted)) return Optional.of(e.getKey());
    }
    return Optional.empty();
  }

  /** Docker Hub names as the engine stores them: "nginx:1" for "docker.io/library/nginx:1". */
  private static String familiar(String name) {
    String n = name.startsWith("docker.io/") ? name.substring("docker.io/".length()) : name;
    return n.startsWith("library/") ? n.substring("library/".length()) : n;
  }

  private static Optional<String> byId(Path contents, String nameOrId) throws IOException {
    String hex = nameOrId.startsWith("sha256:") ? nameOrId.substring(7) : nameOrId;
    if (!HEX.matcher(hex).matches()) return Optional.empty();
    if (hex.length() == 64) {
      return Files.isRegularFile(contents.resolve(hex)) ? Optional.of("sha256:" + hex) : Optional.empty();
    }
    String found = null;
    try (DirectoryStream<Path> ids = Files.newDirectoryStream(contents, hex + "*")) {
      for (Path p : ids) {
        if (found != null) return Optional.empty(); // ambiguous: let the engine say so
        found = p.getFileName().toString();
      }
    }
    return Optional.ofNullable(found).map(f -> "sha256:" + f);
  }
}
