package io.portolan.collector.api;

import java.lang.reflect.Type;
import java.util.List;

/** One GET route of the REST API: path, documentation, declared parameters, response type, handler. */
public record Endpoint(String path, String summary, List<Param> params, Type response, Handler handler) {

  /** Produces the response body from a validated request. */
  @FunctionalInterface
  public interface Handler {
    Object handle(Request request);
  }

  public Endpoint {
    params = List.copyOf(params);
  }
}
