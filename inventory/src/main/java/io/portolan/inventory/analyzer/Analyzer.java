package io.portolan.inventory.analyzer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
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
   * Whether the regular file at {@code path} with permission bits {@code mode} (0777) is one this
   * analyzer reads. Analyzers of executables narrow {@link #wants(String)} by the execute bits here,
   * which lets a walk skip most files of an image without opening them.
   */
  default boolean wants(String path, int mode) {
    return wants(path);
  }

  /**
   * Whether {@link #wants(String, int)} refuses some files that {@link #wants(String)} accepts,
   * by their mode. A layer that holds such a file (an executable whose execute bits a later layer
   * removed, or a binary replaced by data) records that the path now holds nothing for this
   * analyzer, without reading it, so the lower layer's findings for it do not survive.
   */
  default boolean narrowsByMode() {
    return false;
  }

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

  /**
   * Whether this analyzer reads only parts of large files (an archive's central directory, an ELF
   * section table) and so gains from {@link #analyze(String, SeekableByteChannel, long)} when the
   * source keeps files on disk.
   */
  default boolean randomAccess() {
    return false;
  }

  /**
   * Parses one wanted file with random access. {@code content} starts at position 0, is {@code
   * size} bytes long and belongs to the caller (do not close it). The default reads it as a stream.
   */
  default List<FileFindings> analyze(String path, SeekableByteChannel content, long size) throws IOException {
    content.position(0);
    return analyze(path, Channels.newInputStream(new UnclosableChannel(content)), size);
  }
}
