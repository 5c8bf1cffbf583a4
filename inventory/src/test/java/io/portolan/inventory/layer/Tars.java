package io.portolan.inventory.layer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds layer tars and whole saved images in memory, for hermetic tests. */
final class Tars {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes);

  Tars() {
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
  }

  Tars file(String name, String content) {
    return file(name, content.getBytes(StandardCharsets.UTF_8), 0644);
  }

  Tars file(String name, byte[] content, int mode) {
    TarArchiveEntry e = new TarArchiveEntry(name, true);
    e.setSize(content.length);
    e.setMode(0100000 | mode);
    return put(e, content);
  }

  Tars dir(String name) {
    TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/", true);
    e.setMode(040755);
    return put(e, new byte[0]);
  }

  Tars symlink(String name, String target) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
    e.setLinkName(target);
    e.setMode(0120777);
    return put(e, new byte[0]);
  }

  Tars hardlink(String name, String target) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
    e.setLinkName(target);
    return put(e, new byte[0]);
  }

  private Tars put(TarArchiveEntry e, byte[] content) {
    try {
      tar.putArchiveEntry(e);
      tar.write(content);
      tar.closeArchiveEntry();
      return this;
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  byte[] bytes() {
    try {
      tar.finish();
      tar.close();
      return bytes.toByteArray();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  static String sha256(byte[] data) {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String hex(String digest) {
    return digest.substring("sha256:".length());
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String config(List<String> diffIds) {
    return "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
        + String.join(",", diffIds.stream().map(d -> "\"" + d + "\"").toList()) + "]}}";
  }

  /**
   * A legacy {@code docker save} stream: layer directories and config sorted by name, then
   * manifest.json and repositories last, as Docker writes them. {@code layers} are the layer.tar
   * contents; {@code diffIds} the config's view of them (their hashes unless a test lies).
   */
  static byte[] legacySave(List<byte[]> layers, List<String> diffIds) {
    Tars out = new Tars();
    Map<String, byte[]> files = new java.util.TreeMap<>();
    List<String> layerPaths = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      String id = hex(sha256(utf8("v1-" + i)));
      files.put(id + "/VERSION", utf8("1.0"));
      files.put(id + "/json", utf8("{\"id\":\"" + id + "\"}"));
      files.put(id + "/layer.tar", layers.get(i));
      layerPaths.add(id + "/layer.tar");
    }
    byte[] config = utf8(config(diffIds));
    String configName = hex(sha256(config)) + ".json";
    files.put(configName, config);
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      out.file(f.getKey(), f.getValue(), 0644);
    }
    out.file("manifest.json", utf8("[{\"Config\":\"" + configName + "\",\"RepoTags\":[\"t:latest\"],\"Layers\":["
        + String.join(",", layerPaths.stream().map(p -> "\"" + p + "\"").toList()) + "]}]"), 0644);
    out.file("repositories", utf8("{}"), 0644);
    return out.bytes();
  }

  /** The files of an OCI image layout holding one image; {@code blobs} are the stored layer blobs. */
  static Map<String, byte[]> ociLayout(List<byte[]> blobs, List<String> diffIds) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    byte[] config = utf8(config(diffIds));
    String configDigest = sha256(config);
    files.put("blobs/sha256/" + hex(configDigest), config);
    StringBuilder layers = new StringBuilder();
    for (byte[] blob : blobs) {
      String digest = sha256(blob);
      files.put("blobs/sha256/" + hex(digest), blob);
      layers.append(layers.isEmpty() ? "" : ",").append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar")
          .append(blob.length > 1 && (blob[0] & 0xff) == 0x1f ? "+gzip" : "").append("\",\"digest\":\"")
          .append(digest).append("\",\"size\":").append(blob.length).append("}");
    }
    byte[] manifest = utf8("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest
        + "\",\"size\":" + config.length + "},\"layers\":[" + layers + "]}");
    String manifestDigest = sha256(manifest);
    files.put("blobs/sha256/" + hex(manifestDigest), manifest);
    files.put("index.json", utf8("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
        + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + manifestDigest + "\",\"size\":"
        + manifest.length + "}]}"));
    files.put("oci-layout", utf8("{\"imageLayoutVersion\":\"1.0.0\"}"));
    return files;
  }

  /** An OCI-layout save stream, entries sorted by name as engines write them (blobs first). */
  static byte[] ociSave(List<byte[]> blobs, List<String> diffIds) {
    Tars out = new Tars();
    new java.util.TreeMap<>(ociLayout(blobs, diffIds)).forEach((name, data) -> out.file(name, data, 0644));
    return out.bytes();
  }
}
