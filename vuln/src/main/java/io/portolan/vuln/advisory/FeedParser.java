package io.portolan.vuln.advisory;

import java.io.IOException;
import java.util.function.Consumer;

/** Turns one feed snapshot into advisories, streaming: nothing asks for the whole feed in memory. */
public interface FeedParser {
  /**
   * Hands every advisory of the snapshot to {@code sink}. A malformed record is reported to
   * {@code problems} with the entry name and skipped; a snapshot that is not this feed's format at
   * all throws {@link FeedFormatException}.
   */
  void parse(FeedSnapshot snapshot, Consumer<Advisory> sink, Consumer<String> problems)
      throws IOException;
}
