package io.portolan.vuln.advisory;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads OSV records (https://ossf.github.io/osv-schema/), one per .json/.yaml/.yml entry; other
 * entries are ignored. A file holding a JSON array of records is read record by record.
 *
 * <h2>Aliases</h2>
 *
 * <p>{@code aliases} are copied as the feed gives them: by the schema they name the same
 * vulnerability. {@code related} ids are never aliases: they are merely similar. The exception is
 * a distro roll-up record ({@link AdvisoryIds#isRollUp}: DSA-, DLA-, DEBIAN-CVE-, USN-, ALSA-,
 * RLSA-, ...). Such a record announces a fix for upstream vulnerabilities, which newer records
 * list in {@code upstream} and older osv.dev Debian records in {@code related} (DLA-0001-1) or
 * {@code aliases} (DSA-3029-1). Its vulnerability ids from all three fields become its aliases, so
 * that a DSA, the tracker's CVE record and the GHSA for the same CVE can be recognized as one
 * vulnerability for the package. Because one DSA often fixes several CVEs, these links are not
 * transitive; {@link AdvisoryIds#distinctVulnerabilities} is the counting rule that respects that.
 *
 * <p>Affected entries in ecosystems we cannot match (Android, Linux, GIT-only entries without a
 * package, ...) are dropped and counted in {@link #skippedEcosystems()}; the record itself is
 * still delivered, since its aliases and withdrawal matter to other records.
 */
public final class OsvParser implements FeedParser {
  private static final Pattern SUSE_RELEASE = Pattern.compile("(\\d+)(?:\\.\\d+| SP\\d+)?\\s*$");

  private final Map<String, Long> skipped = new ConcurrentHashMap<>();

  /** Affected entries dropped because their ecosystem is not matched, by ecosystem, cumulative. */
  public Map<String, Long> skippedEcosystems() {
    return new TreeMap<>(skipped);
  }

  @Override
  public void parse(FeedSnapshot snapshot, Consumer<Advisory> sink, Consumer<String> problems)
      throws IOException {
    int[] documents = new int[1];
    int[] delivered = new int[1];
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
      documents[0]++;
      // Read failures (truncated zip, size limit) are the snapshot's and must propagate; only
      // what the bytes say is a per-record problem.
      byte[] data = content.readAllBytes();
      JsonNode root;
      try {
        root = FeedDocuments.read(name, data);
      } catch (IOException | RuntimeException e) {
        String kind = FeedDocuments.isYamlName(name) ? "YAML" : "JSON";
        report.accept(name + ": not valid " + kind + ": " + firstLine(e.getMessage()));
        return;
      }
      if (root.isArray()) {
        for (int i = 0; i < root.size(); i++) {
          delivered[0] += record(name + "[" + i + "]", root.get(i), sink, report);
        }
      } else {
        delivered[0] += record(name, root, sink, report);
      }
    });
    if (delivered[0] == 0 && (documents[0] == 0 || !firstProblems.isEmpty())) {
      throw new FeedFormatException(snapshot.origin() + ": no OSV records"
          + (documents[0] == 0 ? " (no .json/.yaml entries)" : "; " + firstProblems));
    }
  }

  private int record(String name, JsonNode node, Consumer<Advisory> sink,
      Consumer<String> problems) {
    if (!node.isObject()) {
      problems.accept(name + ": not an OSV record (expected an object)");
      return 0;
    }
    String id = FeedDocuments.text(node, "id");
    if (id.isEmpty()) {
      problems.accept(name + ": not an OSV record (no id)");
      return 0;
    }
    Advisory advisory;
    try {
      advisory = advisory(id, node);
    } catch (RuntimeException e) {
      problems.accept(name + ": " + id + ": " + firstLine(e.getMessage()));
      return 0;
    }
    sink.accept(advisory);
    return 1;
  }

  private Advisory advisory(String id, JsonNode node) {
    Set<String> aliases = new LinkedHashSet<>(texts(node.path("aliases")));
    if (AdvisoryIds.isRollUp(id)) {
      for (String field : List.of("upstream", "related")) {
        texts(node.path(field)).stream()
            .filter(x -> !AdvisoryIds.isRollUp(x))
            .forEach(aliases::add);
      }
    }
    aliases.remove(id);
    aliases.remove("");

    String source = AdvisoryIds.source(id);
    Set<SeverityRating> severities = new LinkedHashSet<>();
    String recordLabel = "";
    for (JsonNode s : node.path("severity")) {
      Optional<SeverityRating> r = rating(source, s);
      r.ifPresent(severities::add);
      if (r.isPresent() && r.get().type().equals("LABEL") && recordLabel.isEmpty()) {
        recordLabel = r.get().value();
      }
    }
    String dbSeverity = FeedDocuments.text(node.path("database_specific"), "severity");
    if (!dbSeverity.isEmpty()) {
      severities.add(new SeverityRating(source, "LABEL", dbSeverity));
    }

    List<Affected> affected = new ArrayList<>();
    for (JsonNode a : node.path("affected")) {
      affected(a, source, recordLabel, severities).ifPresent(affected::add);
    }

    Set<String> references = new LinkedHashSet<>();
    for (JsonNode r : node.path("references")) {
      String url = FeedDocuments.text(r, "url");
      if (!url.isEmpty()) {
        references.add(url);
      }
    }
    return new Advisory(
        id,
        aliases,
        FeedDocuments.text(node, "summary"),
        FeedDocuments.text(node, "details"),
        instant(FeedDocuments.text(node, "published")),
        instant(FeedDocuments.text(node, "modified")),
        node.hasNonNull("withdrawn"),
        List.copyOf(severities),
        List.copyOf(references),
        affected);
  }

  /**
   * CVSS vectors are kept as given; the "Ubuntu" type is Ubuntu's priority word, which is a label
   * (and also the package's distro severity). Unknown types say nothing we can use.
   */
  private static Optional<SeverityRating> rating(String source, JsonNode s) {
    String type = FeedDocuments.text(s, "type").toUpperCase(Locale.ROOT);
    String score = FeedDocuments.text(s, "score");
    if (score.isEmpty()) {
      return Optional.empty();
    }
    return switch (type) {
      case "CVSS_V2", "CVSS_V3", "CVSS_V4" -> Optional.of(new SeverityRating(source, type, score));
      case "UBUNTU" -> Optional.of(new SeverityRating(source, "LABEL", score));
      default -> Optional.empty();
    };
  }

  private Optional<Affected> affected(JsonNode a, String source, String recordLabel,
      Set<SeverityRating> severities) {
    JsonNode pkg = a.path("package");
    String ecosystem = FeedDocuments.text(pkg, "ecosystem");
    String name = FeedDocuments.text(pkg, "name");
    if (ecosystem.isEmpty() || name.isEmpty()) {
      skipped.merge("(no package)", 1L, Long::sum);
      return Optional.empty();
    }
    Optional<Target> target = target(ecosystem, FeedDocuments.text(pkg, "purl"));
    if (target.isEmpty()) {
      skipped.merge(ecosystem, 1L, Long::sum);
      return Optional.empty();
    }
    String label = "";
    for (JsonNode s : a.path("severity")) {
      Optional<SeverityRating> r = rating(source, s);
      r.ifPresent(severities::add);
      if (r.isPresent() && r.get().type().equals("LABEL") && label.isEmpty()) {
        label = r.get().value();
      }
    }
    Target t = target.get();
    if (t.type().equals("deb")) {
      // Debian and Ubuntu put a per-package urgency beside the ranges; it decides "unimportant".
      for (String block : List.of("ecosystem_specific", "database_specific")) {
        for (String field : List.of("urgency", "severity")) {
          String v = FeedDocuments.text(a.path(block), field);
          if (label.isEmpty() && !v.isEmpty()) {
            label = v;
          }
        }
      }
      if (label.isEmpty()) {
        label = recordLabel;
      }
    } else {
      label = "";
    }

    List<VersionRange> ranges = new ArrayList<>();
    for (JsonNode r : a.path("ranges")) {
      String type = FeedDocuments.text(r, "type").toUpperCase(Locale.ROOT);
      if (!type.equals("ECOSYSTEM") && !type.equals("SEMVER")) {
        continue;
      }
      List<VersionRange.Event> events = events(r.path("events"));
      if (!events.isEmpty()) {
        ranges.add(new VersionRange(type, events));
      }
    }
    List<String> versions = texts(a.path("versions"));
    if (ranges.isEmpty() && versions.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new Affected(t.type(), t.namespace(),
        PackageNames.normalize(t.type(), name), t.sourcePackage(), AffectedState.RANGES, ranges,
        versions, label, ""));
  }

  private static List<VersionRange.Event> events(JsonNode events) {
    List<VersionRange.Event> out = new ArrayList<>();
    for (JsonNode e : events) {
      for (VersionRange.Kind kind : VersionRange.Kind.values()) {
        String v = FeedDocuments.text(e, kind.name().toLowerCase(Locale.ROOT));
        if (!v.isEmpty()) {
          out.add(new VersionRange.Event(kind, v));
        }
      }
    }
    return out;
  }

  /** Where an OSV ecosystem's packages live in our model. */
  record Target(String type, String namespace, boolean sourcePackage) {}

  /**
   * Maps an OSV ecosystem string to a purl type and namespace; empty when we cannot match it.
   * Distro ecosystems name source packages (the schema says so for Debian, Ubuntu, Alpine, Rocky,
   * AlmaLinux and SUSE); Red Hat names either, and only its purl's arch=src tells.
   */
  static Optional<Target> target(String ecosystem, String purl) {
    int colon = ecosystem.indexOf(':');
    String base = colon < 0 ? ecosystem : ecosystem.substring(0, colon);
    String release = colon < 0 ? "" : ecosystem.substring(colon + 1).trim();
    boolean srcPurl = purl.contains("arch=src") || purl.contains("arch=source");
    return switch (base) {
      case "Debian" -> Namespaces.debian(release).map(ns -> new Target("deb", ns, true));
      // FIPS streams ship their own builds whose versions do not compare with the archive's.
      case "Ubuntu" -> release.contains("FIPS")
          ? Optional.empty()
          : Namespaces.ubuntu(release).map(ns -> new Target("deb", ns, true));
      case "Alpine" -> release.isEmpty()
          ? Optional.empty()
          : Namespaces.alpine(release).map(ns -> new Target("apk", ns, true));
      case "Rocky Linux" -> Namespaces.majorRelease("rocky", release)
          .map(ns -> new Target("rpm", ns, true));
      case "AlmaLinux" -> Namespaces.majorRelease("almalinux", release)
          .map(ns -> new Target("rpm", ns, true));
      case "Red Hat" -> redHat(release).map(ns -> new Target("rpm", ns, srcPurl));
      case "SUSE", "openSUSE" -> suse(base, release).map(ns -> new Target("rpm", ns, true));
      case "Wolfi" -> Optional.of(new Target("apk", "wolfi", srcPurl));
      case "Chainguard" -> Optional.of(new Target("apk", "chainguard", srcPurl));
      case "Maven" -> language("maven");
      case "npm" -> language("npm");
      case "PyPI" -> language("pypi");
      case "Go" -> language("golang");
      case "crates.io" -> language("cargo");
      case "RubyGems" -> language("gem");
      case "NuGet" -> language("nuget");
      case "Packagist" -> language("composer");
      case "Hex" -> language("hex");
      case "Pub" -> language("pub");
      default -> Optional.empty();
    };
  }

  private static Optional<Target> language(String type) {
    return Optional.of(new Target(type, "", false));
  }

  /**
   * "enterprise_linux:9::appstream" and "rhel_eus:8.6::baseos" are RHEL 9 and 8; other Red Hat
   * products (OpenShift, Satellite) do not run as RHEL containers and are not matched.
   */
  private static Optional<String> redHat(String cpe) {
    String[] parts = cpe.split(":", -1);
    if (parts.length < 2) {
      return Optional.empty();
    }
    String product = parts[0];
    if (!product.equals("enterprise_linux") && !product.startsWith("rhel")) {
      return Optional.empty();
    }
    return Namespaces.majorRelease("rhel", parts[1]);
  }

  /**
   * SUSE ecosystems carry the product's marketing name; the namespace is its os-release ID and
   * major version. Rolling releases (Tumbleweed) have no version to match and are skipped.
   */
  private static Optional<String> suse(String base, String product) {
    Matcher m = SUSE_RELEASE.matcher(product);
    if (!m.find()) {
      return Optional.empty();
    }
    String p = product.toLowerCase(Locale.ROOT);
    String id;
    if (base.equals("openSUSE")) {
      id = p.startsWith("leap micro") ? "opensuse-leap-micro"
          : p.startsWith("leap") ? "opensuse-leap" : null;
    } else if (p.startsWith("linux enterprise micro")) {
      id = "sle-micro";
    } else if ((p.startsWith("linux enterprise server") && !p.contains("sap"))
        || p.startsWith("linux enterprise module")) {
      id = "sles";
    } else {
      id = null;
    }
    return id == null ? Optional.empty() : Optional.of(id + ":" + m.group(1));
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    for (JsonNode v : array) {
      if (v.isValueNode() && !v.isNull() && !v.asText().isBlank()) {
        out.add(v.asText().trim());
      }
    }
    return out;
  }

  /** RFC 3339 as the schema asks; bare dates and offset-less times, seen in the wild, are UTC. */
  static Instant instant(String s) {
    if (s.isEmpty()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      // Fall through to the laxer forms.
    }
    try {
      return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      // Fall through.
    }
    try {
      return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
