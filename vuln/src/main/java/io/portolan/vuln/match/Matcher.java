package io.portolan.vuln.match;

import io.portolan.vuln.advisory.AdvisoryIds;
import io.portolan.vuln.advisory.Affected;
import io.portolan.vuln.advisory.AffectedState;
import io.portolan.vuln.advisory.Namespaces;
import io.portolan.vuln.advisory.SeverityRating;
import io.portolan.vuln.advisory.VersionRange;
import io.portolan.vuln.match.AdvisoryIndex.Entry;
import io.portolan.vuln.severity.RatedSeverity;
import io.portolan.vuln.severity.SeverityPolicy;
import io.portolan.vuln.version.VersionScheme;
import io.portolan.vuln.version.VersionSchemes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Decides which vulnerabilities affect an installed package. Pure and thread-safe: the collector
 * calls it for each distinct package key, never per image.
 *
 * <p>Distro packages match on the source package and source version (advisories are written
 * against sources: libssl3 is openssl), for the package's own release. A Debian release with no
 * statement of its own falls back to the unstable statement, as the tracker's rules say.
 */
public final class Matcher {
  private static final String DEBIAN_UNSTABLE = Namespaces.debian("sid").orElseThrow();
  private static final Comparator<Entry> AUTHORITY = Comparator
      .comparing((Entry e) -> !e.distroTracker())
      .thenComparing(e -> !e.advisory().id().equals(e.canonicalId()))
      .thenComparing(Entry::feed)
      .thenComparing(e -> e.advisory().id());

  private final AdvisoryIndex index;

  public Matcher(AdvisoryIndex index) {
    this.index = index;
  }

  public AdvisoryIndex index() {
    return index;
  }

  /** The package's findings, one per vulnerability, ordered by ID. */
  public List<Finding> match(InstalledPackage p) {
    Optional<VersionScheme> scheme = VersionSchemes.forEcosystem(p.ecosystem());
    if (scheme.isEmpty()) return List.of();
    Map<String, List<Entry>> byVulnerability = new LinkedHashMap<>();
    for (Entry e : candidates(p)) {
      byVulnerability.computeIfAbsent(e.canonicalId(), k -> new ArrayList<>(2)).add(e);
    }
    List<Finding> findings = new ArrayList<>();
    for (var group : byVulnerability.entrySet()) {
      List<Entry> entries = group.getValue();
      entries.sort(AUTHORITY);
      Entry authority = entries.get(0);
      Entry decisive = authority;
      Verdict.Affected hit = null;
      for (Entry e : entries) {
        // A distro tracker's record decides alone, including "not affected": the distro knows its
        // backports better than an upstream range does. Without one, any record that says
        // "affected" counts, as OSV's ranges are a union.
        if (authority.distroTracker() && !(e.feed().equals(authority.feed())
            && e.advisory().id().equals(authority.advisory().id()))) {
          continue;
        }
        String version = e.affected().sourcePackage() ? p.sourceOrVersion() : p.version();
        Verdict v = evaluate(e.affected(), version, scheme.get());
        if (v instanceof Verdict.Affected && isUnstableFallback(e, p)) {
          // Below unstable's fix, but that fix is not in the package's release: no fix to install.
          v = new Verdict.Affected("", FindingState.UNFIXED);
        }
        if (v instanceof Verdict.Affected a && better(a, hit)) {
          hit = a;
          decisive = e;
        }
      }
      if (hit == null) continue;
      findings.add(finding(group.getKey(), p, decisive, entries, hit));
    }
    findings.sort(Comparator.comparing(Finding::vulnerabilityId));
    return findings;
  }

  private static boolean isUnstableFallback(Entry e, InstalledPackage p) {
    return e.affected().namespace().equals(DEBIAN_UNSTABLE) && !p.namespace().equals(DEBIAN_UNSTABLE);
  }

  /** A verdict with a fix beats one without; of two fixes, the lower (the nearest upgrade). */
  private static boolean better(Verdict.Affected candidate, Verdict.Affected current) {
    if (current == null) return true;
    if (current.fixedVersion().isEmpty()) return !candidate.fixedVersion().isEmpty();
    return false;
  }

  private List<Entry> candidates(InstalledPackage p) {
    List<Entry> out = new ArrayList<>();
    boolean distro = !p.namespace().isEmpty();
    if (!distro) {
      out.addAll(index.lookup(p.ecosystem(), "", p.name()));
      return out;
    }
    collect(out, index.lookup(p.ecosystem(), p.namespace(), p.sourceOrName()), true);
    if (!p.sourceName().isEmpty() && !p.sourceName().equals(p.name())) {
      collect(out, index.lookup(p.ecosystem(), p.namespace(), p.name()), false);
    }
    if (p.ecosystem().equals("deb") && p.namespace().startsWith("debian:") && !p.namespace().equals(DEBIAN_UNSTABLE)) {
      // Only advisories with no statement for this release fall back to unstable's.
      TreeSet<String> stated = new TreeSet<>();
      for (Entry e : out) stated.add(e.feed() + "\u0000" + e.advisory().id());
      for (Entry e : index.lookup("deb", DEBIAN_UNSTABLE, p.sourceOrName())) {
        if (e.affected().sourcePackage() && !stated.contains(e.feed() + "\u0000" + e.advisory().id())) out.add(e);
      }
    }
    return out;
  }

  private static void collect(List<Entry> out, List<Entry> found, boolean bySource) {
    for (Entry e : found) {
      if (e.affected().sourcePackage() == bySource) out.add(e);
    }
  }

  private static Finding finding(String id, InstalledPackage p, Entry decisive, List<Entry> entries,
      Verdict.Affected hit) {
    TreeSet<String> aliases = new TreeSet<>();
    List<SeverityRating> ratings = new ArrayList<>();
    for (Entry e : entries) {
      aliases.add(e.advisory().id());
      // A roll-up's other CVEs are other vulnerabilities, not names of this one.
      if (!AdvisoryIds.isRollUp(e.advisory().id())) aliases.addAll(e.advisory().aliases());
      ratings.addAll(e.advisory().severities());
    }
    aliases.remove(id);
    String distroSource = decisive.distroTracker() ? distroName(p.namespace()) : "";
    RatedSeverity severity = SeverityPolicy.choose(p.ecosystem(), distroSource, decisive.affected().severity(),
        ratings);
    return new Finding(id, aliases, hit.state(), hit.fixedVersion(), severity, decisive.feed(),
        decisive.advisory().id());
  }

  private static String distroName(String namespace) {
    int colon = namespace.indexOf(':');
    return colon < 0 ? namespace : namespace.substring(0, colon);
  }

  /**
   * One statement against one version. Ranges follow the OSV evaluation: within a range, sorted
   * events toggle "affected" on at {@code introduced} and off at {@code fixed}, after
   * {@code last_affected}, or at {@code limit}; any range or listed version makes it affected.
   */
  public static Verdict evaluate(Affected a, String version, VersionScheme scheme) {
    AffectedState state = a.state();
    if (state == AffectedState.NOT_AFFECTED || state == AffectedState.REMOVED) {
      return new Verdict.NotAffected(state.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')
          + (a.note().isEmpty() ? "" : ": " + a.note()));
    }
    if (state.affectsAllVersions()) return new Verdict.Affected("", FindingState.of(state));
    for (String listed : a.versions()) {
      if (scheme.compare(listed, version) == 0) return new Verdict.Affected(nextFix(a, version, scheme), fixState(a, version, scheme));
    }
    for (VersionRange range : a.ranges()) {
      Optional<String> fix = affectedIn(range, version, scheme);
      if (fix != null) {
        return new Verdict.Affected(fix.orElse(""), fix.isPresent() ? FindingState.FIX_AVAILABLE : FindingState.UNFIXED);
      }
    }
    String fixed = a.ranges().stream().flatMap(r -> r.events().stream())
        .filter(e -> e.kind() == VersionRange.Kind.FIXED).map(VersionRange.Event::version).findFirst().orElse("");
    return new Verdict.NotAffected(fixed.isEmpty() ? "outside the affected ranges" : "fixed in " + fixed);
  }

  private static FindingState fixState(Affected a, String version, VersionScheme scheme) {
    return nextFix(a, version, scheme).isEmpty() ? FindingState.UNFIXED : FindingState.FIX_AVAILABLE;
  }

  /** The lowest fixed version above {@code version} in any range, or "". */
  private static String nextFix(Affected a, String version, VersionScheme scheme) {
    String best = "";
    for (VersionRange r : a.ranges()) {
      for (VersionRange.Event e : r.events()) {
        if (e.kind() == VersionRange.Kind.FIXED && scheme.compare(version, e.version()) < 0
            && (best.isEmpty() || scheme.compare(e.version(), best) < 0)) {
          best = e.version();
        }
      }
    }
    return best;
  }

  /**
   * Null when the range does not cover {@code version}; otherwise the fix that closes the interval
   * holding it, or empty when no fix closes it.
   */
  private static Optional<String> affectedIn(VersionRange range, String version, VersionScheme scheme) {
    List<VersionRange.Event> events = new ArrayList<>(range.events());
    Comparator<String> order = (x, y) -> {
      if (x.equals("0")) return y.equals("0") ? 0 : -1;
      if (y.equals("0")) return 1;
      return scheme.compare(x, y);
    };
    events.sort((x, y) -> order.compare(x.version(), y.version()));
    boolean affected = false;
    for (VersionRange.Event e : events) {
      if (e.kind() == VersionRange.Kind.LIMIT && order.compare(version, e.version()) >= 0) return null;
    }
    for (VersionRange.Event e : events) {
      int cmp = order.compare(version, e.version());
      switch (e.kind()) {
        case INTRODUCED -> {
          if (cmp >= 0) affected = true;
        }
        case FIXED -> {
          if (cmp >= 0) affected = false;
        }
        case LAST_AFFECTED -> {
          if (cmp > 0) affected = false;
        }
        case LIMIT -> { }
      }
    }
    if (!affected) return null;
    for (VersionRange.Event e : events) {
      if (e.kind() == VersionRange.Kind.FIXED && order.compare(version, e.version()) < 0) {
        return Optional.of(e.version());
      }
    }
    return Optional.empty();
  }
}
