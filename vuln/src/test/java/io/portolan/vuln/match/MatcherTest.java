package io.portolan.vuln.match;

import static org.assertj.core.api.Assertions.assertThat;

import io.portolan.vuln.advisory.Advisory;
import io.portolan.vuln.advisory.Affected;
import io.portolan.vuln.advisory.AffectedState;
import io.portolan.vuln.advisory.AlpineSecdbParser;
import io.portolan.vuln.advisory.DebianTrackerParser;
import io.portolan.vuln.advisory.FeedParser;
import io.portolan.vuln.advisory.FeedSnapshots;
import io.portolan.vuln.advisory.OsvParser;
import io.portolan.vuln.advisory.SeverityRating;
import io.portolan.vuln.advisory.VersionRange;
import io.portolan.vuln.advisory.VersionRange.Event;
import io.portolan.vuln.advisory.VersionRange.Kind;
import io.portolan.vuln.severity.Severity;
import io.portolan.vuln.version.VersionSchemes;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MatcherTest {

  private static Path resource(String relative) {
    try {
      return Path.of(MatcherTest.class.getResource("/vulndata/" + relative).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Advisory> parse(FeedParser parser, String relative) throws IOException {
    List<Advisory> out = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    parser.parse(FeedSnapshots.open(resource(relative)), out::add, problems::add);
    assertThat(problems).isEmpty();
    return out;
  }

  private static Matcher matcher(String feed, boolean distro, List<Advisory> advisories) {
    return new Matcher(AdvisoryIndex.build(List.of(new AdvisoryIndex.FeedContent(feed, distro, advisories))));
  }

  /** The images' real package lists, matched against the real tracker records, give exactly the expected verdicts. */
  @ParameterizedTest
  @ValueSource(strings = {"debian/reconstructed-native", "debian/vuln-list-debian", "debian/tracker-export"})
  void bookwormVerdictsEqualTheExpectedOnes(String feedPath) throws IOException {
    Matcher matcher = matcher("debian", true, parse(new DebianTrackerParser(), feedPath));
    Map<String, String> images = Map.of("local/app:1", "ground-truth/local-app-1.dpkg.tsv",
        "local/debian:bookworm", "ground-truth/local-debian-bookworm.dpkg.tsv");

    // (image, CVE, source) -> what matching found, over every package of both images.
    Map<String, String> found = new TreeMap<>();
    for (var image : images.entrySet()) {
      List<String> lines = Files.readAllLines(resource(image.getValue()));
      for (String line : lines.subList(1, lines.size())) {
        String[] c = line.split("\t");
        InstalledPackage p = new InstalledPackage("deb", "debian:12", c[0], c[1], c[2], c[3]);
        for (Finding f : matcher.match(p)) {
          String verdict = "vulnerable" + switch (f.state()) {
            case UNFIXED -> " (no fix)";
            case NO_DSA -> " (no-dsa)";
            default -> "";
          } + (f.severity().severity() == Severity.NEGLIGIBLE ? " [unimportant]" : "");
          String previous = found.put(image.getKey() + " " + f.vulnerabilityId() + " " + c[2], verdict);
          assertThat(previous == null || previous.equals(verdict)).as("binaries of one source agree").isTrue();
        }
      }
    }

    Map<String, String> expected = new TreeMap<>();
    List<String> rows = Files.readAllLines(resource("debian/expected-bookworm-verdicts.tsv"));
    for (String row : rows.subList(1, rows.size())) {
      String[] c = row.split("\t", -1);
      // A plain "vulnerable" with no bookworm fix (zlib: fixed only in unstable) has nothing to install.
      String verdict = c[7].equals("vulnerable") && c[6].isEmpty() ? "vulnerable (no fix)" : c[7];
      if (verdict.startsWith("vulnerable")) expected.put(c[0] + " " + c[1] + " " + c[2], verdict);
    }
    // Equal maps: every expected vulnerability found with its state (recall), nothing else (precision).
    assertThat(found).isEqualTo(expected);
  }

  @Test
  void zlibFallsBackToTheUnstableStatementWithoutClaimingABookwormFix() throws IOException {
    Matcher matcher = matcher("debian", true, parse(new DebianTrackerParser(), "debian/reconstructed-native"));
    List<Finding> findings = matcher.match(
        new InstalledPackage("deb", "debian:12", "zlib1g", "1:1.2.13.dfsg-1", "zlib", "1:1.2.13.dfsg-1"));
    assertThat(findings).extracting(Finding::vulnerabilityId).containsExactly("CVE-2023-45853");
    assertThat(findings.get(0).fixedVersion()).isEmpty();
    assertThat(findings.get(0).state()).isEqualTo(FindingState.UNFIXED);
    // Installed at the unstable fix: not affected.
    assertThat(matcher.match(new InstalledPackage("deb", "debian:12", "zlib1g", "1:1.3.dfsg-2", "zlib",
        "1:1.3.dfsg-2"))).isEmpty();
  }

  @Test
  void curlBelowTheDsaFixIsAffectedWithTheDsaAsAlias() throws IOException {
    Matcher matcher = matcher("debian", true, parse(new DebianTrackerParser(), "debian/reconstructed-native"));
    List<Finding> findings = matcher.match(
        new InstalledPackage("deb", "debian:12", "libcurl4", "7.88.1-10+deb12u3", "curl", "7.88.1-10+deb12u3"));
    assertThat(findings).extracting(Finding::vulnerabilityId).containsExactly("CVE-2023-38545", "CVE-2023-38546");
    assertThat(findings).allSatisfy(f -> {
      assertThat(f.fixedVersion()).isEqualTo("7.88.1-10+deb12u4");
      assertThat(f.aliases()).contains("DSA-5523-1");
    });
  }

  @Test
  void languagePackagesMatchThroughOsvWithAliasesMergedAndCvesAsIds() throws IOException {
    List<Advisory> osv = new ArrayList<>(parse(new OsvParser(), "osv/ghsa"));
    osv.addAll(parse(new OsvParser(), "osv/pypa"));
    Matcher matcher = matcher("osv", false, osv);

    assertThat(ids(matcher.match(InstalledPackage.ofLanguage("maven", "org.apache.logging.log4j", "log4j-core",
        "2.14.1")))).contains("CVE-2021-44228", "CVE-2021-45046");
    assertThat(ids(matcher.match(InstalledPackage.ofLanguage("maven", "org.apache.logging.log4j", "log4j-core",
        "2.17.1")))).doesNotContain("CVE-2021-44228", "CVE-2021-45046");
    assertThat(ids(matcher.match(InstalledPackage.ofLanguage("maven", "com.fasterxml.jackson.core",
        "jackson-databind", "2.13.0")))).contains("CVE-2020-36518");
    assertThat(ids(matcher.match(InstalledPackage.ofLanguage("maven", "org.apache.commons", "commons-text",
        "1.9")))).contains("CVE-2022-42889");
    assertThat(ids(matcher.match(InstalledPackage.ofLanguage("maven", "org.apache.commons", "commons-text",
        "1.10.0")))).doesNotContain("CVE-2022-42889");
    assertThat(ids(matcher.match(InstalledPackage.ofLanguage("npm", "", "lodash", "4.17.20"))))
        .contains("CVE-2021-23337");
    assertThat(ids(matcher.match(InstalledPackage.ofLanguage("npm", "", "lodash", "4.17.21"))))
        .doesNotContain("CVE-2021-23337");

    // GHSA-v845-jxx5-vc9f and PYSEC-2023-192 both describe CVE-2023-43804: one finding, both names.
    List<Finding> urllib3 = matcher.match(InstalledPackage.ofLanguage("pypi", "", "urllib3", "1.26.16"));
    List<Finding> cve = urllib3.stream().filter(f -> f.vulnerabilityId().equals("CVE-2023-43804")).toList();
    assertThat(cve).hasSize(1);
    assertThat(cve.get(0).aliases()).contains("GHSA-v845-jxx5-vc9f", "PYSEC-2023-192");
    assertThat(ids(urllib3)).doesNotHaveDuplicates();
    // PyPI names compare normalized.
    assertThat(ids(matcher.match(InstalledPackage.ofLanguage("pypi", "", "URLLib3", "1.26.16"))))
        .contains("CVE-2023-43804");
  }

  @Test
  void alpineMatchesByOriginAndBranch() throws IOException {
    List<Advisory> secdb = parse(new AlpineSecdbParser(), "alpine/secdb-v3.11/main.json");
    Matcher matcher = matcher("alpine", true, secdb);
    List<Finding> musl = matcher.match(new InstalledPackage("apk", "alpine:3.11", "musl-utils", "1.1.22-r0", "musl",
        ""));
    assertThat(ids(musl)).contains("CVE-2019-14697");
    assertThat(musl.stream().filter(f -> f.vulnerabilityId().equals("CVE-2019-14697")).findFirst().orElseThrow()
        .fixedVersion()).isEqualTo("1.1.23-r2");
    assertThat(ids(matcher.match(new InstalledPackage("apk", "alpine:3.11", "musl", "1.1.24-r0", "musl", ""))))
        .doesNotContain("CVE-2019-14697");
    // Another branch's packages are not judged by v3.11's records.
    assertThat(matcher.match(new InstalledPackage("apk", "alpine:3.12", "musl", "1.1.22-r0", "musl", ""))).isEmpty();
  }

  @Test
  void osvRangeEventsAndVersionLists() {
    var semver = VersionSchemes.forEcosystem("npm").orElseThrow();
    Affected ranges = new Affected("npm", "", "x", false, AffectedState.RANGES, List.of(
        new VersionRange("SEMVER", List.of(new Event(Kind.INTRODUCED, "1.0.0"), new Event(Kind.FIXED, "1.2.0"),
            new Event(Kind.INTRODUCED, "2.0.0"), new Event(Kind.LAST_AFFECTED, "2.3.0"))),
        new VersionRange("SEMVER", List.of(new Event(Kind.INTRODUCED, "0"), new Event(Kind.LIMIT, "0.5.0")))),
        List.of("3.1.4"), "", "");
    assertThat(Matcher.evaluate(ranges, "0.4.0", semver)).isInstanceOf(Verdict.Affected.class);
    assertThat(Matcher.evaluate(ranges, "0.9.0", semver)).isInstanceOf(Verdict.NotAffected.class);
    assertThat(Matcher.evaluate(ranges, "1.1.9", semver)).isEqualTo(new Verdict.Affected("1.2.0",
        FindingState.FIX_AVAILABLE));
    assertThat(Matcher.evaluate(ranges, "1.2.0", semver)).isInstanceOf(Verdict.NotAffected.class);
    assertThat(Matcher.evaluate(ranges, "2.3.0", semver)).isEqualTo(new Verdict.Affected("",
        FindingState.UNFIXED));
    assertThat(Matcher.evaluate(ranges, "2.3.1", semver)).isInstanceOf(Verdict.NotAffected.class);
    assertThat(Matcher.evaluate(ranges, "3.1.4", semver)).isInstanceOf(Verdict.Affected.class);
    assertThat(Matcher.evaluate(ranges, "3.1.5", semver)).isInstanceOf(Verdict.NotAffected.class);
  }

  @Test
  void withdrawnAdvisoriesAreSkippedAndTheDistroTrackerOverridesOsvForDistroPackages() {
    Advisory withdrawn = new Advisory("GHSA-aaaa-bbbb-cccc", Set.of(), "", "", null, Instant.EPOCH, true, List.of(),
        List.of(), List.of(new Affected("npm", "", "x", false, AffectedState.RANGES,
            List.of(VersionRange.fixedIn("9.0.0")), List.of(), "", "")));
    assertThat(matcher("osv", false, List.of(withdrawn))
        .match(InstalledPackage.ofLanguage("npm", "", "x", "1.0.0"))).isEmpty();

    Advisory osvSays = new Advisory("DEBIAN-CVE-2099-0001", Set.of("CVE-2099-0001"), "", "", null, Instant.EPOCH,
        false, List.of(new SeverityRating("nvd", "CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")),
        List.of(), List.of(new Affected("deb", "debian:12", "foo", true, AffectedState.RANGES,
            List.of(VersionRange.fixedIn("2.0-1")), List.of(), "", "")));
    Advisory trackerSays = new Advisory("CVE-2099-0001", Set.of(), "", "", null, Instant.EPOCH, false, List.of(),
        List.of(), List.of(new Affected("deb", "debian:12", "foo", true, AffectedState.NOT_AFFECTED, List.of(),
            List.of(), "", "Vulnerable code not present")));
    Matcher both = new Matcher(AdvisoryIndex.build(List.of(
        new AdvisoryIndex.FeedContent("osv-debian", false, List.of(osvSays)),
        new AdvisoryIndex.FeedContent("debian", true, List.of(trackerSays)))));
    assertThat(both.match(new InstalledPackage("deb", "debian:12", "libfoo1", "1.0-1", "foo", "1.0-1"))).isEmpty();

    Matcher osvOnly = matcher("osv-debian", false, List.of(osvSays));
    List<Finding> f = osvOnly.match(new InstalledPackage("deb", "debian:12", "libfoo1", "1.0-1", "foo", "1.0-1"));
    assertThat(f).extracting(Finding::vulnerabilityId).containsExactly("CVE-2099-0001");
    assertThat(f.get(0).severity().severity()).isEqualTo(Severity.CRITICAL);
    assertThat(f.get(0).aliases()).containsExactly("DEBIAN-CVE-2099-0001");
  }

  @Test
  void binNmuVersionsMatchOnTheSourceVersion() {
    Advisory a = new Advisory("CVE-2099-0002", Set.of(), "", "", null, Instant.EPOCH, false, List.of(), List.of(),
        List.of(new Affected("deb", "debian:12", "bash", true, AffectedState.RANGES,
            List.of(VersionRange.fixedIn("5.2.15-2")), List.of(), "", "")));
    // bash 5.2.15-2+b13 is a binNMU of source 5.2.15-2: fixed, although the binary version sorts higher anyway.
    assertThat(matcher("debian", true, List.of(a))
        .match(new InstalledPackage("deb", "debian:12", "bash", "5.2.15-2+b13", "bash", "5.2.15-2"))).isEmpty();
    assertThat(matcher("debian", true, List.of(a))
        .match(new InstalledPackage("deb", "debian:12", "bash", "5.2.15-1+b2", "bash", "5.2.15-1"))).hasSize(1);
  }

  private static Set<String> ids(List<Finding> findings) {
    Set<String> out = new TreeSet<>();
    findings.forEach(f -> out.add(f.vulnerabilityId()));
    return out;
  }
}
