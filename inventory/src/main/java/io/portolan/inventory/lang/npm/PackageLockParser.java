package io.portolan.inventory.lang.npm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Package;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * {@code package-lock.json} (and its twin {@code npm-shrinkwrap.json} shape): v2 and v3 list every
 * install location in {@code packages}; v1 nests {@code dependencies} the way {@code node_modules}
 * nests. The project itself ({@code ""}), workspace folders and {@code link} entries are the
 * project's own code, not dependencies, and are left out.
 * Dev dependencies are the entries marked {@code dev: true} ({@code devOptional} is not: it is
 * also an optional production dependency).
 */
final class PackageLockParser {
  // Lock files are rare next to node_modules scans; keeping the mapper here means the
  // package.json path never loads databind.
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String NODE_MODULES_SEGMENT = "node_modules/";

  private PackageLockParser() {}

  static List<Package> parse(String path, byte[] data) throws AnalysisException {
    JsonNode root;
    try {
      root = MAPPER.readTree(data);
    } catch (JsonProcessingException e) {
      throw NpmAnalyzer.jsonError(path, e);
    } catch (IOException e) {
      throw new AnalysisException(path + ": " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new AnalysisException(path + ": package-lock.json is not a JSON object (offset 0)");
    }
    LockedPackages found = new LockedPackages();
    JsonNode packages = root.get("packages");
    if (packages != null && packages.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = packages.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        fromPackagesEntry(path, e.getKey(), e.getValue(), found);
      }
    } else if (packages != null && !packages.isNull()) {
      throw new AnalysisException(path + ": \"packages\" is not an object");
    } else {
      fromDependencies(path, root.get("dependencies"), "", found);
    }
    return found.toPackages(path);
  }

  private static void fromPackagesEntry(String path, String key, JsonNode node, LockedPackages found)
      throws AnalysisException {
    int at = key.lastIndexOf(NODE_MODULES_SEGMENT);
    // "" is the project; "packages/x" without node_modules is a workspace folder.
    if (at < 0 || (at > 0 && key.charAt(at - 1) != '/')) {
      return;
    }
    if (!node.isObject()) {
      throw new AnalysisException(path + ": packages[\"" + key + "\"] is not an object");
    }
    if (node.path("link").asBoolean(false)) {
      return;
    }
    String version = text(node, "version");
    if (version.isEmpty()) {
      return;
    }
    // An alias install (npm i cjs@npm:string-width@4) records the real name in "name".
    String name = text(node, "name");
    if (name.isEmpty()) {
      name = key.substring(at + NODE_MODULES_SEGMENT.length());
    }
    found.add(name, version, text(node, "license"), node.path("dev").asBoolean(false));
  }

  private static void fromDependencies(String path, JsonNode deps, String parent, LockedPackages found)
      throws AnalysisException {
    if (deps == null || deps.isNull()) {
      return;
    }
    if (!deps.isObject()) {
      throw new AnalysisException(path + ": \"dependencies\"" + parent + " is not an object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = deps.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode node = e.getValue();
      String where = parent + " > " + e.getKey();
      if (!node.isObject()) {
        throw new AnalysisException(path + ": dependency " + where.substring(3) + " is not an object");
      }
      String name = e.getKey();
      String version = text(node, "version");
      if (version.startsWith("npm:")) {
        // v1 alias: "version": "npm:@babel/code-frame@7.0.0".
        String target = version.substring(4);
        int at = target.indexOf('@', 1);
        if (at > 0) {
          name = target.substring(0, at);
          version = target.substring(at + 1);
        }
      }
      // file: and link: versions are local folders of the project, not registry packages.
      if (!version.isEmpty() && !version.startsWith("file:") && !version.startsWith("link:")) {
        found.add(name, version, "", node.path("dev").asBoolean(false));
      }
      fromDependencies(path, node.get("dependencies"), where, found);
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v != null && v.isTextual() ? v.asText() : "";
  }
}
