package io.portolan.vuln.advisory;

import static io.portolan.vuln.advisory.DebianTrackerTestSnapshots.DEBIAN;
import static org.assertj.core.api.Assertions.assertThat;

import io.portolan.vuln.advisory.DebianTrackerTestSnapshots.Parsed;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every row of expected-bookworm-verdicts.tsv, read from the same records in all three forms: the
 * native list excerpts, vuln-list-debian's JSON files and the hand-built tracker JSON export. The
 * bookworm verdict is taken the way the matcher takes it: the bookworm entry, else the unstable
 * one, which the list form leaves to the matcher and the export computes itself.
 */
class DebianTrackerVerdictsTest {
  private static final io.portolan.vuln.version.VersionScheme DPKG =
      io.portolan.vuln.version.VersionSchemes.forEcosystem("deb").orElseThrow();

  private static final String BOOKWORM = "debian:12";
  private static final String UNSTABLE = "debian:unstable";
  private static final Pattern UNSTABLE_FIX = Pattern.compile("unstable fixed in (\\S+?)\\)?$");

  private static Parsed nativeLists;
  private static Parsed vulnList;
  private static Parsed export;

  /** One expected row; {@code unstableFix} only when the row names it. */
  record Row(String image, String advisory, String sourcePackage, String installed,
      Verdict expected, String unstableFix) {
    @Override
    public String toString() {
      return image + " " + advisory + " " + sourcePackage;
    }
  }

  /**
   * What a bookworm system with {@code installed} is told. {@code state} folds the tracker's
   * "open" (a fix exists only in unstable) into "unfixed", as the export itself does.
   */
  record Verdict(String state, String fixedVersion, boolean vulnerable, String severity,
      String note) {}

  @BeforeAll
  static void parseAllThreeForms() throws IOException {
    nativeLists = DebianTrackerTestSnapshots.parse(
        DebianTrackerTestSnapshots.resources(DEBIAN + "/reconstructed-native"));
    vulnList = DebianTrackerTestSnapshots.parse(
        DebianTrackerTestSnapshots.resources(DEBIAN + "/vuln-list-debian"));
    export = DebianTrackerTestSnapshots.parse(
        DebianTrackerTestSnapshots.resources(DEBIAN + "/tracker-export"));
  }

  static Stream<Row> rows() {
    List<String> lines = DebianTrackerTestSnapshots.resourceLines(
        DEBIAN + "/expected-bookworm-verdicts.tsv");
    List<String> header = List.of(lines.get(0).split("\t", -1));
    return lines.stream().skip(1).filter(l -> !l.isBlank()).map(l -> {
      String[] f = l.split("\t", -1);
      Map<String, String> c = new java.util.HashMap<>();
      for (int i = 0; i < header.size(); i++) {
        c.put(header.get(i), i < f.length ? f[i] : "");
      }
      return row(c);
    });
  }

  private static Row row(Map<String, String> c) {
    String recorded = c.get("bookworm_state_in_record");
    String word = recorded.split("[\\s(]", 2)[0];
    String state = word.equals("open") ? "unfixed" : word;
    String expected = c.get("expected");
    Matcher reason = Pattern.compile("^no-dsa \\((.*)\\)$").matcher(recorded);
    Matcher unstable = UNSTABLE_FIX.matcher(recorded);
    return new Row(c.get("image"), c.get("advisory"), c.get("source_package"),
        c.get("installed_source_version"),
        new Verdict(state, c.get("bookworm_fixed_version"), expected.startsWith("vulnerable"),
            expected.contains("[unimportant]") ? "unimportant" : "",
            reason.matches() ? reason.group(1) : ""),
        unstable.find() ? unstable.group(1) : "");
  }

  @Test
  void everyFormParsesWithoutProblems() {
    assertThat(nativeLists.problems()).isEmpty();
    assertThat(vulnList.problems()).isEmpty();
    assertThat(export.problems()).isEmpty();
  }

  @Test
  void nativeListsAndVulnListRecordsGiveTheSameAdvisories() {
    assertThat(new HashSet<>(vulnList.advisories()))
        .isEqualTo(new HashSet<>(nativeLists.advisories()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void nativeListsGiveTheExpectedBookwormVerdict(Row row) {
    assertExpected(nativeLists, row);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void vulnListRecordsGiveTheExpectedBookwormVerdict(Row row) {
    assertExpected(vulnList, row);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void trackerExportGivesTheExpectedBookwormVerdict(Row row) {
    assertExpected(export, row);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void allThreeFormsAgreeOnBookwormAndTheUnstableFix(Row row) {
    Verdict fromLists = verdict(nativeLists, row);
    assertThat(verdict(vulnList, row)).isEqualTo(fromLists);
    assertThat(verdict(export, row)).isEqualTo(exportCanSay(fromLists));
    String unstableFix = unstableFix(nativeLists, row);
    assertThat(unstableFix(vulnList, row)).isEqualTo(unstableFix);
    assertThat(unstableFix(export, row)).isEqualTo(unstableFix);
    if (!row.unstableFix().isEmpty()) {
      assertThat(unstableFix).isEqualTo(row.unstableFix());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void installedVersionIsTheImagesSourceVersion(Row row) {
    String file = switch (row.image()) {
      case "local/app:1" -> "local-app-1.dpkg.tsv";
      case "local/debian:bookworm" -> "local-debian-bookworm.dpkg.tsv";
      default -> throw new AssertionError("unknown image " + row.image());
    };
    // Columns: package version source source_version architecture.
    List<String[]> packages = DebianTrackerTestSnapshots.resourceLines(
        "vulndata/ground-truth/" + file).stream().skip(1).map(l -> l.split("\t", -1)).toList();
    assertThat(packages)
        .anySatisfy(p -> {
          assertThat(p[2]).isEqualTo(row.sourcePackage());
          assertThat(p[3]).isEqualTo(row.installed());
        });
  }

  /** The rows give a reason only for no-dsa; elsewhere the note is compared across forms only. */
  private static void assertExpected(Parsed parsed, Row row) {
    Verdict actual = verdict(parsed, row);
    Verdict expected = row.expected();
    if (expected.note().isEmpty()) {
      expected = new Verdict(expected.state(), expected.fixedVersion(), expected.vulnerable(),
          expected.severity(), actual.note());
    }
    assertThat(actual).isEqualTo(expected);
  }

  private static Verdict verdict(Parsed parsed, Row row) {
    Optional<Affected> bookworm = entry(parsed, row, BOOKWORM);
    Affected a = bookworm.or(() -> entry(parsed, row, UNSTABLE)).orElseThrow(
        () -> new AssertionError("no bookworm or unstable entry for " + row));
    String fixed = fixedVersion(a);
    if (a.state() == AffectedState.RANGES) {
      boolean vulnerable = DPKG.compare(row.installed(), fixed) < 0;
      if (bookworm.isEmpty() && vulnerable) {
        // The tracker's rule for a release without a line: affected, and no bookworm fix.
        return new Verdict("unfixed", "", true, a.severity(), a.note());
      }
      return new Verdict("fixed", fixed, vulnerable, a.severity(), a.note());
    }
    String state = switch (a.state()) {
      case UNFIXED -> "unfixed";
      case NO_DSA -> "no-dsa";
      case POSTPONED -> "postponed";
      case IGNORED -> "ignored";
      case NOT_AFFECTED -> "not-affected";
      case REMOVED -> "removed";
      case RANGES -> throw new AssertionError();
    };
    return new Verdict(state, "", a.state().affectsAllVersions(), a.severity(), a.note());
  }

  /** The export gives a reason only with nodsa: "resolved" with fixed_version "0" has none. */
  private static Verdict exportCanSay(Verdict v) {
    return v.state().equals("not-affected")
        ? new Verdict(v.state(), v.fixedVersion(), v.vulnerable(), v.severity(), "")
        : v;
  }

  private static String unstableFix(Parsed parsed, Row row) {
    return entry(parsed, row, UNSTABLE).map(DebianTrackerVerdictsTest::fixedVersion).orElse("");
  }

  private static Optional<Affected> entry(Parsed parsed, Row row, String namespace) {
    List<Affected> found = parsed.advisory(row.advisory()).affected().stream()
        .filter(a -> a.namespace().equals(namespace) && a.packageName().equals(row.sourcePackage()))
        .toList();
    assertThat(found).as("%s entries for %s", namespace, row).hasSizeLessThanOrEqualTo(1);
    found.forEach(a -> {
      assertThat(a.ecosystem()).isEqualTo("deb");
      assertThat(a.sourcePackage()).isTrue();
    });
    return found.stream().findFirst();
  }

  private static String fixedVersion(Affected a) {
    if (a.state() != AffectedState.RANGES) {
      return "";
    }
    assertThat(a.ranges()).hasSize(1);
    return a.ranges().get(0).events().stream()
        .filter(e -> e.kind() == VersionRange.Kind.FIXED)
        .map(VersionRange.Event::version).findFirst().orElse("");
  }
}
