package io.portolan.vuln.advisory;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The Debian security tracker, in any of the forms it is published or mirrored in, as one
 * advisory per CVE with one {@link Affected} per (release, source package):
 *
 * <ul>
 *   <li>the tracker's list files {@code data/CVE/list}, {@code data/DSA/list} and {@code
 *       data/DLA/list} (or excerpts named {@code CVE-list*}, {@code DSA-list*}, {@code
 *       DLA-list*}; other entries are recognised by their first line);
 *   <li>the tracker's JSON export ({@code tracker/data/json});
 *   <li>aquasecurity vuln-list-debian records ({@code tracker/CVE/<year>/CVE-*.json},
 *       {@code tracker/DSA/DSA-*.json}, {@code tracker/DLA/...}).
 * </ul>
 *
 * <p>The unstable line {@code - pkg ...} becomes namespace "debian:unstable"; releases without a
 * line of their own are left to the matcher, which falls back to unstable exactly as the tracker
 * does. A release fix that only a DSA or DLA records is joined into each CVE it lists, unless the
 * CVE says something about that release and package itself. The aliases of a CVE are the DSAs and
 * DLAs that fixed it.
 *
 * <p>Records without any package statement (NOT-FOR-US, RESERVED) are not advisories; REJECTED
 * ones are returned withdrawn. {@code CVE-YYYY-XXXX} placeholders are skipped: they are not
 * identifiers.
 */
public final class DebianTrackerParser implements FeedParser {
  /** Enough to find the first header of a list; a longer first line is not a tracker list. */
  private static final int SNIFF_BYTES = 8192;

  /** Beyond this, one broken entry would drown the others' problems. */
  static final int MAX_PROBLEMS_PER_ENTRY = 100;

  @Override
  public void parse(FeedSnapshot snapshot, Consumer<Advisory> sink, Consumer<String> problems)
      throws IOException {
    DebianTrackerRecords records = new DebianTrackerRecords();
    Set<String> reportedReleases = new HashSet<>();
    int[] recognised = {0};
    snapshot.forEachEntry((name, content) -> {
      EntryProblems entryProblems = new EntryProblems(name, problems);
      if (read(name, content, records, entryProblems, reportedReleases)) {
        recognised[0]++;
      }
      entryProblems.close();
    });
    if (recognised[0] == 0) {
      throw new FeedFormatException(snapshot.origin() + ": no Debian security tracker data (no "
          + "data/CVE/list, DSA/list or DLA/list, tracker JSON export or vuln-list-debian record)");
    }
    records.emit(sink);
  }

  private enum Shape { JSON, LIST, OTHER }

  private static boolean read(String name, InputStream content, DebianTrackerRecords records,
      Consumer<String> problems, Set<String> reportedReleases) throws IOException {
    InputStream in = content;
    Shape shape;
    if (name.endsWith(".json")) {
      shape = Shape.JSON;
    } else if (isListName(name)) {
      shape = Shape.LIST;
    } else {
      // The export is served as ".../tracker/data/json", and mirrors rename the lists freely.
      BufferedInputStream buffered = new BufferedInputStream(content, SNIFF_BYTES);
      shape = sniff(buffered);
      in = buffered;
    }
    switch (shape) {
      case JSON -> {
        boolean ok = new DebianTrackerJson(name, records, problems, reportedReleases).read(in);
        if (!ok) {
          problems.accept(name + ": neither the tracker JSON export nor a vuln-list-debian "
              + "record; skipped");
        }
        return ok;
      }
      case LIST -> {
        readList(name, in, records, problems, reportedReleases);
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  static boolean isListName(String name) {
    String base = name.substring(name.lastIndexOf('/') + 1);
    return name.endsWith("CVE/list") || name.endsWith("DSA/list") || name.endsWith("DLA/list")
        || base.matches("(CVE|DSA|DLA)-list.*");
  }

  private static Shape sniff(BufferedInputStream in) throws IOException {
    in.mark(SNIFF_BYTES);
    byte[] head = in.readNBytes(SNIFF_BYTES);
    in.reset();
    String text = new String(head, StandardCharsets.UTF_8);
    String start = text.stripLeading();
    if (start.startsWith("\uFEFF")) {
      start = start.substring(1).stripLeading();
    }
    if (start.startsWith("{")) {
      return Shape.JSON;
    }
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (!lines[i].isBlank()) {
        boolean cut = i == lines.length - 1 && head.length == SNIFF_BYTES;
        return !cut && DebianTrackerListParser.isHeader(lines[i].stripTrailing())
            ? Shape.LIST
            : Shape.OTHER;
      }
    }
    return Shape.OTHER;
  }

  private static void readList(String name, InputStream in, DebianTrackerRecords records,
      Consumer<String> problems, Set<String> reportedReleases) throws IOException {
    // Not closed: the snapshot owns the stream.
    BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
    DebianTrackerListParser parser =
        new DebianTrackerListParser(name, records, problems, reportedReleases);
    int lineNo = 0;
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      parser.line(++lineNo, line);
    }
    parser.finish();
  }

  /** Caps what one entry may report, and says how much was held back. */
  private static final class EntryProblems implements Consumer<String> {
    private final String name;
    private final Consumer<String> downstream;
    private int count;

    EntryProblems(String name, Consumer<String> downstream) {
      this.name = name;
      this.downstream = downstream;
    }

    @Override
    public void accept(String problem) {
      if (++count <= MAX_PROBLEMS_PER_ENTRY) {
        downstream.accept(problem);
      }
    }

    void close() {
      if (count > MAX_PROBLEMS_PER_ENTRY) {
        downstream.accept(name + ": " + (count - MAX_PROBLEMS_PER_ENTRY)
            + " more problem(s) not shown");
      }
    }
  }
}
