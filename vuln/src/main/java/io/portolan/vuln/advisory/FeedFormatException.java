package io.portolan.vuln.advisory;

import java.io.IOException;

/** A feed file that is not what it claims to be; the message names the file. */
public class FeedFormatException extends IOException {
  public FeedFormatException(String message) {
    super(message);
  }

  public FeedFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
