package io.portolan.collector.console;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The query string of the page being shown, to build links that change one thing (page, sort, a
 * filter) and keep the rest. Immutable; empty values are dropped so URLs stay short.
 */
public final class Query {
  private final Map<String, String> params;

  private Query(Map<String, String> params) {
    this.params = params;
  }

  public static final Query EMPTY = new Query(Map.of());

  static Query of(Map<String, java.util.List<String>> raw) {
    Map<String, String> p = new LinkedHashMap<>();
    raw.forEach((k, v) -> {
      if (!v.isEmpty() && !v.get(0).isBlank()) p.put(k, v.get(0).trim());
    });
    return new Query(p);
  }

  public String get(String name) {
    return params.getOrDefault(name, "");
  }

  public boolean has(String name) {
    return params.containsKey(name);
  }

  public Query with(String name, String value) {
    Map<String, String> p = new LinkedHashMap<>(params);
    if (value == null || value.isBlank()) p.remove(name);
    else p.put(name, value);
    return new Query(p);
  }

  public Query without(String... names) {
    Map<String, String> p = new LinkedHashMap<>(params);
    for (String n : names) p.remove(n);
    return new Query(p);
  }

  /** {@code path} with this query string. */
  public String href(String path) {
    if (params.isEmpty()) return path;
    StringBuilder b = new StringBuilder(path).append('?');
    boolean first = true;
    for (var e : params.entrySet()) {
      if (!first) b.append('&');
      first = false;
      b.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
    }
    return b.toString();
  }
}
