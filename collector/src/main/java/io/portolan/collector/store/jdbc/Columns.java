package io.portolan.collector.store.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.portolan.collector.store.ContainerFacts;
import io.portolan.collector.store.ImageFacts;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/** How Java values map to columns: times in UTC at microsecond precision, JSON as sorted text. */
final class Columns {
  private Columns() {}

  // Sorted keys make equal maps serialize to equal text, which change detection compares.
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};
  private static final TypeReference<List<ContainerFacts.Port>> PORTS = new TypeReference<>() {};

  /**
   * Both databases keep microseconds; truncating here (instead of letting each round its own way)
   * makes a replayed change bind exactly the value already stored.
   */
  static Instant micros(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.MICROS);
  }

  static void setTime(PreparedStatement ps, int index, Instant t) throws SQLException {
    if (t == null) ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    else ps.setObject(index, OffsetDateTime.ofInstant(micros(t), ZoneOffset.UTC));
  }

  static Instant getTime(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  static String nonNull(String s) {
    return s == null ? "" : s;
  }

  static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }

  static List<String> strings(String json) {
    return read(json, STRINGS);
  }

  static Map<String, String> stringMap(String json) {
    return read(json, STRING_MAP);
  }

  static List<ContainerFacts.Port> ports(String json) {
    return read(json, PORTS);
  }

  static ImageFacts.Config config(String json) {
    try {
      return JSON.readValue(json, ImageFacts.Config.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("corrupt image config JSON in the database", e);
    }
  }

  private static <T> T read(String json, TypeReference<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("corrupt JSON column in the database", e);
    }
  }

  /** A pattern for LIKE ... ESCAPE '\' that matches {@code s} literally. */
  static String likeLiteral(String s) {
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }
}
