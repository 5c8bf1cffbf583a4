package io.portolan.collector.ingest;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * Logs a repeated condition once per interval per key, with the count of suppressed repeats, so a
 * misbehaving agent cannot flood the operator's log.
 */
public final class RateLimitedLog {
  private record Window(long startMillis, int suppressed) {}

  private final Logger log;
  private final Clock clock;
  private final long intervalMillis;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  public RateLimitedLog(Logger log, Clock clock, Duration interval) {
    this.log = log;
    this.clock = clock;
    this.intervalMillis = interval.toMillis();
  }

  public void warn(String key, String message) {
    long now = clock.millis();
    int[] suppressed = {-1};
    windows.compute(key, (k, w) -> {
      if (w == null || now - w.startMillis() >= intervalMillis) {
        suppressed[0] = w == null ? 0 : w.suppressed();
        return new Window(now, 0);
      }
      return new Window(w.startMillis(), w.suppressed() + 1);
    });
    if (suppressed[0] > 0) log.warn("{} ({} similar messages suppressed)", message, suppressed[0]);
    else if (suppressed[0] == 0) log.warn(message);
  }
}
