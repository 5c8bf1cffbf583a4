package io.portolan.inventory.lang.java;

import io.portolan.inventory.analyzer.AnalysisException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * An importable table from the SHA-1 of a published archive to its Maven coordinates, for jars
 * that carry neither {@code pom.properties} nor a usable manifest. The format is one entry a line,
 * {@code <sha1><TAB><group>:<artifact>:<version>}; blank lines and lines starting with {@code #}
 * are ignored. Maven Central publishes a {@code .sha1} beside every artifact, so such a table can
 * be built from it without trusting anything inside the jar.
 */
public final class Sha1Index {
  private static final Sha1Index EMPTY = new Sha1Index(Map.of());

  private final Map<String, Gav> bySha1;
  private final int fingerprint;

  private Sha1Index(Map<String, Gav> bySha1) {
    this.bySha1 = bySha1;
    this.fingerprint = fingerprint(bySha1);
  }

  /** Same content, same number: what the analyzer's cache key includes, so a new table re-reads jars. */
  public int fingerprint() {
    return fingerprint;
  }

  private static int fingerprint(Map<String, Gav> bySha1) {
    try {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, Gav> e : new java.util.TreeMap<>(bySha1).entrySet()) {
        Gav g = e.getValue();
        sha.update((e.getKey() + "\t" + g.group() + ":" + g.artifact() + ":" + g.version() + "\n")
            .getBytes(StandardCharsets.UTF_8));
      }
      return java.nio.ByteBuffer.wrap(sha.digest()).getInt();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-256", e);
    }
  }

  public static Sha1Index empty() {
    return EMPTY;
  }

  public static Sha1Index load(Path tsv) throws IOException {
    try (Reader reader = Files.newBufferedReader(tsv, StandardCharsets.UTF_8)) {
      return read(tsv.toString(), reader);
    }
  }

  /**
   * Parses a table; {@code source} names it in errors. A malformed line, or one sha1 given two
   * different coordinates, fails the whole import: a table that contradicts itself cannot be
   * trusted for any of its entries.
   */
  public static Sha1Index read(String source, Reader reader) throws IOException {
    Map<String, Gav> bySha1 = new HashMap<>();
    BufferedReader lines = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
    int number = 0;
    for (String line; (line = lines.readLine()) != null; ) {
      number++;
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      String where = source + ": line " + number;
      int tab = trimmed.indexOf('\t');
      if (tab < 0) {
        throw new AnalysisException(where + ": expected <sha1><TAB><group>:<artifact>:<version>");
      }
      String sha1 = trimmed.substring(0, tab).strip().toLowerCase(Locale.ROOT);
      if (!isSha1(sha1)) {
        throw new AnalysisException(where + ": '" + sha1 + "' is not a hex SHA-1");
      }
      String[] parts = trimmed.substring(tab + 1).strip().split(":", -1);
      if (parts.length != 3 || parts[0].isBlank() || parts[1].isBlank() || parts[2].isBlank()) {
        throw new AnalysisException(where + ": expected <group>:<artifact>:<version> after the tab");
      }
      Gav gav = new Gav(parts[0].strip(), parts[1].strip(), parts[2].strip());
      Gav previous = bySha1.putIfAbsent(sha1, gav);
      if (previous != null && !previous.equals(gav)) {
        throw new AnalysisException(where + ": " + sha1 + " is already " + previous.name() + ":" + previous.version());
      }
    }
    return new Sha1Index(Map.copyOf(bySha1));
  }

  /** The coordinates published for this lowercase hex SHA-1, if the table has them. */
  public Optional<Gav> find(String sha1) {
    return Optional.ofNullable(bySha1.get(sha1));
  }

  public int size() {
    return bySha1.size();
  }

  private static boolean isSha1(String s) {
    if (s.length() != 40) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }
}
