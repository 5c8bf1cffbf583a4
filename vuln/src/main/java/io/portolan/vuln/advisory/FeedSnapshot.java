package io.portolan.vuln.advisory;

import java.io.IOException;
import java.io.InputStream;

/**
 * The files of one feed as fetched: a single file, a directory tree or a zip archive. Entries are
 * visited once, in a stable order, and each stream is valid only during its callback.
 */
public interface FeedSnapshot {
  /** A short description for messages, such as the path or URL it came from. */
  String origin();

  void forEachEntry(EntryVisitor visitor) throws IOException;

  @FunctionalInterface
  interface EntryVisitor {
    /** {@code name} is the path inside the snapshot, '/'-separated. */
    void visit(String name, InputStream content) throws IOException;
  }
}
