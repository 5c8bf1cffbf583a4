package io.portolan.inventory.image;

import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.layer.EntryContent;
import io.portolan.inventory.layer.LayerEnd;
import io.portolan.inventory.layer.LayerEntry;
import io.portolan.inventory.layer.LayerHandler;
import io.portolan.inventory.layer.LayerPaths;
import io.portolan.inventory.layer.LayerRef;
import io.portolan.inventory.layer.LayerSource;
import io.portolan.inventory.layer.LayerStart;
import io.portolan.inventory.layer.WalkCancelledException;
import io.portolan.inventory.analyzer.BoundedInput;
import io.portolan.inventory.analyzer.UnclosableChannel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import org.apache.commons.compress.utils.SeekableInMemoryByteChannel;

/**
 * Runs analyzers over an image's layers in one walk per layer: every file is offered to the
 * analyzers that want it and its content is read once. Produces one {@link LayerFindings} per
 * (layer, analyzer) that the cache does not already hold; a layer whose analyzers are all cached
 * is not read at all (or, in a stream whose layers are named only after reading, is read only to
 * learn its diff ID).
 */
public final class LayerAnalysis {
  /**
   * Files wanted by several analyzers are buffered in memory up to this size when the source is a
   * stream; larger ones are spooled to a temporary file, and overlay2 files are read in place.
   */
  public static final long DEFAULT_SHARED_BUFFER_BYTES = 64L * 1024 * 1024;

  private final List<Analyzer> analyzers;
  private final FindingsCache cache;
  private final long maxSharedBufferBytes;

  public LayerAnalysis(List<Analyzer> analyzers, FindingsCache cache) {
    this(analyzers, cache, DEFAULT_SHARED_BUFFER_BYTES);
  }

  public LayerAnalysis(List<Analyzer> analyzers, FindingsCache cache, long maxSharedBufferBytes) {
    this.analyzers = List.copyOf(analyzers);
    this.cache = cache;
    this.maxSharedBufferBytes = maxSharedBufferBytes;
  }

  /**
   * The outcome of one analysis. {@code diffIds} is the image's layer order (empty if the image
   * itself was unreadable, see {@code imageError}); {@code findings} holds the freshly computed
   * findings in that order. Findings of layers listed in {@code failures} are incomplete: show
   * them, but do not cache them.
   */
  public record Result(List<String> diffIds, List<LayerFindings> findings, List<LayerFailure> failures,
      Optional<String> imageError, Optional<String> cancelled) {
    public Result {
      diffIds = List.copyOf(diffIds);
      findings = List.copyOf(findings);
      failures = List.copyOf(failures);
    }

    public Result(List<String> diffIds, List<LayerFindings> findings, List<LayerFailure> failures,
        Optional<String> imageError) {
      this(diffIds, findings, failures, imageError, Optional.empty());
    }
  }

  /** A layer that could not be read whole; {@code diffId} is "" if even that is unknown. */
  public record LayerFailure(String diffId, String location, String message) {}

  /** Walks {@code source} once. Never throws for bad input: problems land in the result. */
  public Result run(LayerSource source) {
    return run(source, () -> false, read -> { });
  }

  /**
   * As {@link #run(LayerSource)}, stopping between files once {@code cancelled} says so, and
   * telling {@code layersRead} how many layers were read so far after each one (for progress).
   * A cancelled run's result names where it stopped in {@link Result#cancelled()}; its findings are
   * those of the layers read whole before that, which are as good as any.
   */
  public Result run(LayerSource source, BooleanSupplier cancelled, IntConsumer layersRead) {
    Map<String, List<LayerFindings>> byDiffId = new LinkedHashMap<>();
    Map<String, Run> failedUnnamed = new HashMap<>();
    Map<String, Run> completeUnnamed = new HashMap<>();
    Map<String, LayerFailure> failures = new LinkedHashMap<>();
    int[] read = {0};
    IntConsumer counted = ignored -> layersRead.accept(++read[0]);
    StreamBuffer buffer = new StreamBuffer();
    List<LayerRef> refs;
    Optional<String> imageError = Optional.empty();
    try {
      refs = source.walk(start -> startLayer(start, byDiffId)
          .map(pending -> new Run(start, pending, byDiffId, failedUnnamed, completeUnnamed, failures, counted,
              buffer)),
          cancelled);
    } catch (WalkCancelledException e) {
      // Only layers read whole and named count; the one in progress ended as a failure.
      List<LayerFindings> complete = new ArrayList<>();
      byDiffId.forEach((diffId, list) -> {
        if (!failures.containsKey(diffId)) complete.addAll(list);
      });
      return new Result(List.of(), complete, List.of(), Optional.empty(), Optional.of(e.getMessage()));
    } catch (IOException | RuntimeException e) {
      refs = List.of();
      imageError = Optional.of(e.getMessage() == null ? e.toString() : e.getMessage());
    }
    for (LayerRef ref : refs) {
      // A trusted source that did not hash a layer names it only now, from the image's manifest.
      Run run = ref.error().isEmpty() ? completeUnnamed.remove(ref.location()) : null;
      if (run != null) {
        run.complete(ref.diffId());
      }
    }
    for (LayerRef ref : refs) {
      if (ref.error().isEmpty() || failures.containsKey(ref.diffId())) {
        continue;
      }
      Run run = failedUnnamed.remove(ref.location());
      List<Analyzer> pending = run != null ? run.pending : uncached(ref.diffId());
      List<LayerFindings> broken = new ArrayList<>();
      for (Analyzer a : pending) {
        if (run != null) {
          broken.add(run.findings(ref.diffId(), a, Optional.of(ref.error().get())));
        } else {
          broken.add(new LayerFindings(ref.diffId(), a.name(), a.version(), List.of(), List.of(), List.of(),
              List.of(new LayerFindings.LayerError(ref.location(), ref.error().get()))));
        }
      }
      byDiffId.put(ref.diffId(), broken); // a layer that hashed to another diff ID proves nothing
      failures.put(ref.diffId(), new LayerFailure(ref.diffId(), ref.location(), ref.error().get()));
    }
    for (Map.Entry<String, Run> unnamed : failedUnnamed.entrySet()) {
      failures.putIfAbsent(unnamed.getKey(), new LayerFailure("", unnamed.getKey(), unnamed.getValue().failure));
    }
    List<String> diffIds = refs.stream().map(LayerRef::diffId).toList();
    List<LayerFindings> findings = new ArrayList<>();
    if (imageError.isPresent()) {
      byDiffId.values().forEach(findings::addAll);
    } else {
      for (String diffId : new LinkedHashSet<>(diffIds)) {
        findings.addAll(byDiffId.getOrDefault(diffId, List.of()));
      }
    }
    return new Result(diffIds, findings, new ArrayList<>(failures.values()), imageError);
  }

  private Optional<List<Analyzer>> startLayer(LayerStart start, Map<String, List<LayerFindings>> done) {
    if (start.diffId().isEmpty()) {
      return Optional.of(analyzers); // only reading tells which layer this is
    }
    String diffId = start.diffId().get();
    List<Analyzer> pending = uncached(diffId);
    return pending.isEmpty() || done.containsKey(diffId) ? Optional.empty() : Optional.of(pending);
  }

  private List<Analyzer> uncached(String diffId) {
    return analyzers.stream().filter(a -> !cache.contains(diffId, a.name(), a.version())).toList();
  }

  /**
   * A run's one buffer for files that several analyzers read from a stream, reused from file to
   * file and from layer to layer: a fresh array per executable (a compiler is 30 MB) went straight
   * to the old generation, or was promoted there by the next collection, and such dead arrays
   * filled the heap before any full collection; one per layer still allocated 126 MB for the 1.4
   * GB benchmark image, each zeroed on allocation. Analyzers copy what they keep. It grows to
   * exactly the largest file asked for, as the agent's heap is small. A stream source delivers one
   * layer at a time; a layer read on another thread than the first gets arrays of its own.
   */
  private static final class StreamBuffer {
    private Thread owner;
    private byte[] bytes;

    synchronized byte[] atLeast(int size) {
      if (owner == null) {
        owner = Thread.currentThread();
      } else if (owner != Thread.currentThread()) {
        return new byte[size];
      }
      if (bytes == null || bytes.length < size) {
        bytes = null;
        bytes = new byte[size];
      }
      return bytes;
    }
  }

  /** One layer being read: what each pending analyzer has found so far. */
  private final class Run implements LayerHandler {
    @Override
    public boolean interestedIn(String path, LayerEntry.Type type) {
      if (type == LayerEntry.Type.DIRECTORY) {
        return false; // entry() ignores them; descend() decides about entering
      }
      for (Analyzer a : pending) {
        // The path-only question: an analyzer that narrows by mode needs the entry to learn the mode.
        if (a.wants(path)) {
          return true;
        }
      }
      return false;
    }

    @Override
    public boolean descend(String directory) {
      if (anywhere) {
        return true;
      }
      for (Analyzer a : pending) {
        for (String root : a.roots()) {
          if (root.equals(directory) || LayerPaths.isAtOrUnder(root, directory) || LayerPaths.isAtOrUnder(directory, root)) {
            return true;
          }
        }
      }
      return false;
    }

    private final LayerStart start;
    private final List<Analyzer> pending;
    private final Map<String, List<LayerFindings>> byDiffId;
    private final Map<String, Run> failedUnnamed;
    private final Map<String, Run> completeUnnamed;
    private final Map<String, LayerFailure> failures;
    private final IntConsumer ended;
    private final Map<Analyzer, List<FileFindings>> files = new HashMap<>();
    private final Map<Analyzer, List<LayerFindings.LayerError>> errors = new HashMap<>();
    private final Set<String> whiteouts = new LinkedHashSet<>();
    private final Set<String> opaque = new LinkedHashSet<>();
    private final List<LayerFindings.LayerError> layerErrors = new ArrayList<>();
    private String failure = "";
    private final StreamBuffer sharedBuffer;
    /** Some pending analyzer reads files anywhere, so every directory is entered (asked once per directory). */
    private final boolean anywhere;

    Run(LayerStart start, List<Analyzer> pending, Map<String, List<LayerFindings>> byDiffId,
        Map<String, Run> failedUnnamed, Map<String, Run> completeUnnamed, Map<String, LayerFailure> failures,
        IntConsumer ended, StreamBuffer sharedBuffer) {
      this.sharedBuffer = sharedBuffer;
      this.ended = ended;
      this.start = start;
      this.pending = pending;
      this.byDiffId = byDiffId;
      this.failedUnnamed = failedUnnamed;
      this.completeUnnamed = completeUnnamed;
      this.failures = failures;
      this.anywhere = pending.stream().anyMatch(a -> a.roots().contains(""));
    }

    @Override
    public void entry(LayerEntry entry, EntryContent content) {
      if (entry.type() == LayerEntry.Type.DIRECTORY) {
        return;
      }
      boolean regular = entry.type() == LayerEntry.Type.FILE;
      List<Analyzer> wanting = new ArrayList<>(2);
      for (Analyzer a : pending) {
        if (regular ? a.wants(entry.path(), entry.mode()) : a.wants(entry.path())) {
          wanting.add(a);
        } else if (regular && a.narrowsByMode() && a.wants(entry.path())) {
          // Not read, but it replaces whatever a lower layer had here (see Analyzer#narrowsByMode).
          files.computeIfAbsent(a, k -> new ArrayList<>()).add(empty(entry.path(), a));
        }
      }
      if (wanting.isEmpty()) {
        return;
      }
      if (entry.type() == LayerEntry.Type.HARDLINK) {
        hardlink(entry, wanting);
        return;
      }
      if (!regular) {
        // Something that is not a readable file now sits at a wanted path: it hides the lower file.
        for (Analyzer a : wanting) {
          files.computeIfAbsent(a, k -> new ArrayList<>()).add(empty(entry.path(), a));
        }
        return;
      }
      List<Analyzer> fitting = new ArrayList<>(wanting.size());
      for (Analyzer a : wanting) {
        if (entry.size() > a.maxFileBytes()) {
          error(a, entry.path(), entry.path() + " is " + entry.size() + " bytes, larger than the "
              + a.maxFileBytes() + "-byte limit of " + a.name() + "; not read");
        } else {
          fitting.add(a);
        }
      }
      if (fitting.isEmpty()) {
        return;
      }
      long limit = fitting.stream().mapToLong(Analyzer::maxFileBytes).max().orElseThrow();
      try {
        if (fitting.size() == 1 && !fitting.get(0).randomAccess()) {
          Analyzer a = fitting.get(0);
          try (InputStream in = content.open(a.maxFileBytes())) {
            analyze(a, entry, in);
          }
          return;
        }
        Optional<SeekableByteChannel> channel = content.openChannel(limit);
        if (channel.isPresent()) {
          shared(fitting, entry, channel.get());
        } else if (fitting.size() == 1) {
          try (InputStream in = content.open(limit)) {
            analyze(fitting.get(0), entry, in);
          }
        } else if (entry.size() <= maxSharedBufferBytes) {
          byte[] buffer = sharedBuffer.atLeast((int) entry.size());
          int read;
          try (InputStream in = content.open(limit)) {
            read = in.readNBytes(buffer, 0, (int) entry.size());
          }
          shared(fitting, entry, new SeekableInMemoryByteChannel(buffer).truncate(read));
        } else {
          spooled(fitting, entry, content, limit);
        }
      } catch (IOException e) {
        fitting.forEach(a -> error(a, entry.path(), message(e)));
      }
    }

    /** Hands one file to several analyzers (or one that wants random access), each from the start. */
    private void shared(List<Analyzer> fitting, LayerEntry entry, SeekableByteChannel channel) throws IOException {
      for (Analyzer a : fitting) {
        channel.position(0);
        analyze(a, entry, channel);
      }
    }

    /** A file too large to buffer that several analyzers want: read once from the stream, into a file. */
    private void spooled(List<Analyzer> fitting, LayerEntry entry, EntryContent content, long limit)
        throws IOException {
      Path spool;
      try (InputStream in = content.open(limit)) {
        spool = BoundedInput.spool(entry.path(), in, entry.size(), limit, Path.of(System.getProperty("java.io.tmpdir")));
      }
      try (FileChannel channel = FileChannel.open(spool, StandardOpenOption.READ)) {
        shared(fitting, entry, channel);
      } finally {
        Files.deleteIfExists(spool);
      }
    }

    /**
     * A hard link to a file earlier in the same layer (a tar names the file once and links the rest
     * to it): the same content, so the same findings under the link's own path. Overlay2 shows both
     * as regular files, and this keeps the save stream in agreement with it.
     */
    private void hardlink(LayerEntry entry, List<Analyzer> wanting) {
      String target = entry.linkTarget();
      for (Analyzer a : wanting) {
        List<FileFindings> list = files.computeIfAbsent(a, k -> new ArrayList<>());
        List<FileFindings> copies = new ArrayList<>();
        for (FileFindings f : list) {
          if (f.path().equals(target)) {
            copies.add(f.relocated(entry.path()));
          }
        }
        if (copies.isEmpty()) {
          // The target passed unread, so this path's content is unknown here (overlay2 would see it):
          // it still hides the lower file, and the layer says why it reports nothing for it.
          list.add(empty(entry.path(), a));
          error(a, entry.path(), entry.path() + " is a hardlink to " + target + ", which " + a.name()
              + " did not read when the stream passed it; its content is unknown");
        } else {
          list.addAll(copies);
        }
      }
    }

    private void analyze(Analyzer a, LayerEntry entry, SeekableByteChannel channel) {
      try {
        List<FileFindings> found = a.randomAccess() ? a.analyze(entry.path(), channel, entry.size())
            : a.analyze(entry.path(), Channels.newInputStream(new UnclosableChannel(channel)), entry.size());
        files.computeIfAbsent(a, k -> new ArrayList<>())
            .addAll(found.isEmpty() ? List.of(empty(entry.path(), a)) : found);
      } catch (IOException e) {
        error(a, entry.path(), message(e));
      } catch (RuntimeException e) {
        error(a, entry.path(), a.name() + " failed on " + entry.path() + ": " + e);
      }
    }

    private void analyze(Analyzer a, LayerEntry entry, InputStream in) {
      try {
        List<FileFindings> found = a.analyze(entry.path(), in, entry.size());
        files.computeIfAbsent(a, k -> new ArrayList<>())
            .addAll(found.isEmpty() ? List.of(empty(entry.path(), a)) : found);
      } catch (IOException e) {
        error(a, entry.path(), message(e));
      } catch (RuntimeException e) {
        // A parser bug must cost one file, not the layer.
        error(a, entry.path(), a.name() + " failed on " + entry.path() + ": " + e);
      }
    }

    private FileFindings empty(String path, Analyzer a) {
      return new FileFindings(path, a.name(), List.of(), Optional.empty());
    }

    private void error(Analyzer a, String path, String message) {
      errors.computeIfAbsent(a, k -> new ArrayList<>()).add(new LayerFindings.LayerError(path, message));
    }

    @Override
    public void whiteout(String path) {
      whiteouts.add(path);
    }

    @Override
    public void opaqueDirectory(String directory) {
      opaque.add(directory);
    }

    @Override
    public void warning(String path, String message) {
      layerErrors.add(new LayerFindings.LayerError(path, message));
    }

    @Override
    public void end(LayerEnd end) {
      ended.accept(1);
      switch (end) {
        case LayerEnd.Complete complete -> {
          if (complete.diffId().isEmpty()) {
            completeUnnamed.put(complete.location(), this);
          } else {
            complete(complete.diffId());
          }
        }
        case LayerEnd.Failed failed -> {
          failure = failed.message();
          Optional<String> diffId = failed.diffId().or(start::diffId);
          if (diffId.isEmpty()) {
            failedUnnamed.put(failed.location(), this);
            return;
          }
          List<LayerFindings> result = new ArrayList<>();
          for (Analyzer a : pending) {
            result.add(findings(diffId.get(), a, Optional.of(failed.message())));
          }
          byDiffId.put(diffId.get(), result);
          failures.put(diffId.get(), new LayerFailure(diffId.get(), failed.location(), failed.message()));
        }
      }
    }

    /** Records this layer's findings once it is read whole and its diff ID is known. */
    void complete(String diffId) {
      if (byDiffId.containsKey(diffId)) {
        return; // the same layer twice in one image
      }
      List<LayerFindings> result = new ArrayList<>();
      for (Analyzer a : pending) {
        if (start.diffId().isPresent() || !cache.contains(diffId, a.name(), a.version())) {
          result.add(findings(diffId, a, Optional.empty()));
        }
      }
      byDiffId.put(diffId, result);
    }

    LayerFindings findings(String diffId, Analyzer a, Optional<String> layerFailure) {
      List<LayerFindings.LayerError> all = new ArrayList<>(layerErrors);
      all.addAll(errors.getOrDefault(a, List.of()));
      layerFailure.ifPresent(m -> all.add(new LayerFindings.LayerError(start.location(), m)));
      return new LayerFindings(diffId, a.name(), a.version(), files.getOrDefault(a, List.of()),
          List.copyOf(whiteouts), List.copyOf(opaque), all);
    }
  }

  private static String message(IOException e) {
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }
}
