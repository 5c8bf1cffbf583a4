package io.portolan.collector.scan;

/** Why a scan job exists; shown in the scan history. */
public enum ScanTrigger {
  /** Someone pressed Scan now / Scan again in the console. */
  MANUAL,
  /** A schedule fired. */
  SCHEDULE,
  /** Auto-assess saw a new image arrive. */
  AUTO_ASSESS,
  /** A program called the REST API. */
  API
}
