package io.portolan.collector.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An error the API reports as {@code application/problem+json} (RFC 9457): a status, a short title
 * and a detail that tells the caller what to change. A refused request body may name each field it
 * refused ({@link #errors()}), so that a form can show every mistake next to its field.
 */
public final class ApiProblem extends RuntimeException {
  private final int status;
  private final String title;
  private final List<FieldError> errors;

  public ApiProblem(int status, String title, String detail) {
    this(status, title, detail, List.of());
  }

  private ApiProblem(int status, String title, String detail, List<FieldError> errors) {
    super(detail);
    this.status = status;
    this.title = title;
    this.errors = List.copyOf(errors);
  }

  /** What is wrong with one field of a request body; {@code field} is its JSON path ("recurrence.at"). */
  public record FieldError(String field, String detail) {}

  public static ApiProblem badRequest(String detail) {
    return new ApiProblem(400, "Bad Request", detail);
  }

  /** A 400 about one field. */
  public static ApiProblem badField(String field, String detail) {
    return new ApiProblem(400, "Bad Request", detail, List.of(new FieldError(field, detail)));
  }

  /** A 400 gathering several refusals; the detail lists them all. */
  public static ApiProblem invalid(List<ApiProblem> problems) {
    if (problems.size() == 1) return problems.get(0);
    List<FieldError> errors = problems.stream().flatMap(p -> p.errors.isEmpty()
        ? java.util.stream.Stream.of(new FieldError("", p.getMessage())) : p.errors.stream()).toList();
    return new ApiProblem(400, "Bad Request", problems.stream().map(Throwable::getMessage)
        .collect(Collectors.joining("; ")), errors);
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

  /** The fields refused, each with its reason; empty when the problem is not about one field. */
  public List<FieldError> errors() {
    return errors;
  }

  /** The JSON body; {@code errors} appears only when fields were refused. */
  public record Body(String type, String title, int status, String detail, String instance,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) List<FieldError> errors) {}

  public Body body(String instance) {
    return new Body("about:blank", title, status, getMessage(), instance, errors);
  }
}
