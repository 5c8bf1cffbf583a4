package io.portolan.collector.api;

import java.lang.reflect.Type;
import java.util.List;

/**
 * One route of the REST API: method, path, documentation, declared parameters, response type,
 * handler. {@code body} describes the request body ("" when it takes none); {@code bodyType} is the
 * JSON it must hold, or {@code byte[]} for an upload taken as it is. {@code status} is the code of a
 * success (204 sends no body).
 */
public record Endpoint(Method method, String path, String summary, List<Param> params, String body, Type response,
    Handler handler, Type bodyType, int status) {

  public enum Method { GET, POST, PUT, DELETE }

  /** Produces the response body from a validated request. */
  @FunctionalInterface
  public interface Handler {
    Object handle(Request request);
  }

  public Endpoint {
    params = List.copyOf(params);
  }

  /** A route answering 200 whose body, if any, is an upload taken as it is. */
  public Endpoint(Method method, String path, String summary, List<Param> params, String body, Type response,
      Handler handler) {
    this(method, path, summary, params, body, response, handler, byte[].class, 200);
  }

  /** A GET route. */
  public Endpoint(String path, String summary, List<Param> params, Type response, Handler handler) {
    this(Method.GET, path, summary, params, "", response, handler);
  }
}
