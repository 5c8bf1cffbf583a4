package io.portolan.collector.api;

/**
 * An error the API reports as {@code application/problem+json} (RFC 9457): a status, a short title
 * and a detail that tells the caller what to change.
 */
public final class ApiProblem extends RuntimeException {
  private final int status;
  private final String title;

  public ApiProblem(int status, String title, String detail) {
    super(detail);
    this.status = status;
    this.title = title;
  }

  public static ApiProblem badRequest(String detail) {
    return new ApiProblem(400, "Bad Request", detail);
  }

  public static ApiProblem notFound(String detail) {
    return new ApiProblem(404, "Not Found", detail);
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  /** The JSON body. */
  public record Body(String type, String title, int status, String detail, String instance) {}

  public Body body(String instance) {
    return new Body("about:blank", title, status, getMessage(), instance);
  }
}
