package io.portolan.inventory.analyzer;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Reads the files it wants out of a layer and reports what they hold. An analyzer sees one file at
 * a time and no other layer, so its output depends on the layer alone and can be cached under
 * {@code diffId + name + version}. Bump {@link #version()} whenever the output for the same input
 * could change.
 */
public interface Analyzer {

  String name();

  int version();

  /** Whether {@code path} (relative, normalized) is a file this analyzer reads. */
  boolean wants(String path);

  /**
   * Paths (directories or files, relative) below which every file this analyzer wants lives; ""
   * means anywhere. Sources that can skip directories (overlay2) walk only toward these, so an OS
   * package scan does not visit a whole JDK.
   */
  default java.util.List<String> roots() {
    return java.util.List.of("");
  }

  /** The largest file it will read; larger ones are reported as errors, never read. */
  default long maxFileBytes() {
    return 256L * 1024 * 1024;
  }

  /**
   * Parses one wanted file. Throws {@link AnalysisException} (naming the file and offset) for
   * corrupt input; the caller records it for this layer and goes on with the others.
   */
  List<FileFindings> analyze(String path, InputStream content, long size) throws IOException;
}
