package io.portolan.collector.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The scan side of the store: jobs and their work per image, each image's scan status and
 * history, and what lets several collectors share one database (live collectors, which one holds
 * each agent's stream, commands queued for another collector, leases, settings).
 *
 * <p>Item states: QUEUED, WAITING (no online host has the image), DISPATCHED, SCANNING, COMPLETING
 * (the agent is done; the collector is matching), then the final SCANNED, CANCELLED or
 * SCAN_EXCEPTION. Every transition also writes the image's status, and every final one a record.
 * Job and item states are plain strings here: the scan package owns their meaning.
 */
public interface ScanStore {

  // ---- jobs

  /** Present images of the whole fleet, of these images (those that exist), hosts or repositories. */
  List<String> scopeImages(String kind, List<String> ids);

  /** Records a job and its images (QUEUED), and marks those images as queued for scanning. */
  void createJob(NewJob job, List<String> imageIds);

  Optional<JobRow> job(String jobId);

  /** Jobs, newest first. */
  Page<JobRow> jobs(JobQuery query);

  /** A job's images with their progress; {@code state} filters on the item state. */
  Page<ItemRow> jobItems(String jobId, Optional<String> state, PageRequest page);

  /**
   * Renews the leases of the unfinished jobs {@code owner} holds and takes over those whose lease
   * ran out (their collector died); returns every unfinished job {@code owner} holds afterwards.
   */
  List<JobRow> claimJobs(String owner, Instant now, Instant leaseUntil);

  /**
   * Moves a job from one of {@code from} to {@code to}, stamping started (first RUNNING) and
   * finished (final states); returns whether it moved.
   */
  boolean setJobState(String jobId, Collection<String> from, String to, String reason, Instant now);

  // ---- dispatch

  /**
   * QUEUED and WAITING items of a job, at most {@code limit}, with the hosts that have each image,
   * leaving out images another job is scanning right now.
   */
  List<PendingItem> pendingItems(String jobId, int limit);

  /** Items in flight (DISPATCHED, SCANNING, COMPLETING) per host, over every job. */
  Map<String, Integer> hostLoad();

  /** Items sent to a host: the image's current counts are kept as "before". */
  void markDispatched(List<Dispatch> dispatches, Instant now);

  /** Items no online host can take now; only reasons that changed are written. */
  void markWaiting(List<ItemNote> items, Instant now);

  /**
   * DISPATCHED or SCANNING items back to QUEUED (a retry, a pause); their request is forgotten, so
   * late reports of it change nothing.
   */
  void requeue(List<ItemNote> items, Instant now);

  /** Items in flight, of one job and/or one host (both empty: all). */
  List<InFlight> inFlight(Optional<String> jobId, Optional<String> hostId);

  /** Ends items with SCAN_EXCEPTION (a reason each) or CANCELLED, writing their records. */
  void endItems(List<ItemNote> items, String outcome, Instant now);

  /**
   * Cancels the unfinished items of a job ({@code imageIds} empty) or of these images in any job
   * (then {@code jobId} empty); returns them as they were, so the agents of those in flight can be
   * told.
   */
  List<InFlight> cancelItems(Optional<String> jobId, Collection<String> imageIds, String reason, Instant now);

  /** Puts a paused job's in-flight items back in the queue; returns them, for their agents. */
  List<InFlight> pauseItems(String jobId, String reason, Instant now);

  /** Ends the unfinished items of an expired job as SCAN_EXCEPTION with {@code reason}. */
  int expireItems(String jobId, String reason, Instant now);

  /** Per state, how many items the job has. */
  Map<String, Integer> itemStates(String jobId);

  // ---- agents' reports

  /** Progress of in-flight items, by the request they were sent in. */
  void recordProgress(List<Progress> progress, Instant now);

  /** Every item of a request: its agent refused the whole command. */
  List<ItemNote> itemsOfRequest(String requestId);

  /**
   * Finishes COMPLETING items, named by request or all older than {@code completingBefore}: each
   * becomes SCANNED if its image's stored inventory is complete, else SCAN_EXCEPTION with the
   * inventory's errors, with a record holding the counts before and now. Returns how many.
   */
  int finishCompleted(Collection<RequestImage> items, Optional<Instant> completingBefore, Instant now);

  // ---- images

  Page<ScanRecord> scanHistory(String imageId, PageRequest page);

  Optional<ImageScanStatus> imageScanStatus(String imageId);

  /** Images first seen by the fleet after {@code after}, oldest first, at most {@code limit}. */
  List<NewImage> imagesFirstSeenAfter(Instant after, int limit);

  // ---- collectors, agent sessions and queued commands

  /** Records that collector {@code id} (started at {@code started}) is alive at {@code now}. */
  void heartbeatCollector(String id, Instant started, Instant now);

  /** Agents whose stream this collector opened or lost since the last call. */
  void recordSessions(String collectorId, Collection<String> connected, Collection<String> disconnected,
      Instant now);

  /** For each agent connected to a collector alive since {@code aliveSince}: that collector. */
  Map<String, String> liveSessions(Collection<String> agentIds, Instant aliveSince);

  /** Queues commands for other collectors to deliver, and wakes them (PostgreSQL NOTIFY). */
  void queueCommands(List<QueuedCommand> commands, Instant now, Instant expiresAt);

  /** Takes (removes) up to {@code limit} unexpired commands queued for {@code collectorId}. */
  List<QueuedCommand> takeCommands(String collectorId, Instant now, int limit);

  /**
   * Waits up to {@code maxMillis} for commands queued for any collector to be signalled; returns
   * at once (false) where the database cannot signal, so callers poll.
   */
  boolean awaitCommandSignal(long maxMillis);

  // ---- leases and settings

  /** Takes or renews the named lease for {@code owner} until {@code until}; false if another holds it. */
  boolean holdLease(String name, String owner, Instant now, Instant until);

  Optional<String> setting(String name);

  void putSetting(String name, String value, Instant now);

  // ---- records

  record NewJob(String id, String trigger, String scopeKind, List<String> scopeIds, List<String> categories,
      String requestedBy, boolean force, Optional<String> scheduleId, Instant created, Instant expiresAt,
      String owner, Instant leaseUntil) {
    public NewJob {
      scopeIds = List.copyOf(scopeIds);
      categories = List.copyOf(categories);
    }
  }

  /** A job as lists and details show it; {@code items} counts its images per item state. */
  record JobRow(String id, String trigger, String scopeKind, List<String> scopeIds, List<String> categories,
      String requestedBy, boolean force, Optional<String> scheduleId, String state, String stateReason,
      Instant created, Instant started, Instant finished, Instant expiresAt, String owner, Instant leaseUntil,
      int imageCount, Map<String, Integer> items, int progressSum) {}

  record JobQuery(Optional<String> state, Optional<String> trigger, Optional<String> scheduleId, PageRequest page) {}

  /** One image of a job. */
  record ItemRow(String jobId, String imageId, List<String> repoTags, String state, int progress, String hostId,
      String hostName, String requestId, String reason, int attempts, Instant queuedAt, Instant dispatchedAt,
      Instant updatedAt, Instant finishedAt) {}

  /** A host that has an image, and when it was last heard from. */
  record Candidate(String hostId, String hostName, Instant lastSeen) {}

  record PendingItem(String jobId, String imageId, String state, String reason, int attempts,
      List<Candidate> hosts) {}

  record Dispatch(String jobId, String imageId, String hostId, String requestId) {}

  /** An item and a reason (why it waits, failed, was cancelled). */
  record ItemNote(String jobId, String imageId, String reason) {}

  /** {@code hostName} and {@code hostLastSeen} are filled by {@link #inFlight} only. */
  record InFlight(String jobId, String imageId, String state, String hostId, String requestId, int attempts,
      Instant dispatchedAt, Instant updatedAt, String hostName, Instant hostLastSeen) {}

  record Progress(String requestId, String imageId, int percent) {}

  record RequestImage(String requestId, String imageId) {}

  /** An agent's final word on one image of a request: DONE, FAILED or CANCELLED, with its message. */
  record AgentResult(String requestId, String imageId, String outcome, String message) {}

  /** Vulnerability counts of an image at one moment; {@code assessed} false: never matched. */
  record Counts(boolean assessed, int critical, int high, int medium, int low, int negligible, int unknown,
      int total) {
    public static final Counts NONE = new Counts(false, 0, 0, 0, 0, 0, 0, 0);
  }

  /** One finished scan of one image. */
  record ScanRecord(long id, String imageId, String jobId, String hostId, String hostName, String trigger,
      String outcome, String reason, Instant started, Instant finished, Long durationMillis, Counts before,
      Counts after) {}

  record ImageScanStatus(String imageId, String status, String phase, int progress, String reason, String jobId,
      String hostId, Instant updated, Instant lastScannedAt) {}

  record NewImage(String imageId, Instant firstSeen) {}

  record QueuedCommand(long id, String collectorId, String agentId, byte[] command) {}
}
