package io.portolan.collector.schedule;

import io.portolan.collector.scan.JobState;
import io.portolan.collector.scan.ScanJobs;
import io.portolan.collector.scan.ScanRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An in-memory scan service for schedule tests: records every call, keeps job states the way the
 * real one would (pause only while unfinished, cancel makes it final), and lets the test finish jobs.
 */
public final class FakeScanJobs implements ScanJobs {
  public final List<ScanRequest> submitted = new ArrayList<>();
  public final List<String> calls = new ArrayList<>();
  private final Map<String, JobState> states = new LinkedHashMap<>();
  private RuntimeException failure;
  private boolean finishAtOnce;

  @Override
  public synchronized String submit(ScanRequest request) {
    if (failure != null) throw failure;
    String id = "job-" + (submitted.size() + 1);
    submitted.add(request);
    states.put(id, finishAtOnce ? JobState.SUCCEEDED : JobState.RUNNING);
    calls.add("submit " + id);
    return id;
  }

  @Override
  public synchronized Optional<JobState> state(String jobId) {
    if (failure != null) throw failure;
    return Optional.ofNullable(states.get(jobId));
  }

  @Override
  public synchronized void pause(String jobId) {
    calls.add("pause " + jobId);
    if (!states.get(jobId).isFinal()) states.put(jobId, JobState.PAUSED);
  }

  @Override
  public synchronized void resume(String jobId) {
    calls.add("resume " + jobId);
    if (states.get(jobId) == JobState.PAUSED) states.put(jobId, JobState.RUNNING);
  }

  @Override
  public synchronized void cancel(String jobId, String reason) {
    calls.add("cancel " + jobId + ": " + reason);
    if (!states.get(jobId).isFinal()) states.put(jobId, JobState.CANCELLED);
  }

  public synchronized void finish(String jobId, JobState state) {
    states.put(jobId, state);
  }

  public synchronized void failWith(RuntimeException e) {
    failure = e;
  }

  /** Jobs submitted from now on are already SUCCEEDED when the next slot looks. */
  public synchronized void finishAtOnce() {
    finishAtOnce = true;
  }

  public synchronized int submits() {
    return submitted.size();
  }
}
