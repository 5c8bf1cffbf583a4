package io.portolan.inventory.lang.python;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.analyzer.TextLines;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code poetry.lock}: the {@code name}, {@code version}, {@code category} (Poetry 1.0 to 1.4)
 * and {@code groups} (Poetry 2) keys of each {@code [[package]]} table. The module has no TOML
 * library, so this scans TOML just well enough to never misread those keys: it tracks table
 * headers and skips multi-line strings and arrays (a description may hold a line that looks like
 * {@code [[package]]} or {@code name = ...}). A package is dev when its category is {@code dev},
 * or when it has groups and none is {@code main}.
 */
final class PoetryLockParser {
  private PoetryLockParser() {}

  private static final class Table {
    final int line;
    final long offset;
    String name = "";
    String version = "";
    String category = "";
    List<String> groups;

    Table(int line, long offset) {
      this.line = line;
      this.offset = offset;
    }
  }

  static List<Package> parse(String path, byte[] data) throws AnalysisException {
    List<Table> tables = new ArrayList<>();
    Table current = null; // the [[package]] table whose own keys are being read, if any
    String closing = null; // the delimiter that ends the multi-line value being skipped
    int depth = 0; // bracket depth of a multi-line array or inline table being skipped
    TextLines.Line last = null;
    for (TextLines.Line l : TextLines.of(path, data)) {
      last = l;
      String text = l.text();
      if (closing != null) {
        int end = text.indexOf(closing);
        if (end >= 0) {
          closing = null;
          depth = skipValue(path, l, text.substring(end + 3), depth);
        }
        continue;
      }
      if (depth > 0) {
        depth = skipValue(path, l, text, depth);
        if (depth < 0) {
          closing = depth == -1 ? "\"\"\"" : "'''";
          depth = 0;
        }
        continue;
      }
      String line = text.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("[")) {
        String header = header(path, l, line);
        if (header.equals("[[package]]")) {
          current = new Table(l.number(), l.offset());
          tables.add(current);
        } else {
          current = null;
        }
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw error(path, l, "expected 'key = value'");
      }
      String key = line.substring(0, eq).strip();
      String value = line.substring(eq + 1).strip();
      if (value.startsWith("\"\"\"") || value.startsWith("'''")) {
        String delimiter = value.substring(0, 3);
        if (value.indexOf(delimiter, 3) < 0) {
          closing = delimiter;
        }
        continue;
      }
      if (current != null) {
        switch (key) {
          case "name" -> current.name = string(path, l, value);
          case "version" -> current.version = string(path, l, value);
          case "category" -> current.category = string(path, l, value);
          case "groups" -> current.groups = stringArray(value);
          default -> { }
        }
      }
      depth = skipValue(path, l, value, 0);
      if (depth < 0) {
        closing = depth == -1 ? "\"\"\"" : "'''";
        depth = 0;
      }
    }
    if (closing != null || depth > 0) {
      throw new AnalysisException(path + ": unterminated " + (closing != null ? "string" : "array")
          + " at end of file (line " + (last == null ? 0 : last.number()) + ")");
    }
    List<Package> packages = new ArrayList<>();
    for (Table t : tables) {
      if (t.name.isEmpty() || t.version.isEmpty()) {
        throw new AnalysisException(path + ": [[package]] at line " + t.line + " (offset " + t.offset + ") has no "
            + (t.name.isEmpty() ? "name" : "version"));
      }
      boolean dev = t.category.equals("dev") || (t.groups != null && !t.groups.isEmpty() && !t.groups.contains("main"));
      packages.add(PythonAnalyzer.lockfilePackage(path, t.name, t.version, dev));
    }
    return packages;
  }

  /**
   * Walks a value (or the rest of one) and returns the bracket depth still open at the end of the
   * line, or -1/-2 when a {@code """}/{@code '''} string opens and does not close on it.
   */
  private static int skipValue(String path, TextLines.Line l, String s, int depth) throws AnalysisException {
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '#') {
        break;
      }
      if (c == '"' || c == '\'') {
        if (s.startsWith(c == '"' ? "\"\"\"" : "'''", i)) {
          String delimiter = s.substring(i, i + 3);
          int end = s.indexOf(delimiter, i + 3);
          if (end < 0) {
            return c == '"' ? -1 : -2;
          }
          i = end + 3;
          continue;
        }
        int end = i + 1;
        while (end < s.length() && s.charAt(end) != c) {
          end += c == '"' && s.charAt(end) == '\\' ? 2 : 1;
        }
        if (end >= s.length()) {
          throw error(path, l, "unterminated string");
        }
        i = end + 1;
        continue;
      }
      if (c == '[' || c == '{') {
        depth++;
      } else if (c == ']' || c == '}') {
        depth--;
      }
      i++;
    }
    return Math.max(depth, 0);
  }

  private static String header(String path, TextLines.Line l, String line) throws AnalysisException {
    int comment = line.indexOf('#');
    String h = (comment >= 0 ? line.substring(0, comment) : line).strip();
    if (!h.endsWith("]")) {
      throw error(path, l, "malformed table header");
    }
    return h.replace(" ", "");
  }

  /** A basic ("...") or literal ('...') one-line string. */
  private static String string(String path, TextLines.Line l, String value) throws AnalysisException {
    if (value.length() >= 2 && value.charAt(0) == '\'') {
      int end = value.indexOf('\'', 1);
      if (end > 0) {
        return value.substring(1, end);
      }
    } else if (value.length() >= 2 && value.charAt(0) == '"') {
      StringBuilder out = new StringBuilder();
      for (int i = 1; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c == '"') {
          return out.toString();
        }
        if (c == '\\' && i + 1 < value.length()) {
          char n = value.charAt(++i);
          out.append(switch (n) {
            case 'n' -> '\n';
            case 't' -> '\t';
            default -> n;
          });
        } else {
          out.append(c);
        }
      }
    }
    throw error(path, l, "expected a string");
  }

  /** {@code ["main", "dev"]} on one line; anything else gives an empty list (treated as main). */
  private static List<String> stringArray(String value) {
    List<String> out = new ArrayList<>();
    if (!value.startsWith("[") || value.indexOf(']') < 0) {
      return out;
    }
    for (String part : value.substring(1, value.indexOf(']')).split(",")) {
      String s = part.strip();
      if (s.length() >= 2 && (s.charAt(0) == '"' || s.charAt(0) == '\'')) {
        out.add(s.substring(1, s.length() - 1));
      }
    }
    return out;
  }

  private static AnalysisException error(String path, TextLines.Line l, String what) {
    return new AnalysisException(path + ": " + what + " at line " + l.number() + " (offset " + l.offset() + ")");
  }
}
