package io.portolan.agent.inventory;

/**
 * One image of a collector's scan request, as the {@link InventoryScheduler} works on it: the
 * scheduler asks whether it was cancelled, reports progress, and ends it exactly once, with one of
 * {@link #stopped}, {@link #failed} or {@link #delivered}.
 */
public interface ScanTicket {

  /** Whether the collector asked to stop this work; checked between files. */
  boolean cancelRequested();

  /** How far the read of the image's layers got, 0-100. */
  void progress(int percent);

  /** The work stopped because it was cancelled; {@code where} says how far it got. */
  void stopped(String where);

  /** No inventory could be made (the image left the host, or could not be read at all). */
  void failed(String reason);

  /**
   * The image's inventory is with the collector: every unit it wanted and the image inventory are
   * in the outbox (or it already held them), so a result sent now arrives after them.
   */
  void delivered();
}
