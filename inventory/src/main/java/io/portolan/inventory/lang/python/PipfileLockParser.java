package io.portolan.inventory.lang.python;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Package;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code Pipfile.lock}: JSON with {@code default} (production) and {@code develop} sections of
 * {@code "name": {"version": "==1.2.3", ...}}. Entries without a version (editable or VCS
 * checkouts) name no release and are left out. A package in both sections is reported once, as
 * production.
 */
final class PipfileLockParser {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private PipfileLockParser() {}

  static List<Package> parse(String path, byte[] data) throws AnalysisException {
    JsonNode root;
    try {
      root = MAPPER.readTree(data);
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr()
          + " (offset " + Math.max(loc.getByteOffset(), loc.getCharOffset()) + ")";
      throw new AnalysisException(path + ": invalid JSON" + where + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new AnalysisException(path + ": " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new AnalysisException(path + ": Pipfile.lock is not a JSON object (offset 0)");
    }
    List<Package> packages = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    section(path, root, "default", false, seen, packages);
    section(path, root, "develop", true, seen, packages);
    return packages;
  }

  private static void section(String path, JsonNode root, String section, boolean dev, Set<String> seen,
      List<Package> packages) throws AnalysisException {
    JsonNode entries = root.get(section);
    if (entries == null || entries.isNull()) {
      return;
    }
    if (!entries.isObject()) {
      throw new AnalysisException(path + ": \"" + section + "\" is not an object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = entries.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode version = e.getValue().get("version");
      if (version == null || !version.isTextual()) {
        continue;
      }
      String v = version.asText().strip();
      if (!v.startsWith("==") || v.startsWith("===")) {
        continue; // not an exact pin
      }
      v = v.substring(2).strip();
      if (!v.isEmpty() && seen.add(PythonAnalyzer.normalize(e.getKey()))) {
        packages.add(PythonAnalyzer.lockfilePackage(path, e.getKey(), v, dev));
      }
    }
  }
}
