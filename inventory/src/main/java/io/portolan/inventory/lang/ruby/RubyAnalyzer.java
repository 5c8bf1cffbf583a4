package io.portolan.inventory.lang.ruby;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.BoundedInput;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.analyzer.TextLines;
import io.portolan.inventory.purl.Purls;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reports RubyGems from installed specifications ({@code .../specifications/*.gemspec} and the
 * {@code specifications/default/} gems that ship with Ruby) and from {@code Gemfile.lock}.
 *
 * <p>Installed gemspecs are Ruby, but RubyGems writes them in one shape ({@code
 * Gem::Specification.new do |s|} then {@code s.name = "rake".freeze}); they are read as text and
 * never evaluated. The block variable is taken from the {@code do |x|} line, so hand-written specs
 * using {@code spec.} work too. The file name ({@code name-version[-platform].gemspec}) is checked
 * against the content: if the content lacks a name or version the file name supplies it, and a
 * disagreement is recorded as a property rather than guessed away.
 *
 * <p>{@code Gemfile.lock}: every {@code specs:} entry of the GEM, GIT and PATH sections, indented
 * four spaces ({@code name (version[-platform])}); six-space lines are their dependencies. They
 * carry {@code source=lockfile} (and {@code lock-section=git|path} outside GEM), so the image
 * inventory can prefer an installed gemspec of the same gem.
 */
public final class RubyAnalyzer implements Analyzer {
  public static final String NAME = "ruby";
  private static final Pattern SPEC_FILE =
      Pattern.compile("(?:^|.*/)specifications/(default/)?([^/]+)\\.gemspec");
  private static final Pattern NEW_BLOCK = Pattern.compile("Gem::Specification\\.new\\s+do\\s*\\|\\s*(\\w+)\\s*\\|");
  private static final Pattern LOCK_SPEC = Pattern.compile(" {4}([^ (]+) \\(([^)]+)\\)");
  private static final Pattern STRING_VALUE =
      Pattern.compile("\\s*=\\s*(?:Gem::Version\\.new\\(\\s*)?[\"']([^\"']*)[\"']");
  private static final Pattern LICENSES = Pattern.compile("licenses?\\s*=\\s*\\[?(.*?)\\]?\\s*$");
  private static final Pattern QUOTED = Pattern.compile("[\"']([^\"']+)[\"']");
  // A RubyGems version: dot-separated digits and letters, never a dash (platforms follow a dash).
  private static final Pattern FILE_NAME_VERSION = Pattern.compile("(.+?)-(\\d[0-9A-Za-z.]*)(?:-(.+))?");

  private final long maxFileBytes;

  public RubyAnalyzer() {
    this(16L * 1024 * 1024);
  }

  public RubyAnalyzer(long maxFileBytes) {
    this.maxFileBytes = maxFileBytes;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int version() {
    return 2;
  }

  @Override
  public long maxFileBytes() {
    return maxFileBytes;
  }

  @Override
  public boolean wants(String path) {
    // endsWith first: the walk asks about every file of an image, and the regex is the slow part.
    return path.endsWith(".gemspec") && SPEC_FILE.matcher(path).matches() || path.equals("Gemfile.lock")
        || path.endsWith("/Gemfile.lock");
  }

  @Override
  public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
    byte[] data = BoundedInput.readAll(path, content, size, maxFileBytes);
    Matcher spec = SPEC_FILE.matcher(path);
    if (spec.matches()) {
      // RubyGems' "# stub: name version platform paths" line joins require paths with NUL bytes
      // (Debian's default gems have them); elsewhere a NUL still means a binary file.
      data = stubLineWithoutNul(data);
    }
    List<TextLines.Line> lines = TextLines.of(path, data);
    List<Package> packages = new ArrayList<>();
    if (spec.matches()) {
      gemspec(path, lines, spec.group(2), spec.group(1) != null).ifPresent(packages::add);
    } else {
      gemfileLock(path, lines, packages);
    }
    return List.of(new FileFindings(path, NAME, packages, Optional.empty()));
  }

  /** The same bytes with NULs on "# stub:" lines turned into spaces. */
  private static byte[] stubLineWithoutNul(byte[] data) {
    byte[] out = null;
    int lineStart = 0;
    boolean stub = false;
    for (int i = 0; i < data.length; i++) {
      if (i == lineStart) {
        stub = startsWith(data, i, "# stub:");
      }
      if (data[i] == '\n') {
        lineStart = i + 1;
      } else if (data[i] == 0 && stub) {
        if (out == null) {
          out = data.clone();
        }
        out[i] = ' ';
      }
    }
    return out == null ? data : out;
  }

  private static boolean startsWith(byte[] data, int at, String prefix) {
    if (at + prefix.length() > data.length) {
      return false;
    }
    for (int k = 0; k < prefix.length(); k++) {
      if (data[at + k] != prefix.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  private static Optional<Package> gemspec(String path, List<TextLines.Line> lines, String fileStem, boolean isDefault)
      throws AnalysisException {
    String var = "";
    String name = "";
    String version = "";
    String license = "";
    for (TextLines.Line line : lines) {
      String text = line.text().strip();
      if (text.startsWith("#")) {
        continue;
      }
      Matcher block = NEW_BLOCK.matcher(text);
      if (block.find()) {
        var = block.group(1);
        continue;
      }
      if (var.isEmpty() || !text.startsWith(var + ".")) {
        continue;
      }
      String rest = text.substring(var.length() + 1);
      if (rest.startsWith("name") && name.isEmpty()) {
        name = value(rest.substring(4));
      } else if (rest.startsWith("version") && version.isEmpty()) {
        version = value(rest.substring(7));
      } else if (rest.startsWith("license") && license.isEmpty()) {
        Matcher m = LICENSES.matcher(rest.substring(0, Math.min(rest.length(), 4096)).replace(".freeze", ""));
        if (m.find()) {
          List<String> all = new ArrayList<>();
          Matcher q = QUOTED.matcher(m.group(1));
          while (q.find()) {
            all.add(q.group(1));
          }
          license = String.join(" OR ", all);
        }
      }
    }
    Map<String, String> props = new LinkedHashMap<>();
    Matcher fromFile = FILE_NAME_VERSION.matcher(fileStem);
    String fileName = fromFile.matches() ? fromFile.group(1) : "";
    String fileVersion = fromFile.matches() ? fromFile.group(2) : "";
    if (var.isEmpty() && name.isEmpty() && version.isEmpty()) {
      if (fileName.isEmpty()) {
        throw new AnalysisException(path + ": no Gem::Specification block and no name-version file name (at offset 0)");
      }
      props.put("identity-from", "file-name");
    }
    if (name.isEmpty()) {
      name = fileName;
    }
    if (version.isEmpty()) {
      version = fileVersion;
    }
    if (name.isEmpty() || version.isEmpty()) {
      throw new AnalysisException(path + ": gemspec has no name or version (at offset 0)");
    }
    if (!fileName.isEmpty() && (!fileName.equals(name) || !fileVersion.equals(version))) {
      props.put("file-name-mismatch", fileStem);
    }
    if (fromFile.matches() && fromFile.group(3) != null) {
      props.put("platform", fromFile.group(3));
    }
    if (isDefault) {
      props.put("default-gem", "true");
    }
    return Optional.of(gem(path, name, version, license, props));
  }

  private static String value(String afterKey) {
    Matcher m = STRING_VALUE.matcher(afterKey);
    return m.lookingAt() ? m.group(1).strip() : "";
  }

  private static void gemfileLock(String path, List<TextLines.Line> lines, List<Package> out)
      throws AnalysisException {
    String section = "";
    boolean inSpecs = false;
    for (TextLines.Line line : lines) {
      String text = line.text();
      if (text.isEmpty()) {
        inSpecs = false;
        continue;
      }
      if (!text.startsWith(" ")) {
        section = text.strip();
        inSpecs = false;
        continue;
      }
      if (text.equals("  specs:")) {
        inSpecs = section.equals("GEM") || section.equals("GIT") || section.equals("PATH");
        continue;
      }
      if (!inSpecs || text.startsWith("      ")) {
        continue;
      }
      Matcher m = LOCK_SPEC.matcher(text);
      if (!m.matches()) {
        throw new AnalysisException(path + ": line " + line.number() + " (offset " + line.offset()
            + "): malformed spec '" + text.strip() + "'");
      }
      String version = m.group(2);
      Map<String, String> props = new LinkedHashMap<>();
      props.put("source", "lockfile");
      int dash = version.indexOf('-');
      if (dash > 0) {
        props.put("platform", version.substring(dash + 1));
        version = version.substring(0, dash);
      }
      if (!section.equals("GEM")) {
        props.put("lock-section", section.toLowerCase(java.util.Locale.ROOT));
      }
      out.add(gem(path, m.group(1), version, "", props));
    }
  }

  private static Package gem(String path, String name, String version, String license, Map<String, String> props)
      throws AnalysisException {
    String purl;
    try {
      purl = Purls.of("gem", "", name, version, Map.of());
    } catch (IllegalArgumentException e) {
      throw new AnalysisException(path + ": " + e.getMessage(), e);
    }
    return new Package("gem", name, version, "", "", "", license, "", purl, props);
  }
}
