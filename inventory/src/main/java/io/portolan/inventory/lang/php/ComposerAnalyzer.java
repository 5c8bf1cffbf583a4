package io.portolan.inventory.lang.php;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.BoundedInput;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.purl.Purls;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reports PHP packages from Composer's {@code vendor/composer/installed.json} (what is installed:
 * the Composer 1 top-level array and the Composer 2 {@code {"packages": [...]}} object, whose
 * {@code dev-package-names} marks dev dependencies) and from {@code composer.lock} ({@code
 * packages}, and {@code packages-dev} marked dev). Names are {@code vendor/name}; the purl is
 * {@code pkg:composer/vendor/name@version} with the version as Composer prints it ({@code v1.2.2},
 * {@code dev-master}), because advisories (GHSA, FriendsOfPHP) are written against those strings.
 * Both files are reported wherever they are, since an application may sit anywhere in an image;
 * {@code composer.lock} entries carry {@code source=lockfile}, and the image inventory keeps them
 * only for a project without {@code vendor/composer/installed.json}.
 */
public final class ComposerAnalyzer implements Analyzer {
  public static final String NAME = "composer";
  /**
   * The mapper, made on first use: building one costs a cold process tens of milliseconds, which an
   * image without such files should not pay.
   */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  private final long maxFileBytes;

  public ComposerAnalyzer() {
    this(64L * 1024 * 1024);
  }

  public ComposerAnalyzer(long maxFileBytes) {
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
    return path.equals("vendor/composer/installed.json") || path.endsWith("/vendor/composer/installed.json")
        || path.equals("composer.lock") || path.endsWith("/composer.lock");
  }

  @Override
  public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
    byte[] data = BoundedInput.readAll(path, content, size, maxFileBytes);
    JsonNode root = parse(path, data);
    List<Package> packages = new ArrayList<>();
    if (path.endsWith("composer.lock")) {
      if (!root.isObject()) {
        throw new AnalysisException(path + ": composer.lock is not a JSON object (at offset 0)");
      }
      addAll(path, root.path("packages"), "packages", Set.of(), false, true, packages);
      addAll(path, root.path("packages-dev"), "packages-dev", Set.of(), true, true, packages);
    } else if (root.isArray()) {
      addAll(path, root, "", Set.of(), false, false, packages);
    } else if (root.isObject()) {
      Set<String> dev = new HashSet<>();
      root.path("dev-package-names").forEach(n -> dev.add(n.asText()));
      addAll(path, root.path("packages"), "packages", dev, false, false, packages);
    } else {
      throw new AnalysisException(path + ": installed.json is neither an array nor an object (at offset 0)");
    }
    return List.of(new FileFindings(path, NAME, packages, Optional.empty()));
  }

  static JsonNode parse(String path, byte[] data) throws AnalysisException {
    try {
      JsonNode root = Json.MAPPER.readTree(data);
      if (root == null) {
        throw new AnalysisException(path + ": empty JSON document (at offset 0)");
      }
      return root;
    } catch (JsonParseException e) {
      JsonLocation at = e.getLocation();
      throw new AnalysisException(path + ": invalid JSON at offset " + (at == null ? -1 : at.getByteOffset()) + ": "
          + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new AnalysisException(path + ": invalid JSON (at offset unknown): " + e.getMessage(), e);
    }
  }

  private static void addAll(String path, JsonNode list, String field, Set<String> devNames, boolean dev,
      boolean lockfile, List<Package> out) throws AnalysisException {
    if (list.isMissingNode() || list.isNull()) {
      return;
    }
    if (!list.isArray()) {
      throw new AnalysisException(path + ": \"" + field + "\" is not an array");
    }
    for (int i = 0; i < list.size(); i++) {
      JsonNode p = list.get(i);
      String where = path + ": " + (field.isEmpty() ? "" : field) + "[" + i + "]";
      String name = p.path("name").asText("");
      String version = p.path("version").asText("");
      if (name.isEmpty() || version.isEmpty()) {
        throw new AnalysisException(where + " has no name or version");
      }
      int slash = name.indexOf('/');
      if (slash <= 0 || slash == name.length() - 1) {
        throw new AnalysisException(where + ": package name '" + name + "' is not vendor/name");
      }
      Map<String, String> props = new LinkedHashMap<>();
      if (lockfile) {
        props.put("source", "lockfile");
      }
      if (dev || devNames.contains(name)) {
        props.put("dev", "true");
      }
      String reference = p.path("source").path("reference").asText(p.path("dist").path("reference").asText(""));
      if (!reference.isEmpty()) {
        props.put("reference", reference);
      }
      String type = p.path("type").asText("");
      if (!type.isEmpty() && !type.equals("library")) {
        props.put("composer-type", type);
      }
      List<String> licenses = new ArrayList<>();
      JsonNode license = p.path("license");
      if (license.isArray()) {
        license.forEach(l -> licenses.add(l.asText()));
      } else if (license.isTextual()) {
        licenses.add(license.asText());
      }
      String purl;
      try {
        purl = Purls.of("composer", name.substring(0, slash), name.substring(slash + 1), version, Map.of());
      } catch (IllegalArgumentException e) {
        throw new AnalysisException(where + ": " + e.getMessage(), e);
      }
      // Composer's license array is a disjunction: the user may pick any of them.
      out.add(new Package("composer", name, version, "", "", "", String.join(" OR ", licenses), "", purl, props));
    }
  }
}
