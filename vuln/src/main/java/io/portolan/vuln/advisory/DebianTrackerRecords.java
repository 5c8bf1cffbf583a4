package io.portolan.vuln.advisory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What one parse run has read so far, in a compact form, until {@link #emit} joins it. Buffering
 * is unavoidable: a CVE's fix for a stable release may only be in DSA/list or DLA/list, which can
 * come before or after data/CVE/list in the snapshot, and the JSON export spreads one CVE over
 * every source package it touches. Strings repeat a lot (namespaces, reasons, DSA fix versions
 * shared by many CVEs), so they go through a per-run pool.
 */
final class DebianTrackerRecords {
  private static final io.portolan.vuln.version.VersionScheme DPKG =
      io.portolan.vuln.version.VersionSchemes.forEcosystem("deb").orElseThrow();

  /**
   * One (release, source package) statement. {@code fixed} is set only for {@link
   * AffectedState#RANGES}; {@code severity} is the Debian urgency, empty when none was given.
   */
  record Entry(
      String namespace,
      String packageName,
      AffectedState state,
      String fixed,
      String severity,
      String note) {
    boolean sameTarget(Entry other) {
      return namespace.equals(other.namespace) && packageName.equals(other.packageName);
    }

    Affected toAffected() {
      return new Affected("deb", namespace, packageName, true, state,
          state == AffectedState.RANGES ? List.of(VersionRange.fixedIn(fixed)) : List.of(),
          List.of(), severity, note);
    }
  }

  /** Lists rather than sets, allocated on first use: most CVEs have few of each, many have none. */
  private static final class Cve {
    String summary = "";
    boolean withdrawn;
    List<String> aliases = List.of();
    List<String> references = List.of();
    List<Entry> entries = List.of();

    static List<String> addDistinct(List<String> list, String value) {
      if (list.contains(value)) {
        return list;
      }
      List<String> grown = list.isEmpty() ? new ArrayList<>(2) : list;
      grown.add(value);
      return grown;
    }
  }

  /** What the DSAs and DLAs listing one CVE say, in list order. */
  private static final class Mentions {
    final Set<String> advisories = new LinkedHashSet<>(2);
    final List<Entry> entries = new ArrayList<>(2);
  }

  private final Map<String, String> pool = new HashMap<>();
  private final Map<String, Cve> cves = new LinkedHashMap<>();
  private final Map<String, Mentions> mentions = new LinkedHashMap<>();

  String intern(String s) {
    if (s == null || s.isEmpty()) {
      return "";
    }
    String pooled = pool.putIfAbsent(s, s);
    return pooled == null ? s : pooled;
  }

  Entry entry(String namespace, String packageName, AffectedState state, String fixed,
      String severity, String note) {
    return new Entry(intern(namespace), intern(PackageNames.normalize("deb", packageName)), state,
        intern(fixed), intern(severity), intern(note));
  }

  void summary(String cveId, String summary) {
    Cve cve = cve(cveId);
    if (cve.summary.isEmpty() && summary != null) {
      cve.summary = summary;
    }
  }

  void withdrawn(String cveId) {
    cve(cveId).withdrawn = true;
  }

  void alias(String cveId, String alias) {
    Cve cve = cve(cveId);
    cve.aliases = Cve.addDistinct(cve.aliases, intern(alias));
  }

  void reference(String cveId, String url) {
    Cve cve = cve(cveId);
    cve.references = Cve.addDistinct(cve.references, url);
  }

  /** The first statement about a (release, package) wins; later sources only fill gaps. */
  void add(String cveId, Entry entry) {
    Cve cve = cve(cveId);
    if (indexOfTarget(cve.entries, entry) >= 0) {
      return;
    }
    if (cve.entries.isEmpty()) {
      cve.entries = new ArrayList<>(2);
    }
    cve.entries.add(entry);
  }

  void advisory(String advisoryId, List<String> cveIds, List<Entry> entries) {
    String id = intern(advisoryId);
    for (String cveId : cveIds) {
      Mentions m = mentions.computeIfAbsent(intern(cveId), k -> new Mentions());
      m.advisories.add(id);
      m.entries.addAll(entries);
    }
  }

  /**
   * Joins the DSA/DLA statements into the CVEs they list and hands out one advisory per CVE that
   * says anything about a package, or that the tracker rejected (so a rematch drops its findings).
   */
  void emit(Consumer<Advisory> sink) {
    for (String id : mentions.keySet()) {
      cve(id);
    }
    for (var it = cves.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Cve> e = it.next();
      it.remove();
      String id = e.getKey();
      Cve cve = e.getValue();
      Mentions m = mentions.remove(id);
      if (m != null) {
        join(cve, m);
      }
      if (cve.entries.isEmpty() && !cve.withdrawn) {
        continue;
      }
      Set<String> aliases = new LinkedHashSet<>(cve.aliases);
      aliases.remove(id);
      Set<String> severities = new LinkedHashSet<>();
      List<Affected> affected = new ArrayList<>(cve.entries.size());
      for (Entry entry : cve.entries) {
        if (!entry.severity().isEmpty()) {
          severities.add(entry.severity());
        }
        affected.add(entry.toAffected());
      }
      List<SeverityRating> ratings = new ArrayList<>(severities.size());
      for (String s : severities) {
        ratings.add(new SeverityRating("debian", "LABEL", s));
      }
      sink.accept(new Advisory(id, aliases, cve.summary, "", null, null, cve.withdrawn,
          ratings, cve.references, affected));
    }
  }

  private static void join(Cve cve, Mentions m) {
    for (String advisory : m.advisories) {
      cve.aliases = Cve.addDistinct(cve.aliases, advisory);
    }
    List<Entry> own = cve.entries;
    List<Entry> joined = new ArrayList<>();
    for (Entry entry : m.entries) {
      if (indexOfTarget(own, entry) >= 0) {
        continue;
      }
      int at = indexOfTarget(joined, entry);
      if (at < 0) {
        joined.add(entry);
      } else if (earlierFix(entry, joined.get(at))) {
        joined.set(at, entry);
      }
    }
    if (!joined.isEmpty()) {
      List<Entry> all = new ArrayList<>(own);
      all.addAll(joined);
      cve.entries = all;
    }
  }

  private static int indexOfTarget(List<Entry> entries, Entry entry) {
    for (int i = 0; i < entries.size(); i++) {
      if (entries.get(i).sameTarget(entry)) {
        return i;
      }
    }
    return -1;
  }

  private static boolean earlierFix(Entry candidate, Entry current) {
    return candidate.state() == AffectedState.RANGES && current.state() == AffectedState.RANGES
        && DPKG.compare(candidate.fixed(), current.fixed()) < 0;
  }

  private Cve cve(String id) {
    return cves.computeIfAbsent(intern(id), k -> new Cve());
  }
}
