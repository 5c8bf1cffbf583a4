package io.portolan.inventory.lang.npm;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.analyzer.TextLines;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code pnpm-lock.yaml}, lockfile versions 5 to 9. The inventory module has no YAML library
 * (jackson-dataformat-yaml is not declared), and pnpm writes a small, fixed block-style subset of
 * YAML, so this reads just that: indentation, {@code key: value} pairs with plain or quoted keys,
 * and nothing inside flow maps ({@code {integrity: ...}}) or sequences.
 *
 * <p>Package ids by version: v5 {@code /name/1.0.0_peerhash}, v6 {@code /name@1.0.0(peer@2)}, v9
 * {@code name@1.0.0} (peers only in {@code snapshots}); a {@code version:} field overrides the id
 * (tarball and git packages), and an id without a usable version (a {@code file:} directory) is the
 * project's own code. Dev dependencies: v5/v6 mark each package {@code dev: true}; v9 does not, so a
 * package is dev when no production or optional dependency of any importer reaches it through the
 * {@code snapshots} graph. A file with several YAML documents is read as its last one.
 */
final class PnpmLockParser {
  private PnpmLockParser() {}

  /** One {@code key: value} line; value is "" when a nested block follows. */
  private record Line(int indent, String key, String value) {}

  private static final class Pkg {
    final String id;
    String name = "";
    String version = "";
    Boolean dev;

    Pkg(String id) {
      this.id = id;
    }
  }

  static List<Package> parse(String path, byte[] data) throws AnalysisException {
    String lockfileVersion = "";
    Map<String, Pkg> packages = new LinkedHashMap<>();
    Set<String> prodRoots = new HashSet<>();
    Map<String, List<String>> snapshots = new HashMap<>();
    String section = "";
    String importerKind = "";
    String importerDep = "";
    Pkg pkg = null;
    String snapshot = "";
    String snapshotKind = "";
    for (TextLines.Line raw : TextLines.of(path, data)) {
      String text = raw.text();
      if (text.equals("---")) {
        // Keep only the last YAML document.
        lockfileVersion = "";
        packages.clear();
        prodRoots.clear();
        snapshots.clear();
        section = "";
        continue;
      }
      Line l = line(path, raw);
      if (l == null) {
        continue;
      }
      if (l.indent == 0) {
        section = l.key;
        if (section.equals("lockfileVersion")) {
          lockfileVersion = l.value;
        }
        // v5/v6 single-project locks keep the importer's dependency blocks at the top level.
        importerKind = section;
        continue;
      }
      switch (section) {
        case "packages" -> {
          if (l.indent == 2) {
            pkg = packages.computeIfAbsent(l.key, Pkg::new);
          } else if (l.indent == 4 && pkg != null) {
            switch (l.key) {
              case "name" -> pkg.name = l.value;
              case "version" -> pkg.version = l.value;
              case "dev" -> pkg.dev = pkg.dev == null ? l.value.equals("true") : pkg.dev && l.value.equals("true");
              default -> { }
            }
          }
        }
        case "snapshots" -> {
          if (l.indent == 2) {
            snapshot = l.key;
            snapshots.computeIfAbsent(snapshot, k -> new ArrayList<>());
          } else if (l.indent == 4) {
            snapshotKind = l.key;
          } else if (l.indent == 6 && (snapshotKind.equals("dependencies") || snapshotKind.equals("optionalDependencies"))) {
            snapshots.get(snapshot).add(snapshotId(l.key, l.value));
          }
        }
        case "importers" -> {
          // importers: <dir>: <kind>: <name>: {version: x} or <name>: x (v5)
          if (l.indent == 4) {
            importerKind = l.key;
          } else if (l.indent == 6) {
            importerDep = l.key;
            if (!l.value.isEmpty()) {
              addRoot(prodRoots, importerKind, importerDep, l.value);
            }
          } else if (l.indent == 8 && l.key.equals("version")) {
            addRoot(prodRoots, importerKind, importerDep, l.value);
          }
        }
        default -> { }
      }
    }
    if (lockfileVersion.isEmpty()) {
      throw new AnalysisException(path + ": no lockfileVersion; not a pnpm lock file");
    }
    int major = major(path, lockfileVersion);
    Set<String> prod = major >= 9 ? reachable(prodRoots, snapshots) : Set.of();
    LockedPackages found = new LockedPackages();
    for (Pkg p : packages.values()) {
      String[] nameVersion = major >= 6 ? splitAt(p.id) : splitSlash(p.id);
      String name = p.name.isEmpty() ? nameVersion[0] : p.name;
      String version = p.version.isEmpty() ? nameVersion[1] : p.version;
      if (name.isEmpty() || version.isEmpty() || version.contains(":") || version.contains("/")) {
        continue; // file:, link: and directory packages are the project's own code
      }
      boolean dev = major >= 9 ? !prod.contains(stripPeers(p.id)) : Boolean.TRUE.equals(p.dev);
      found.add(name, version, "", dev);
    }
    return found.toPackages(path);
  }

  /** Production roots; devDependencies are dev roots and simply not walked. */
  private static void addRoot(Set<String> roots, String kind, String name, String version) {
    if ((kind.equals("dependencies") || kind.equals("optionalDependencies")) && !version.startsWith("link:")) {
      roots.add(snapshotId(name, version));
    }
  }

  /** The snapshot a dependency reference points at: {@code name@ref}, or ref itself for an alias. */
  private static String snapshotId(String name, String ref) {
    String base = stripPeers(ref);
    // An alias ("cjs: string-width@4.2.3") already names its package; "4.3.4(a@1)" does not.
    return base.indexOf('@', 1) > 0 ? ref : name + "@" + ref;
  }

  private static Set<String> reachable(Set<String> roots, Map<String, List<String>> graph) {
    Set<String> seen = new HashSet<>();
    Set<String> bases = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(roots);
    while (!todo.isEmpty()) {
      String id = todo.pop();
      if (seen.add(id)) {
        bases.add(stripPeers(id));
        todo.addAll(graph.getOrDefault(id, List.of()));
      }
    }
    return bases;
  }

  /** v6+: {@code /@scope/name@1.0.0(peer@1)} or {@code name@1.0.0}. */
  private static String[] splitAt(String id) {
    String s = id.startsWith("/") ? id.substring(1) : id;
    int at = s.indexOf('@', 1);
    if (at <= 0) {
      return new String[] {"", ""};
    }
    return new String[] {s.substring(0, at), stripPeers(s.substring(at + 1))};
  }

  /** v5: {@code /@scope/name/1.0.0_peer@1} or {@code /name/1.0.0}. */
  private static String[] splitSlash(String id) {
    if (!id.startsWith("/")) {
      return new String[] {"", ""}; // a tarball or git id; its name: and version: fields say more
    }
    String s = id.substring(1);
    int slash = s.indexOf('/', s.startsWith("@") ? s.indexOf('/') + 1 : 0);
    if (slash <= 0) {
      return new String[] {"", ""};
    }
    String version = s.substring(slash + 1);
    int peers = version.indexOf('_');
    return new String[] {s.substring(0, slash), peers >= 0 ? version.substring(0, peers) : version};
  }

  private static String stripPeers(String id) {
    int paren = id.indexOf('(');
    return paren >= 0 ? id.substring(0, paren) : id;
  }

  private static int major(String path, String version) throws AnalysisException {
    int dot = version.indexOf('.');
    try {
      return Integer.parseInt(dot >= 0 ? version.substring(0, dot) : version);
    } catch (NumberFormatException e) {
      throw new AnalysisException(path + ": unsupported lockfileVersion '" + version + "'");
    }
  }

  /** Parses one line of the subset, or null for blank lines, comments and sequence items. */
  private static Line line(String path, TextLines.Line raw) throws AnalysisException {
    String text = raw.text();
    int indent = 0;
    while (indent < text.length() && text.charAt(indent) == ' ') {
      indent++;
    }
    if (indent == text.length() || text.charAt(indent) == '#' || text.startsWith("- ", indent)
        || text.equals("-")) {
      return null;
    }
    if (text.charAt(indent) == '\t') {
      throw error(path, raw, "tab in indentation");
    }
    String key;
    int rest;
    char first = text.charAt(indent);
    if (first == '\'' || first == '"') {
      int close = text.indexOf(first, indent + 1);
      if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
        throw error(path, raw, "expected a quoted key followed by ':'");
      }
      key = text.substring(indent + 1, close);
      rest = close + 2;
    } else {
      // The key ends at the first ':' followed by a space or the end of the line; a ':' inside
      // ("debug@https://..." or "lodash@file:x") is part of it.
      int colon = text.indexOf(':', indent);
      while (colon >= 0 && colon + 1 < text.length() && text.charAt(colon + 1) != ' ') {
        colon = text.indexOf(':', colon + 1);
      }
      if (colon < 0) {
        throw error(path, raw, "expected 'key: value'");
      }
      key = text.substring(indent, colon);
      rest = colon + 1;
    }
    String value = rest >= text.length() ? "" : text.substring(rest).strip();
    int comment = value.indexOf(" #");
    if (comment >= 0 && !value.startsWith("'") && !value.startsWith("\"")) {
      value = value.substring(0, comment).strip();
    }
    if (value.length() >= 2 && (value.charAt(0) == '\'' || value.charAt(0) == '"')
        && value.charAt(value.length() - 1) == value.charAt(0)) {
      value = value.substring(1, value.length() - 1);
    }
    return new Line(indent, key, value);
  }

  private static AnalysisException error(String path, TextLines.Line l, String what) {
    return new AnalysisException(path + ": " + what + " at line " + l.number() + " (offset " + l.offset() + ")");
  }
}
