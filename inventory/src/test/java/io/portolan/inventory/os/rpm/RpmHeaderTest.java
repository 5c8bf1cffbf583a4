package io.portolan.inventory.os.rpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.inventory.analyzer.AnalysisException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Header blobs with bogus counts, offsets and types fail with the blob offset, never index out of bounds. */
class RpmHeaderTest {

  /** A blob with NAME, VERSION, RELEASE, EPOCH (int32) and ARCH, laid out as rpm does. */
  private static byte[] blob() {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    int name = put(data, "bash");
    int version = put(data, "5.1.8");
    int release = put(data, "6.el9");
    while (data.size() % 4 != 0) {
      data.write(0);
    }
    int epoch = data.size();
    data.writeBytes(new byte[] {0, 0, 0, 1});
    int arch = put(data, "x86_64");
    int[][] entries = {{1000, 6, name, 1}, {1001, 6, version, 1}, {1002, 6, release, 1}, {1003, 4, epoch, 1},
        {1022, 6, arch, 1}};
    ByteBuffer b = ByteBuffer.allocate(8 + 16 * entries.length + data.size());
    b.putInt(entries.length).putInt(data.size());
    for (int[] e : entries) {
      b.putInt(e[0]).putInt(e[1]).putInt(e[2]).putInt(e[3]);
    }
    b.put(data.toByteArray());
    return b.array();
  }

  private static int put(ByteArrayOutputStream data, String s) {
    int at = data.size();
    data.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    data.write(0);
    return at;
  }

  @Test
  void parsesAWellFormedBlob() throws AnalysisException {
    RpmHeader h = RpmHeader.parse("db: row 1", blob());
    assertThat(h.name()).isEqualTo("bash");
    assertThat(h.epoch()).hasValue(1);
    assertThat(h.version()).isEqualTo("5.1.8");
    assertThat(h.release()).isEqualTo("6.el9");
    assertThat(h.arch()).isEqualTo("x86_64");
    assertThat(h.vendor()).isEmpty();
  }

  @Test
  void bogusCountsAndOffsets() {
    assertRejected(Arrays.copyOf(blob(), 5), "shorter than its 8-byte preamble");
    assertRejected(with(blob(), 0, 0), "bogus index count 0 at blob offset 0");
    assertRejected(with(blob(), 0, 0x7fffffff), "bogus index count 2147483647");
    assertRejected(with(blob(), 4, -1), "bogus data length 4294967295 at blob offset 4");
    assertRejected(with(blob(), 4, 10_000), "truncated");
    assertRejected(Arrays.copyOf(blob(), blob().length - 1), "truncated");
    assertRejected(with(blob(), 8 + 8, 9999), "tag 1000 (index entry at blob offset 8) has bogus offset 9999");
    assertRejected(with(blob(), 8 + 12, 0), "bogus offset 0 / count 0");
    assertRejected(with(blob(), 8 + 4, 7), "tag 1000 (index entry at blob offset 8) has type 7");
    assertRejected(with(blob(), 8 + 48 + 4, 6), "tag 1003");
  }

  @Test
  void unterminatedStringIsRejected() {
    byte[] b = blob();
    b[b.length - 1] = 'x'; // ARCH is last in the data store
    assertRejected(b, "not terminated inside the data store");
  }

  @Test
  void missingNameIsRejected() {
    assertRejected(with(blob(), 8, 999), "no NAME or VERSION");
  }

  private static byte[] with(byte[] blob, int offset, int value) {
    ByteBuffer.wrap(blob).putInt(offset, value);
    return blob;
  }

  private static void assertRejected(byte[] blob, String message) {
    assertThatThrownBy(() -> RpmHeader.parse("var/lib/rpm/Packages: page 3", blob))
        .isInstanceOf(AnalysisException.class)
        .hasMessageStartingWith("var/lib/rpm/Packages: page 3")
        .hasMessageContaining(message);
  }

  @Test
  void sourceRpmNames() {
    assertThat(RpmAnalyzer.SourceRpm.parse("openssl-3.0.7-27.el9.src.rpm"))
        .hasValue(new RpmAnalyzer.SourceRpm("openssl", "3.0.7-27.el9"));
    assertThat(RpmAnalyzer.SourceRpm.parse("python3-pip-wheel-21.3.1-1.el9.nosrc.rpm"))
        .hasValue(new RpmAnalyzer.SourceRpm("python3-pip-wheel", "21.3.1-1.el9"));
    assertThat(RpmAnalyzer.SourceRpm.parse("(none)")).isEmpty();
    assertThat(RpmAnalyzer.SourceRpm.parse("-1.src.rpm")).isEmpty();
  }
}
