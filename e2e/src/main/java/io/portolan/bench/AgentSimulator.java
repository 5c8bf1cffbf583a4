package io.portolan.bench;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.AgentServiceGrpc;
import io.portolan.proto.agent.v1.CollectorMessage;
import io.portolan.proto.agent.v1.Heartbeat;
import io.portolan.proto.agent.v1.Hello;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Many simulated agents speaking the real {@code portolan.agent.v1} protocol over real gRPC: each
 * opens a Connect stream (about a hundred streams share one channel), says Hello, sends its full
 * snapshot once welcomed, and counts as synced when the collector acknowledges the snapshot's last
 * seq. Like a real agent it reconnects after UNAVAILABLE and resends what was not committed.
 */
final class AgentSimulator implements AutoCloseable {
  private static final int MAX_ATTEMPTS = 10;

  /** The outcome of the initial sync; times are System.nanoTime() values. */
  record SyncResult(long firstHelloNanos, long lastAckNanos, int synced, int failed, int reconnects,
      long[] agentMillis, String firstError) {
    double seconds() {
      return (lastAckNanos - firstHelloNanos) / 1e9;
    }
  }

  private final Fleet fleet;
  private final int images;
  private final int containers;
  private final List<SimAgent> agents = new ArrayList<>();
  private final SimChannels channels;
  private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, SimChannels.named("sim-timer"));
  private final Semaphore syncing;
  private final AtomicLong firstHello = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong lastAck = new AtomicLong(Long.MIN_VALUE);
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger reconnects = new AtomicInteger();
  private final AtomicInteger streamErrorsAfterSync = new AtomicInteger();
  private final AtomicReference<String> firstError = new AtomicReference<>();
  private final CountDownLatch done;
  private volatile boolean closing;

  AgentSimulator(int grpcPort, Fleet fleet, int agentCount, int images, int containers, int maxConcurrent) {
    this.fleet = fleet;
    this.images = images;
    this.containers = containers;
    this.syncing = new Semaphore(maxConcurrent <= 0 ? agentCount : maxConcurrent);
    this.done = new CountDownLatch(agentCount);
    this.channels = new SimChannels(grpcPort, agentCount, "sim");
    for (int i = 0; i < agentCount; i++) agents.add(new SimAgent(i + 1, channels.forAgent(i)));
  }

  /** Connects every agent (at most maxConcurrent syncing at once) and waits until all synced or failed. */
  SyncResult sync(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (SimAgent a : agents) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || !syncing.tryAcquire(left, TimeUnit.NANOSECONDS)) break;
      a.connect();
    }
    boolean all = done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    int synced = (int) agents.stream().filter(a -> a.synced).count();
    if (!all) firstError.compareAndSet(null, (agents.size() - synced - failed.get()) + " agents not synced within "
        + timeout.toSeconds() + " s");
    long[] millis = agents.stream().filter(a -> a.synced)
        .mapToLong(a -> (a.ackAt - a.helloAt) / 1_000_000).sorted().toArray();
    return new SyncResult(firstHello.get(), lastAck.get(), synced, agents.size() - synced, reconnects.get(),
        millis, firstError.get());
  }

  /** Every agent sends a heartbeat (seq 0) every {@code interval}, spread evenly, for {@code duration}. */
  long heartbeats(Duration interval, Duration duration) throws InterruptedException {
    AtomicLong sent = new AtomicLong();
    List<ScheduledFuture<?>> tasks = new ArrayList<>();
    long periodMicros = interval.toNanos() / 1000;
    for (int i = 0; i < agents.size(); i++) {
      SimAgent a = agents.get(i);
      long offset = periodMicros * i / agents.size();
      tasks.add(timers.scheduleAtFixedRate(() -> {
        if (a.heartbeat()) sent.incrementAndGet();
      }, offset, periodMicros, TimeUnit.MICROSECONDS));
    }
    Thread.sleep(duration.toMillis());
    tasks.forEach(t -> t.cancel(false));
    return sent.get();
  }

  /** Streams that broke after their agent had synced (should be 0). */
  int streamErrorsAfterSync() {
    return streamErrorsAfterSync.get();
  }

  @Override
  public void close() {
    closing = true;
    agents.forEach(SimAgent::complete);
    timers.shutdownNow();
    channels.close();
  }

  /** One simulated agent and its current stream. */
  private final class SimAgent implements ClientResponseObserver<AgentMessage, CollectorMessage> {
    private final int index;
    private final ManagedChannel channel;
    private ClientCallStreamObserver<AgentMessage> out; // guarded by this
    private List<AgentMessage> snapshot; // guarded by this
    private long lastSeq;
    private int attempts;
    private volatile boolean synced;
    private volatile boolean finished;
    private long helloAt;
    private long ackAt;

    SimAgent(int index, ManagedChannel channel) {
      this.index = index;
      this.channel = channel;
    }

    void connect() {
      attempts++;
      AgentServiceGrpc.newStub(channel).connect(this);
      long t = System.nanoTime();
      if (helloAt == 0) {
        helloAt = t;
        firstHello.accumulateAndGet(t, Math::min);
      }
      send(AgentMessage.newBuilder().setHello(Hello.newBuilder()
          .setProtocolVersion(1)
          .setAgentId(Fleet.agentId(index))
          .setAgentVersion("0.1.0")
          .setLastAckedSeq(synced ? lastSeq : 0)
          .setHost(fleet.host(index))).build());
    }

    @Override
    public synchronized void beforeStart(ClientCallStreamObserver<AgentMessage> requestStream) {
      this.out = requestStream;
    }

    private synchronized boolean send(AgentMessage m) {
      if (out == null) return false;
      try {
        out.onNext(m);
        return true;
      } catch (RuntimeException e) {
        return false;
      }
    }

    boolean heartbeat() {
      return send(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSentAt(SimChannels.now())
          .setImageCount(images).setContainerCount(containers)).build());
    }

    synchronized void complete() {
      if (out == null) return;
      try {
        out.onCompleted();
      } catch (RuntimeException ignored) {
        // already closed
      }
      out = null;
    }

    @Override
    public void onNext(CollectorMessage m) {
      switch (m.getBodyCase()) {
        case WELCOME -> {
          if (!m.getWelcome().getAccepted()) {
            fail("refused: " + m.getWelcome().getReason());
            return;
          }
          welcomed(m.getWelcome().getLastCommittedSeq());
        }
        case ACK -> {
          if (m.getAck().getSeq() >= lastSeq && lastSeq > 0) synced();
        }
        default -> { /* commands (resync) are not simulated */ }
      }
    }

    private void welcomed(long committed) {
      List<AgentMessage> toSend;
      synchronized (this) {
        if (snapshot == null) {
          snapshot = fleet.snapshot(index, images, containers, committed + 1);
          lastSeq = snapshot.get(snapshot.size() - 1).getSeq();
        }
        toSend = snapshot.stream().filter(c -> c.getSeq() > committed).toList();
      }
      if (toSend.isEmpty()) {
        synced();
        return;
      }
      for (AgentMessage chunk : toSend) send(chunk);
    }

    private void synced() {
      synchronized (this) {
        if (synced || finished) return;
        synced = true;
        finished = true;
        snapshot = null; // let the memory go; the collector has it
      }
      ackAt = System.nanoTime();
      lastAck.accumulateAndGet(ackAt, Math::max);
      syncing.release();
      done.countDown();
    }

    private void fail(String why) {
      synchronized (this) {
        if (finished) return;
        finished = true;
      }
      firstError.compareAndSet(null, Fleet.agentId(index) + ": " + why);
      failed.incrementAndGet();
      syncing.release();
      done.countDown();
    }

    @Override
    public void onError(Throwable t) {
      synchronized (this) {
        out = null;
      }
      if (closing) return;
      if (synced) {
        streamErrorsAfterSync.incrementAndGet();
        firstError.compareAndSet(null, Fleet.agentId(index) + " stream broke after sync: " + Status.fromThrowable(t));
        return;
      }
      Status.Code code = Status.fromThrowable(t).getCode();
      boolean retriable = code == Status.Code.UNAVAILABLE || code == Status.Code.ABORTED
          || code == Status.Code.RESOURCE_EXHAUSTED || code == Status.Code.DEADLINE_EXCEEDED;
      if (retriable && attempts < MAX_ATTEMPTS) {
        reconnects.incrementAndGet();
        long backoff = 500 + ThreadLocalRandom.current().nextLong(1500L * attempts);
        timers.schedule(this::connect, backoff, TimeUnit.MILLISECONDS);
      } else {
        fail("stream failed after " + attempts + " attempt(s): " + Status.fromThrowable(t));
      }
    }

    @Override
    public void onCompleted() {
      synchronized (this) {
        out = null;
      }
      if (!closing && !synced) fail("the collector ended the stream before acknowledging the snapshot");
    }
  }
}
