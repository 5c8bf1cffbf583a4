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
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
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
  private static final int MAX_DEPTH = 512;
  private static final int OPEN_ANCESTORS = 64;
  private static final JsonFactory JSON = new JsonFactory();

  private final Path dockerRoot;
  private final List<String> diffIds;
  private final int parallelism;
  private final boolean nativeListing;

  /** {@code diffIds} come from the image config's {@code rootfs.diff_ids}, bottom layer first. */
  public Overlay2LayerSource(Path dockerRoot, List<String> diffIds) {
    this(dockerRoot, diffIds, 1);
  }

  /**
   * As {@link #Overlay2LayerSource(Path, List)}, walking up to {@code parallelism} layers at once:
   * for a one-shot inventory in the foreground, where a second core otherwise idles while one
   * walks a tree of 60,000 files. An agent on a production host keeps to one. Each layer's
   * entries still reach its handler on one thread, and every {@link LayerHandler#end} is
   * delivered on the caller's thread in image order; handlers of different layers must not share
   * unsynchronized state, and {@code cancelled} must be safe to ask from any thread.
   */
  public Overlay2LayerSource(Path dockerRoot, List<String> diffIds, int parallelism) {
    this(dockerRoot, diffIds, parallelism, true);
  }

  /** {@code nativeListing} false lists every directory through java.nio, as where JNA cannot load. */
  Overlay2LayerSource(Path dockerRoot, List<String> diffIds, int parallelism, boolean nativeListing) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
    }
    this.dockerRoot = dockerRoot;
    this.diffIds = List.copyOf(diffIds);
    this.parallelism = parallelism;
    this.nativeListing = nativeListing;
  }

  /**
   * Starts loading what a walk lists directories with, on a background thread: about 0.1 s that a
   * one-shot process can spend while it asks the engine about the image.
   */
  public static void preload() {
    LinuxDirectories.preload();
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
    if (parallelism > 1 && diffIds.size() > 1) {
      return walkInParallel(visitor, cancelled);
    }
    List<String> chains = chainIds(diffIds);
    List<LayerRef> refs = new ArrayList<>();
    for (int i = 0; i < diffIds.size(); i++) {
      if (cancelled.getAsBoolean()) throw new WalkCancelledException("", "", 0);
      Located layer = layer(i, chains);
      String diffId = layer.diffId();
      String location = layer.location();
      Optional<String> error = layer.error();
      Optional<LayerHandler> handler = visitor.startLayer(new LayerStart(location, Optional.of(diffId)));
      if (handler.isEmpty()) {
        refs.add(new LayerRef(diffId, location, Optional.empty()));
        continue;
      }
      LayerEnd end;
      try {
        end = error.isPresent()
            ? new LayerEnd.Failed(location, Optional.of(diffId), error.get())
            : walkLayer(layer.layerDb(), Path.of(location), diffId, handler.get(), cancelled);
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

  /**
   * The {@code i}th layer's layerdb entry and where its tree is: {@code location} is the {@code
   * diff} directory, or the layerdb entry when {@code error} says why the tree cannot be used.
   */
  private record Located(String diffId, Path layerDb, String location, Optional<String> error) {}

  private Located layer(int i, List<String> chains) {
    String diffId = diffIds.get(i);
    Path layerDb = dockerRoot.resolve("image/overlay2/layerdb/sha256")
        .resolve(chains.get(i).substring("sha256:".length()));
    try {
      return new Located(diffId, layerDb, locate(layerDb, diffId, chains.get(i)).toString(), Optional.empty());
    } catch (IOException e) {
      return new Located(diffId, layerDb, layerDb.toString(), Optional.of("layer " + diffId + ": " + e.getMessage()));
    }
  }

  /** A layer offered to the visitor: its walk runs on a pool thread; {@code handler} null if skipped. */
  private record Started(String diffId, String location, LayerHandler handler, Future<LayerEnd> end) {}

  /**
   * Offers every layer to the visitor in image order on this thread, walks the wanted ones on up
   * to {@link #parallelism} threads, then ends them here, in image order.
   */
  private List<LayerRef> walkInParallel(LayerVisitor visitor, BooleanSupplier cancelled) throws IOException {
    List<String> chains = chainIds(diffIds);
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, diffIds.size()), r -> {
      Thread t = new Thread(r, "portolan-layer-walk");
      t.setDaemon(true);
      return t;
    });
    List<Started> started = new ArrayList<>();
    // Set when the walk as a whole stops: the layers still walking then stop at their next entry.
    AtomicBoolean stop = new AtomicBoolean();
    BooleanSupplier stopping = () -> stop.get() || cancelled.getAsBoolean();
    try {
      for (int i = 0; i < diffIds.size(); i++) {
        if (cancelled.getAsBoolean()) {
          throw endAllCancelled(started, 0, stop, new WalkCancelledException("", "", 0));
        }
        Located layer = layer(i, chains);
        String diffId = layer.diffId();
        String location = layer.location();
        Optional<String> error = layer.error();
        Optional<LayerHandler> handler = visitor.startLayer(new LayerStart(location, Optional.of(diffId)));
        if (handler.isEmpty()) {
          started.add(new Started(diffId, location, null, null));
          continue;
        }
        Future<LayerEnd> end;
        if (error.isPresent()) {
          end = CompletableFuture.completedFuture(new LayerEnd.Failed(location, Optional.of(diffId), error.get()));
        } else {
          Path diff = Path.of(location);
          end = pool.submit(() -> walkLayer(layer.layerDb(), diff, diffId, handler.get(), stopping));
        }
        started.add(new Started(diffId, location, handler.get(), end));
      }
      List<LayerRef> refs = new ArrayList<>();
      for (int i = 0; i < started.size(); i++) {
        Started layer = started.get(i);
        if (layer.handler() == null) {
          refs.add(new LayerRef(layer.diffId(), layer.location(), Optional.empty()));
          continue;
        }
        LayerEnd end;
        try {
          end = layer.end().get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof WalkCancelledException cancel) {
            throw endAllCancelled(started, i, stop, cancel);
          }
          // walkLayer turns every IOException and RuntimeException into a failed end; this is an Error.
          end = new LayerEnd.Failed(layer.location(), Optional.of(layer.diffId()), "layer " + layer.diffId()
              + " at " + layer.location() + ": " + e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw endAllCancelled(started, i, stop, new WalkCancelledException(layer.location(), "", 0));
        }
        layer.handler().end(end);
        refs.add(new LayerRef(layer.diffId(), layer.location(),
            end instanceof LayerEnd.Failed f ? Optional.of(f.message()) : Optional.empty()));
      }
      return refs;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Stops the walks still running, waits until each has (so no entry reaches a handler after its
   * end), ends every started layer from {@code from} on as failed, and returns {@code cause} to be
   * thrown.
   */
  private static WalkCancelledException endAllCancelled(List<Started> started, int from, AtomicBoolean stop,
      WalkCancelledException cause) {
    stop.set(true);
    boolean interrupted = Thread.interrupted();
    for (int i = from; i < started.size(); i++) {
      Started layer = started.get(i);
      if (layer.handler() == null) {
        continue;
      }
      while (true) {
        try {
          layer.end().get();
          break;
        } catch (ExecutionException e) {
          break; // it stopped, cancelled or broken: either way its handler hears no more entries
        } catch (InterruptedException e) {
          interrupted = true; // the walk stops at its next entry; wait for that, then restore the flag
        }
      }
      layer.handler().end(new LayerEnd.Failed(layer.location(), Optional.of(layer.diffId()), cause.getMessage()));
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return cause;
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
    // The record is read on another thread while the tree is walked: on a layer of 60,000 files it
    // inflates to ~70 MB, as long to read as the walk itself.
    FutureTask<List<String>> markers = null;
    if (Files.isRegularFile(tarSplit, LinkOption.NOFOLLOW_LINKS)) {
      markers = new FutureTask<>(() -> whiteoutNames(tarSplit));
      Thread reader = new Thread(markers, "portolan-tar-split");
      reader.setDaemon(true);
      reader.start();
    } else {
      handler.warning(tarSplit.toString(), "no tar-split record: opaque directories of this layer are unknown");
    }
    LayerEnd end;
    Optional<LinuxDirectories> natively = nativeListing ? LinuxDirectories.get() : Optional.empty();
    try (LinuxDirectories.Lister lister = natively.map(LinuxDirectories::lister).orElse(null)) {
      int fd = lister != null ? lister.open(diff) : -1;
      walkDir(diff, fd, "", handler, whiteouts, 0, new Progress(diff.toString(), cancelled), lister);
      end = new LayerEnd.Complete(diff.toString(), diffId);
    } catch (WalkCancelledException e) {
      if (markers != null) markers.cancel(true);
      throw e;
    } catch (IOException | RuntimeException e) {
      end = new LayerEnd.Failed(diff.toString(), Optional.of(diffId), "layer " + diffId + " at " + diff
          + ": " + e.getMessage());
    }
    if (markers != null) {
      try {
        LayerHandler dedup = new DedupingHandler(handler, whiteouts, true);
        for (String name : markers.get()) {
          Whiteouts.report(name, dedup);
        }
      } catch (ExecutionException e) {
        handler.warning(tarSplit.toString(), "unreadable tar-split record (" + e.getCause().getMessage()
            + "): opaque directories of this layer are unknown");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        markers.cancel(true);
        return new LayerEnd.Failed(diff.toString(), Optional.of(diffId), "interrupted reading " + tarSplit);
      }
    }
    return end;
  }

  /**
   * The whiteout and opaque-directory markers the original layer tar held, as normalized paths,
   * from its tar-split record (one JSON object a line; type 1 names an entry, type 2 carries raw
   * header bytes in base64). Only the lines that can name a marker are parsed: the base64 alphabet
   * has no '.' and no '_', so a line without ".wh." and without "name_raw" (a name that is not
   * UTF-8, kept in base64) names none. Parsing every line cost as much as walking the tree.
   */
  static List<String> whiteoutNames(Path file) throws IOException {
    List<String> names = new ArrayList<>();
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS), 64 * 1024)) {
      byte[] buf = new byte[256 * 1024];
      int len = 0;
      for (int n; (n = in.read(buf, len, buf.length - len)) > 0 || len > 0; ) {
        if (n > 0) {
          len += n;
        }
        int lineStart = 0;
        boolean marked = false;
        int i = 0;
        for (; i < len; i++) {
          byte b = buf[i];
          if (b == '\n') {
            if (marked) {
              parseMarkerLine(buf, lineStart, i - lineStart, names);
            }
            lineStart = i + 1;
            marked = false;
          } else if (b == '.' && i + 3 < len && buf[i + 1] == 'w' && buf[i + 2] == 'h' && buf[i + 3] == '.'
              || b == '_' && i + 3 < len && buf[i + 1] == 'r' && buf[i + 2] == 'a' && buf[i + 3] == 'w') {
            marked = true;
          }
        }
        if (n <= 0) {
          // The stream ended: the last line may have no newline.
          if (lineStart < len && marked) {
            parseMarkerLine(buf, lineStart, len - lineStart, names);
          }
          break;
        }
        // Keep the unfinished line (and a marker split across reads is seen again on it).
        System.arraycopy(buf, lineStart, buf, 0, len - lineStart);
        len -= lineStart;
        if (len == buf.length) {
          buf = java.util.Arrays.copyOf(buf, buf.length * 2);
        }
      }
    }
    return names;
  }

  private static void parseMarkerLine(byte[] buf, int offset, int length, List<String> names) throws IOException {
    try (JsonParser json = JSON.createParser(buf, offset, length)) {
      if (json.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("not a stream of JSON objects");
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
        return;
      }
      String raw = nameRaw != null ? new String(Base64.getDecoder().decode(nameRaw), StandardCharsets.UTF_8) : name;
      if (!raw.contains(Whiteouts.PREFIX)) {
        return;
      }
      Optional<String> path = LayerPaths.normalize(raw);
      if (path.isPresent() && !path.get().isEmpty()) {
        names.add(path.get());
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

  /**
   * Walks one directory, children sorted by name so that walks are reproducible. {@code fd} is the
   * directory open for native listing, or -1 to list it through java.nio; this call closes it.
   */
  private static void walkDir(Path dir, int fd, String rel, LayerHandler handler, Set<String> whiteouts, int depth,
      Progress progress, LinuxDirectories.Lister lister) throws IOException {
    try {
      if (depth > MAX_DEPTH) {
        handler.warning(rel, "directory nesting deeper than " + MAX_DEPTH + "; not walked further");
        return;
      }
      List<Child> children = fd >= 0 ? listNatively(dir, fd, rel, handler, lister) : list(dir, rel, handler);
      if (fd >= 0 && depth >= OPEN_ANCESTORS) {
        // Subdirectories are opened by full path below this depth, so that no walk holds more
        // than OPEN_ANCESTORS descriptors.
        lister.close(fd);
        fd = -1;
      }
      walkChildren(children, fd, handler, whiteouts, depth, progress, lister);
    } finally {
      if (fd >= 0) {
        lister.close(fd);
      }
    }
  }

  private static void walkChildren(List<Child> children, int fd, LayerHandler handler, Set<String> whiteouts,
      int depth, Progress progress, LinuxDirectories.Lister lister) throws IOException {
    LayerHandler treeWhiteouts = new DedupingHandler(handler, whiteouts, false);
    for (Child c : children) {
      String path = c.path();
      progress.next(path);
      if (Whiteouts.report(path, treeWhiteouts)) {
        continue;
      }
      switch (c.kind()) {
        case WHITEOUT -> {
          if (whiteouts.add(path)) {
            handler.whiteout(path);
          }
        }
        case DIRECTORY -> {
          if (c.described()) {
            handler.entry(new LayerEntry(path, LayerEntry.Type.DIRECTORY, 0, c.mode(), ""), noContent(path));
          }
          if (handler.descend(path)) {
            int childFd = lister == null ? -1 : fd >= 0 ? lister.openAt(fd, c.name()) : lister.open(c.file());
            walkDir(c.file(), childFd, path, handler, whiteouts, depth + 1, progress, lister);
          }
        }
        case FILE -> {
          if (c.described()) fileEntry(c.file(), path, c.size(), c.mode(), handler);
        }
        case SYMLINK -> {
          if (c.described()) {
            String target = LayerPaths.resolveSymlink(path, Files.readSymbolicLink(c.file()).toString());
            handler.entry(new LayerEntry(path, LayerEntry.Type.SYMLINK, 0, c.mode(), target), noContent(path));
          }
        }
        case OTHER -> {
          if (c.described()) handler.entry(new LayerEntry(path, LayerEntry.Type.OTHER, 0, c.mode(), ""), noContent(path));
        }
      }
    }
  }

  /**
   * The directory's children, sorted by name, with size and mode for those the handler is
   * interested in. Each is stat'ed relative to the open directory (fstatat) where the platform
   * allows: a stat by full path made the kernel look up every component of {@code
   * /var/lib/docker/overlay2/<id>/diff/...} again, which in node_modules (60,000 files) cost more
   * than the rest of the walk. Names are decoded once and sorted as strings: comparing Paths
   * decoded two names per comparison.
   */
  private static List<Child> list(Path dir, String rel, LayerHandler handler) throws IOException {
    List<Child> children = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      SecureDirectoryStream<Path> open = stream instanceof SecureDirectoryStream<Path> s ? s : null;
      for (Path child : stream) {
        Path name = child.getFileName();
        PosixFileAttributes attrs = open != null
            ? open.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes()
            : Files.readAttributes(child, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Kind kind = attrs.isDirectory() ? Kind.DIRECTORY
            : attrs.isRegularFile() ? Kind.FILE
            : attrs.isSymbolicLink() ? Kind.SYMLINK
            : isWhiteoutDevice(child) ? Kind.WHITEOUT
            : Kind.OTHER;
        String path = LayerPaths.join(rel, name.toString());
        boolean described = kind.wanted(handler, path);
        children.add(new Child(name.toString(), path, dir, child, kind, described,
            described ? attrs.size() : 0, described ? mode(attrs.permissions()) : 0));
      }
    }
    children.sort(null);
    return children;
  }

  /**
   * As {@link #list}, from {@code getdents64}: only the children the handler is interested in are
   * stat'ed (character devices and kinds the file system does not record, too). Anything unusual
   * (a name that is not UTF-8, a failed call) lists the directory through {@link #list} instead,
   * so that both give the same children and the same errors.
   */
  private static List<Child> listNatively(Path dir, int fd, String rel, LayerHandler handler,
      LinuxDirectories.Lister lister) throws IOException {
    Optional<List<LinuxDirectories.Entry>> entries = lister.entries(fd);
    if (entries.isEmpty()) {
      return list(dir, rel, handler);
    }
    List<Child> children = new ArrayList<>(entries.get().size());
    for (LinuxDirectories.Entry e : entries.get()) {
      String path = LayerPaths.join(rel, e.name());
      Kind kind = Kind.of(e.kind(), false);
      if (e.kind() == LinuxDirectories.UNKNOWN || e.kind() == LinuxDirectories.CHAR_DEVICE || kind.wanted(handler, path)) {
        Optional<LinuxDirectories.Stat> stat = lister.stat(fd, e.name());
        if (stat.isEmpty()) {
          return list(dir, rel, handler);
        }
        kind = Kind.of(stat.get().kind(), stat.get().nullDevice());
        boolean described = kind.wanted(handler, path);
        children.add(new Child(e.name(), path, dir, null, kind, described,
            described && kind == Kind.FILE ? stat.get().size() : 0, described ? stat.get().permissions() : 0));
      } else {
        children.add(new Child(e.name(), path, dir, null, kind, false, 0, 0));
      }
    }
    children.sort(null);
    return children;
  }


  /** What the walk does with a child: {@code WHITEOUT} is overlay2's 0/0 character device. */
  private enum Kind {
    DIRECTORY(LayerEntry.Type.DIRECTORY), FILE(LayerEntry.Type.FILE), SYMLINK(LayerEntry.Type.SYMLINK),
    WHITEOUT(null), OTHER(LayerEntry.Type.OTHER);

    private final LayerEntry.Type type;

    Kind(LayerEntry.Type type) {
      this.type = type;
    }

    /** From {@code d_type} or {@code S_IFMT >> 12}; a 0/0 character device is a whiteout. */
    static Kind of(int kind, boolean nullDevice) {
      return switch (kind) {
        case LinuxDirectories.DIRECTORY -> DIRECTORY;
        case LinuxDirectories.REGULAR -> FILE;
        case LinuxDirectories.SYMLINK -> SYMLINK;
        case LinuxDirectories.CHAR_DEVICE -> nullDevice ? WHITEOUT : OTHER;
        default -> OTHER;
      };
    }

    /** Whether the entry must be described (stat'ed and delivered); whiteouts always are. */
    boolean wanted(LayerHandler handler, String path) {
      return type == null || handler.interestedIn(path, type);
    }
  }

  /**
   * Whether a non-file, non-directory entry is overlay2's whiteout, a 0/0 character device. Rare
   * enough to pay for a second stat: the portable attributes say neither the kind nor the device.
   */
  private static boolean isWhiteoutDevice(Path child) throws IOException {
    Map<String, Object> attrs = Files.readAttributes(child, "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
    return ((Integer) attrs.get("mode") & S_IFMT) == S_IFCHR && (Long) attrs.get("rdev") == 0;
  }

  /** The read, write and execute bits, as {@link LayerEntry#mode} holds them. */
  private static int mode(Set<PosixFilePermission> permissions) {
    int mode = 0;
    for (PosixFilePermission p : permissions) {
      mode |= 0400 >> p.ordinal();
    }
    return mode;
  }

  private static void fileEntry(Path file, String path, long size, int mode, LayerHandler handler)
      throws IOException {
    try (FileContent content = new FileContent(file, path, size)) {
      handler.entry(new LayerEntry(path, LayerEntry.Type.FILE, size, mode, ""), content);
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

  /**
   * A child as listed: {@code path} is relative to the layer root; size and mode are known only if
   * {@code described}. {@code listed} is the Path the listing gave, when it gave one: a name that
   * is not valid UTF-8 would not survive being resolved again from the String.
   */
  private record Child(String name, String path, Path parent, Path listed, Kind kind, boolean described, long size,
      int mode) implements Comparable<Child> {
    Path file() {
      return listed != null ? listed : parent.resolve(name);
    }

    @Override
    public int compareTo(Child o) {
      return name.compareTo(o.name);
    }
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
