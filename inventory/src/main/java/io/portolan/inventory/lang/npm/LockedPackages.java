package io.portolan.inventory.lang.npm;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Package;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The packages one lock file resolves to. A lock file may list the same name and version several
 * times (nested install locations, peer-dependency variants); that is one package, and it is a dev
 * dependency only when every occurrence is, since a single production copy means it ships.
 */
final class LockedPackages {
  private final Map<String, Entry> entries = new LinkedHashMap<>();

  void add(String name, String version, String license, boolean dev) {
    Entry e = entries.computeIfAbsent(name + "@" + version, k -> new Entry(name, version));
    e.dev &= dev;
    if (e.license.isEmpty()) {
      e.license = license;
    }
  }

  List<Package> toPackages(String path) throws AnalysisException {
    List<Package> result = new ArrayList<>(entries.size());
    for (Entry e : entries.values()) {
      Map<String, String> properties = new LinkedHashMap<>();
      properties.put("source", "lockfile");
      if (e.dev) {
        properties.put("dev", "true");
      }
      result.add(NpmAnalyzer.npmPackage(path, e.name, e.version, e.license, properties));
    }
    return result;
  }

  private static final class Entry {
    final String name;
    final String version;
    String license = "";
    boolean dev = true;

    Entry(String name, String version) {
      this.name = name;
      this.version = version;
    }
  }
}
