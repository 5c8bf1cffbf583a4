package io.portolan.inventory.analyzer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a text package database into lines for the parsers, refusing NUL bytes (a binary file in
 * a text database's place) and keeping each line's number and byte offset for error messages.
 */
public final class TextLines {
  private TextLines() {}

  /** One line without its line ending; {@code number} counts from 1. */
  public record Line(String text, int number, long offset) {}

  public static List<Line> of(String path, byte[] data) throws AnalysisException {
    List<Line> lines = new ArrayList<>();
    int pos = 0;
    while (pos < data.length) {
      int end = pos;
      while (end < data.length && data[end] != '\n') {
        if (data[end] == 0) {
          throw new AnalysisException(path + ": NUL byte at offset " + end + " (line " + (lines.size() + 1) + ")");
        }
        end++;
      }
      int lineEnd = end > pos && data[end - 1] == '\r' ? end - 1 : end;
      lines.add(new Line(new String(data, pos, lineEnd - pos, StandardCharsets.UTF_8), lines.size() + 1, pos));
      pos = end + 1;
    }
    return lines;
  }
}
