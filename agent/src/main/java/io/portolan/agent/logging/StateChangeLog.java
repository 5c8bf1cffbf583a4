package io.portolan.agent.logging;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;

/**
 * Logs one line per change of a connection's state and rate-limits repeats of the same failure,
 * so an unreachable peer costs the operator one line a minute instead of one per retry.
 */
public final class StateChangeLog {

  private final Logger log;
  private final Clock clock;
  private final Duration repeatEvery;
  private String lastKey;
  private Instant lastLogged = Instant.MIN;
  private long suppressed;

  public StateChangeLog(Logger log, Clock clock, Duration repeatEvery) {
    this.log = Objects.requireNonNull(log, "log");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.repeatEvery = Objects.requireNonNull(repeatEvery, "repeatEvery");
  }

  /** Logs a healthy state at info level, always when it differs from the previous one. */
  public synchronized void info(String key, String message) {
    emit(key, message, false);
  }

  /** Logs a failure at warn level; the same {@code key} again within the quiet period is only counted. */
  public synchronized void warn(String key, String message) {
    emit(key, message, true);
  }

  private void emit(String key, String message, boolean warn) {
    Instant now = clock.instant();
    boolean repeat = key.equals(lastKey);
    if (repeat && now.isBefore(lastLogged.plus(repeatEvery))) {
      suppressed++;
      return;
    }
    String line = repeat && suppressed > 0 ? message + " (repeated " + suppressed + " times)" : message;
    if (warn) {
      log.warn(line);
    } else {
      log.info(line);
    }
    lastKey = key;
    lastLogged = now;
    suppressed = 0;
  }
}
