package io.portolan.inventory.os.apk;

import io.portolan.inventory.analyzer.TextLines;
import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.BoundedInput;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.OwnedFiles;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.purl.Purls;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reports the Alpine packages recorded in {@code lib/apk/db/installed}: one block of
 * {@code K:value} lines per package, blocks separated by blank lines. Everything in that file is
 * installed (apk removes a block on uninstall). Purls use the {@code alpine} namespace and no
 * {@code distro} qualifier: see {@link Purls#withDistro}. The file list of each block ({@code F:}
 * directory, {@code R:} file in it) is reported as the package's {@link OwnedFiles}, so that a
 * language package an apk package ships (py3-requests) is reported once, as the apk package.
 */
public final class ApkAnalyzer implements Analyzer {
  public static final String NAME = "apk";
  static final String INSTALLED = "lib/apk/db/installed";
  /** The single-letter keys kept as package fields; F: and R: (the file list) are read apart. */
  private static final String KEEP = "PVAoLmI";
  private static final int MAX_VALUE_CHARS = 64 * 1024;

  private final long maxFileBytes;

  public ApkAnalyzer() {
    this(64L * 1024 * 1024);
  }

  public ApkAnalyzer(long maxFileBytes) {
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
  public List<String> roots() {
    return List.of(INSTALLED);
  }

  @Override
  public boolean wants(String path) {
    return path.equals(INSTALLED);
  }

  @Override
  public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
    byte[] data = BoundedInput.readAll(path, content, size, maxFileBytes);
    List<Package> packages = new ArrayList<>();
    List<OwnedFiles> owned = new ArrayList<>();
    Map<Character, String> block = null;
    List<String> files = new ArrayList<>();
    String directory = "";
    int blockLine = 0;
    long blockOffset = 0;
    for (TextLines.Line l : TextLines.of(path, data)) {
      int lineNo = l.number();
      long offset = l.offset();
      String line = l.text();
      if (line.isBlank()) {
        if (block != null) {
          Package p = toPackage(path, block, blockLine, blockOffset);
          packages.add(p);
          owned.add(new OwnedFiles("apk", p.name(), p.architecture(), files));
          block = null;
          files = new ArrayList<>();
          directory = "";
        }
        continue;
      }
      if (line.length() < 2 || line.charAt(1) != ':' || !Character.isLetter(line.charAt(0))) {
        throw new AnalysisException(path + ": expected 'K:value' at line " + lineNo + " (offset " + offset + ")");
      }
      if (block == null) {
        block = new HashMap<>();
        blockLine = lineNo;
        blockOffset = offset;
      }
      char key = line.charAt(0);
      if (key == 'F') {
        directory = line.substring(2);
        continue;
      }
      if (key == 'R') {
        String file = directory.isEmpty() ? line.substring(2) : directory + "/" + line.substring(2);
        if (OwnedFiles.relevant(file)) {
          files.add(file);
        }
        continue;
      }
      if (KEEP.indexOf(key) < 0) {
        continue;
      }
      String value = line.substring(2);
      if (value.length() > MAX_VALUE_CHARS) {
        throw new AnalysisException(path + ": value too long at line " + lineNo + " (offset " + offset + ")");
      }
      if (block.putIfAbsent(key, value) != null) {
        // A second P: or V: in one block means a missing blank line: two packages would merge.
        throw new AnalysisException(path + ": duplicate " + key + ": at line " + lineNo + " (offset " + offset + ")");
      }
    }
    if (block != null) {
      Package p = toPackage(path, block, blockLine, blockOffset);
      packages.add(p);
      owned.add(new OwnedFiles("apk", p.name(), p.architecture(), files));
    }
    packages.sort(Comparator.comparing(Package::name).thenComparing(Package::architecture)
        .thenComparing(Package::version));
    owned.removeIf(o -> o.paths().isEmpty());
    owned.sort(Comparator.comparing(OwnedFiles::ownerKey));
    return List.of(new FileFindings(path, NAME, packages, Optional.empty(), owned));
  }

  private static Package toPackage(String path, Map<Character, String> b, int line, long offset)
      throws AnalysisException {
    String where = path + ": package at line " + line + " (offset " + offset + ")";
    String name = b.getOrDefault('P', "");
    String version = b.getOrDefault('V', "");
    if (name.isEmpty() || version.isEmpty()) {
      throw new AnalysisException(where + " has no " + (name.isEmpty() ? "P: (name)" : "V: (version)"));
    }
    String arch = b.getOrDefault('A', "");
    String origin = b.getOrDefault('o', "");
    Map<String, String> properties = new LinkedHashMap<>();
    if (!b.getOrDefault('I', "").isEmpty()) {
      properties.put("installed-size", b.get('I'));
    }
    if (!b.getOrDefault('m', "").isEmpty()) {
      properties.put("maintainer", b.get('m'));
    }
    String purl;
    try {
      purl = Purls.of("apk", "alpine", name, version, Map.of("arch", arch));
    } catch (IllegalArgumentException e) {
      throw new AnalysisException(where + ": " + e.getMessage(), e);
    }
    // apk builds every subpackage of an APKBUILD at the same version, so the origin's version is V:.
    return new Package("apk", name, version, arch, origin.isEmpty() ? name : origin, version,
        b.getOrDefault('L', ""), "", purl, properties);
  }
}
