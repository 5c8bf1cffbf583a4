package io.portolan.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Option;

/**
 * The database flags every bench that stores something takes: embedded H2 unless a PostgreSQL URL
 * is given, and then each run in a schema of its own, so runs neither see nor spoil each other.
 */
final class BenchDatabase {
  @Option(names = "--db-url", defaultValue = "", description = "PostgreSQL JDBC URL (default: embedded H2)")
  String url;

  @Option(names = "--db-user", defaultValue = "", description = "Database user")
  String user;

  @Option(names = "--db-password", defaultValue = "", description = "Database password")
  String password;

  boolean postgres() {
    return !url.isBlank();
  }

  /** "h2" or "postgresql", as the RESULT lines name the database. */
  String name() {
    return postgres() ? "postgresql" : "h2";
  }

  /** Creates a schema named {@code prefix} plus the time, says so, and returns its name. */
  String createSchema(String prefix) throws SQLException {
    String schema = prefix + "_" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss_SSS"));
    execute("CREATE SCHEMA " + schema);
    System.out.println("PostgreSQL schema: " + schema);
    return schema;
  }

  void dropSchema(String schema) throws SQLException {
    execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }

  /**
   * The URL that works in {@code schema}; batched inserts rewritten into multi-row ones when asked,
   * as the collector's production settings recommend.
   */
  String urlIn(String schema, boolean rewriteBatches) {
    return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema
        + (rewriteBatches ? "&reWriteBatchedInserts=true" : "");
  }

  void execute(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }
}
