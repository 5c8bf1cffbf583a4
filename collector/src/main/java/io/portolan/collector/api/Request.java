package io.portolan.collector.api;

import io.javalin.http.Context;
import io.portolan.collector.store.PageRequest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** Typed, validated access to one request's parameters; every malformed value becomes a 400 problem. */
public final class Request {
  private static final int MAX_TEXT = 256;
  private final Context ctx;
  private final Map<String, Param> declared;

  /** Validates the query string against the declared parameters: unknown or repeated ones are refused. */
  public static Request of(Context ctx, List<Param> params) {
    return new Request(ctx, params);
  }

  Request(Context ctx, List<Param> params) {
    this.ctx = ctx;
    this.declared = params.stream().collect(Collectors.toMap(Param::name, p -> p));
    for (String name : ctx.queryParamMap().keySet()) {
      Param p = declared.get(name);
      if (p == null || p.in() != Param.In.QUERY) {
        String known = params.stream().filter(q -> q.in() == Param.In.QUERY).map(Param::name).sorted()
            .collect(Collectors.joining(", "));
        throw ApiProblem.badRequest("unknown query parameter '" + name + "'"
            + (known.isEmpty() ? "; this endpoint takes none" : "; known parameters: " + known));
      }
      if (ctx.queryParams(name).size() > 1)
        throw ApiProblem.badRequest("query parameter '" + name + "' given more than once");
    }
  }

  /** The raw request body, streamed: uploads may be far larger than memory should hold. */
  public java.io.InputStream body() {
    return ctx.bodyInputStream();
  }

  /**
   * The body as JSON of {@code type}; a missing, malformed or mistyped body, or a field the type
   * does not have, is a 400 that says what is wrong.
   */
  public <T> T json(Class<T> type) {
    try {
      byte[] bytes = ctx.bodyAsBytes();
      if (bytes.length == 0) throw ApiProblem.badRequest("this request needs a JSON body");
      T value = JSON.readValue(bytes, type);
      if (value == null) throw ApiProblem.badRequest("this request needs a JSON object, not null");
      return value;
    } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
      throw ApiProblem.badRequest("unknown field '" + e.getPropertyName() + "' in the request body; known fields: "
          + String.join(", ", e.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList()));
    } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw ApiProblem.badRequest("invalid request body: " + cause.getMessage());
    } catch (com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
      String field = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName()
          : "[" + r.getIndex() + "]").collect(Collectors.joining("."));
      throw ApiProblem.badRequest("invalid request body" + (field.isEmpty() ? "" : " at '" + field + "'") + ": "
          + e.getOriginalMessage().lines().findFirst().orElse(""));
    } catch (java.io.IOException e) {
      throw ApiProblem.badRequest("the request body is not valid JSON: "
          + (e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("")));
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = ApiServer.jsonMapper()
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  public String path(String name) {
    return ctx.pathParam(name);
  }

  public Optional<String> text(String name) {
    String v = ctx.queryParam(name);
    if (v == null || v.isBlank()) return Optional.empty();
    if (v.length() > MAX_TEXT)
      throw ApiProblem.badRequest("query parameter '" + name + "' is longer than " + MAX_TEXT + " characters");
    return Optional.of(v.trim());
  }

  public int integer(String name, int min, int max) {
    String v = ctx.queryParam(name);
    if (v == null || v.isBlank()) return Integer.parseInt(declared.get(name).defaultValue());
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= min && n <= max) return n;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw ApiProblem.badRequest("query parameter '" + name + "' must be an integer from " + min + " to " + max
        + ", got '" + abbreviate(v) + "'");
  }

  public boolean bool(String name) {
    String v = ctx.queryParam(name);
    if (v == null || v.isBlank()) return false;
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw ApiProblem.badRequest("query parameter '" + name + "' must be true or false, got '"
          + abbreviate(v) + "'");
    };
  }

  public <E extends Enum<E>> E choice(String name, Class<E> type) {
    Param p = declared.get(name);
    String v = Optional.ofNullable(ctx.queryParam(name)).filter(s -> !s.isBlank()).orElse(p.defaultValue());
    String wanted = v.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (E e : type.getEnumConstants()) if (e.name().equals(wanted)) return e;
    throw ApiProblem.badRequest("query parameter '" + name + "' must be one of " + String.join(", ", p.allowed())
        + ", got '" + abbreviate(v) + "'");
  }

  public PageRequest page() {
    return new PageRequest(integer("page", 1, 1_000_000), integer("size", 1, PageRequest.MAX_SIZE));
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
