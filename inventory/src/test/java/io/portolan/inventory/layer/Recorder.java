package io.portolan.inventory.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiPredicate;
import java.util.function.Predicate;

/** Records everything a layer source says, layer by layer; reads the content of wanted files. */
final class Recorder implements LayerVisitor {
  final List<LayerStart> starts = new ArrayList<>();
  final Map<String, Layer> layers = new LinkedHashMap<>();
  private final Predicate<LayerStart> read;
  private final Predicate<String> wanted;
  private final long maxBytes;
  /** Which entries the layers say they are interested in (see LayerHandler#interestedIn); all by default. */
  BiPredicate<String, LayerEntry.Type> interested = (path, type) -> true;

  Recorder() {
    this(s -> true, p -> true, 1 << 20);
  }

  Recorder(Predicate<LayerStart> read, Predicate<String> wanted, long maxBytes) {
    this.read = read;
    this.wanted = wanted;
    this.maxBytes = maxBytes;
  }

  /** What one layer said. {@code entries} renders each entry as "path type size mode link". */
  static final class Layer implements LayerHandler {
    final Set<String> entries = new TreeSet<>();
    final Map<String, String> contents = new LinkedHashMap<>();
    final Map<String, String> contentErrors = new LinkedHashMap<>();
    final Set<String> whiteouts = new TreeSet<>();
    final Set<String> opaque = new TreeSet<>();
    final List<String> warnings = new ArrayList<>();
    LayerEnd end;
    private final Predicate<String> wanted;
    private final long maxBytes;
    private final BiPredicate<String, LayerEntry.Type> interested;

    Layer(Predicate<String> wanted, long maxBytes, BiPredicate<String, LayerEntry.Type> interested) {
      this.wanted = wanted;
      this.maxBytes = maxBytes;
      this.interested = interested;
    }

    @Override
    public boolean interestedIn(String path, LayerEntry.Type type) {
      return interested.test(path, type);
    }

    @Override
    public void entry(LayerEntry e, EntryContent content) {
      entries.add(e.path() + " " + e.type() + " " + e.size() + " " + Integer.toOctalString(e.mode()) + " " + e.linkTarget());
      if (e.type() == LayerEntry.Type.FILE && wanted.test(e.path())) {
        try (InputStream in = content.open(maxBytes)) {
          contents.put(e.path(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException ex) {
          contentErrors.put(e.path(), ex.getMessage());
        }
      }
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
      warnings.add(path + ": " + message);
    }

    @Override
    public void end(LayerEnd end) {
      this.end = end;
    }

    String diffId() {
      return end instanceof LayerEnd.Complete c ? c.diffId() : "";
    }
  }

  @Override
  public Optional<LayerHandler> startLayer(LayerStart start) {
    starts.add(start);
    if (!read.test(start)) {
      return Optional.empty();
    }
    Layer layer = new Layer(wanted, maxBytes, interested);
    layers.put(start.location(), layer);
    return Optional.of(layer);
  }

  List<Layer> inOrder(List<LayerRef> refs) {
    return refs.stream().map(r -> layers.get(r.location())).toList();
  }
}
