package io.portolan.vuln.severity;

import io.portolan.vuln.advisory.SeverityRating;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Decides which of an advisory's severity statements a finding reports. */
public final class SeverityPolicy {
  private static final Set<String> DISTRO_ECOSYSTEMS = Set.of("deb", "apk", "rpm");

  /**
   * Sources whose labels rate a distro's build of a package. They say nothing about the same
   * code shipped through a language ecosystem (Debian may call a bug "unimportant" because its
   * build disables the feature), so their labels count for distro packages only.
   */
  private static final Set<String> DISTRO_SOURCES =
      Set.of(
          "debian", "ubuntu", "alpine", "redhat", "red hat", "rhel", "suse", "opensuse", "amazon",
          "oracle", "photon", "wolfi", "chainguard", "rocky", "alma", "almalinux", "centos",
          "fedora");

  /** For the reported vector: the versions most tools and people compare by come first. */
  private static final Map<String, Integer> REPORT_PREFERENCE =
      Map.of("3.1", 4, "3.0", 3, "4.0", 2, "2.0", 1);

  /** For the band: the newest version of the scoring system decides. */
  private static final Map<String, Integer> VERSION_ORDER =
      Map.of("4.0", 4, "3.1", 3, "3.0", 2, "2.0", 1);

  private SeverityPolicy() {}

  /**
   * Chooses a finding's severity and records where it came from. For distro packages (ecosystem
   * deb/apk/rpm) the distro's own rating wins when it maps to a band other than UNKNOWN
   * ({@code distroLabel}, e.g. Debian urgency "unimportant" -> NEGLIGIBLE, source "debian"); else a
   * LABEL rating from the advisory's ratings (e.g. GHSA "HIGH", source "ghsa"); else the
   * highest-version parseable CVSS vector's band. The reported cvssVector/cvssScore are the best
   * CVSS available (prefer v3.1, then v3.0, then v4.0, then v2) even when the band came from a
   * label. Invalid vectors are skipped, never thrown.
   *
   * <p>Ties are broken towards the more severe: of several understood labels the highest band wins,
   * and of several vectors of the same version the highest score; equal ones keep list order.
   * Labels from distro trackers are ignored for language ecosystems (see {@link
   * #DISTRO_SOURCES}).
   *
   * @param ecosystem the finding's purl type (deb, apk, rpm, maven, npm, ...)
   * @param distroSource who gave {@code distroLabel} ("debian", "ubuntu", ...); may be empty
   * @param distroLabel the distro's rating of this package ({@code Affected.severity}); may be
   *     empty or null
   * @param ratings the advisory's severity statements; may be null
   */
  public static RatedSeverity choose(
      String ecosystem, String distroSource, String distroLabel, List<SeverityRating> ratings) {
    List<SeverityRating> all = ratings == null ? List.of() : ratings;
    boolean distroPackage = DISTRO_ECOSYSTEMS.contains(lower(ecosystem));
    List<Rated> vectors =
        all.stream().filter(SeverityPolicy::isCvss).flatMap(r -> score(r).stream()).toList();
    Optional<CvssScore> reported =
        vectors.stream()
            .max(
                Comparator.comparingInt((Rated r) -> REPORT_PREFERENCE.get(r.cvss().version()))
                    .thenComparingDouble(r -> r.cvss().baseScore()))
            .map(Rated::cvss);
    String vector = reported.map(CvssScore::vector).orElse(null);
    Double score = reported.map(CvssScore::baseScore).orElse(null);

    if (distroPackage) {
      Severity distro = Severity.fromLabel(distroSource, distroLabel);
      if (distro != Severity.UNKNOWN) {
        return new RatedSeverity(distro, nonNull(distroSource), vector, score);
      }
    }

    Optional<SeverityRating> label =
        all.stream()
            .filter(r -> r != null && "LABEL".equalsIgnoreCase(r.type()))
            .filter(r -> distroPackage || !DISTRO_SOURCES.contains(lower(r.source())))
            .filter(r -> Severity.fromLabel(r.source(), r.value()) != Severity.UNKNOWN)
            .max(Comparator.comparingInt(r -> Severity.fromLabel(r.source(), r.value()).rank()));
    if (label.isPresent()) {
      SeverityRating r = label.get();
      return new RatedSeverity(
          Severity.fromLabel(r.source(), r.value()), nonNull(r.source()), vector, score);
    }

    Optional<Rated> newest =
        vectors.stream()
            .max(
                Comparator.comparingInt((Rated r) -> VERSION_ORDER.get(r.cvss().version()))
                    .thenComparingDouble(r -> r.cvss().baseScore()));
    if (newest.isPresent()) {
      Rated r = newest.get();
      return new RatedSeverity(r.cvss().severity(), nonNull(r.rating().source()), vector, score);
    }
    return new RatedSeverity(Severity.UNKNOWN, "", vector, score);
  }

  private record Rated(SeverityRating rating, CvssScore cvss) {}

  private static boolean isCvss(SeverityRating rating) {
    return rating != null && lower(rating.type()).startsWith("cvss_");
  }

  /**
   * Parsed vectors, by vector string: a fleet rematch rates the same few thousand vectors hundreds
   * of thousands of times. Bounded so a hostile feed cannot grow it without end.
   */
  private static final int MAX_CACHED = 100_000;
  private static final java.util.concurrent.ConcurrentHashMap<String, Optional<CvssScore>> PARSED =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static Optional<Rated> score(SeverityRating rating) {
    String vector = rating.value() == null ? "" : rating.value();
    Optional<CvssScore> parsed = PARSED.get(vector);
    if (parsed == null) {
      try {
        parsed = Optional.of(Cvss.parse(vector));
      } catch (InvalidCvssException e) {
        // A feed's broken vector must not cost the finding its other ratings.
        parsed = Optional.empty();
      }
      if (PARSED.size() < MAX_CACHED) PARSED.put(vector, parsed);
    }
    return parsed.map(cvss -> new Rated(rating, cvss));
  }

  private static String lower(String s) {
    return s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
  }

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }
}
