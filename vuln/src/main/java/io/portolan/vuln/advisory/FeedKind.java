package io.portolan.vuln.advisory;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** The advisory feed formats we read, told apart by content rather than by where they came from. */
public enum FeedKind {
  OSV,
  DEBIAN_TRACKER,
  ALPINE_SECDB;

  /** Data entries looked at before giving up; a feed's first files decide. */
  private static final int MAX_CANDIDATES = 8;
  /** Top-level keys read from one JSON/YAML entry; records decide within their first few. */
  private static final int MAX_KEYS = 1_000;
  private static final int MAX_LINE_BYTES = 4096;
  private static final Pattern DSA_LINE =
      Pattern.compile("^\\[\\d{1,2} [A-Z][a-z]{2} \\d{4}\\] (DSA|DLA|DTSA)-\\d+");
  private static final Pattern TRACKER_ID = Pattern.compile("^(CVE|TEMP)-\\d{4}-");
  private static final Pattern TRACKER_LIST = Pattern.compile("(^|/)(CVE|DSA|DLA|DTSA)/list$");

  /**
   * Sniffs the first data entries of {@code snapshot}, skipping documentation and hidden files:
   *
   * <ul>
   *   <li>OSV: a JSON/YAML object (or array of them) with "id" and one of "affected", "modified"
   *       or "schema_version";
   *   <li>Alpine secdb: an object with "packages" and "distroversion" or "reponame";
   *   <li>Debian tracker: the tracker JSON (package -> CVE id -> {"releases": ...}), vuln-list's
   *       per-record JSON ("Header" and "Annotations"), the native {@code CVE/list} or {@code
   *       DSA/list} by name, or text whose first line starts with "CVE-" or "[dd Mon yyyy] DSA-".
   * </ul>
   */
  public static FeedKind detect(FeedSnapshot snapshot) throws IOException {
    List<String> looked = new ArrayList<>();
    FeedKind[] found = new FeedKind[1];
    try {
      snapshot.forEachEntry((name, content) -> {
        if (isDocumentation(name)) {
          return;
        }
        Optional<FeedKind> kind;
        try {
          kind = sniff(name, content);
        } catch (IOException | RuntimeException e) {
          if (e instanceof FeedFormatException) {
            throw (FeedFormatException) e;
          }
          kind = Optional.empty();
        }
        if (kind.isPresent()) {
          found[0] = kind.get();
          throw Decided.INSTANCE;
        }
        looked.add(name);
        if (looked.size() >= MAX_CANDIDATES) {
          throw Decided.INSTANCE;
        }
      });
    } catch (Decided stop) {
      // The walk ends as soon as a verdict (or the candidate budget) is reached.
    }
    if (found[0] != null) {
      return found[0];
    }
    throw new FeedFormatException(snapshot.origin() + ": not a known advisory feed; "
        + (looked.isEmpty() ? "it has no data entries" : "looked at " + looked)
        + ". Expected OSV records (JSON/YAML with id and affected/modified/schema_version), an"
        + " Alpine secdb (packages with distroversion/reponame) or Debian tracker data (tracker"
        + " JSON, vuln-list Header/Annotations JSON, CVE/list or DSA/list)");
  }

  /** Ends the walk early; no stack trace, it is not an error. */
  private static final class Decided extends IOException {
    static final Decided INSTANCE = new Decided();

    private Decided() {
      super("decided");
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  private static boolean isDocumentation(String name) {
    String base = name.substring(name.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
    return base.isEmpty() || base.startsWith(".") || base.startsWith("readme")
        || base.startsWith("license") || base.startsWith("copying") || base.startsWith("notice")
        || base.endsWith(".md") || base.endsWith(".tsv") || base.endsWith(".csv")
        || base.endsWith(".sha256") || base.endsWith(".asc") || base.endsWith(".sig");
  }

  private static Optional<FeedKind> sniff(String name, InputStream raw) throws IOException {
    if (TRACKER_LIST.matcher(name).find()) {
      return Optional.of(DEBIAN_TRACKER);
    }
    BufferedInputStream in = new BufferedInputStream(raw, MAX_LINE_BYTES);
    // Text first: a DSA list line starts with '[' and must not be taken for JSON.
    in.mark(MAX_LINE_BYTES);
    String line = firstLine(in);
    in.reset();
    if (line.startsWith("CVE-") || DSA_LINE.matcher(line).find()) {
      return Optional.of(DEBIAN_TRACKER);
    }
    int first = firstSignificantByte(in);
    if (first == '{' || first == '[') {
      try (JsonParser p = FeedDocuments.JSON.createParser(in)) {
        return structured(p);
      }
    }
    if (FeedDocuments.isYamlName(name) || first == '-' || first == '%') {
      try (JsonParser p = FeedDocuments.YAML.createParser(in)) {
        return structured(p);
      }
    }
    return Optional.empty();
  }

  /** Skips a BOM and whitespace, leaving the stream at the first other byte. */
  private static int firstSignificantByte(BufferedInputStream in) throws IOException {
    in.mark(MAX_LINE_BYTES);
    int skipped = 0;
    int b;
    while ((b = in.read()) >= 0 && skipped < MAX_LINE_BYTES - 1) {
      boolean bom = b == 0xEF || b == 0xBB || b == 0xBF;
      if (!bom && !Character.isWhitespace(b)) {
        break;
      }
      skipped++;
    }
    in.reset();
    return b;
  }

  private static String firstLine(BufferedInputStream in) throws IOException {
    byte[] head = in.readNBytes(MAX_LINE_BYTES);
    String text = new String(head, StandardCharsets.UTF_8).replace("\uFEFF", "");
    for (String line : text.split("\r?\n")) {
      if (!line.isBlank()) {
        return line.strip();
      }
    }
    return "";
  }

  private static Optional<FeedKind> structured(JsonParser p) throws IOException {
    JsonToken t = p.nextToken();
    if (t == JsonToken.START_ARRAY) {
      // A list of OSV records; the first one speaks for all.
      t = p.nextToken();
      if (t != JsonToken.START_OBJECT) {
        return Optional.empty();
      }
      return topLevel(p).filter(k -> k == OSV);
    }
    return t == JsonToken.START_OBJECT ? topLevel(p) : Optional.empty();
  }

  /** Reads the keys of the object the parser has just entered, deciding as early as it can. */
  private static Optional<FeedKind> topLevel(JsonParser p) throws IOException {
    Set<String> keys = new HashSet<>();
    int count = 0;
    boolean firstKey = true;
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME && count++ < MAX_KEYS) {
      keys.add(p.currentName());
      JsonToken value = p.nextToken();
      if (firstKey && value == JsonToken.START_OBJECT && trackerPackage(p)) {
        return Optional.of(DEBIAN_TRACKER);
      }
      firstKey = false;
      if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
        p.skipChildren();
      }
      if (keys.contains("id") && (keys.contains("affected") || keys.contains("modified")
          || keys.contains("schema_version"))) {
        return Optional.of(OSV);
      }
      if (keys.contains("packages")
          && (keys.contains("distroversion") || keys.contains("reponame"))) {
        return Optional.of(ALPINE_SECDB);
      }
      if (keys.contains("Header") && keys.contains("Annotations")) {
        return Optional.of(DEBIAN_TRACKER);
      }
    }
    return Optional.empty();
  }

  /**
   * Whether the object just entered looks like one package of the tracker JSON: its first key a
   * CVE or TEMP id whose object has "releases". Leaves the parser at the end of that object.
   */
  private static boolean trackerPackage(JsonParser p) throws IOException {
    boolean matched = false;
    JsonToken t = p.nextToken();
    if (t == JsonToken.FIELD_NAME && TRACKER_ID.matcher(p.currentName()).find()) {
      t = p.nextToken();
      if (t == JsonToken.START_OBJECT) {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          if (p.currentName().equals("releases")) {
            matched = true;
          }
          JsonToken v = p.nextToken();
          if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
            p.skipChildren();
          }
        }
        // At the end of the CVE's object, one level inside the package object.
        t = p.nextToken();
      }
    }
    if (matched) {
      return true;
    }
    // Close whatever is open of the package object so the top-level walk can go on.
    int depth = 1;
    while (t != null && depth > 0) {
      if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
        depth++;
      } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
        depth--;
      }
      if (depth > 0) {
        t = p.nextToken();
      }
    }
    return false;
  }
}
