package io.portolan.collector.scan;

import java.util.Optional;

/**
 * The {@link ScanJobs} of a collector that cannot run scans yet: every call is refused with the same
 * reason, so a schedule that fires records "scans are not available" instead of pretending.
 */
public final class ScansUnavailable implements ScanJobs {
  public static final String REASON = "scans are not available on this collector";

  @Override
  public String submit(ScanRequest request) {
    throw new IllegalStateException(REASON);
  }

  @Override
  public Optional<JobState> state(String jobId) {
    throw new IllegalStateException(REASON);
  }

  @Override
  public void pause(String jobId) {
    throw new IllegalStateException(REASON);
  }

  @Override
  public void resume(String jobId) {
    throw new IllegalStateException(REASON);
  }

  @Override
  public void cancel(String jobId, String reason) {
    throw new IllegalStateException(REASON);
  }
}
