package io.portolan.collector.store;

/** Which page to read: pages count from 1, sizes are bounded so no listing loads everything. */
public record PageRequest(int page, int size) {
  public static final int MAX_SIZE = 500;
  public static final PageRequest FIRST = new PageRequest(1, 50);

  public PageRequest {
    if (page < 1) throw new IllegalArgumentException("page must be >= 1, was " + page);
    if (size < 1 || size > MAX_SIZE)
      throw new IllegalArgumentException("size must be between 1 and " + MAX_SIZE + ", was " + size);
  }

  public long offset() {
    return (long) (page - 1) * size;
  }
}
