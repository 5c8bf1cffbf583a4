package io.portolan.inventory.layer;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads a {@code docker save} tar stream as it arrives, never writing it to disk: each layer tar
 * inside it is walked as a nested stream, and small metadata files are kept in memory until the
 * end, where {@code manifest.json} (legacy layout, usually the last entry) or {@code index.json}
 * (OCI layout of newer engines) gives the image order.
 *
 * <p>A layer's diff ID is known before reading it when it is an uncompressed OCI blob (its name is
 * its digest) or when the manifest and config came earlier in the stream; otherwise it is computed
 * while reading and checked against the config at the end ({@link LayerRef#error()}).
 *
 * <p>A stream straight from the engine ({@link #fromEngine}) is not hashed: the engine
 * built it from the same layer store whose records {@link Overlay2LayerSource} trusts without
 * re-hashing, and hashing is most of the CPU of reading it. Its layers are named by the manifest
 * instead, and an unnamed layer completes with an empty diff ID that {@link #walk}'s result
 * resolves. Truncated or malformed layers are still detected. Anything else (a file, an upload)
 * goes through the verifying constructor.
 */
public final class DockerSaveLayerSource implements LayerSource {
  private static final long MAX_METADATA_TOTAL = 64L * 1024 * 1024;
  private static final Pattern BLOB = Pattern.compile("blobs/sha256/[0-9a-f]{64}");

  private final InputStream in;
  private final boolean verify;

  /** Verifies every layer against its diff ID. Takes ownership of {@code in}; {@link #close()} closes it. */
  public DockerSaveLayerSource(InputStream in) {
    this(in, true);
  }

  private DockerSaveLayerSource(InputStream in, boolean verify) {
    this.in = in;
    this.verify = verify;
  }

  /**
   * A save stream read from the engine's API, trusted like its overlay2 layer records: layer
   * content is not hashed against the diff IDs. Takes ownership of {@code in}.
   */
  public static DockerSaveLayerSource fromEngine(InputStream in) {
    return new DockerSaveLayerSource(in, false);
  }

  @Override
  public List<LayerRef> walk(LayerVisitor visitor, BooleanSupplier cancelled) throws IOException {
    Map<String, byte[]> metadata = new HashMap<>();
    Map<String, String> links = new HashMap<>();
    Map<String, LayerEnd> ends = new HashMap<>();
    Set<String> skipped = new HashSet<>();
    long metadataBytes = 0;
    ImageMetadata.Files files = path -> Optional.ofNullable(metadata.get(follow(links, path)));
    TarArchiveInputStream outer = new TarArchiveInputStream(new BufferedInputStream(in, 64 * 1024),
        StandardCharsets.UTF_8.name());
    String current = null;
    try {
      TarArchiveEntry e;
      while ((e = outer.getNextEntry()) != null) {
        if (cancelled.getAsBoolean()) throw new WalkCancelledException("", "", 0);
        current = e.getName();
        Optional<String> normalized = LayerPaths.normalize(current);
        if (normalized.isEmpty() || normalized.get().isEmpty()) {
          continue; // nothing of the image lives outside the archive root
        }
        String name = normalized.get();
        if (e.isSymbolicLink()) {
          links.put(name, LayerPaths.resolveSymlink(name, e.getLinkName()));
          continue;
        }
        if (e.isLink()) {
          LayerPaths.normalize(e.getLinkName()).ifPresent(t -> links.put(name, t));
          continue;
        }
        if (e.isDirectory() || !e.isFile()) {
          continue;
        }
        boolean legacyLayer = LayerPaths.fileName(name).equals("layer.tar");
        boolean blob = BLOB.matcher(name).matches();
        boolean topLevelJson = !name.contains("/") && name.endsWith(".json");
        if (!legacyLayer && !blob) {
          if (topLevelJson && e.getSize() <= ImageMetadata.MAX_METADATA_BYTES
              && metadataBytes + e.getSize() <= MAX_METADATA_TOTAL) {
            byte[] data = Streams.readBounded(outer, ImageMetadata.MAX_METADATA_BYTES, name);
            metadata.put(name, data);
            metadataBytes += data.length;
          }
          continue;
        }
        LayerTarReader.Peeked peeked = LayerTarReader.peek(Streams.noClose(outer), verify);
        if (peeked.kind == LayerTarReader.Kind.JSON && blob) {
          if (e.getSize() <= ImageMetadata.MAX_METADATA_BYTES && metadataBytes + e.getSize() <= MAX_METADATA_TOTAL) {
            byte[] data = Streams.readBounded(peeked.buffered, ImageMetadata.MAX_METADATA_BYTES, name);
            metadata.put(name, data);
            metadataBytes += data.length;
          }
          continue;
        }
        Optional<String> blobDigest = blob ? Optional.of("sha256:" + LayerPaths.fileName(name)) : Optional.empty();
        Optional<String> expected = expectedDiffId(name, peeked.kind, blobDigest, files, links);
        Optional<LayerHandler> handler = visitor.startLayer(new LayerStart(name, expected));
        if (handler.isEmpty()) {
          skipped.add(name);
          Streams.drain(outer); // unparsed and unhashed, with a large buffer (see Streams.drain)
          continue;
        }
        ends.put(name, LayerTarReader.read(peeked, name, expected, blobDigest, verify, handler.get(), cancelled));
      }
    } catch (WalkCancelledException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new IOException("docker save stream unreadable at offset " + outer.getBytesRead()
          + (current == null ? "" : " (entry " + current + ")") + ": " + e.getMessage(), e);
    }
    List<ImageMetadata.Layer> layers = ImageMetadata.resolve(files).orElseThrow(() -> new IOException(
        "docker save stream has no usable manifest.json or index.json (or lacks the files they name)"));
    List<LayerRef> refs = new ArrayList<>();
    for (ImageMetadata.Layer layer : layers) {
      String location = follow(links, layer.path());
      LayerEnd end = ends.get(location);
      Optional<String> error;
      if (skipped.contains(location)) {
        error = Optional.empty();
      } else if (end == null) {
        error = Optional.of("layer " + layer.path() + " (diff ID " + layer.diffId() + ") is not in the save stream");
      } else if (end instanceof LayerEnd.Failed failed) {
        error = Optional.of(failed.message());
      } else if (!verify && ((LayerEnd.Complete) end).diffId().isEmpty()) {
        error = Optional.empty(); // unhashed and unnamed until now: the manifest names it
      } else if (!((LayerEnd.Complete) end).diffId().equals(layer.diffId())) {
        error = Optional.of("layer " + location + " hashes to " + ((LayerEnd.Complete) end).diffId()
            + " but the image config says " + layer.diffId());
      } else {
        error = Optional.empty();
      }
      refs.add(new LayerRef(layer.diffId(), location, error));
    }
    return refs;
  }

  private static Optional<String> expectedDiffId(String name, LayerTarReader.Kind kind,
      Optional<String> blobDigest, ImageMetadata.Files files, Map<String, String> links) {
    if (blobDigest.isPresent() && (kind == LayerTarReader.Kind.TAR || kind == LayerTarReader.Kind.EMPTY)) {
      return blobDigest; // an uncompressed blob's digest is its diff ID
    }
    try {
      return ImageMetadata.resolve(files).flatMap(layers -> layers.stream()
          .filter(l -> follow(links, l.path()).equals(name)).map(ImageMetadata.Layer::diffId).findFirst());
    } catch (IOException e) {
      return Optional.empty(); // the metadata is judged at the end, once the stream is complete
    }
  }

  /** Follows archive-level links (newer engines link {@code <id>/layer.tar} to blobs). */
  private static String follow(Map<String, String> links, String path) {
    String p = path;
    for (int hops = 0; hops < 8 && links.containsKey(p); hops++) {
      p = links.get(p);
    }
    return p;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
