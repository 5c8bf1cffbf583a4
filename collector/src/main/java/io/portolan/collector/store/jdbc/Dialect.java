package io.portolan.collector.store.jdbc;

import io.portolan.collector.store.StoreException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The only SQL that differs between H2 and PostgreSQL: upserts. Everything else the store sends is
 * portable SQL. Update clauses are written once, naming the existing row {@code t} and the offered
 * row {@code {new}}; each dialect spells {@code {new}} its own way.
 */
public enum Dialect {
  /** {@code INSERT ... ON CONFLICT}, atomic under concurrent writers. */
  POSTGRESQL {
    @Override
    String insertIgnore(String table, List<String> columns, List<String> keys) {
      return insert(table, columns) + " ON CONFLICT (" + String.join(", ", keys) + ") DO NOTHING";
    }

    @Override
    String upsert(String table, List<String> columns, List<String> keys, String updateSet) {
      return "INSERT INTO " + table + " AS t (" + String.join(", ", columns) + ") VALUES (" + placeholders(columns)
          + ") ON CONFLICT (" + String.join(", ", keys) + ") DO UPDATE SET " + updateSet.replace(NEW, "EXCLUDED.");
    }
  },

  /**
   * The standard {@code MERGE ... USING}: unlike H2's {@code MERGE ... KEY}, it can keep columns of
   * the existing row (first_seen) and compare old with new (the container's updated time).
   */
  H2 {
    @Override
    String insertIgnore(String table, List<String> columns, List<String> keys) {
      return merge(table, columns, keys) + " WHEN NOT MATCHED THEN " + insertFromSource(columns);
    }

    @Override
    String upsert(String table, List<String> columns, List<String> keys, String updateSet) {
      return merge(table, columns, keys) + " WHEN MATCHED THEN UPDATE SET " + updateSet.replace(NEW, "s.")
          + " WHEN NOT MATCHED THEN " + insertFromSource(columns);
    }

    private String merge(String table, List<String> columns, List<String> keys) {
      return "MERGE INTO " + table + " t USING (VALUES (" + placeholders(columns) + ")) AS s("
          + String.join(", ", columns) + ") ON "
          + keys.stream().map(k -> "t." + k + " = s." + k).collect(Collectors.joining(" AND "));
    }

    private String insertFromSource(List<String> columns) {
      return "INSERT (" + String.join(", ", columns) + ") VALUES ("
          + columns.stream().map(c -> "s." + c).collect(Collectors.joining(", ")) + ")";
    }
  };

  /** The token naming the offered row in update clauses. */
  static final String NEW = "{new}.";

  /** Picks the dialect from the JDBC URL, or explains which URLs are supported. */
  public static Dialect fromUrl(String jdbcUrl) {
    if (jdbcUrl.startsWith("jdbc:h2:")) return H2;
    if (jdbcUrl.startsWith("jdbc:postgresql:")) return POSTGRESQL;
    throw new StoreException("unsupported database URL '" + jdbcUrl.replaceAll("[;?].*", "")
        + "': expected one starting with jdbc:h2: or jdbc:postgresql:");
  }

  /** Inserts a row unless one with the same key exists, in which case nothing changes. */
  abstract String insertIgnore(String table, List<String> columns, List<String> keys);

  /**
   * Inserts a row, or applies {@code updateSet} to the existing one. Parameters bind in
   * {@code columns} order.
   */
  abstract String upsert(String table, List<String> columns, List<String> keys, String updateSet);

  static String insert(String table, List<String> columns) {
    return "INSERT INTO " + table + " (" + String.join(", ", columns) + ") VALUES (" + placeholders(columns) + ")";
  }

  static String placeholders(List<String> columns) {
    return columns.stream().map(c -> "?").collect(Collectors.joining(", "));
  }
}
