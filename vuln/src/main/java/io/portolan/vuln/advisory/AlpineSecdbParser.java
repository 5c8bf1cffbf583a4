package io.portolan.vuln.advisory;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the Alpine secdb ({@code secdb.alpinelinux.org/<branch>/<repo>.json}, or the YAML of the
 * old alpine-secdb repository): per branch and repository, each origin package lists the versions
 * that fixed each vulnerability.
 *
 * <p>The feed is organized by package, our model by vulnerability, so the whole snapshot is read
 * before anything is delivered: one {@link Advisory} per vulnerability id, carrying one {@link
 * Affected} per branch and package. Lines such as {@code "CVE-2018-14468 (FrameRelay)"} or {@code
 * "CVE-2017-12122 TALOS-2017-0488"} yield only their CVE-, GHSA- and XSA- ids. A fix version of
 * "0" is secdb's way of saying the branch never shipped the vulnerable code: {@link
 * AffectedState#NOT_AFFECTED}.
 */
public final class AlpineSecdbParser implements FeedParser {
  private static final Pattern VULN_ID = Pattern.compile(
      "\\b(CVE-\\d{4}-\\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|XSA-\\d+)(?!\\w)");

  @Override
  public void parse(FeedSnapshot snapshot, Consumer<Advisory> sink, Consumer<String> problems)
      throws IOException {
    Map<String, Map<PackageKey, Entry>> byVuln = new TreeMap<>();
    int[] databases = new int[1];
    List<String> firstProblems = new ArrayList<>();
    Consumer<String> report = p -> {
      if (firstProblems.size() < 3) {
        firstProblems.add(p);
      }
      problems.accept(p);
    };
    snapshot.forEachEntry((name, content) -> {
      if (!FeedDocuments.isJsonName(name) && !FeedDocuments.isYamlName(name)) {
        return;
      }
      byte[] data = content.readAllBytes();
      JsonNode root;
      try {
        root = FeedDocuments.read(name, data);
      } catch (IOException | RuntimeException e) {
        report.accept(name + ": not valid " + (FeedDocuments.isYamlName(name) ? "YAML" : "JSON")
            + ": " + firstLine(e.getMessage()));
        return;
      }
      if (database(name, root, byVuln, report)) {
        databases[0]++;
      }
    });
    if (databases[0] == 0) {
      throw new FeedFormatException(snapshot.origin() + ": no Alpine secdb database"
          + (firstProblems.isEmpty() ? " (no .json/.yaml entries)" : "; " + firstProblems));
    }
    for (var vuln : byVuln.entrySet()) {
      List<Affected> affected = new ArrayList<>();
      for (var e : vuln.getValue().entrySet()) {
        PackageKey k = e.getKey();
        Entry entry = e.getValue();
        if (!entry.fixes.isEmpty()) {
          affected.add(new Affected("apk", k.namespace(), k.name(), true, AffectedState.RANGES,
              entry.fixes.stream().map(VersionRange::fixedIn).toList(), List.of(), "", ""));
        }
        if (entry.neverAffected) {
          affected.add(new Affected("apk", k.namespace(), k.name(), true,
              AffectedState.NOT_AFFECTED, List.of(), List.of(), "", ""));
        }
      }
      sink.accept(new Advisory(vuln.getKey(), Set.of(), "", "", null, null, false, List.of(),
          List.of(), affected));
    }
  }

  /** Adds one branch/repository database; false (and a problem) when the entry is not one. */
  private static boolean database(String name, JsonNode root,
      Map<String, Map<PackageKey, Entry>> byVuln, Consumer<String> problems) {
    if (!root.isObject() || !root.path("packages").isArray()) {
      problems.accept(name + ": not an Alpine secdb database (no packages list)");
      return false;
    }
    String branch = FeedDocuments.text(root, "distroversion");
    Optional<String> namespace = Namespaces.alpine(branch);
    if (namespace.isEmpty()) {
      problems.accept(name + ": unknown Alpine branch '" + branch + "' in distroversion");
      return false;
    }
    int index = -1;
    for (JsonNode p : root.path("packages")) {
      index++;
      JsonNode pkg = p.path("pkg");
      String pkgName = FeedDocuments.text(pkg, "name");
      if (pkgName.isEmpty()) {
        problems.accept(name + ": packages[" + index + "] has no name");
        continue;
      }
      PackageKey key = new PackageKey(namespace.get(), PackageNames.normalize("apk", pkgName));
      JsonNode secfixes = pkg.path("secfixes");
      for (var fix : (Iterable<Map.Entry<String, JsonNode>>) secfixes::fields) {
        String version = fix.getKey().trim();
        JsonNode lines = fix.getValue();
        for (JsonNode line : lines.isArray() ? lines : List.of(lines)) {
          if (!line.isValueNode()) {
            continue;
          }
          for (String id : ids(line.asText())) {
            Entry entry = byVuln.computeIfAbsent(id, k -> new LinkedHashMap<>())
                .computeIfAbsent(key, k -> new Entry());
            if (version.equals("0")) {
              entry.neverAffected = true;
            } else {
              entry.fixes.add(version);
            }
          }
        }
      }
    }
    return true;
  }

  /** The vulnerability ids in one secfixes line; "CVE-2017-17434-1" is CVE-2017-17434. */
  static Set<String> ids(String line) {
    Set<String> ids = new LinkedHashSet<>();
    Matcher m = VULN_ID.matcher(line);
    while (m.find()) {
      ids.add(m.group(1));
    }
    return ids;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  private record PackageKey(String namespace, String name) {}

  /** One package's word on one vulnerability; a second fix version means the first fell short. */
  private static final class Entry {
    final Set<String> fixes = new LinkedHashSet<>();
    boolean neverAffected;
  }
}
