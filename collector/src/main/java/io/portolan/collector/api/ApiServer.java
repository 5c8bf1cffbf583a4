package io.portolan.collector.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.javalin.Javalin;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's HTTP side: the REST API, its OpenAPI document, {@code /metrics} and {@code /health}.
 */
public final class ApiServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ApiServer.class);

  /** What {@code /health} reports; HTTP 503 unless {@code status} is "UP". */
  public record Health(String status, String database, String grpc, int connectedAgents) {}

  private final Javalin app;

  public ApiServer(RestApi api, String version, PrometheusMeterRegistry metrics, Supplier<Health> health) {
    this(api, version, metrics, health, java.util.Optional.empty());
  }

  /** With {@code ui} serving every path outside the API, metrics and health. */
  public ApiServer(RestApi api, String version, PrometheusMeterRegistry metrics, Supplier<Health> health,
      java.util.Optional<WebUi> ui) {
    ObjectMapper mapper = jsonMapper();
    List<Endpoint> endpoints = api.endpoints();
    ObjectNode openApi = OpenApiDocument.build(mapper, version, endpoints);
    this.app = Javalin.create(cfg -> {
      cfg.showJavalinBanner = false;
      cfg.jsonMapper(new JavalinJackson(mapper, false));
      cfg.router.ignoreTrailingSlashes = true;
      cfg.http.maxRequestSize = 1024 * 1024;
      ui.ifPresent(u -> u.configure(cfg));
    });
    for (Endpoint e : endpoints) {
      io.javalin.http.Handler handler = ctx -> {
        Object body = e.handler().handle(new Request(ctx, e.params()));
        ctx.status(e.status());
        if (e.status() == 204) return;
        if (body instanceof RawBody raw) ctx.contentType(raw.contentType()).result(raw.body());
        else ctx.json(body);
      };
      switch (e.method()) {
        case GET -> app.get(e.path(), handler);
        case POST -> app.post(e.path(), handler);
        case PUT -> app.put(e.path(), handler);
        case DELETE -> app.delete(e.path(), handler);
      }
    }
    app.get(RestApi.PREFIX + "/openapi.json", ctx -> ctx.json(openApi));
    if (ui.isPresent()) {
      ui.get().routes(app);
    } else {
      // Without a console, the root points people at what there is.
      app.get("/", ctx -> ctx.json(java.util.Map.of(
          "name", "Portolan collector " + version,
          "api", RestApi.PREFIX + "/images",
          "openapi", RestApi.PREFIX + "/openapi.json",
          "health", "/health",
          "metrics", "/metrics")));
    }
    app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
    app.get("/health", ctx -> {
      Health h = health.get();
      ctx.status("UP".equals(h.status()) ? 200 : 503).json(h);
    });
    app.exception(ApiProblem.class, (e, ctx) -> problem(ctx, mapper, ui, e));
    app.exception(NoSuchElementException.class, (e, ctx) ->
        problem(ctx, mapper, ui, ApiProblem.notFound("not found: " + ctx.path())));
    app.exception(Exception.class, (e, ctx) -> {
      log.warn("request {} failed: {}", ctx.path(), e.toString());
      problem(ctx, mapper, ui,
          new ApiProblem(500, "Internal Server Error", "the collector could not answer: " + e.getMessage()));
    });
    app.error(404, ctx -> {
      String type = ctx.res().getContentType();
      if (type == null || !(type.startsWith("application/problem+json") || type.startsWith("text/html"))) {
        problem(ctx, mapper, ui, ApiProblem.notFound("no such resource: " + ctx.method() + " " + ctx.path()));
      }
    });
    app.error(405, ctx -> problem(ctx, mapper, ui,
        new ApiProblem(405, "Method Not Allowed", ctx.method() + " is not allowed on " + ctx.path())));
  }

  /** API paths answer problem+json; the UI's paths answer in the UI's form. */
  private static void problem(io.javalin.http.Context ctx, ObjectMapper mapper, java.util.Optional<WebUi> ui,
      ApiProblem p) {
    ctx.status(p.status());
    String path = ctx.path();
    boolean api = path.startsWith(RestApi.PREFIX) || path.equals("/metrics") || path.equals("/health");
    if (!api && ui.isPresent()) {
      ui.get().error(ctx, p.status(), p.title(), p.getMessage());
    } else {
      ctx.contentType("application/problem+json").result(toJson(mapper, p.body(path)));
    }
  }

  /** The JSON conventions of the API: ISO-8601 times, no nulls hidden. */
  public static ObjectMapper jsonMapper() {
    return new ObjectMapper()
        .registerModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  }

  private static String toJson(ObjectMapper mapper, Object body) {
    try {
      return mapper.writeValueAsString(body);
    } catch (Exception e) {
      return "{\"title\":\"Internal Server Error\",\"status\":500}";
    }
  }

  public ApiServer start(String host, int port) {
    app.start(host, port);
    return this;
  }

  public int port() {
    return app.port();
  }

  @Override
  public void close() {
    app.stop();
  }
}
