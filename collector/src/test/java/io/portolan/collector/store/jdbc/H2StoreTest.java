package io.portolan.collector.store.jdbc;

import io.portolan.collector.store.JdbcDump;
import io.portolan.collector.store.Store;
import io.portolan.collector.store.StoreContract;
import java.util.List;
import java.util.UUID;

/** The store contract against an in-memory H2 database, one per test. */
class H2StoreTest extends StoreContract {
  private String url;

  @Override
  protected Store newStore() {
    // DB_CLOSE_DELAY=-1 keeps the database while the dump opens its own connection.
    url = "jdbc:h2:mem:store-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    return JdbcStore.open(new DatabaseSettings(url, "sa", "", 4));
  }

  @Override
  protected List<String> dumpWithoutLastSeen() {
    return JdbcDump.dump(url, "sa", "", List.of("last_seen", "membership_version"));
  }
}
