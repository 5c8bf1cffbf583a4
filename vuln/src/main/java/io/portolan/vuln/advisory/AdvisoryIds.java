package io.portolan.vuln.advisory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What advisory identifiers say about each other, and how many vulnerabilities a set of matching
 * advisories amounts to.
 *
 * <p>Two kinds of id meet in {@link Advisory#aliases()}. A <em>vulnerability id</em> (CVE-, GHSA-,
 * PYSEC-, GO-, RUSTSEC-, ...) names one vulnerability; aliases between vulnerability ids are the
 * OSV kind: symmetric and transitive. A <em>roll-up id</em> (DSA-, DLA-, USN-, ALSA-, RLSA-, RHSA-,
 * SUSE-SU-, and the per-CVE distro records DEBIAN-CVE-, UBUNTU-CVE-, ALPINE-CVE-) names a distro's
 * fix announcement, which often covers several vulnerabilities. Importers link a roll-up and the
 * vulnerabilities it covers in either direction (the Debian tracker gives a CVE its DSA; {@link
 * OsvParser} gives a DSA its CVEs), and such a link is <em>not</em> transitive: DSA-5523-1 covers
 * CVE-2023-38545 and CVE-2023-38546, which stay two vulnerabilities.
 */
public final class AdvisoryIds {
  private static final Set<String> ROLL_UP_PREFIXES = Set.of(
      "DSA", "DLA", "DTSA", "DEBIAN", "ELA", "USN", "LSN", "UBUNTU", "ALSA", "ALBA", "ALEA",
      "RLSA", "RXSA", "RHSA", "RHBA", "RHEA", "SUSE", "OPENSUSE", "MGASA", "ALPINE");

  private static final Map<String, String> SOURCES = Map.ofEntries(
      Map.entry("GHSA", "ghsa"), Map.entry("PYSEC", "pypa"), Map.entry("GO", "go"),
      Map.entry("RUSTSEC", "rustsec"), Map.entry("CVE", "nvd"), Map.entry("DSA", "debian"),
      Map.entry("DLA", "debian"), Map.entry("DTSA", "debian"), Map.entry("DEBIAN", "debian"),
      Map.entry("ELA", "debian-elts"), Map.entry("USN", "ubuntu"), Map.entry("LSN", "ubuntu"),
      Map.entry("UBUNTU", "ubuntu"), Map.entry("ALSA", "almalinux"),
      Map.entry("ALBA", "almalinux"), Map.entry("ALEA", "almalinux"), Map.entry("RLSA", "rocky"),
      Map.entry("RXSA", "rocky"), Map.entry("RHSA", "redhat"), Map.entry("RHBA", "redhat"),
      Map.entry("RHEA", "redhat"), Map.entry("SUSE", "suse"), Map.entry("OPENSUSE", "suse"),
      Map.entry("MGASA", "mageia"), Map.entry("ALPINE", "alpine"), Map.entry("CGA", "chainguard"),
      Map.entry("MAL", "ossf-malicious-packages"), Map.entry("OSV", "oss-fuzz"));

  private AdvisoryIds() {}

  private static String prefix(String id) {
    int dash = id.indexOf('-');
    return (dash < 0 ? id : id.substring(0, dash)).toUpperCase(Locale.ROOT);
  }

  /** Whether {@code id} names a distro fix announcement rather than one vulnerability. */
  public static boolean isRollUp(String id) {
    return ROLL_UP_PREFIXES.contains(prefix(id));
  }

  /** Who issued {@code id}, as {@link SeverityRating#source()} spells it: GHSA-... is "ghsa". */
  public static String source(String id) {
    String p = prefix(id);
    return SOURCES.getOrDefault(p, p.toLowerCase(Locale.ROOT));
  }

  /**
   * Groups advisories that match one package into distinct vulnerabilities; the count of groups is
   * the count of vulnerabilities. Vulnerability ids joined by aliases share a group. A roll-up
   * joins the group of every vulnerability it covers (named in its aliases, or naming it in
   * theirs) without merging those groups; a roll-up that covers no known vulnerability is a group
   * of its own. Each group lists every id that speaks for it, sorted.
   */
  public static List<Set<String>> distinctVulnerabilities(Collection<Advisory> advisories) {
    Map<String, String> parent = new HashMap<>();
    Map<String, Set<String>> coveredBy = new HashMap<>();
    List<Advisory> rollUps = new ArrayList<>();
    for (Advisory a : advisories) {
      if (isRollUp(a.id())) {
        rollUps.add(a);
        continue;
      }
      root(parent, a.id());
      for (String alias : a.aliases()) {
        if (isRollUp(alias)) {
          coveredBy.computeIfAbsent(alias, k -> new LinkedHashSet<>()).add(a.id());
        } else {
          union(parent, a.id(), alias);
        }
      }
    }
    Map<String, Set<String>> groups = new HashMap<>();
    for (String id : List.copyOf(parent.keySet())) {
      groups.computeIfAbsent(root(parent, id), k -> new TreeSet<>()).add(id);
    }
    for (Advisory r : rollUps) {
      Set<String> covers = new LinkedHashSet<>(coveredBy.getOrDefault(r.id(), Set.of()));
      r.aliases().stream().filter(x -> !isRollUp(x)).forEach(covers::add);
      if (covers.isEmpty()) {
        groups.computeIfAbsent(r.id(), k -> new TreeSet<>()).add(r.id());
        continue;
      }
      for (String v : covers) {
        Set<String> group = groups.computeIfAbsent(root(parent, v), k -> new TreeSet<>());
        group.add(v);
        group.add(r.id());
      }
    }
    List<Set<String>> result = new ArrayList<>();
    groups.values().forEach(g -> result.add(Collections.unmodifiableSet(g)));
    result.sort(Comparator.comparing(g -> g.iterator().next()));
    return result;
  }

  private static String root(Map<String, String> parent, String id) {
    String r = id;
    String p;
    while ((p = parent.putIfAbsent(r, r)) != null && !p.equals(r)) {
      r = p;
    }
    parent.put(id, r);
    return r;
  }

  private static void union(Map<String, String> parent, String a, String b) {
    String ra = root(parent, a);
    String rb = root(parent, b);
    if (!ra.equals(rb)) {
      parent.put(ra.compareTo(rb) < 0 ? rb : ra, ra.compareTo(rb) < 0 ? ra : rb);
    }
  }
}
