package io.portolan.collector.store.jdbc;

import io.portolan.collector.store.JdbcDump;
import io.portolan.collector.store.Store;
import io.portolan.collector.store.StoreContract;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;

/**
 * The store contract against a real PostgreSQL, each test in a schema of its own. Fails, never
 * skips, when the database is missing: run scripts/ensure-postgres.sh, or point
 * PORTOLAN_TEST_PG_URL at another server.
 */
class PostgresStoreIT extends StoreContract {
  static final String BASE_URL = System.getenv().getOrDefault("PORTOLAN_TEST_PG_URL",
      "jdbc:postgresql://127.0.0.1:5432/portolan_test");
  static final String USER = System.getenv().getOrDefault("PORTOLAN_TEST_PG_USER", "portolan");
  static final String PASSWORD = System.getenv().getOrDefault("PORTOLAN_TEST_PG_PASSWORD", "portolan");

  private String schema;
  private String url;

  /** A fresh schema and a URL whose connections use it (and rewrite batched inserts, as production should). */
  static String freshSchemaUrl(String schema) {
    try (Connection c = DriverManager.getConnection(BASE_URL, USER, PASSWORD); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + schema);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL for integration tests is not reachable at " + BASE_URL
          + " (run scripts/ensure-postgres.sh or set PORTOLAN_TEST_PG_URL): " + e.getMessage(), e);
    }
    return BASE_URL + (BASE_URL.contains("?") ? "&" : "?") + "currentSchema=" + schema + "&reWriteBatchedInserts=true";
  }

  static void dropSchema(String schema) {
    try (Connection c = DriverManager.getConnection(BASE_URL, USER, PASSWORD); Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  protected Store newStore() {
    schema = "store_it_" + UUID.randomUUID().toString().replace("-", "");
    url = freshSchemaUrl(schema);
    return JdbcStore.open(new DatabaseSettings(url, USER, PASSWORD, 4));
  }

  @Override
  protected List<String> dumpWithoutLastSeen() {
    return JdbcDump.dump(url, USER, PASSWORD, List.of("last_seen", "membership_version"));
  }

  @AfterEach
  void dropTestSchema() {
    if (schema != null) dropSchema(schema);
  }
}
