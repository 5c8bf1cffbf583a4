package io.portolan.inventory.lang.python;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.analyzer.TextLines;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The exact pins of a pip requirements file: {@code name==version} and {@code
 * name[extra]==version}, with pip's syntax around them: {@code \} line continuations, comments (a
 * {@code #} at the start or after whitespace), environment markers after {@code ;}, and per-line
 * options such as {@code --hash}. Everything else (ranges, URLs, {@code -r}/{@code -e}/{@code -c}
 * and other option lines) does not say what is installed and is skipped, never guessed at.
 */
final class RequirementsParser {
  private RequirementsParser() {}

  static List<Package> parse(String path, byte[] data) throws AnalysisException {
    List<Package> packages = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    StringBuilder logical = new StringBuilder();
    for (TextLines.Line l : TextLines.of(path, data)) {
      String text = stripComment(l.text());
      if (text.endsWith("\\")) {
        logical.append(text, 0, text.length() - 1).append(' ');
        continue;
      }
      logical.append(text);
      String line = logical.toString().strip();
      logical.setLength(0);
      pin(line, path, l, seen, packages);
    }
    String rest = logical.toString().strip();
    if (!rest.isEmpty()) {
      pin(rest, path, null, seen, packages);
    }
    return packages;
  }

  private static void pin(String line, String path, TextLines.Line l, Set<String> seen, List<Package> packages)
      throws AnalysisException {
    if (line.isEmpty() || line.startsWith("-")) {
      return;
    }
    int semicolon = line.indexOf(';');
    if (semicolon >= 0) {
      line = line.substring(0, semicolon).strip();
    }
    // Per-requirement options (--hash=..., --global-option) follow the specifier after whitespace.
    int option = line.indexOf(" -");
    if (option >= 0) {
      line = line.substring(0, option).strip();
    }
    int eq = line.indexOf("==");
    if (eq <= 0 || line.startsWith("===", eq)) {
      return;
    }
    String name = line.substring(0, eq).strip();
    int extras = name.indexOf('[');
    if (extras >= 0) {
      if (!name.endsWith("]")) {
        return;
      }
      name = name.substring(0, extras).strip();
    }
    String version = line.substring(eq + 2).strip();
    if (!isName(name) || !isPinnedVersion(version)) {
      return;
    }
    if (seen.add(PythonAnalyzer.normalize(name) + "==" + version)) {
      String where = l == null ? path : path + " line " + l.number();
      packages.add(PythonAnalyzer.lockfilePackage(where, name, version, false));
    }
  }

  /** pip: {@code #} starts a comment at the line start or after whitespace (not in a URL fragment). */
  private static String stripComment(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '#' && (i == 0 || Character.isWhitespace(text.charAt(i - 1)))) {
        return text.substring(0, i).stripTrailing();
      }
    }
    return text.stripTrailing();
  }

  /** PEP 508 names: ASCII letters and digits, with {@code . _ -} inside. */
  private static boolean isName(String name) {
    if (name.isEmpty() || !Character.isLetterOrDigit(name.charAt(0))
        || !Character.isLetterOrDigit(name.charAt(name.length() - 1))) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!(c < 128 && Character.isLetterOrDigit(c)) && c != '.' && c != '_' && c != '-') {
        return false;
      }
    }
    return true;
  }

  /** An exact version: no wildcard ({@code ==1.*}), no further clause ({@code ==1.0,!=1.0.1}). */
  private static boolean isPinnedVersion(String version) {
    if (version.isEmpty()) {
      return false;
    }
    for (int i = 0; i < version.length(); i++) {
      char c = version.charAt(i);
      if (c == '*' || c == ',' || c == ' ' || c == '<' || c == '>' || c == '=' || c == '!' || c == '~') {
        return false;
      }
    }
    return true;
  }
}
