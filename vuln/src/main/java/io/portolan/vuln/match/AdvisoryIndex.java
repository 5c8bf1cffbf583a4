package io.portolan.vuln.match;

import io.portolan.vuln.advisory.Advisory;
import io.portolan.vuln.advisory.AdvisoryIds;
import io.portolan.vuln.advisory.Affected;
import io.portolan.vuln.advisory.PackageNames;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Every affected-package statement of every loaded feed, keyed by (ecosystem, namespace, package
 * name): a package's candidates are one hash lookup, whatever the size of the feeds. Immutable;
 * a feed change builds a new index (about 100k entries build in well under a second).
 */
public final class AdvisoryIndex {
  /** One feed's advisories; {@code distroTracker} marks the distro's own verdicts, which win. */
  public record FeedContent(String feed, boolean distroTracker, Collection<Advisory> advisories) {}

  /** One affected statement and the advisory it belongs to. */
  public record Entry(String feed, boolean distroTracker, Advisory advisory, Affected affected, String canonicalId) {}

  private record Key(String ecosystem, String namespace, String name) {}

  private final Map<Key, List<Entry>> entries;

  private AdvisoryIndex(Map<Key, List<Entry>> entries) {
    this.entries = entries;
  }

  public static AdvisoryIndex build(Collection<FeedContent> feeds) {
    Map<Key, List<Entry>> entries = new HashMap<>();
    for (FeedContent feed : feeds) {
      for (Advisory a : feed.advisories()) {
        if (a.withdrawn()) continue;
        List<String> filedUnder = filedUnder(a);
        for (Affected affected : a.affected()) {
          Key key = new Key(affected.ecosystem(), affected.namespace(),
              PackageNames.normalize(affected.ecosystem(), affected.packageName()));
          List<Entry> list = entries.computeIfAbsent(key, k -> new ArrayList<>(2));
          for (String canonical : filedUnder) {
            list.add(new Entry(feed.feed(), feed.distroTracker(), a, affected, canonical));
          }
        }
      }
    }
    return new AdvisoryIndex(Map.copyOf(entries));
  }

  public static AdvisoryIndex empty() {
    return new AdvisoryIndex(Map.of());
  }

  List<Entry> lookup(String ecosystem, String namespace, String name) {
    return entries.getOrDefault(new Key(ecosystem, namespace, PackageNames.normalize(ecosystem, name)), List.of());
  }

  public int entryCount() {
    return entries.values().stream().mapToInt(List::size).sum();
  }

  /**
   * The ID findings are filed under. CVE IDs are the lingua franca of every feed, so a record that
   * names a CVE (as its ID or an alias) is filed under it; the lowest CVE when a record names
   * several, so that every feed picks the same one.
   */
  public static String canonicalId(Advisory a) {
    return filedUnder(a).get(0);
  }

  private static String canonicalOf(String id, java.util.Set<String> aliases) {
    if (id.startsWith("CVE-")) return id;
    TreeSet<String> cves = new TreeSet<>();
    for (String alias : aliases) {
      if (alias.startsWith("CVE-")) cves.add(alias);
    }
    return cves.isEmpty() ? id : cves.first();
  }

  /**
   * The vulnerabilities a record's verdicts are filed under. A distro roll-up (DSA-5523-1) covers
   * several vulnerabilities that stay distinct, so its statements count for each CVE it names, and
   * a CVE record's DSA alias never merges two CVEs (see {@link AdvisoryIds}).
   */
  static List<String> filedUnder(Advisory a) {
    if (!AdvisoryIds.isRollUp(a.id())) return List.of(canonicalOf(a.id(), vulnerabilityAliases(a)));
    TreeSet<String> covered = new TreeSet<>(vulnerabilityAliases(a));
    return covered.isEmpty() ? List.of(a.id()) : List.copyOf(covered);
  }

  private static java.util.Set<String> vulnerabilityAliases(Advisory a) {
    java.util.Set<String> out = new java.util.HashSet<>();
    for (String alias : a.aliases()) {
      if (!AdvisoryIds.isRollUp(alias)) out.add(alias);
    }
    return out;
  }
}
