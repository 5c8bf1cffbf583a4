package io.portolan.inventory.lang.npm;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.analyzer.TextLines;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code yarn.lock}, both formats. Classic (v1) is yarn's own syntax: an unindented, comma-separated
 * list of descriptors ({@code "name@range", name@range2:}) and indented {@code key value} fields.
 * Berry (v2+) is YAML with a {@code __metadata} block, one quoted descriptor list per entry and
 * {@code key: value} fields. Only the entry headers and their first-level fields are read; nested
 * blocks ({@code dependencies:}) are skipped. yarn.lock records no dev/production split.
 */
final class YarnLockParser {
  private YarnLockParser() {}

  /** One entry while it is being read: where it started and its first-level fields. */
  private static final class Entry {
    final String header;
    final int line;
    final long offset;
    String version = "";
    String resolution = "";
    String linkType = "";

    Entry(String header, int line, long offset) {
      this.header = header;
      this.line = line;
      this.offset = offset;
    }
  }

  static List<Package> parse(String path, byte[] data) throws AnalysisException {
    boolean berry = false;
    List<Entry> entries = new ArrayList<>();
    Entry current = null;
    for (TextLines.Line l : TextLines.of(path, data)) {
      String line = l.text();
      if (line.isBlank() || line.stripLeading().startsWith("#")) {
        continue;
      }
      int indent = 0;
      while (indent < line.length() && line.charAt(indent) == ' ') {
        indent++;
      }
      if (indent == 0) {
        if (!line.endsWith(":")) {
          throw error(path, l, "expected an entry header ending in ':'");
        }
        String header = line.substring(0, line.length() - 1);
        if (header.equals("__metadata")) {
          berry = true;
          current = null;
        } else {
          current = new Entry(header, l.number(), l.offset());
          entries.add(current);
        }
        continue;
      }
      if (current == null) {
        if (entries.isEmpty() && berry) {
          continue; // __metadata fields
        }
        throw error(path, l, "indented line outside an entry");
      }
      if (indent != 2) {
        continue; // inside dependencies:, bin:, dependenciesMeta: ...
      }
      String[] kv = berry ? berryField(path, l) : classicField(path, l);
      switch (kv[0]) {
        case "version" -> current.version = kv[1];
        case "resolution" -> current.resolution = kv[1];
        case "linkType" -> current.linkType = kv[1];
        default -> { }
      }
    }
    LockedPackages found = new LockedPackages();
    for (Entry e : entries) {
      if (berry) {
        addBerry(path, e, found);
      } else {
        addClassic(path, e, found);
      }
    }
    return found.toPackages(path);
  }

  private static void addClassic(String path, Entry e, LockedPackages found) throws AnalysisException {
    if (e.version.isEmpty()) {
      throw entryError(path, e, "has no version");
    }
    String name = "";
    for (String raw : e.header.split(",")) {
      String descriptor = unquote(raw.strip());
      int at = descriptor.indexOf('@', 1);
      if (at <= 0) {
        throw entryError(path, e, "has a malformed descriptor '" + descriptor + "'");
      }
      String range = descriptor.substring(at + 1);
      if (range.startsWith("npm:")) {
        // An alias ("lodash@npm:lodash-es@^4"): what is installed is the target package.
        String target = range.substring(4);
        int targetAt = target.indexOf('@', 1);
        name = targetAt > 0 ? target.substring(0, targetAt) : target;
        break;
      }
      if (name.isEmpty()) {
        name = descriptor.substring(0, at);
      }
    }
    found.add(name, e.version, "", false);
  }

  private static void addBerry(String path, Entry e, LockedPackages found) throws AnalysisException {
    if (e.linkType.equals("soft")) {
      return; // workspaces, link: and portal: entries are the project's own folders
    }
    if (e.resolution.isEmpty() || e.version.isEmpty()) {
      throw entryError(path, e, "has no " + (e.resolution.isEmpty() ? "resolution" : "version"));
    }
    int at = e.resolution.indexOf('@', 1);
    if (at <= 0) {
      throw entryError(path, e, "has a malformed resolution '" + e.resolution + "'");
    }
    String protocol = e.resolution.substring(at + 1);
    // A patch: entry is the npm: entry it patches, listed twice; workspace: is the project itself.
    if (protocol.startsWith("patch:") || protocol.startsWith("workspace:")) {
      return;
    }
    found.add(e.resolution.substring(0, at), e.version, "", false);
  }

  /** Berry: {@code key: value}, the value possibly quoted. */
  private static String[] berryField(String path, TextLines.Line l) throws AnalysisException {
    String text = l.text().strip();
    int colon = text.indexOf(':');
    if (colon <= 0) {
      throw error(path, l, "expected 'key: value'");
    }
    return new String[] {unquote(text.substring(0, colon)), unquote(text.substring(colon + 1).strip())};
  }

  /** Classic: {@code key value} or {@code key:} opening a nested block; either side may be quoted. */
  private static String[] classicField(String path, TextLines.Line l) throws AnalysisException {
    String text = l.text().strip();
    if (text.endsWith(":")) {
      return new String[] {unquote(text.substring(0, text.length() - 1)), ""};
    }
    int split;
    if (text.startsWith("\"")) {
      split = text.indexOf('"', 1) + 1;
      if (split <= 0) {
        throw error(path, l, "unterminated quoted key");
      }
    } else {
      split = text.indexOf(' ');
    }
    if (split <= 0 || split >= text.length()) {
      throw error(path, l, "expected 'key value'");
    }
    return new String[] {unquote(text.substring(0, split)), unquote(text.substring(split).strip())};
  }

  private static String unquote(String s) {
    if (s.length() >= 2 && (s.charAt(0) == '"' || s.charAt(0) == '\'') && s.charAt(s.length() - 1) == s.charAt(0)) {
      return s.substring(1, s.length() - 1);
    }
    return s;
  }

  private static AnalysisException error(String path, TextLines.Line l, String what) {
    return new AnalysisException(path + ": " + what + " at line " + l.number() + " (offset " + l.offset() + ")");
  }

  private static AnalysisException entryError(String path, Entry e, String what) {
    return new AnalysisException(path + ": entry '" + e.header + "' at line " + e.line + " (offset " + e.offset
        + ") " + what);
  }
}
