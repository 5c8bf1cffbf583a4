package io.portolan.inventory.os.dpkg;

import io.portolan.inventory.analyzer.TextLines;
import io.portolan.inventory.analyzer.AnalysisException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Splits a dpkg database file into RFC 822-style stanzas. Only the fields an analyzer asked for are
 * kept, so a multi-megabyte status file costs little more than its package names; everything else
 * is still checked for shape, so garbage fails with the line and byte offset where it starts.
 */
final class ControlStanzas {
  /** A retained field longer than this is corrupt, not a real Source or Version. */
  static final int MAX_FIELD_CHARS = 64 * 1024;

  private ControlStanzas() {}

  /** One stanza: the kept fields (lower-case names) and where it starts, for error messages. */
  record Stanza(Map<String, String> fields, int line, long offset) {
    String get(String name) {
      return fields.getOrDefault(name, "");
    }

    boolean has(String name) {
      return fields.containsKey(name);
    }
  }

  static List<Stanza> parse(String path, byte[] data, Set<String> keep) throws AnalysisException {
    List<Stanza> stanzas = new ArrayList<>();
    Map<String, String> fields = null;
    Set<String> seen = new java.util.HashSet<>();
    String current = null; // name of the field that continuation lines extend, null if not kept
    boolean inField = false;
    int stanzaLine = 0;
    long stanzaOffset = 0;
    for (TextLines.Line l : TextLines.of(path, data)) {
      int lineNo = l.number();
      long offset = l.offset();
      String line = l.text();
      if (line.isBlank()) {
        if (fields != null) {
          stanzas.add(new Stanza(Map.copyOf(fields), stanzaLine, stanzaOffset));
          fields = null;
          seen.clear();
          inField = false;
          current = null;
        }
        continue;
      }
      char first = line.charAt(0);
      if (first == ' ' || first == '\t') {
        if (!inField) {
          throw new AnalysisException(path + ": continuation line without a field at line " + lineNo
              + " (offset " + offset + ")");
        }
        if (current != null) {
          String value = fields.get(current) + "\n" + line.strip();
          if (value.length() > MAX_FIELD_CHARS) {
            throw new AnalysisException(path + ": field " + current + " too long at line " + lineNo
                + " (offset " + offset + ")");
          }
          fields.put(current, value);
        }
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || !isFieldName(line, colon)) {
        throw new AnalysisException(path + ": expected 'Field: value' at line " + lineNo + " (offset " + offset + ")");
      }
      if (fields == null) {
        fields = new HashMap<>();
        stanzaLine = lineNo;
        stanzaOffset = offset;
      }
      String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
      if (!seen.add(name)) {
        // dpkg itself refuses duplicate fields; two Package lines mean a lost blank line.
        throw new AnalysisException(path + ": duplicate field " + line.substring(0, colon) + " at line " + lineNo
            + " (offset " + offset + ")");
      }
      inField = true;
      if (keep.contains(name)) {
        String value = line.substring(colon + 1).strip();
        if (value.length() > MAX_FIELD_CHARS) {
          throw new AnalysisException(path + ": field " + name + " too long at line " + lineNo
              + " (offset " + offset + ")");
        }
        fields.put(name, value);
        current = name;
      } else {
        current = null;
      }
    }
    if (fields != null) {
      stanzas.add(new Stanza(Map.copyOf(fields), stanzaLine, stanzaOffset));
    }
    return stanzas;
  }

  private static boolean isFieldName(String line, int colon) {
    for (int i = 0; i < colon; i++) {
      char c = line.charAt(i);
      // deb822 field names are printable US-ASCII without spaces or colons.
      if (c <= ' ' || c > '~') {
        return false;
      }
    }
    return line.charAt(0) != '#' && line.charAt(0) != '-';
  }
}
