package io.portolan.inventory.analyzer;

import java.io.IOException;

/** A file could not be understood; the message names the file and, where known, the offset. */
public class AnalysisException extends IOException {
  public AnalysisException(String message) {
    super(message);
  }

  public AnalysisException(String message, Throwable cause) {
    super(message, cause);
  }
}
