package io.portolan.inventory.os.rpm;

import io.portolan.inventory.analyzer.AnalysisException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;

/**
 * {@code rpmdb.sqlite} (rpm 4.16+, Fedora/RHEL 9 default): table {@code Packages(hnum, blob)} holds
 * one header blob per installed package. The spooled copy is opened read-only and immutable, so
 * SQLite neither writes a journal beside it nor waits on locks.
 */
final class SqliteRpmdb implements RpmDatabase {
  private static final byte[] MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

  static boolean matches(byte[] head) {
    return head.length >= MAGIC.length && Arrays.equals(head, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
  }

  @Override
  public void forEachBlob(String path, Path file, long maxBlobBytes, BlobSink sink) throws IOException {
    String url = "jdbc:sqlite:file:" + file.toAbsolutePath() + "?mode=ro&immutable=1";
    try (Connection connection = DriverManager.getConnection(url);
        PreparedStatement select = connection.prepareStatement(
            "SELECT hnum, length(blob), CASE WHEN length(blob) <= ? THEN blob END FROM Packages ORDER BY hnum")) {
      select.setLong(1, maxBlobBytes);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          long hnum = rows.getLong(1);
          long length = rows.getLong(2);
          byte[] blob = rows.getBytes(3);
          String where = path + ": Packages row hnum " + hnum;
          if (blob == null) {
            throw new AnalysisException(where + ": blob of " + length + " bytes exceeds the " + maxBlobBytes
                + "-byte limit or is missing");
          }
          sink.accept(where, blob);
        }
      }
    } catch (SQLException e) {
      throw new AnalysisException(path + ": unreadable SQLite rpmdb (offset unknown): " + e.getMessage(), e);
    }
  }
}
