package io.portolan.collector.scan;

import java.util.Optional;

/**
 * Starting and steering scan jobs: the seam between whoever wants a scan (REST API, schedules,
 * auto-assess) and the service that runs it. Implementations are safe to call from any collector
 * sharing the database: a job started on one collector can be paused or cancelled from another.
 */
public interface ScanJobs {
  /** Records the job and returns its ID; the work is dispatched asynchronously. */
  String submit(ScanRequest request);

  /** Empty when no such job exists. */
  Optional<JobState> state(String jobId);

  /** Stops dispatching new work and holds the unfinished images (schedule windows); no-op once final. */
  void pause(String jobId);

  void resume(String jobId);

  /** Cancels every unfinished image of the job; agents stop between files. */
  void cancel(String jobId, String reason);
}
