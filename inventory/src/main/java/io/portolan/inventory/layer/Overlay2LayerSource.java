package io.portolan.inventory.layer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Reads an image's layers straight from Docker's overlay2 storage: the fast path for an agent
 * running as root on the host. Each diff ID maps to {@code overlay2/<cache-id>/diff} through
 * {@code image/overlay2/layerdb/sha256/<chain-id>/cache-id}; the directory is walked without
 * following links.
 *
 * <p>Whiteouts: overlay2 keeps deleted files as 0/0 character devices, which the walk sees, but an
 * opaque directory only as the {@code trusted.overlay.opaque} xattr, which Java cannot read. Both
 * kinds are therefore also taken from the layer's {@code tar-split.json.gz}, the record Docker
 * keeps of the original layer tar (it is what {@code docker save} rebuilds the tar from, so both
 * sources agree). A layer without tar-split still reports its file whiteouts, plus a warning that
 * opaque directories are unknown.
 *
 * <p>The diff ID is not re-hashed (that would mean rebuilding the tar); instead the layerdb's own
 * {@code diff} record must name it.
 */
public final class Overlay2LayerSource implements LayerSource {
  private static final Pattern DIFF_ID = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final Pattern CACHE_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  private static final int S_IFMT = 0170000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFLNK = 0120000;
  private static final int S_IFREG = 0100000;
  private static final int MAX_DEPTH = 512;
  private static final JsonFactory JSON = new JsonFactory();

  private final Path dockerRoot;
  private final List<String> diffIds;

  /** {@code diffIds} come from the image config's {@code rootfs.diff_ids}, bottom layer first. */
  public Overlay2LayerSource(Path dockerRoot, List<String> diffIds) {
    this.dockerRoot = dockerRoot;
    this.diffIds = List.copyOf(diffIds);
  }

  /** Docker's chain ID of each layer: chain(0) = diff(0), chain(n) = sha256(chain(n-1) + " " + diff(n)). */
  public static List<String> chainIds(List<String> diffIds) {
    List<String> chains = new ArrayList<>();
    String previous = null;
    for (String diffId : diffIds) {
      if (previous == null) {
        previous = diffId;
      } else {
        var md = Streams.sha256();
        md.update((previous + " " + diffId).getBytes(StandardCharsets.UTF_8));
        previous = Streams.digest(md);
      }
      chains.add(previous);
    }
    return chains;
  }

  @Override
  public List<LayerRef> walk(LayerVisitor visitor, BooleanSupplier cancelled) throws IOException {
    List<String> chains = chainIds(diffIds);
    List<LayerRef> refs = new ArrayList<>();
    for (int i = 0; i < diffIds.size(); i++) {
      if (cancelled.getAsBoolean()) throw new WalkCancelledException("", "", 0);
      String diffId = diffIds.get(i);
      Path layerDb = dockerRoot.resolve("image/overlay2/layerdb/sha256")
          .resolve(chains.get(i).substring("sha256:".length()));
      String location = layerDb.toString();
      Optional<String> error;
      try {
        location = locate(layerDb, diffId, chains.get(i)).toString();
        error = Optional.empty();
      } catch (IOException e) {
        error = Optional.of("layer " + diffId + ": " + e.getMessage());
      }
      Optional<LayerHandler> handler = visitor.startLayer(new LayerStart(location, Optional.of(diffId)));
      if (handler.isEmpty()) {
        refs.add(new LayerRef(diffId, location, Optional.empty()));
        continue;
      }
      LayerEnd end;
      try {
        end = error.isPresent()
            ? new LayerEnd.Failed(location, Optional.of(diffId), error.get())
            : walkLayer(layerDb, Path.of(location), diffId, handler.get(), cancelled);
      } catch (WalkCancelledException e) {
        handler.get().end(new LayerEnd.Failed(location, Optional.of(diffId), e.getMessage()));
        throw e;
      }
      handler.get().end(end);
      refs.add(new LayerRef(diffId, location,
          end instanceof LayerEnd.Failed f ? Optional.of(f.message()) : Optional.empty()));
    }
    return refs;
  }

  private Path locate(Path layerDb, String diffId, String chainId) throws IOException {
    if (!DIFF_ID.matcher(diffId).matches() || !DIFF_ID.matcher(chainId).matches()) {
      throw new IOException("malformed diff ID (or a malformed one below it)");
    }
    if (!Files.isDirectory(layerDb, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("no layerdb entry " + layerDb);
    }
    String recorded = readSmall(layerDb.resolve("diff")).trim();
    if (!recorded.equals(diffId)) {
      throw new IOException(layerDb + "/diff records " + recorded + ", not this diff ID");
    }
    String cacheId = readSmall(layerDb.resolve("cache-id")).trim();
    if (!CACHE_ID.matcher(cacheId).matches()) {
      throw new IOException(layerDb + "/cache-id is malformed");
    }
    Path diff = dockerRoot.resolve("overlay2").resolve(cacheId).resolve("diff");
    if (!Files.isDirectory(diff, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("no overlay2 directory " + diff);
    }
    return diff;
  }

  private static String readSmall(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      return new String(Streams.readBounded(in, 4096, file.toString()), StandardCharsets.UTF_8);
    }
  }

  private LayerEnd walkLayer(Path layerDb, Path diff, String diffId, LayerHandler handler,
      BooleanSupplier cancelled) throws WalkCancelledException {
    Set<String> whiteouts = new LinkedHashSet<>();
    Path tarSplit = layerDb.resolve("tar-split.json.gz");
    try {
      if (Files.isRegularFile(tarSplit, LinkOption.NOFOLLOW_LINKS)) {
        readTarSplit(tarSplit, whiteouts, handler);
      } else {
        handler.warning(tarSplit.toString(), "no tar-split record: opaque directories of this layer are unknown");
      }
    } catch (IOException | RuntimeException e) {
      handler.warning(tarSplit.toString(), "unreadable tar-split record (" + e.getMessage()
          + "): opaque directories of this layer are unknown");
    }
    try {
      walkDir(diff, "", handler, whiteouts, 0, new Progress(diff.toString(), cancelled));
    } catch (WalkCancelledException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      return new LayerEnd.Failed(diff.toString(), Optional.of(diffId), "layer " + diffId + " at " + diff
          + ": " + e.getMessage());
    }
    return new LayerEnd.Complete(diff.toString(), diffId);
  }

  /**
   * Reports the whiteouts and opaque directories that the original layer tar held. The record is
   * streamed token by token: most of it is base64 header payloads, which are skipped undecoded
   * (building a tree per line made this the larger part of an overlay2 walk).
   */
  private static void readTarSplit(Path file, Set<String> whiteouts, LayerHandler handler) throws IOException {
    LayerHandler dedup = new DedupingHandler(handler, whiteouts, true);
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS), 64 * 1024);
        JsonParser json = JSON.createParser(in)) {
      for (JsonToken t; (t = json.nextToken()) != null; ) {
        if (t != JsonToken.START_OBJECT) {
          throw new IOException("not a stream of JSON objects (found " + t + ")");
        }
        int type = 0;
        String name = "";
        String nameRaw = null;
        while (json.nextToken() == JsonToken.FIELD_NAME) {
          String field = json.currentName();
          JsonToken value = json.nextToken();
          switch (field) {
            case "type" -> type = json.getValueAsInt(0);
            case "name" -> name = value == JsonToken.VALUE_STRING ? json.getText() : "";
            case "name_raw" -> nameRaw = value == JsonToken.VALUE_STRING ? json.getText() : "";
            default -> json.skipChildren();
          }
        }
        if (type != 1) {
          continue; // type 2 is raw header and padding bytes
        }
        String raw = nameRaw != null
            ? new String(Base64.getDecoder().decode(nameRaw), StandardCharsets.UTF_8) : name;
        if (!raw.contains(Whiteouts.PREFIX)) {
          continue; // the tree walk reports everything else
        }
        Optional<String> path = LayerPaths.normalize(raw);
        if (path.isEmpty() || path.get().isEmpty()) {
          continue;
        }
        Whiteouts.report(path.get(), dedup);
      }
    }
  }

  /** How far one layer's walk got, and whether it should stop: checked before every entry. */
  private static final class Progress {
    final String location;
    final BooleanSupplier cancelled;
    String last = "";
    long entries;

    Progress(String location, BooleanSupplier cancelled) {
      this.location = location;
      this.cancelled = cancelled;
    }

    void next(String path) throws WalkCancelledException {
      if (cancelled.getAsBoolean()) throw new WalkCancelledException(location, last, entries);
      last = path;
      entries++;
    }
  }

  /** Walks one directory, children sorted by name so that walks are reproducible. */
  private static void walkDir(Path dir, String rel, LayerHandler handler, Set<String> whiteouts, int depth,
      Progress progress) throws IOException {
    if (depth > MAX_DEPTH) {
      handler.warning(rel, "directory nesting deeper than " + MAX_DEPTH + "; not walked further");
      return;
    }
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      stream.forEach(children::add);
    }
    children.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    for (Path child : children) {
      String path = LayerPaths.join(rel, child.getFileName().toString());
      progress.next(path);
      if (Whiteouts.report(path, new DedupingHandler(handler, whiteouts, false))) {
        continue;
      }
      Map<String, Object> attrs = Files.readAttributes(child, "unix:mode,rdev,size", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) attrs.get("mode");
      long rdev = (Long) attrs.get("rdev");
      long size = (Long) attrs.get("size");
      switch (mode & S_IFMT) {
        case S_IFCHR -> {
          if (rdev == 0) {
            if (whiteouts.add(path)) {
              handler.whiteout(path);
            }
          } else {
            handler.entry(new LayerEntry(path, LayerEntry.Type.OTHER, 0, mode & 07777, ""), noContent(path));
          }
        }
        case S_IFDIR -> {
          handler.entry(new LayerEntry(path, LayerEntry.Type.DIRECTORY, 0, mode & 07777, ""), noContent(path));
          if (handler.descend(path)) walkDir(child, path, handler, whiteouts, depth + 1, progress);
        }
        case S_IFLNK -> {
          String target = LayerPaths.resolveSymlink(path, Files.readSymbolicLink(child).toString());
          handler.entry(new LayerEntry(path, LayerEntry.Type.SYMLINK, 0, mode & 07777, target), noContent(path));
        }
        case S_IFREG -> fileEntry(child, path, size, mode, handler);
        default -> handler.entry(new LayerEntry(path, LayerEntry.Type.OTHER, 0, mode & 07777, ""), noContent(path));
      }
    }
  }

  private static void fileEntry(Path file, String path, long size, int mode, LayerHandler handler)
      throws IOException {
    try (FileContent content = new FileContent(file, path, size)) {
      handler.entry(new LayerEntry(path, LayerEntry.Type.FILE, size, mode & 07777, ""), content);
    }
  }

  /** A file of the layer directory, opened at most once, as a stream or as a channel. */
  private static final class FileContent implements EntryContent, AutoCloseable {
    private final Path file;
    private final String path;
    private final long size;
    private java.io.Closeable opened;

    FileContent(Path file, String path, long size) {
      this.file = file;
      this.path = path;
      this.size = size;
    }

    private void check(long maxBytes) throws IOException {
      if (opened != null) {
        throw new IllegalStateException(path + ": content already opened");
      }
      if (size > maxBytes) {
        throw new ContentTooLargeException(path, size, maxBytes);
      }
    }

    @Override
    public InputStream open(long maxBytes) throws IOException {
      check(maxBytes);
      // NOFOLLOW: if the file was swapped for a link since it was listed, refuse to open it.
      InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS);
      opened = in;
      return Streams.bounded(in, size);
    }

    @Override
    public Optional<SeekableByteChannel> openChannel(long maxBytes) throws IOException {
      check(maxBytes);
      FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
      opened = channel;
      return Optional.of(new BoundedChannel(channel, size));
    }

    @Override
    public void close() throws IOException {
      if (opened != null) {
        opened.close();
      }
    }
  }

  private static EntryContent noContent(String path) {
    return maxBytes -> {
      throw new IOException(path + " is not a regular file, it has no content");
    };
  }

  /** Forwards whiteouts once each: they can come from both the tree and tar-split. */
  private record DedupingHandler(LayerHandler handler, Set<String> seen, boolean opaque) implements LayerHandler {
    @Override
    public void entry(LayerEntry entry, EntryContent content) throws IOException {
      handler.entry(entry, content);
    }

    @Override
    public void whiteout(String path) {
      if (seen.add(path)) {
        handler.whiteout(path);
      }
    }

    @Override
    public void opaqueDirectory(String directory) {
      // Only tar-split is trusted for these; a stray .wh..wh..opq file in the tree means nothing.
      if (opaque) {
        handler.opaqueDirectory(directory);
      }
    }

    @Override
    public void warning(String path, String message) {
      handler.warning(path, message);
    }

    @Override
    public void end(LayerEnd end) {
      handler.end(end);
    }
  }

  @Override
  public void close() {
    // nothing is held open between walks
  }
}
