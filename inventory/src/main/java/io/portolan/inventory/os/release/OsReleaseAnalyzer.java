package io.portolan.inventory.os.release;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.OsRelease;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Detects the distribution from os-release files and the older per-distro release files. Each
 * file yields its own {@link OsRelease}; which one describes the image is decided after the layers
 * are stacked (see {@code ImageInventories}), because an upper layer may replace any of them.
 */
public final class OsReleaseAnalyzer implements Analyzer {
  /** The files read, in the order of trust used to pick the image's OS among survivors. */
  public static final List<String> PATHS = List.of(
      "etc/os-release", "usr/lib/os-release", "etc/alpine-release", "etc/debian_version",
      "etc/redhat-release", "etc/centos-release", "etc/rocky-release", "etc/almalinux-release",
      "etc/fedora-release", "etc/system-release");
  private static final int MAX_BYTES = 64 * 1024;
  private static final Map<String, String> DEBIAN_CODENAMES = Map.of(
      "7", "wheezy", "8", "jessie", "9", "stretch", "10", "buster", "11", "bullseye", "12", "bookworm",
      "13", "trixie", "14", "forky");
  private static final Pattern RELEASE_LINE =
      Pattern.compile("^(.*?)\\s+release\\s+([0-9][0-9.]*)?\\s*(?:\\((.*?)\\))?.*$");

  @Override
  public String name() {
    return "os-release";
  }

  @Override
  public int version() {
    return 1;
  }

  @Override
  public List<String> roots() {
    return PATHS;
  }

  @Override
  public boolean wants(String path) {
    return PATHS.contains(path);
  }

  @Override
  public long maxFileBytes() {
    return MAX_BYTES;
  }

  @Override
  public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
    byte[] data = content.readNBytes(MAX_BYTES + 1);
    if (data.length > MAX_BYTES) {
      throw new AnalysisException(path + ": larger than " + MAX_BYTES + " bytes");
    }
    String text = new String(data, StandardCharsets.UTF_8);
    Optional<OsRelease> os = switch (path) {
      case "etc/os-release", "usr/lib/os-release" -> osRelease(text);
      case "etc/alpine-release" -> alpine(text);
      case "etc/debian_version" -> debianVersion(text);
      default -> redHatFamily(text);
    };
    return List.of(new FileFindings(path, name(), List.of(), os));
  }

  /** Parses os-release(5): shell-style assignments, quoted or not, with backslash escapes. */
  static Optional<OsRelease> osRelease(String text) {
    Map<String, String> v = parseAssignments(text);
    String id = v.getOrDefault("ID", "").toLowerCase(Locale.ROOT);
    if (id.isEmpty()) {
      return Optional.empty();
    }
    String name = v.getOrDefault("NAME", "");
    String versionId = v.getOrDefault("VERSION_ID", "");
    String codename = v.getOrDefault("VERSION_CODENAME", "");
    if (codename.isEmpty() && id.equals("ubuntu")) {
      codename = v.getOrDefault("UBUNTU_CODENAME", ubuntuCodename(v.getOrDefault("VERSION", "")));
    }
    if (codename.isEmpty() && id.equals("debian")) {
      codename = debianCodename(versionId);
    }
    String pretty = v.getOrDefault("PRETTY_NAME", (name + " " + v.getOrDefault("VERSION", "")).trim());
    return Optional.of(new OsRelease(id, name, versionId, codename, pretty, EndOfLife.of(id, versionId, name)));
  }

  static Map<String, String> parseAssignments(String text) {
    Map<String, String> values = new HashMap<>();
    for (String line : text.split("\n")) {
      String trimmed = line.strip();
      int eq = trimmed.indexOf('=');
      if (trimmed.startsWith("#") || eq <= 0) {
        continue;
      }
      String key = trimmed.substring(0, eq);
      if (!key.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        continue;
      }
      values.put(key, unquote(trimmed.substring(eq + 1)));
    }
    return values;
  }

  /** Shell word rules for one value: '...' is literal, "..." and bare text honour backslashes. */
  private static String unquote(String raw) {
    StringBuilder out = new StringBuilder();
    char quote = 0;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (quote == '\'') {
        if (c == '\'') {
          quote = 0;
        } else {
          out.append(c);
        }
      } else if (c == '\\' && i + 1 < raw.length()) {
        char next = raw.charAt(i + 1);
        // Inside double quotes a backslash only escapes $ ` " \ (POSIX); elsewhere it escapes anything.
        if (quote == '"' && "$`\"\\".indexOf(next) < 0) {
          out.append(c);
        } else {
          out.append(next);
          i++;
        }
      } else if (quote == '"') {
        if (c == '"') {
          quote = 0;
        } else {
          out.append(c);
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '#' && (i == 0 || Character.isWhitespace(raw.charAt(i - 1)))) {
        break;
      } else if (Character.isWhitespace(c)) {
        break; // an unquoted value ends at the first blank
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static Optional<OsRelease> alpine(String text) {
    String version = firstLine(text);
    if (!version.matches("[0-9][0-9A-Za-z._-]*")) {
      return Optional.empty();
    }
    String[] parts = version.split("\\.");
    String branch = parts.length >= 2 ? parts[0] + "." + parts[1] : version;
    return Optional.of(new OsRelease("alpine", "Alpine Linux", version, "", "Alpine Linux v" + branch,
        EndOfLife.of("alpine", version, "")));
  }

  /** {@code 12.5} on releases, {@code trixie/sid} on testing and unstable. */
  private static Optional<OsRelease> debianVersion(String text) {
    String line = firstLine(text);
    if (line.isEmpty()) {
      return Optional.empty();
    }
    if (line.matches("[0-9]+(\\.[0-9]+)*")) {
      String major = line.replaceAll("\\..*", "");
      String codename = debianCodename(major);
      return Optional.of(new OsRelease("debian", "Debian GNU/Linux", line, codename,
          "Debian GNU/Linux " + line + (codename.isEmpty() ? "" : " (" + codename + ")"),
          EndOfLife.of("debian", major, "")));
    }
    String codename = line.contains("/") ? line.substring(0, line.indexOf('/')) : line;
    return Optional.of(new OsRelease("debian", "Debian GNU/Linux", "", codename, "Debian GNU/Linux " + line,
        Optional.empty()));
  }

  private static Optional<OsRelease> redHatFamily(String text) {
    Matcher m = RELEASE_LINE.matcher(firstLine(text));
    if (!m.matches()) {
      return Optional.empty();
    }
    String name = m.group(1).strip();
    String version = m.group(2) == null ? "" : m.group(2);
    String id;
    if (name.startsWith("Red Hat Enterprise Linux")) {
      id = "rhel";
    } else if (name.startsWith("CentOS")) {
      id = "centos";
    } else if (name.startsWith("Rocky")) {
      id = "rocky";
    } else if (name.startsWith("AlmaLinux")) {
      id = "almalinux";
    } else if (name.startsWith("Fedora")) {
      id = "fedora";
    } else if (name.startsWith("Amazon Linux")) {
      id = "amzn";
    } else if (name.startsWith("Oracle Linux")) {
      id = "ol";
    } else {
      id = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }
    String codename = m.group(3) == null ? "" : m.group(3);
    return Optional.of(new OsRelease(id, name, version, codename, firstLine(text), EndOfLife.of(id, version, name)));
  }

  /** Debian's codename for a major release, or "" when unknown. */
  public static String debianCodename(String major) {
    return DEBIAN_CODENAMES.getOrDefault(major, "");
  }

  /** {@code 22.04.3 LTS (Jammy Jellyfish)} gives {@code jammy}. */
  static String ubuntuCodename(String version) {
    Matcher m = Pattern.compile("\\(([A-Za-z]+)").matcher(version);
    return m.find() ? m.group(1).toLowerCase(Locale.ROOT) : "";
  }

  private static String firstLine(String text) {
    String t = text.strip();
    int nl = t.indexOf('\n');
    return (nl < 0 ? t : t.substring(0, nl)).strip();
  }
}
