package io.portolan.vuln.advisory;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The two JSON shapes of the tracker's data: its own export
 * (https://security-tracker.debian.org/tracker/data/json, written by bin/tracker_service.py) and
 * aquasecurity's vuln-list-debian records, which carry the verbatim list lines and so go through
 * {@link DebianTrackerListParser}. The export is about 70 MB: it is read one source package at a
 * time, and a truncated download still yields every package that arrived whole.
 */
final class DebianTrackerJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern ISSUE_ID = Pattern.compile("CVE-\\d{4}-\\d{4,}|TEMP-\\d+-\\S+");

  /** The tracker's word for "nobody rated it yet"; not a severity. */
  private static final String NO_URGENCY = "not yet assigned";

  private final String entryName;
  private final DebianTrackerRecords records;
  private final Consumer<String> problems;
  private final Set<String> reportedReleases;

  DebianTrackerJson(String entryName, DebianTrackerRecords records, Consumer<String> problems,
      Set<String> reportedReleases) {
    this.entryName = entryName;
    this.records = records;
    this.problems = problems;
    this.reportedReleases = reportedReleases;
  }

  /** Whether the entry was either shape; if not, nothing was recorded from it. */
  boolean read(InputStream in) throws IOException {
    try (JsonParser p = MAPPER.getFactory().createParser(in)) {
      // The snapshot owns the stream.
      p.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
      String first;
      try {
        if (p.nextToken() != JsonToken.START_OBJECT) {
          return false;
        }
        JsonToken t = p.nextToken();
        if (t == JsonToken.END_OBJECT) {
          return true;
        }
        first = p.currentName();
      } catch (JsonProcessingException e) {
        return false;
      }
      if (first.equals("Header") || first.equals("Annotations")) {
        readVulnListRecord(p);
      } else {
        readExport(p, first);
      }
      return true;
    }
  }

  private void readExport(JsonParser p, String firstPackage) throws IOException {
    int complete = 0;
    String pkg = firstPackage;
    try {
      while (true) {
        int line = p.currentTokenLocation().getLineNr();
        if (p.nextToken() != JsonToken.START_OBJECT) {
          problem(line, "source package " + pkg + " is not an object; skipped");
          p.skipChildren();
        } else {
          JsonNode issues = p.readValueAsTree();
          sourcePackage(line, pkg, issues);
          complete++;
        }
        JsonToken t = p.nextToken();
        if (t == JsonToken.END_OBJECT) {
          return;
        }
        if (t != JsonToken.FIELD_NAME) {
          problem(p.currentTokenLocation().getLineNr(), "expected a source package name after "
              + pkg + ", found " + t + "; the rest is skipped");
          return;
        }
        pkg = p.currentName();
      }
    } catch (JsonProcessingException e) {
      String why = e.getOriginalMessage().lines().findFirst().orElse("");
      problems.accept(entryName + ":" + where(e.getLocation()) + ": tracker JSON export is "
          + "truncated or malformed after " + complete + " complete source package(s) (at "
          + pkg + "); the rest is skipped: " + why);
    }
  }

  private void sourcePackage(int line, String pkg, JsonNode issues) {
    for (Map.Entry<String, JsonNode> issue : issues.properties()) {
      String id = issue.getKey();
      JsonNode body = issue.getValue();
      if (!ISSUE_ID.matcher(id).matches() || !body.isObject()) {
        problem(line, pkg + "/" + id + ": not a CVE or TEMP issue object; skipped");
        continue;
      }
      JsonNode releases = body.path("releases");
      if (!releases.isObject()) {
        problem(line, pkg + "/" + id + ": no releases object; skipped");
        continue;
      }
      List<DebianTrackerRecords.Entry> entries = new ArrayList<>();
      for (Map.Entry<String, JsonNode> release : releases.properties()) {
        DebianTrackerRecords.Entry e = release(line, pkg, id, release.getKey(), release.getValue());
        if (e != null) {
          entries.add(e);
        }
      }
      records.summary(id, text(body, "description"));
      for (DebianTrackerRecords.Entry e : entries) {
        records.add(id, e);
      }
    }
  }

  /**
   * One release of one package, the way bin/tracker_service.py computed it: "resolved" with
   * fixed_version "0" means never affected; an open issue with a nodsa comment is no-dsa, or
   * postponed or ignored per nodsa_reason; end-of-life shows only as the urgency.
   */
  private DebianTrackerRecords.Entry release(int line, String pkg, String id, String codename,
      JsonNode r) {
    String where = pkg + "/" + id + "/" + codename;
    if (!r.isObject()) {
      problem(line, where + ": release is not an object; skipped");
      return null;
    }
    Optional<String> namespace = Namespaces.debian(codename);
    if (namespace.isEmpty()) {
      if (reportedReleases.add(codename)) {
        problem(line, "release " + codename + " has no Debian namespace; entries for it are "
            + "skipped (reported once)");
      }
      return null;
    }
    String status = text(r, "status");
    String urgency = text(r, "urgency");
    boolean endOfLife = urgency.equals("end-of-life");
    String severity = urgency.equals(NO_URGENCY) || endOfLife ? "" : urgency;
    AffectedState state;
    String fixed = "";
    String note = "";
    switch (status) {
      case "resolved" -> {
        fixed = text(r, "fixed_version");
        if (fixed.isEmpty()) {
          problem(line, where + ": resolved without a fixed_version; skipped");
          return null;
        }
        if (fixed.equals("0")) {
          state = AffectedState.NOT_AFFECTED;
          fixed = "";
        } else {
          state = AffectedState.RANGES;
        }
      }
      case "open" -> {
        if (endOfLife) {
          state = AffectedState.IGNORED;
          note = "end-of-life";
        } else if (r.hasNonNull("nodsa")) {
          note = text(r, "nodsa");
          state = switch (text(r, "nodsa_reason")) {
            case "postponed" -> AffectedState.POSTPONED;
            case "ignored" -> AffectedState.IGNORED;
            default -> AffectedState.NO_DSA;
          };
        } else {
          state = AffectedState.UNFIXED;
        }
      }
      case "undetermined" -> {
        state = AffectedState.UNFIXED;
        note = "undetermined";
      }
      default -> {
        problem(line, where + ": unknown status '" + status + "'; skipped");
        return null;
      }
    }
    return records.entry(namespace.get(), pkg, state, fixed, severity, note);
  }

  /**
   * A vuln-list-debian file: {@code Header.Original} is the list's header line and each {@code
   * Annotations[].Original} one of its indented lines. Their parsed fields are vuln-list's reading
   * of the same line, so only the verbatim text is used and it is read exactly like the list.
   */
  private void readVulnListRecord(JsonParser p) throws IOException {
    List<Integer> lineNos = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    int headerAt = -1;
    try {
      do {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("Header") && value == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            if (name.equals("Original") && p.currentToken() == JsonToken.VALUE_STRING) {
              headerAt = lines.size();
              lineNos.add(p.currentTokenLocation().getLineNr());
              lines.add(p.getText());
            } else {
              p.skipChildren();
            }
          }
        } else if (field.equals("Annotations") && value == JsonToken.START_ARRAY) {
          annotations(p, lineNos, lines);
        } else {
          p.skipChildren();
        }
      } while (p.nextToken() == JsonToken.FIELD_NAME);
    } catch (JsonProcessingException e) {
      problems.accept(entryName + ":" + where(e.getLocation()) + ": malformed vuln-list record; "
          + "skipped: " + e.getOriginalMessage().lines().findFirst().orElse(""));
      return;
    }
    if (headerAt < 0) {
      problem(1, "vuln-list record without Header.Original; skipped");
      return;
    }
    DebianTrackerListParser parser =
        new DebianTrackerListParser(entryName, records, problems, reportedReleases);
    parser.line(lineNos.get(headerAt), lines.get(headerAt));
    for (int i = 0; i < lines.size(); i++) {
      if (i != headerAt) {
        // vuln-list strips the tab that makes a line an annotation in the list file.
        parser.line(lineNos.get(i), "\t" + lines.get(i));
      }
    }
    parser.finish();
  }

  private void annotations(JsonParser p, List<Integer> lineNos, List<String> lines)
      throws IOException {
    while (p.nextToken() != JsonToken.END_ARRAY) {
      int at = p.currentTokenLocation().getLineNr();
      if (p.currentToken() != JsonToken.START_OBJECT) {
        problem(at, "annotation is not an object; skipped");
        p.skipChildren();
        continue;
      }
      boolean found = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        if (name.equals("Original") && p.currentToken() == JsonToken.VALUE_STRING) {
          found = true;
          lineNos.add(p.currentTokenLocation().getLineNr());
          lines.add(p.getText());
        } else {
          p.skipChildren();
        }
      }
      if (!found) {
        problem(at, "annotation without Original; skipped");
      }
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? "" : v.asText().strip();
  }

  private static String where(JsonLocation location) {
    return location == null ? "?" : location.getLineNr() + ":" + location.getColumnNr();
  }

  private void problem(int line, String message) {
    problems.accept(entryName + ":" + line + ": " + message);
  }
}
