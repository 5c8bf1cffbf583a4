package io.portolan.collector.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.portolan.collector.store.Queries.Direction;
import io.portolan.collector.store.Queries.ImageSort;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Links the console builds (pages, sort headers) and the CSV it writes. */
class PagingAndCsvTest {
  static Query query(String... kv) {
    java.util.LinkedHashMap<String, List<String>> raw = new java.util.LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) raw.put(kv[i], List.of(kv[i + 1]));
    return Query.of(raw);
  }

  @Test
  void pagerShowsTheRowsTheTotalAndAWindowOfPagesKeepingTheFilters() {
    Pager p = new Pager(7, 50, 10_000, "/images", query("search", "nginx app", "page", "7"));
    assertThat(p.first()).isEqualTo(301);
    assertThat(p.last()).isEqualTo(350);
    assertThat(p.pages()).isEqualTo(200);
    assertThat(p.window()).containsExactly(1, 0, 5, 6, 7, 8, 9, 0, 200);
    assertThat(p.href(8)).isEqualTo("/images?search=nginx+app&page=8");
    assertThat(p.href(1)).isEqualTo("/images?search=nginx+app");
    Pager last = new Pager(3, 50, 120, "/hosts", Query.EMPTY);
    assertThat(last.last()).isEqualTo(120);
    assertThat(last.hasNext()).isFalse();
    Pager empty = new Pager(1, 50, 0, "/hosts", Query.EMPTY);
    assertThat(empty.first()).isZero();
    assertThat(empty.pages()).isEqualTo(1);
    assertThat(empty.window()).containsExactly(1);
  }

  @Test
  void blankParametersAreDroppedAndValuesEncoded() {
    Query q = Query.of(Map.of("search", List.of(" "), "os", List.of("debian 12&x")));
    assertThat(q.has("search")).isFalse();
    assertThat(q.href("/images")).isEqualTo("/images?os=debian+12%26x");
    assertThat(q.with("os", "").href("/images")).isEqualTo("/images");
  }

  @Test
  void aSortHeaderStartsInItsNaturalDirectionThenReversesAndResetsThePage() {
    Query q = query("severity", "high", "page", "3");
    assertThat(ImageColumn.RISK.sortHref(q, "/images", ImageSort.CREATED, Direction.DESC))
        .isEqualTo("/images?severity=high&sort=risk&order=desc");
    assertThat(ImageColumn.REPOSITORY.sortHref(q, "/images", ImageSort.CREATED, Direction.DESC))
        .isEqualTo("/images?severity=high&sort=repository&order=asc");
    assertThat(ImageColumn.RISK.sortHref(q, "/images", ImageSort.RISK, Direction.DESC)).endsWith("order=asc");
    assertThat(ImageColumn.RISK.ariaSort(ImageSort.RISK, Direction.ASC)).isEqualTo("ascending");
    assertThat(ImageColumn.SIZE.ariaSort(ImageSort.RISK, Direction.ASC)).isEqualTo("none");
  }

  @Test
  void csvQuotesWhatNeedsItAndDefusesFormulas() throws Exception {
    StringWriter out = new StringWriter();
    Csv.row(out, List.of("plain", "a,b", "say \"hi\"", "=HYPERLINK(\"x\")", "-1", "", "line\nbreak"));
    assertThat(out.toString()).isEqualTo(
        "plain,\"a,b\",\"say \"\"hi\"\"\",\"'=HYPERLINK(\"\"x\"\")\",'-1,,\"line\nbreak\"\r\n");
  }

  @Test
  void formatsReadLikeDockerAndTheTrackers() {
    assertThat(Format.bytes(999)).isEqualTo("999 B");
    assertThat(Format.bytes(117_000_000)).isEqualTo("117 MB");
    assertThat(Format.bytes(1_360_000_000L)).isEqualTo("1.4 GB");
    assertThat(Format.command("/bin/sh -c #(nop)  CMD [\"sleep\"]")).isEqualTo("CMD [\"sleep\"]");
    assertThat(Format.command("/bin/sh -c apt-get install -y curl")).isEqualTo("RUN apt-get install -y curl");
    assertThat(Format.shortId("sha256:" + "ab".repeat(32))).isEqualTo("abababababab");
    assertThat(Format.severity("CRITICAL")).isEqualTo("Critical");
    assertThat(Format.rankName(-1)).isEmpty();
    assertThat(Format.rankName(4)).isEqualTo("HIGH");
  }
}
