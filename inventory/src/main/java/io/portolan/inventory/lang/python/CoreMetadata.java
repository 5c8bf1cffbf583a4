package io.portolan.inventory.lang.python;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.analyzer.TextLines;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Python core metadata ({@code METADATA}, {@code PKG-INFO}): RFC 822-style headers up to the first
 * empty line, then a free-form description that is not read. A header continues on lines that
 * start with whitespace; setuptools writes blank description lines as eight spaces, so only a truly
 * empty line ends the headers.
 */
record CoreMetadata(String name, String version, String license, String licenseExpression,
    List<String> licenseClassifiers) {
  /** A header value longer than this is corrupt, not a name or license. */
  static final int MAX_FIELD_CHARS = 256 * 1024;

  static CoreMetadata parse(String path, byte[] data) throws AnalysisException {
    String name = null;
    String version = null;
    StringBuilder license = null;
    String expression = "";
    List<String> classifiers = new ArrayList<>();
    String current = ""; // lower-case name of the header that continuation lines extend
    for (TextLines.Line l : TextLines.of(path, data)) {
      String line = l.text();
      if (line.isEmpty()) {
        break;
      }
      char first = line.charAt(0);
      if (first == ' ' || first == '\t') {
        if (current.isEmpty()) {
          throw error(path, l, "continuation line without a header");
        }
        if (current.equals("license")) {
          license.append('\n').append(line.strip());
          if (license.length() > MAX_FIELD_CHARS) {
            throw error(path, l, "License header too long");
          }
        }
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw error(path, l, "expected 'Header: value'");
      }
      current = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).strip();
      switch (current) {
        case "name" -> name = value;
        case "version" -> version = value;
        case "license" -> license = new StringBuilder(value);
        case "license-expression" -> expression = value;
        case "classifier" -> {
          if (value.startsWith("License ::")) {
            classifiers.add(value);
          }
        }
        default -> { }
      }
    }
    if (name == null || name.isEmpty()) {
      throw new AnalysisException(path + ": no Name header (offset 0)");
    }
    if (version == null || version.isEmpty()) {
      throw new AnalysisException(path + ": no Version header for " + name + " (offset 0)");
    }
    return new CoreMetadata(name, version, license == null ? "" : license.toString().strip(), expression,
        List.copyOf(classifiers));
  }

  /**
   * The license: an SPDX {@code License-Expression} (PEP 639) when present; else a one-line {@code
   * License}; else the trove classifiers ("License :: OSI Approved :: MIT License" gives "MIT
   * License"), since many projects paste the whole license text into {@code License}; else the first
   * line of that text. "UNKNOWN" is what old setuptools wrote for nothing.
   */
  String effectiveLicense() {
    if (!licenseExpression.isEmpty()) {
      return licenseExpression;
    }
    boolean oneLine = !license.isEmpty() && license.indexOf('\n') < 0 && !license.equalsIgnoreCase("UNKNOWN");
    if (oneLine) {
      return license;
    }
    if (!licenseClassifiers.isEmpty()) {
      List<String> names = new ArrayList<>();
      for (String c : licenseClassifiers) {
        String last = c.substring(c.lastIndexOf("::") + 2).strip();
        if (!last.isEmpty() && !last.equals("OSI Approved") && !names.contains(last)) {
          names.add(last);
        }
      }
      return String.join(", ", names);
    }
    if (license.isEmpty() || license.equalsIgnoreCase("UNKNOWN")) {
      return "";
    }
    return license.substring(0, license.indexOf('\n')).strip();
  }

  Package toPackage(String path) throws AnalysisException {
    return PythonAnalyzer.pypiPackage(path, name, version, effectiveLicense(), Map.of("path", path));
  }

  private static AnalysisException error(String path, TextLines.Line l, String what) {
    return new AnalysisException(path + ": " + what + " at line " + l.number() + " (offset " + l.offset() + ")");
  }
}
