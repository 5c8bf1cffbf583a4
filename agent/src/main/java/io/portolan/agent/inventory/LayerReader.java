package io.portolan.agent.inventory;

import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.image.LayerFindings;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an image's layers from wherever this host keeps them (overlay2 directories, else the
 * {@code docker save} stream) and runs the given analyzers over the layers that need them.
 */
public interface LayerReader {

  /**
   * Analyzes the layers of {@code imageId} whose diff ID is in {@code diffIds} with the analyzers
   * each one still needs. Keys of {@code needed} are diff IDs; the result has one entry per
   * (diff ID, analyzer) that was run.
   */
  Analysis analyze(String imageId, List<String> imageDiffIds, Map<String, Set<Analyzer>> needed,
      CancelSignal cancel) throws IOException;

  /**
   * Findings safe to cache (layers read whole, corrupt files inside them included as errors), and
   * the layers that could not be read whole, which are reported but never cached. {@code
   * cancelled} says where the read stopped when the signal asked it to; the findings are then those
   * of the layers read whole before that.
   */
  record Analysis(List<LayerFindings> findings, List<String> failures, java.util.Optional<String> cancelled) {
    public Analysis(List<LayerFindings> findings, List<String> failures) {
      this(findings, failures, java.util.Optional.empty());
    }
  }

  /** Checked between files, so a cancelled scan stops promptly, not at the end of the image. */
  @FunctionalInterface
  interface CancelSignal {
    boolean cancelled();

    /** Told after each layer read, with how many were read so far (for progress). */
    default void layersRead(int read) {}
  }
}
