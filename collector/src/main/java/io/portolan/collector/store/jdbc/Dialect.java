package io.portolan.collector.store.jdbc;

import io.portolan.collector.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The only SQL that differs between H2 and PostgreSQL: upserts, and how a statement takes many
 * rows (PostgreSQL array parameters, H2 JDBC batches; see {@link Bulk}). Everything else the store
 * sends is portable SQL. Update clauses are written once, naming the existing row {@code t} and the
 * offered row {@code {new}}; each dialect spells {@code {new}} its own way.
 */
public enum Dialect {
  /**
   * {@code INSERT ... ON CONFLICT}, atomic under concurrent writers. Bulk statements bind each
   * column as an array and read rows from {@code unnest(...)}: one execution per statement.
   */
  POSTGRESQL {
    @Override
    Bulk insertIgnore(String table, List<Bulk.Column> columns, List<String> keys) {
      return Bulk.positional(insertSql(table, columns, true) + " ON CONFLICT (" + String.join(", ", keys)
          + ") DO NOTHING", columns, true);
    }

    @Override
    Bulk upsert(String table, List<Bulk.Column> columns, List<String> keys, String updateSet) {
      return Bulk.positional("INSERT INTO " + table + " AS t (" + names(columns) + ") " + Bulk.source(columns, true)
          + " ON CONFLICT (" + String.join(", ", keys) + ") DO UPDATE SET " + updateSet.replace(NEW, "EXCLUDED."),
          columns, true);
    }

    @Override
    boolean arrays() {
      return true;
    }
  },

  /**
   * The standard {@code MERGE ... USING}: unlike H2's {@code MERGE ... KEY}, it can keep columns of
   * the existing row (first_seen) and compare old with new (the container's updated time). Bulk
   * statements are JDBC batches, which in-process H2 runs without network round trips anyway.
   */
  H2 {
    @Override
    Bulk insertIgnore(String table, List<Bulk.Column> columns, List<String> keys) {
      return Bulk.positional(merge(table, columns, keys) + " WHEN NOT MATCHED THEN " + insertFromSource(columns),
          columns, false);
    }

    @Override
    Bulk upsert(String table, List<Bulk.Column> columns, List<String> keys, String updateSet) {
      return Bulk.positional(merge(table, columns, keys) + " WHEN MATCHED THEN UPDATE SET "
          + updateSet.replace(NEW, "s.") + " WHEN NOT MATCHED THEN " + insertFromSource(columns), columns, false);
    }

    @Override
    boolean arrays() {
      return false;
    }

    private String merge(String table, List<Bulk.Column> columns, List<String> keys) {
      return "MERGE INTO " + table + " t USING (" + Bulk.source(columns, false) + ") AS s(" + names(columns) + ") ON "
          + keys.stream().map(k -> "t." + k + " = s." + k).collect(Collectors.joining(" AND "));
    }

    private String insertFromSource(List<Bulk.Column> columns) {
      return "INSERT (" + names(columns) + ") VALUES ("
          + columns.stream().map(c -> "s." + c.name()).collect(Collectors.joining(", ")) + ")";
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

  /** Inserts rows unless one with the same key exists, in which case nothing changes. */
  abstract Bulk insertIgnore(String table, List<Bulk.Column> columns, List<String> keys);

  /**
   * Inserts rows, or applies {@code updateSet} to the existing ones. Each offered row must have a
   * distinct key (PostgreSQL refuses to update one row twice in a statement).
   */
  abstract Bulk upsert(String table, List<Bulk.Column> columns, List<String> keys, String updateSet);

  /** Whether bulk statements bind arrays (one execution) rather than run as JDBC batches. */
  abstract boolean arrays();

  /** A plain insert of rows: one array statement on PostgreSQL, multi-row VALUES lists on H2. */
  Bulk insert(String table, List<Bulk.Column> columns) {
    if (!arrays()) return Bulk.multiRowInsert(table, columns);
    return Bulk.positional(insertSql(table, columns, true), columns, true);
  }

  /** An UPDATE or DELETE per row; see {@link Bulk#keyed}. */
  Bulk keyed(String template, List<Bulk.Column> columns) {
    return Bulk.keyed(template, columns, arrays());
  }

  /**
   * A statement whose {@code %s} is "column is one of values": one array parameter on PostgreSQL,
   * an IN list on H2 (which takes thousands of parameters in one statement).
   */
  PreparedStatement anyOf(Connection c, String template, String column, List<String> values) throws SQLException {
    if (arrays()) {
      PreparedStatement ps = c.prepareStatement(template.formatted(column + " = ANY(?)"));
      ps.setArray(1, c.createArrayOf("text", values.toArray()));
      return ps;
    }
    PreparedStatement ps = c.prepareStatement(template.formatted(column + " IN (" + placeholders(values) + ")"));
    for (int i = 0; i < values.size(); i++) ps.setString(i + 1, values.get(i));
    return ps;
  }

  private static String insertSql(String table, List<Bulk.Column> columns, boolean arrays) {
    return "INSERT INTO " + table + " (" + names(columns) + ") " + Bulk.source(columns, arrays);
  }

  private static String names(List<Bulk.Column> columns) {
    return columns.stream().map(Bulk.Column::name).collect(Collectors.joining(", "));
  }

  static String placeholders(List<String> columns) {
    return columns.stream().map(c -> "?").collect(Collectors.joining(", "));
  }
}
