package io.portolan.collector.console;

import io.portolan.collector.store.Page;
import java.util.ArrayList;
import java.util.List;

/** Pagination links for a listing: the rows shown, the total, and a window of page numbers. */
public record Pager(int page, int size, long total, String path, Query query) {
  static Pager of(Page<?> p, String path, Query query) {
    return new Pager(p.page(), p.size(), p.total(), path, query);
  }

  public long first() {
    return total == 0 ? 0 : Math.min(total, (long) (page - 1) * size + 1);
  }

  public long last() {
    return Math.min(total, (long) page * size);
  }

  public int pages() {
    return (int) Math.max(1, (total + size - 1) / size);
  }

  public boolean hasPrevious() {
    return page > 1;
  }

  public boolean hasNext() {
    return page < pages();
  }

  public String href(int n) {
    return query.with("page", n == 1 ? "" : Integer.toString(n)).href(path);
  }

  /** Page numbers around the current one, with the first and last; 0 marks a gap. */
  public List<Integer> window() {
    int pages = pages();
    List<Integer> out = new ArrayList<>();
    for (int n = 1; n <= pages; n++) {
      if (n == 1 || n == pages || Math.abs(n - page) <= 2) out.add(n);
      else if (out.get(out.size() - 1) != 0) out.add(0);
    }
    return out;
  }
}
