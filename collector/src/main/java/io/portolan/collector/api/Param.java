package io.portolan.collector.api;

import java.util.Arrays;
import java.util.List;

/**
 * A declared parameter of an endpoint. The declaration drives both validation (unknown or malformed
 * parameters are refused with a clear message) and the OpenAPI document, so the two cannot drift.
 */
public record Param(String name, In in, Kind kind, String description, List<String> allowed, String defaultValue) {

  /** Where the parameter travels. */
  public enum In { PATH, QUERY }

  /** Its JSON Schema type. */
  public enum Kind { STRING, INTEGER, BOOLEAN }

  public static Param path(String name, String description) {
    return new Param(name, In.PATH, Kind.STRING, description, List.of(), "");
  }

  public static Param query(String name, String description) {
    return new Param(name, In.QUERY, Kind.STRING, description, List.of(), "");
  }

  public static Param integer(String name, String description, int defaultValue) {
    return new Param(name, In.QUERY, Kind.INTEGER, description, List.of(), Integer.toString(defaultValue));
  }

  public static Param bool(String name, String description) {
    return new Param(name, In.QUERY, Kind.BOOLEAN, description, List.of(), "false");
  }

  public static <E extends Enum<E>> Param choice(String name, String description, Class<E> type, E defaultValue) {
    return new Param(name, In.QUERY, Kind.STRING, description,
        Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase()).toList(),
        defaultValue.name().toLowerCase());
  }
}
