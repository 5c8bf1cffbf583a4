package io.portolan.vuln.advisory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tracker's list syntax (data/CVE/list, data/DSA/list, data/DLA/list), one line at a time. The
 * grammar follows the tracker's own parser (lib/python/sectracker/parsers.py) so that what it
 * accepts we accept, and what it rejects we report rather than guess at. A header line starts a
 * record and tab-indented annotation lines follow it; a record is handed to {@link
 * DebianTrackerRecords} when the next header or the end of the input arrives.
 */
final class DebianTrackerListParser {
  /** {@code CVE-2024-XXXX} placeholders are not identifiers: several records share one. */
  static final Pattern CVE_HEADER =
      Pattern.compile("^(CVE-\\d{4}-(?:\\d{4,}|XXXX)|TEMP-\\d+-\\S+)(?:\\s+(.*?))?\\s*$");
  static final Pattern ADVISORY_HEADER = Pattern.compile(
      "^\\[(\\d\\d) ([A-Z][a-z][a-z]) (\\d{4})\\] ((?:DSA|DLA)-\\d+(?:-\\d+)?)(?:\\s+(.*?))?\\s*$");

  private static final Pattern FLAG = Pattern.compile("^\\s+(RESERVED|REJECTED)\\s*$");
  private static final Pattern TEXT =
      Pattern.compile("^\\s+(NOT-FOR-US|NOTE|TODO):\\s+(\\S.*?)\\s*$");
  private static final Pattern PACKAGE_VERSION = Pattern.compile(
      "^\\s+(?:\\[([a-z]+)\\]\\s)?-\\s([A-Za-z0-9:.+-]+)\\s*"
          + "(?:\\s([A-Za-z0-9:.+~-]+)\\s*)?(?:\\s\\((.*)\\))?\\s*$");
  private static final Pattern PACKAGE_PSEUDO = Pattern.compile(
      "^\\s+(?:\\[([a-z]+)\\]\\s)?-\\s([A-Za-z0-9:.+-]+)\\s+<([a-z-]+)>\\s*"
          + "(?:\\s\\((.*)\\))?\\s*$");
  private static final Pattern XREF = Pattern.compile("^\\s+\\{(.*)\\}\\s*$");
  private static final Pattern URGENCY = Pattern.compile("unimportant|low|medium|high");
  private static final Pattern BUG = Pattern.compile("bug #\\d+");
  private static final Pattern URL = Pattern.compile("https?://\\S+");
  private static final Pattern ADVISORY_ID = Pattern.compile("(?:DSA|DLA)-\\d+(?:-\\d+)?");
  private static final Pattern CVE_ID = Pattern.compile("CVE-\\d{4}-\\d{4,}");

  /** Tracker releases that no installed system reports, so they have no namespace to match. */
  private static final Set<String> UNMATCHABLE_RELEASES = Set.of("experimental");

  private enum RecordKind { CVE, ADVISORY, SKIPPED }

  private final String entryName;
  private final DebianTrackerRecords records;
  private final Consumer<String> problems;
  private final Set<String> reportedReleases;

  private RecordKind kind;
  private String id;
  private int headerLine;
  private boolean rejected;
  private final List<String> xrefs = new ArrayList<>();
  private final List<String> references = new ArrayList<>();
  private final List<DebianTrackerRecords.Entry> entries = new ArrayList<>();
  private final List<String> seenTargets = new ArrayList<>();
  private String summary = "";

  /**
   * @param reportedReleases codenames already reported as unknown in this parse run, shared so
   *     that a whole list with sarge-era lines costs one problem, not thousands
   */
  DebianTrackerListParser(String entryName, DebianTrackerRecords records,
      Consumer<String> problems, Set<String> reportedReleases) {
    this.entryName = entryName;
    this.records = records;
    this.problems = problems;
    this.reportedReleases = reportedReleases;
  }

  /** Whether {@code line} opens a record of any list: how unnamed entries are recognised. */
  static boolean isHeader(String line) {
    return CVE_HEADER.matcher(line).matches() || ADVISORY_HEADER.matcher(line).matches();
  }

  void line(int lineNo, String line) {
    if (line.isBlank()) {
      return;
    }
    char first = line.charAt(0);
    if (first != ' ' && first != '\t') {
      finish();
      header(lineNo, line);
      return;
    }
    if (kind == null) {
      problem(lineNo, "annotation before any header", line);
      return;
    }
    if (kind != RecordKind.SKIPPED) {
      annotation(lineNo, line);
    }
  }

  /** Hands over the record in progress; call once the input ends. */
  void finish() {
    if (kind == RecordKind.CVE) {
      finishCve();
    } else if (kind == RecordKind.ADVISORY) {
      finishAdvisory();
    }
    kind = null;
    id = null;
    rejected = false;
    summary = "";
    xrefs.clear();
    references.clear();
    entries.clear();
    seenTargets.clear();
  }

  private void header(int lineNo, String line) {
    headerLine = lineNo;
    Matcher m = CVE_HEADER.matcher(line);
    if (m.matches()) {
      id = m.group(1);
      kind = id.endsWith("-XXXX") ? RecordKind.SKIPPED : RecordKind.CVE;
      summary = description(m.group(2));
      return;
    }
    m = ADVISORY_HEADER.matcher(line);
    if (m.matches()) {
      id = m.group(4);
      kind = RecordKind.ADVISORY;
      return;
    }
    kind = RecordKind.SKIPPED;
    problem(lineNo, "malformed header; its annotations are skipped", line);
  }

  /** The tracker wraps NVD's description in "(...)" and its own summary in "[...]". */
  private static String description(String text) {
    if (text == null) {
      return "";
    }
    String t = text.strip();
    if (t.length() >= 2 && ((t.startsWith("(") && t.endsWith(")"))
        || (t.startsWith("[") && t.endsWith("]")))) {
      return t.substring(1, t.length() - 1).strip();
    }
    return t;
  }

  private void annotation(int lineNo, String line) {
    Matcher m = FLAG.matcher(line);
    if (m.matches()) {
      rejected |= m.group(1).equals("REJECTED");
      return;
    }
    m = TEXT.matcher(line);
    if (m.matches()) {
      if (m.group(1).equals("NOTE")) {
        Matcher url = URL.matcher(m.group(2));
        while (url.find()) {
          references.add(trimUrl(url.group()));
        }
      }
      return;
    }
    m = PACKAGE_VERSION.matcher(line);
    if (m.matches()) {
      packageLine(lineNo, line, m.group(1), m.group(2),
          m.group(3) == null ? "unfixed" : null, m.group(3), m.group(4));
      return;
    }
    m = PACKAGE_PSEUDO.matcher(line);
    if (m.matches()) {
      packageLine(lineNo, line, m.group(1), m.group(2), m.group(3), null, m.group(4));
      return;
    }
    m = XREF.matcher(line);
    if (m.matches()) {
      String[] ids = m.group(1).strip().split("\\s+");
      if (ids.length == 1 && ids[0].isEmpty()) {
        problem(lineNo, "empty cross-reference", line);
        return;
      }
      xrefs.addAll(List.of(ids));
      return;
    }
    problem(lineNo, "invalid annotation", line);
  }

  /**
   * @param pseudo the {@code <kind>} of the line, null for a fixed version
   * @param inner the parenthesised text: urgency and bug for fixes and {@code <unfixed>}, a
   *     free-text reason for the other states
   */
  private void packageLine(int lineNo, String line, String release, String pkg, String pseudo,
      String version, String inner) {
    if (kind == RecordKind.ADVISORY && release == null) {
      problem(lineNo, "release annotation required in a DSA/DLA list", line);
      return;
    }
    String reason = inner == null ? "" : inner.strip();
    AffectedState state;
    String note = "";
    String urgency = "";
    if (pseudo == null) {
      state = AffectedState.RANGES;
      urgency = urgency(lineNo, line, reason);
    } else {
      switch (pseudo) {
        case "unfixed" -> {
          state = AffectedState.UNFIXED;
          urgency = urgency(lineNo, line, reason);
        }
        case "undetermined" -> {
          state = AffectedState.UNFIXED;
          note = "undetermined";
          urgency = urgency(lineNo, line, reason);
        }
        case "removed" -> {
          state = AffectedState.REMOVED;
          urgency = urgency(lineNo, line, reason);
        }
        case "no-dsa" -> {
          state = AffectedState.NO_DSA;
          note = reason;
        }
        case "postponed" -> {
          state = AffectedState.POSTPONED;
          note = reason;
        }
        case "ignored" -> {
          state = AffectedState.IGNORED;
          note = reason;
        }
        case "not-affected" -> {
          state = AffectedState.NOT_AFFECTED;
          note = reason;
        }
        case "end-of-life" -> {
          // The model has no end-of-life state: affected and never fixed is what it means.
          state = AffectedState.IGNORED;
          note = "end-of-life";
        }
        case "itp" -> state = null;
        default -> {
          problem(lineNo, "invalid pseudo-version <" + pseudo + ">", line);
          return;
        }
      }
    }
    String target = (release == null ? "" : release) + ' ' + pkg;
    if (seenTargets.contains(target)) {
      problem(lineNo, "duplicate package annotation", line);
      return;
    }
    seenTargets.add(target);
    if (state == null) {
      // An intent-to-package: nothing of it is installed anywhere yet.
      return;
    }
    Optional<String> namespace = namespace(lineNo, release);
    if (namespace.isEmpty()) {
      return;
    }
    entries.add(records.entry(namespace.get(), pkg, state, version, urgency, note));
  }

  private String urgency(int lineNo, String line, String inner) {
    String urgency = "";
    if (inner.isEmpty()) {
      return urgency;
    }
    for (String part : inner.split(";")) {
      String p = part.strip();
      if (URGENCY.matcher(p).matches()) {
        if (!urgency.isEmpty()) {
          problem(lineNo, "more than one urgency", line);
        } else {
          urgency = p;
        }
      } else if (!BUG.matcher(p).matches()) {
        problem(lineNo, "invalid inner annotation '" + p + "'", line);
      }
    }
    return urgency;
  }

  private Optional<String> namespace(int lineNo, String release) {
    if (release == null) {
      return Namespaces.debian("sid");
    }
    Optional<String> namespace = Namespaces.debian(release);
    if (namespace.isEmpty() && !UNMATCHABLE_RELEASES.contains(release)
        && reportedReleases.add(release)) {
      problems.accept(entryName + ":" + lineNo + ": release [" + release
          + "] has no Debian namespace; lines for it are skipped (reported once)");
    }
    return namespace;
  }

  private void finishCve() {
    if (entries.isEmpty() && !rejected && xrefs.stream().noneMatch(this::isAdvisoryId)) {
      // NOT-FOR-US and RESERVED records: nothing in Debian to match, and half of data/CVE/list.
      return;
    }
    records.summary(id, summary);
    if (rejected) {
      records.withdrawn(id);
    }
    for (String x : xrefs) {
      if (isAdvisoryId(x)) {
        records.alias(id, x);
      }
    }
    for (String url : references) {
      records.reference(id, url);
    }
    for (DebianTrackerRecords.Entry e : entries) {
      records.add(id, e);
    }
  }

  private void finishAdvisory() {
    List<String> cves = xrefs.stream().filter(x -> CVE_ID.matcher(x).matches()).toList();
    if (cves.isEmpty()) {
      return;
    }
    records.advisory(id, cves, List.copyOf(entries));
  }

  private boolean isAdvisoryId(String x) {
    return ADVISORY_ID.matcher(x).matches();
  }

  /** A URL in running text may be followed by punctuation that belongs to the sentence. */
  private static String trimUrl(String url) {
    int end = url.length();
    while (end > 0) {
      char c = url.charAt(end - 1);
      if (c == '.' || c == ',' || c == ';' || c == ':'
          || (c == ')' && url.lastIndexOf('(', end - 1) < 0)) {
        end--;
      } else {
        break;
      }
    }
    return url.substring(0, end);
  }

  private void problem(int lineNo, String message, String line) {
    String shown = line.strip();
    if (shown.length() > 200) {
      shown = shown.substring(0, 200) + "...";
    }
    problems.accept(entryName + ":" + lineNo + ": " + message
        + (id != null && lineNo != headerLine ? " (in " + id + ")" : "") + ": " + shown);
  }
}
