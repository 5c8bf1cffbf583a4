package io.portolan.collector.scan;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a scan looks for. Only the supported ones may be requested (see {@code GET /api/v1/scan-categories}). */
public enum ScanCategory {
  VULNERABILITIES("vulnerabilities", true),
  SENSITIVE_DATA("sensitive-data", false),
  MALWARE("malware", false);

  private final String wireName;
  private final boolean supported;

  ScanCategory(String wireName, boolean supported) {
    this.wireName = wireName;
    this.supported = supported;
  }

  /** The name used in the API and the database. */
  public String wireName() {
    return wireName;
  }

  public boolean supported() {
    return supported;
  }

  public static Optional<ScanCategory> byWireName(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(c -> c.wireName.equals(n)).findFirst();
  }
}
