package io.portolan.inventory.os.rpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.os.Golden;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Golden and corrupt-input tests for {@link RpmAnalyzer} over the three rpmdb formats. The fixtures
 * under {@code rpm/} were made by Debian's rpm and db5.3-util (see {@code rpm/README.md}); the
 * expected package fields are rpm's own {@code rpm -qa} output, kept in {@code rpm-qa.txt}.
 */
class RpmAnalyzerTest {
  @TempDir
  Path spool;
  @TempDir
  Path scratch;
  private RpmAnalyzer analyzer;

  @BeforeEach
  void setUp() {
    analyzer = new RpmAnalyzer(64L * 1024 * 1024, spool);
  }

  @AfterEach
  void spoolIsAlwaysCleanedUp() throws IOException {
    try (Stream<Path> left = Files.list(spool)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void wantsEveryBackendInEveryKnownDirectory() {
    for (String dir : List.of("var/lib/rpm/", "usr/lib/sysimage/rpm/")) {
      assertThat(analyzer.wants(dir + "rpmdb.sqlite")).isTrue();
      assertThat(analyzer.wants(dir + "Packages")).isTrue();
      assertThat(analyzer.wants(dir + "Packages.db")).isTrue();
      assertThat(analyzer.wants(dir + "Index.db")).isFalse();
      assertThat(analyzer.wants(dir + "rpmdb.sqlite-shm")).isFalse();
    }
    assertThat(analyzer.wants("opt/var/lib/rpm/Packages")).isFalse();
  }

  @ParameterizedTest
  @CsvSource({
      "sqlite, var/lib/rpm/rpmdb.sqlite, rpmdb.sqlite, sqlite",
      "bdb, var/lib/rpm/Packages, Packages, bdb",
      "bdb-512, var/lib/rpm/Packages, Packages, bdb-512",
      "bdb-64k, var/lib/rpm/Packages, Packages, bdb-64k",
      // Debian's rpm cannot read NDB; its blobs are the sqlite fixture's, so rpm's answer is that one.
      "ndb, usr/lib/sysimage/rpm/Packages.db, Packages.db, sqlite"})
  void everyFormatMatchesRpmQueryOutput(String fixture, String layerPath, String file, String rpmQaFrom)
      throws IOException {
    FileFindings findings = Golden.analyze(analyzer, layerPath, Golden.resource("rpm/" + fixture + "/" + file));
    assertThat(findings.analyzer()).isEqualTo("rpm");
    List<String> expected = Golden.lines(Golden.resource("rpm/" + rpmQaFrom + "/rpm-qa.txt")).stream()
        .filter(l -> !l.startsWith("gpg-pubkey|")).toList();
    assertThat(findings.packages().stream().map(RpmAnalyzerTest::asRpmQa).toList())
        .containsExactlyInAnyOrderElementsOf(expected);
    Golden.assertMatches(Golden.resource("rpm/" + fixture + "/expected.json"), findings.packages());
  }

  @Test
  void allFormatsAgree() throws IOException {
    List<Package> sqlite = analyze("var/lib/rpm/rpmdb.sqlite", Golden.resource("rpm/sqlite/rpmdb.sqlite"));
    assertThat(analyze("var/lib/rpm/Packages", Golden.resource("rpm/bdb/Packages"))).isEqualTo(sqlite);
    assertThat(analyze("var/lib/rpm/Packages", Golden.resource("rpm/bdb-512/Packages"))).isEqualTo(sqlite);
    // 64 KiB pages keep the headers inline (H_KEYDATA) instead of on overflow pages.
    assertThat(analyze("var/lib/rpm/Packages", Golden.resource("rpm/bdb-64k/Packages"))).isEqualTo(sqlite);
    assertThat(analyze("var/lib/rpm/Packages.db", Golden.resource("rpm/ndb/Packages.db"))).isEqualTo(sqlite);
  }

  @Test
  void everyFormatReportsTheFilesEachPackageInstalled() throws IOException {
    for (String[] db : new String[][] {{"var/lib/rpm/rpmdb.sqlite", "rpm/sqlite/rpmdb.sqlite"},
        {"var/lib/rpm/Packages", "rpm/bdb/Packages"}, {"usr/lib/sysimage/rpm/Packages.db", "rpm/ndb/Packages.db"}}) {
      FileFindings findings = Golden.analyze(analyzer, db[0], Golden.resource(db[1]));
      assertThat(findings.owned()).as(db[1]).extracting(o -> o.ownerKey() + " " + o.paths()).contains(
          "rpm/openssl-mini/x86_64 [usr/bin/openssl-mini]", "rpm/openssl-mini-libs/x86_64 [usr/lib64/libssl-mini.so]",
          "rpm/epoch-lib/x86_64 [usr/lib/epoch-lib/data]", "rpm/hello-tool/x86_64 [usr/share/hello-tool/README]");
    }
  }

  @Test
  void purlsVersionsAndSources() throws IOException {
    List<Package> packages = analyze("var/lib/rpm/rpmdb.sqlite", Golden.resource("rpm/sqlite/rpmdb.sqlite"));
    assertThat(packages).extracting(Package::name).doesNotContain("gpg-pubkey");
    Package epoch = find(packages, "epoch-lib");
    assertThat(epoch.version()).isEqualTo("2:0.9-1.fc39");
    assertThat(epoch.sourceVersion()).isEqualTo("2:0.9-1.fc39");
    assertThat(epoch.purl()).isEqualTo("pkg:rpm/fedora/epoch-lib@0.9-1.fc39?arch=x86_64&epoch=2");
    Package libs = find(packages, "openssl-mini-libs");
    assertThat(libs.sourceName()).isEqualTo("openssl-mini");
    assertThat(libs.sourceVersion()).isEqualTo("3.0.7-27.el9");
    assertThat(libs.vendor()).isEqualTo("Red Hat, Inc.");
    assertThat(libs.purl()).isEqualTo("pkg:rpm/redhat/openssl-mini-libs@3.0.7-27.el9?arch=x86_64");
    Package noVendor = find(packages, "noarch-data");
    assertThat(noVendor.vendor()).isEmpty();
    assertThat(noVendor.purl()).isEqualTo("pkg:rpm/noarch-data@2024.1-7?arch=noarch");
  }

  @Test
  void ndbFixtureIsWhatTheGeneratorWritesFromTheSqliteBlobs() throws Exception {
    List<byte[]> blobs = new ArrayList<>();
    Path copy = Files.copy(Golden.resource("rpm/sqlite/rpmdb.sqlite"), scratch.resolve("rpmdb.sqlite"));
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + copy.toAbsolutePath() + "?mode=ro&immutable=1");
        ResultSet rows = c.createStatement().executeQuery("SELECT blob FROM Packages ORDER BY hnum")) {
      while (rows.next()) {
        blobs.add(rows.getBytes(1));
      }
    }
    byte[] written = NdbFixtureWriter.write(blobs, blobs.size());
    Path committed = Golden.resource("rpm/ndb/Packages.db");
    if (Boolean.getBoolean("portolan.golden.update")) {
      Files.write(committed, written);
    }
    assertThat(Files.readAllBytes(committed)).isEqualTo(written);
  }

  // ---- corrupt input: every failure is an AnalysisException naming the file ----

  @Test
  void emptyFile() {
    assertRejected("var/lib/rpm/rpmdb.sqlite", new byte[0], "empty file at offset 0");
  }

  @Test
  void unknownMagic() {
    assertRejected("var/lib/rpm/rpmdb.sqlite", "this is not sqlite at all, just text\n".getBytes(StandardCharsets.UTF_8),
        "not an rpm database");
  }

  @Test
  void truncatedSqlite() throws IOException {
    byte[] db = Files.readAllBytes(Golden.resource("rpm/sqlite/rpmdb.sqlite"));
    assertRejected("var/lib/rpm/rpmdb.sqlite", Arrays.copyOf(db, 8192), "var/lib/rpm/rpmdb.sqlite");
    assertRejected("var/lib/rpm/rpmdb.sqlite", Arrays.copyOf(db, 100), "var/lib/rpm/rpmdb.sqlite");
  }

  @Test
  void sqliteWithoutPackagesTableOrWithJunkBlobs() throws Exception {
    Path noTable = scratch.resolve("empty.sqlite");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + noTable); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE Other(x)");
    }
    assertRejected("var/lib/rpm/rpmdb.sqlite", Files.readAllBytes(noTable), "no such table: Packages");
    Path junk = scratch.resolve("junk.sqlite");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + junk)) {
      c.createStatement().execute("CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL)");
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO Packages VALUES (7, ?)")) {
        insert.setBytes(1, new byte[] {0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3});
        insert.execute();
      }
    }
    assertRejected("var/lib/rpm/rpmdb.sqlite", Files.readAllBytes(junk), "hnum 7: header needs 24 bytes");
  }

  @Test
  void truncatedBerkeleyDb() throws IOException {
    byte[] db = Files.readAllBytes(Golden.resource("rpm/bdb/Packages"));
    assertRejected("var/lib/rpm/Packages", Arrays.copyOf(db, db.length / 2), "truncated");
    assertRejected("var/lib/rpm/Packages", Arrays.copyOf(db, 100), "truncated Berkeley DB metadata page");
  }

  @Test
  void cyclicOverflowChainIsDetected() throws IOException {
    byte[] db = Files.readAllBytes(Golden.resource("rpm/bdb-512/Packages"));
    ByteBuffer b = ByteBuffer.wrap(db).order(ByteOrder.LITTLE_ENDIAN);
    int pageSize = b.getInt(20);
    int page = firstChainedOverflowPage(b, pageSize);
    b.putInt(page * pageSize + 16, page); // next page = itself
    assertRejected("var/lib/rpm/Packages", db, "overflow chain loops back to page " + page);
  }

  @Test
  void overflowChainOutOfRangeOrWrongLength() throws IOException {
    byte[] db = Files.readAllBytes(Golden.resource("rpm/bdb-512/Packages"));
    ByteBuffer b = ByteBuffer.wrap(db).order(ByteOrder.LITTLE_ENDIAN);
    int pageSize = b.getInt(20);
    int page = firstChainedOverflowPage(b, pageSize);
    byte[] beyond = db.clone();
    ByteBuffer.wrap(beyond).order(ByteOrder.LITTLE_ENDIAN).putInt(page * pageSize + 16, 0x7fffffff);
    assertRejected("var/lib/rpm/Packages", beyond, "beyond the last page");
    byte[] longPage = db.clone();
    ByteBuffer.wrap(longPage).order(ByteOrder.LITTLE_ENDIAN).putShort(page * pageSize + 22, (short) 0x7fff);
    assertRejected("var/lib/rpm/Packages", longPage, "bogus length");
  }

  @Test
  void bogusBerkeleyMetadataAndEntryCounts() throws IOException {
    byte[] db = Files.readAllBytes(Golden.resource("rpm/bdb/Packages"));
    byte[] pageSize = db.clone();
    ByteBuffer.wrap(pageSize).order(ByteOrder.LITTLE_ENDIAN).putInt(20, 12345);
    assertRejected("var/lib/rpm/Packages", pageSize, "bogus page size 12345 at offset 20");
    byte[] lastPage = db.clone();
    ByteBuffer.wrap(lastPage).order(ByteOrder.LITTLE_ENDIAN).putInt(32, -1);
    assertRejected("var/lib/rpm/Packages", lastPage, "offset 32");
    byte[] entries = db.clone();
    ByteBuffer e = ByteBuffer.wrap(entries).order(ByteOrder.LITTLE_ENDIAN);
    int size = e.getInt(20);
    int hashPage = firstPageOfType(e, size, 13);
    e.putShort(hashPage * size + 20, (short) 0xfffe);
    assertRejected("var/lib/rpm/Packages", entries, "bogus entry count");
  }

  @Test
  void corruptNdb() throws IOException {
    byte[] db = Files.readAllBytes(Golden.resource("rpm/ndb/Packages.db"));
    assertRejected("var/lib/rpm/Packages.db", Arrays.copyOf(db, db.length - 5), "not a multiple of 16");
    assertRejected("var/lib/rpm/Packages.db", Arrays.copyOf(db, db.length - 16), "bogus package");
    assertRejected("var/lib/rpm/Packages.db", Arrays.copyOf(db, 20), "truncated NDB header");
    byte[] slotMagic = db.clone();
    slotMagic[48] = 'X';
    assertRejected("var/lib/rpm/Packages.db", slotMagic, "bad slot magic at offset 48");
    byte[] checksum = db.clone();
    checksum[4096 + 100] ^= 1;
    assertRejected("var/lib/rpm/Packages.db", checksum, "checksum mismatch");
    byte[] pages = db.clone();
    ByteBuffer.wrap(pages).order(ByteOrder.LITTLE_ENDIAN).putInt(12, 1_000_000);
    assertRejected("var/lib/rpm/Packages.db", pages, "bogus slot page count 1000000 at offset 12");
    byte[] length = db.clone();
    ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).putInt(4096 + 12, 0x7fffffff);
    assertRejected("var/lib/rpm/Packages.db", length, "does not fit");
  }

  @Test
  void mutatedDatabasesNeverCrashOrHang() throws IOException {
    Random random = new Random(2024);
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      for (String fixture : List.of("rpm/bdb-512/Packages", "rpm/bdb/Packages", "rpm/ndb/Packages.db",
          "rpm/sqlite/rpmdb.sqlite")) {
        byte[] db = Files.readAllBytes(Golden.resource(fixture));
        int rounds = fixture.endsWith("sqlite") ? 40 : 300;
        for (int i = 0; i < rounds; i++) {
          byte[] mutated = db.clone();
          for (int j = 0; j < 1 + random.nextInt(16); j++) {
            mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
          }
          try {
            analyzer.analyze("var/lib/rpm/Packages", new ByteArrayInputStream(mutated), mutated.length);
          } catch (AnalysisException expected) {
            assertThat(expected).hasMessageContaining("var/lib/rpm/Packages");
          }
        }
      }
    });
  }

  @Test
  void oversizedDatabaseIsRefusedAndNothingIsLeftBehind() {
    RpmAnalyzer small = new RpmAnalyzer(1000, spool);
    assertThatThrownBy(() -> small.analyze("var/lib/rpm/Packages", new ByteArrayInputStream(new byte[5000]), 10))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("1000-byte limit");
  }

  private static Package find(List<Package> packages, String name) {
    return packages.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
  }

  private List<Package> analyze(String layerPath, Path file) throws IOException {
    try (var in = Files.newInputStream(file)) {
      return analyzer.analyze(layerPath, in, Files.size(file)).get(0).packages();
    }
  }

  private void assertRejected(String layerPath, byte[] content, String message) {
    assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
        assertThatThrownBy(() -> analyzer.analyze(layerPath, new ByteArrayInputStream(content), content.length))
            .isInstanceOf(AnalysisException.class)
            .hasMessageStartingWith(layerPath)
            .hasMessageContaining(message));
  }

  private static int firstChainedOverflowPage(ByteBuffer b, int pageSize) {
    for (int page = 1; (page + 1) * pageSize <= b.capacity(); page++) {
      if ((b.get(page * pageSize + 25) & 0xff) == 7 && b.getInt(page * pageSize + 16) != 0) {
        return page;
      }
    }
    throw new AssertionError("fixture has no chained overflow page");
  }

  private static int firstPageOfType(ByteBuffer b, int pageSize, int type) {
    for (int page = 1; (page + 1) * pageSize <= b.capacity(); page++) {
      if ((b.get(page * pageSize + 25) & 0xff) == type && b.getShort(page * pageSize + 20) != 0) {
        return page;
      }
    }
    throw new AssertionError("fixture has no page of type " + type);
  }

  /** rpm's {@code --qf '%{NAME}|%{EPOCH}|%{VERSION}|%{RELEASE}|%{ARCH}|%{SOURCERPM}|%{LICENSE}|%{VENDOR}'}. */
  private static String asRpmQa(Package p) {
    String evr = p.version();
    int colon = evr.indexOf(':');
    String epoch = colon < 0 ? "(none)" : evr.substring(0, colon);
    String vr = evr.substring(colon + 1);
    int dash = vr.lastIndexOf('-');
    return String.join("|", p.name(), epoch, vr.substring(0, dash), vr.substring(dash + 1), p.architecture(),
        p.properties().getOrDefault("sourcerpm", "(none)"), p.license(), p.vendor().isEmpty() ? "(none)" : p.vendor());
  }
}
