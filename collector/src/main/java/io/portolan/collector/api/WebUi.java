package io.portolan.collector.api;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;

/**
 * A user interface served by the same HTTP server as the API (the console). The server keeps
 * {@code /api}, {@code /metrics} and {@code /health}; every other path belongs to the UI, which also
 * answers its own errors in its own form (HTML rather than problem+json).
 */
public interface WebUi {
  /** Static files, upload limits: what must be set before the server starts. */
  void configure(JavalinConfig config);

  void routes(Javalin app);

  /** Answers an error on one of the UI's paths. */
  void error(Context ctx, int status, String title, String detail);
}
