package io.portolan.collector.api;

import java.lang.reflect.Type;
import java.util.List;

/**
 * One route of the REST API: method, path, documentation, declared parameters, response type,
 * handler. {@code body} describes the request body of a POST ("" when it takes none).
 */
public record Endpoint(Method method, String path, String summary, List<Param> params, String body, Type response,
    Handler handler) {

  public enum Method { GET, POST }

  /** Produces the response body from a validated request. */
  @FunctionalInterface
  public interface Handler {
    Object handle(Request request);
  }

  public Endpoint {
    params = List.copyOf(params);
  }

  /** A GET route. */
  public Endpoint(String path, String summary, List<Param> params, Type response, Handler handler) {
    this(Method.GET, path, summary, params, "", response, handler);
  }
}
