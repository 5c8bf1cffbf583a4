package io.portolan.collector.store;

/**
 * The store cannot do what was asked for a reason outside the caller's control (database
 * unreachable, migration failed, unsupported URL). The message is written for operators and is
 * complete on its own, so callers can log it without a stack trace.
 */
public class StoreException extends RuntimeException {
  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
