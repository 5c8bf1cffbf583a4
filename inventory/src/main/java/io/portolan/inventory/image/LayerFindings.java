package io.portolan.inventory.image;

import io.portolan.inventory.analyzer.FileFindings;
import java.util.List;

/**
 * What one analyzer found in one layer, as that layer alone shows it: the files it read, the paths
 * the layer deleted ({@code .wh.} whiteouts) or made opaque, and per-file errors. This is the unit
 * cached under {@code diffId + analyzer + analyzerVersion}, and the unit the collector stores once
 * per fleet.
 */
public record LayerFindings(
    String diffId,
    String analyzer,
    int analyzerVersion,
    List<FileFindings> files,
    List<String> whiteouts,
    List<String> opaqueDirectories,
    List<LayerError> errors) {
  public LayerFindings {
    files = List.copyOf(files);
    whiteouts = List.copyOf(whiteouts);
    opaqueDirectories = List.copyOf(opaqueDirectories);
    errors = List.copyOf(errors);
  }

  /** A file the analyzer could not read; the rest of the layer and the other layers still count. */
  public record LayerError(String path, String message) {}
}
