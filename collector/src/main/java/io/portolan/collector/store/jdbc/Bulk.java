package io.portolan.collector.store.jdbc;

import static io.portolan.collector.store.jdbc.Columns.micros;
import static io.portolan.collector.store.jdbc.Columns.setTime;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One statement applied to many rows. Where the dialect has array parameters (PostgreSQL) each
 * column is bound as one array and the statement runs once over {@code unnest(...)}, so a hundred
 * thousand rows cost one execution instead of a hundred thousand; elsewhere (H2) it is a JDBC batch.
 * Rows run in list order either way: callers sort them so concurrent writers lock rows in one order.
 */
class Bulk {
  /** Rows per execution: bounds the size of one array parameter or JDBC batch. */
  private static final int CHUNK = 5_000;
  private static final Pattern TOKEN = Pattern.compile(":([a-z_]+)");
  private static final DateTimeFormatter PG_TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS'+00'");

  /** A column's SQL type: needed to type PostgreSQL's arrays and JDBC's nulls. */
  enum Type {
    TEXT("text"), TIME("timestamptz"), BIGINT("int8"), INT("int4"), BOOL("bool"), DOUBLE("float8");

    final String pg;

    Type(String pg) {
      this.pg = pg;
    }
  }

  /** A named, typed parameter column of a bulk statement. */
  record Column(String name, Type type) {}

  static Column text(String name) {
    return new Column(name, Type.TEXT);
  }

  static Column time(String name) {
    return new Column(name, Type.TIME);
  }

  static Column bigint(String name) {
    return new Column(name, Type.BIGINT);
  }

  static Column integer(String name) {
    return new Column(name, Type.INT);
  }

  static Column bool(String name) {
    return new Column(name, Type.BOOL);
  }

  static Column decimal(String name) {
    return new Column(name, Type.DOUBLE);
  }

  private final String sql;
  private final List<Column> columns;
  private final boolean arrays;
  /** For JDBC batches: the column each {@code ?} binds, in order of appearance. */
  private final int[] order;

  private Bulk(String sql, List<Column> columns, boolean arrays, int[] order) {
    this.sql = sql;
    this.columns = List.copyOf(columns);
    this.arrays = arrays;
    this.order = order;
  }

  /** The row source of an INSERT or MERGE: {@code VALUES (?, ...)} or a PostgreSQL unnest over arrays. */
  static String source(List<Column> columns, boolean arrays) {
    if (!arrays) return "VALUES (" + Dialect.placeholders(columns.stream().map(Column::name).toList()) + ")";
    return "SELECT * FROM " + unnest(columns);
  }

  private static String unnest(List<Column> columns) {
    return "unnest(" + String.join(", ", columns.stream().map(c -> "?::" + c.type().pg + "[]").toList()) + ")";
  }

  /** A statement whose parameters are exactly {@code columns} in order (an insert built on {@link #source}). */
  static Bulk positional(String sql, List<Column> columns, boolean arrays) {
    int[] order = new int[columns.size()];
    for (int i = 0; i < order.length; i++) order[i] = i;
    return new Bulk(sql, columns, arrays, order);
  }

  /**
   * An UPDATE or DELETE of {@code table t} whose template names row values {@code :column} and marks
   * with {@code {rows}} where PostgreSQL's {@code FROM}/{@code USING unnest(...) AS u(...)} goes.
   */
  static Bulk keyed(String template, List<Column> columns, boolean arrays) {
    List<String> names = columns.stream().map(Column::name).toList();
    if (arrays) {
      String keyword = template.startsWith("DELETE") ? " USING " : " FROM ";
      // Tokens first: the unnest casts ("?::text[]") would read as tokens too.
      String sql = TOKEN.matcher(template).replaceAll("u.$1")
          .replace("{rows}", keyword + unnest(columns) + " AS u(" + String.join(", ", names) + ")");
      return new Bulk(sql, columns, true, new int[0]);
    }
    List<Integer> order = new ArrayList<>();
    Matcher m = TOKEN.matcher(template.replace("{rows}", ""));
    StringBuilder sql = new StringBuilder();
    while (m.find()) {
      int index = names.indexOf(m.group(1));
      if (index < 0) throw new IllegalArgumentException("unknown column :" + m.group(1) + " in " + template);
      order.add(index);
      m.appendReplacement(sql, "?");
    }
    m.appendTail(sql);
    return new Bulk(sql.toString(), columns, false, order.stream().mapToInt(Integer::intValue).toArray());
  }

  /**
   * A plain insert that sends {@code rowsPerStatement} rows per execution as one multi-row
   * {@code VALUES} list: H2 runs a JDBC batch row by row, and parsing and planning each row costs
   * about as much as storing it.
   */
  static Bulk multiRowInsert(String table, List<Column> columns) {
    String names = String.join(", ", columns.stream().map(Column::name).toList());
    return new MultiRowInsert("INSERT INTO " + table + " (" + names + ") VALUES ", columns);
  }

  private static final class MultiRowInsert extends Bulk {
    /** Rows per statement: keeps a statement's parameters well below the drivers' limits. */
    private static final int ROWS = 500;
    private final String prefix;
    private final String tuple;

    MultiRowInsert(String prefix, List<Column> columns) {
      super(prefix, columns, false, new int[0]);
      this.prefix = prefix;
      this.tuple = "(" + Dialect.placeholders(columns.stream().map(Column::name).toList()) + ")";
    }

    private String sql(int rows) {
      return prefix + String.join(", ", java.util.Collections.nCopies(rows, tuple));
    }

    @Override
    void run(Connection c, List<Object[]> rows) throws SQLException {
      if (rows.isEmpty()) return;
      int width = columns().size();
      int full = rows.size() / ROWS;
      if (full > 0) {
        try (PreparedStatement ps = c.prepareStatement(sql(ROWS))) {
          for (int chunk = 0; chunk < full; chunk++) {
            for (int r = 0; r < ROWS; r++) bindRow(ps, r * width, rows.get(chunk * ROWS + r));
            ps.executeUpdate();
          }
        }
      }
      int rest = rows.size() - full * ROWS;
      if (rest > 0) {
        try (PreparedStatement ps = c.prepareStatement(sql(rest))) {
          for (int r = 0; r < rest; r++) bindRow(ps, r * width, rows.get(full * ROWS + r));
          ps.executeUpdate();
        }
      }
    }

    private void bindRow(PreparedStatement ps, int offset, Object[] row) throws SQLException {
      for (int col = 0; col < row.length; col++) bind(ps, offset + col + 1, columns().get(col).type(), row[col]);
    }
  }

  List<Column> columns() {
    return columns;
  }

  /** Runs the statement for every row; each row holds one value per column, in column order. */
  void run(Connection c, List<Object[]> rows) throws SQLException {
    if (rows.isEmpty()) return;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int from = 0; from < rows.size(); from += CHUNK) {
        List<Object[]> part = rows.subList(from, Math.min(rows.size(), from + CHUNK));
        if (arrays) {
          for (int col = 0; col < columns.size(); col++) {
            Type type = columns.get(col).type();
            Object[] values = new Object[part.size()];
            for (int r = 0; r < values.length; r++) {
              Object v = part.get(r)[col];
              values[r] = type == Type.TIME && v != null
                  ? PG_TIME.format(micros((Instant) v).atOffset(ZoneOffset.UTC)) : v;
            }
            // Times travel as text (timestamptz[] has no standard JDBC element mapping) and are cast by the server.
            ps.setArray(col + 1, c.createArrayOf(type == Type.TIME ? "text" : type.pg, values));
          }
          ps.executeUpdate();
        } else {
          for (Object[] row : part) {
            for (int p = 0; p < order.length; p++) bind(ps, p + 1, columns.get(order[p]).type(), row[order[p]]);
            ps.addBatch();
          }
          ps.executeBatch();
        }
      }
    }
  }

  private static void bind(PreparedStatement ps, int index, Type type, Object value) throws SQLException {
    switch (type) {
      case TIME -> setTime(ps, index, (Instant) value);
      case TEXT -> ps.setString(index, (String) value);
      case BIGINT -> {
        if (value == null) ps.setNull(index, Types.BIGINT);
        else ps.setLong(index, (Long) value);
      }
      case INT -> {
        if (value == null) ps.setNull(index, Types.INTEGER);
        else ps.setInt(index, (Integer) value);
      }
      case BOOL -> {
        if (value == null) ps.setNull(index, Types.BOOLEAN);
        else ps.setBoolean(index, (Boolean) value);
      }
      case DOUBLE -> {
        if (value == null) ps.setNull(index, Types.DOUBLE);
        else ps.setDouble(index, (Double) value);
      }
    }
  }
}
