package io.portolan.e2e;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;

/**
 * A fresh schema in the real PostgreSQL server for one test, so tests never see each other's rows.
 * The server is the one scripts/ensure-postgres.sh starts; PORTOLAN_TEST_PG_URL points elsewhere.
 */
record Postgres(String url, String user, String password, String schema) implements AutoCloseable {
  static final String BASE = System.getenv().getOrDefault("PORTOLAN_TEST_PG_URL",
      "jdbc:postgresql://127.0.0.1:5432/portolan_test");
  static final String USER = System.getenv().getOrDefault("PORTOLAN_TEST_PG_USER", "portolan");
  static final String PASSWORD = System.getenv().getOrDefault("PORTOLAN_TEST_PG_PASSWORD", "portolan");

  static Postgres freshSchema() {
    String schema = "e2e_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(BASE, USER, PASSWORD)) {
      c.createStatement().execute("CREATE SCHEMA " + schema);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL is not reachable at " + BASE
          + ": run scripts/ensure-postgres.sh (the integration tests need a real server)", e);
    }
    return new Postgres(BASE + "?currentSchema=" + schema + "&reWriteBatchedInserts=true", USER, PASSWORD, schema);
  }

  @Override
  public void close() {
    try (Connection c = DriverManager.getConnection(BASE, USER, PASSWORD)) {
      c.createStatement().execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    } catch (SQLException ignored) {
      // Leave it for inspection; the schema name is unique.
    }
  }
}
