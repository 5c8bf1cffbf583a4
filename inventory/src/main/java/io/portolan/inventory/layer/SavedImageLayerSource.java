package io.portolan.inventory.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;

/**
 * Reads a saved image that can be read in any order: a {@code docker save} tarball on disk, or a
 * directory holding an OCI image layout or an extracted save. The manifest is read first, so
 * every layer's diff ID is known before it is read and cached layers are never opened.
 */
public final class SavedImageLayerSource implements LayerSource {
  private final Archive archive;

  private SavedImageLayerSource(Archive archive) {
    this.archive = archive;
  }

  /** A {@code docker save} (legacy or OCI) tar file; its entries are indexed, not extracted. */
  public static SavedImageLayerSource tarball(Path file) throws IOException {
    return new SavedImageLayerSource(new Tarball(file));
  }

  /** An OCI image layout directory ({@code index.json}, {@code blobs/}) or an extracted save. */
  public static SavedImageLayerSource directory(Path dir) throws IOException {
    return new SavedImageLayerSource(new Directory(dir));
  }

  @Override
  public List<LayerRef> walk(LayerVisitor visitor, java.util.function.BooleanSupplier cancelled)
      throws IOException {
    List<ImageMetadata.Layer> layers = ImageMetadata.resolve(archive::readSmall).orElseThrow(() ->
        new IOException(archive + " has no usable manifest.json or index.json (or lacks the files they name)"));
    List<LayerRef> refs = new ArrayList<>();
    for (ImageMetadata.Layer layer : layers) {
      if (cancelled.getAsBoolean()) throw new WalkCancelledException("", "", 0);
      String location = archive.follow(layer.path());
      Optional<String> expected = Optional.of(layer.diffId());
      Optional<LayerHandler> handler = visitor.startLayer(new LayerStart(location, expected));
      if (handler.isEmpty()) {
        refs.add(new LayerRef(layer.diffId(), location, Optional.empty()));
        continue;
      }
      LayerEnd end;
      Optional<InputStream> opened;
      try {
        opened = archive.open(location);
      } catch (IOException e) {
        opened = Optional.empty();
      }
      if (opened.isEmpty()) {
        end = new LayerEnd.Failed(location, expected, "layer " + location + " (diff ID " + layer.diffId()
            + ") is missing from " + archive);
        handler.get().end(end);
      } else {
        try (InputStream in = opened.get()) {
          Optional<String> blobDigest = location.startsWith("blobs/sha256/")
              ? Optional.of("sha256:" + LayerPaths.fileName(location)) : Optional.empty();
          end = LayerTarReader.read(LayerTarReader.peek(in), location, expected, blobDigest, true, handler.get(),
              cancelled);
        }
      }
      refs.add(new LayerRef(layer.diffId(), location,
          end instanceof LayerEnd.Failed f ? Optional.of(f.message()) : Optional.empty()));
    }
    return refs;
  }

  @Override
  public void close() throws IOException {
    archive.close();
  }

  /** Random access to the files of a saved image, by normalized path. */
  private interface Archive extends AutoCloseable {
    Optional<byte[]> readSmall(String path) throws IOException;

    Optional<InputStream> open(String path) throws IOException;

    String follow(String path);

    @Override
    void close() throws IOException;
  }

  private static final class Tarball implements Archive {
    private final Path file;
    private final TarFile tar;
    private final Map<String, TarArchiveEntry> entries = new HashMap<>();
    private final Map<String, String> links = new HashMap<>();

    Tarball(Path file) throws IOException {
      this.file = file;
      try {
        this.tar = new TarFile(file);
      } catch (IOException | RuntimeException e) {
        throw new IOException(file + " is not a readable tar: " + e.getMessage(), e);
      }
      for (TarArchiveEntry e : tar.getEntries()) {
        Optional<String> name = LayerPaths.normalize(e.getName());
        if (name.isEmpty() || name.get().isEmpty()) {
          continue;
        }
        if (e.isSymbolicLink()) {
          links.put(name.get(), LayerPaths.resolveSymlink(name.get(), e.getLinkName()));
        } else if (e.isLink()) {
          LayerPaths.normalize(e.getLinkName()).ifPresent(t -> links.put(name.get(), t));
        } else if (e.isFile()) {
          entries.put(name.get(), e);
        }
      }
    }

    @Override
    public String follow(String path) {
      String p = path;
      for (int hops = 0; hops < 8 && links.containsKey(p); hops++) {
        p = links.get(p);
      }
      return p;
    }

    @Override
    public Optional<byte[]> readSmall(String path) throws IOException {
      Optional<InputStream> in = open(follow(path));
      if (in.isEmpty()) {
        return Optional.empty();
      }
      try (InputStream s = in.get()) {
        return Optional.of(Streams.readBounded(s, ImageMetadata.MAX_METADATA_BYTES, path));
      }
    }

    @Override
    public Optional<InputStream> open(String path) throws IOException {
      TarArchiveEntry e = entries.get(follow(path));
      return e == null ? Optional.empty() : Optional.of(tar.getInputStream(e));
    }

    @Override
    public void close() throws IOException {
      tar.close();
    }

    @Override
    public String toString() {
      return file.toString();
    }
  }

  private static final class Directory implements Archive {
    private final Path root;

    Directory(Path dir) throws IOException {
      this.root = dir.toRealPath();
    }

    @Override
    public String follow(String path) {
      return path;
    }

    @Override
    public Optional<byte[]> readSmall(String path) throws IOException {
      Optional<InputStream> in = open(path);
      if (in.isEmpty()) {
        return Optional.empty();
      }
      try (InputStream s = in.get()) {
        return Optional.of(Streams.readBounded(s, ImageMetadata.MAX_METADATA_BYTES, path));
      }
    }

    @Override
    public Optional<InputStream> open(String path) throws IOException {
      Path p = root.resolve(path);
      if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        return Optional.empty();
      }
      // Links inside the layout are fine (extracted saves use them); links leaving it are not.
      Path real = p.toRealPath();
      if (!real.startsWith(root)) {
        throw new IOException(path + " points outside " + root);
      }
      return Files.isRegularFile(real) ? Optional.of(Files.newInputStream(real)) : Optional.empty();
    }

    @Override
    public void close() {
      // nothing is held open between reads
    }

    @Override
    public String toString() {
      return root.toString();
    }
  }
}
