package io.portolan.inventory.analyzer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a layer file without trusting its declared size: analyzers get at most {@code max} bytes,
 * either in memory or spooled to a temporary file, and anything larger is an {@link
 * AnalysisException} naming the file rather than an unbounded allocation.
 */
public final class BoundedInput {
  private BoundedInput() {}

  /** Reads all of {@code in} into memory, failing once more than {@code max} bytes arrive. */
  public static byte[] readAll(String path, InputStream in, long declaredSize, long max) throws IOException {
    checkDeclared(path, declaredSize, max);
    // Read one byte past the limit so an over-long stream is detected rather than silently cut.
    byte[] bytes = in.readNBytes((int) Math.min(max + 1, Integer.MAX_VALUE - 8));
    if (bytes.length > max) {
      throw new AnalysisException(path + ": larger than the " + max + "-byte limit (at offset " + max + ")");
    }
    return bytes;
  }

  /**
   * Copies {@code in} to a new file in {@code dir} (the caller deletes it), failing once more than
   * {@code max} bytes arrive; used where a format needs random access or a file name (SQLite).
   */
  public static Path spool(String path, InputStream in, long declaredSize, long max, Path dir) throws IOException {
    checkDeclared(path, declaredSize, max);
    Path file = Files.createTempFile(dir, "portolan-spool-", ".tmp");
    boolean done = false;
    try (OutputStream out = Files.newOutputStream(file)) {
      byte[] buffer = new byte[64 * 1024];
      long total = 0;
      int n;
      while ((n = in.read(buffer)) != -1) {
        total += n;
        if (total > max) {
          throw new AnalysisException(path + ": larger than the " + max + "-byte limit (at offset " + max + ")");
        }
        out.write(buffer, 0, n);
      }
      done = true;
      return file;
    } finally {
      if (!done) {
        Files.deleteIfExists(file);
      }
    }
  }

  private static void checkDeclared(String path, long declaredSize, long max) throws AnalysisException {
    if (declaredSize > max) {
      throw new AnalysisException(path + ": " + declaredSize + " bytes exceeds the " + max + "-byte limit");
    }
  }
}
