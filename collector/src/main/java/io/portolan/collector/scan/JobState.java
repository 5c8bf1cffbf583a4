package io.portolan.collector.scan;

/** The life of a scan job. The last four are final. */
public enum JobState {
  QUEUED,
  RUNNING,
  /** Held outside a schedule's allowed window; resumes in the next one. */
  PAUSED,
  SUCCEEDED,
  /** Finished, but at least one image ended in SCAN_EXCEPTION. */
  FAILED,
  CANCELLED,
  /** Work still waiting (for example on an offline host) when the job's time ran out. */
  EXPIRED;

  public boolean isFinal() {
    return ordinal() >= SUCCEEDED.ordinal();
  }
}
