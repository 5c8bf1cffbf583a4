package io.portolan.vuln.severity;

/** A CVSS vector that cannot be scored; the message names the vector and what is wrong with it. */
public class InvalidCvssException extends IllegalArgumentException {
  private final String vector;

  public InvalidCvssException(String vector, String problem) {
    super(message(vector, problem));
    this.vector = vector;
  }

  public InvalidCvssException(String vector, String problem, Throwable cause) {
    super(message(vector, problem), cause);
    this.vector = vector;
  }

  /** The vector as it was given, possibly null. */
  public String vector() {
    return vector;
  }

  private static String message(String vector, String problem) {
    String quoted = vector == null ? "null" : "\"" + vector + "\"";
    return "invalid CVSS vector " + quoted + ": " + problem;
  }
}
