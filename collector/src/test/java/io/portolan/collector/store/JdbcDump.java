package io.portolan.collector.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Reads every inventory row of a JDBC store as text, for before/after comparisons in tests. */
public final class JdbcDump {
  private JdbcDump() {}

  public static final List<String> TABLES = List.of("hosts", "images", "image_layers", "image_history",
      "host_images", "host_image_tags", "host_image_digests", "containers");

  /** Every row of every table, sorted, leaving out the columns named in {@code except}. */
  public static List<String> dump(String url, String user, String password, List<String> except) {
    List<String> rows = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
      for (String table : TABLES) {
        try (ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
          ResultSetMetaData md = rs.getMetaData();
          while (rs.next()) {
            StringBuilder row = new StringBuilder(table).append(':');
            for (int i = 1; i <= md.getColumnCount(); i++) {
              String column = md.getColumnLabel(i).toLowerCase(Locale.ROOT);
              if (except.contains(column)) continue;
              row.append(' ').append(column).append('=').append(rs.getString(i));
            }
            rows.add(row.toString());
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    rows.sort(null);
    return rows;
  }
}
