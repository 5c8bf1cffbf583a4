package io.portolan.inventory.lang.java;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.inventory.analyzer.AnalysisException;
import java.io.IOException;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class Sha1IndexTest {
  private static final String SHA = "0123456789abcdef0123456789abcdef01234567";

  @Test
  void readsEntriesSkippingCommentsAndBlankLines() throws IOException {
    Sha1Index index = Sha1Index.read("t.tsv", new StringReader(
        "# sha1\tgav\n\n" + SHA.toUpperCase() + "\torg.x:y:1.0\r\n" + SHA.replace('0', 'f') + "\torg.x:z:2\n"));
    assertThat(index.size()).isEqualTo(2);
    assertThat(index.find(SHA)).contains(new Gav("org.x", "y", "1.0"));
    assertThat(index.find(SHA.replace('1', 'e'))).isEmpty();
    assertThat(Sha1Index.empty().find(SHA)).isEmpty();
  }

  @Test
  void malformedOrContradictoryLinesFailWithTheirLineNumber() {
    assertThatThrownBy(() -> Sha1Index.read("t.tsv", new StringReader(SHA + "\torg.x:y\n")))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("t.tsv: line 1");
    assertThatThrownBy(() -> Sha1Index.read("t.tsv", new StringReader("\n" + "abc\torg.x:y:1\n")))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("t.tsv: line 2").hasMessageContaining("SHA-1");
    assertThatThrownBy(() -> Sha1Index.read("t.tsv", new StringReader(SHA + " org.x:y:1\n")))
        .isInstanceOf(AnalysisException.class);
    assertThatThrownBy(() -> Sha1Index.read("t.tsv", new StringReader(SHA + "\torg.x:y:1\n" + SHA + "\torg.x:y:2\n")))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("line 2");
  }
}
