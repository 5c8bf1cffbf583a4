package io.portolan.collector.ingest;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.portolan.collector.ingest.WireMapping.InvalidMessageException;
import io.portolan.collector.store.HostChange;
import io.portolan.collector.store.IngestBatch;
import io.portolan.proto.agent.v1.Ack;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.CollectorMessage;
import io.portolan.proto.agent.v1.Command;
import io.portolan.proto.agent.v1.Heartbeat;
import io.portolan.proto.agent.v1.Hello;
import io.portolan.proto.agent.v1.Resync;
import io.portolan.proto.agent.v1.Welcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent's stream. Durable messages wait here until the {@link IngestWriter} commits them with
 * other agents' work; the highest seq is acknowledged only after that commit, so an ack always means
 * "in the database". gRPC flow control is manual: the session asks the transport for the next
 * message only while it holds few uncommitted ones, so a slow database throttles agents instead of
 * filling the collector's memory.
 */
final class AgentSession implements StreamObserver<AgentMessage> {
  private static final Logger log = LoggerFactory.getLogger(AgentSession.class);
  private static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  /** Uncommitted messages held before the session stops reading from the transport. */
  private static final int MAX_PENDING = 64;

  private final AgentStreamService service;
  private final StreamObserver<CollectorMessage> responses;
  private final ServerCallStreamObserver<CollectorMessage> call;
  private final RateLimitedLog warnings;
  private final ConcurrentLinkedQueue<AgentMessage> pending = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pendingCount = new AtomicInteger();
  private final AtomicReference<IngestBatch.Registration> registration = new AtomicReference<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicBoolean inFlight = new AtomicBoolean();
  private final AtomicBoolean readPaused = new AtomicBoolean();
  private volatile String agentId;
  private volatile String agentVersion = "";
  private volatile boolean welcomed;
  private volatile boolean closed;
  /** Written only by the writer that holds {@link #inFlight}. */
  private long committedSeq = -1;

  AgentSession(AgentStreamService service, StreamObserver<CollectorMessage> responses) {
    this.service = service;
    this.responses = responses;
    this.warnings = new RateLimitedLog(log, service.clock(), Duration.ofMinutes(1));
    this.call = responses instanceof ServerCallStreamObserver<CollectorMessage> c ? c : null;
    if (call != null) {
      call.setOnCancelHandler(() -> end("cancelled by agent"));
      call.disableAutoRequest();
      call.request(1);
    }
  }

  @Override
  public void onNext(AgentMessage message) {
    if (closed) return;
    try {
      receive(message);
    } finally {
      readMore();
    }
  }

  private void receive(AgentMessage message) {
    service.metrics().message(message.getBodyCase().name().toLowerCase());
    int size = message.getSerializedSize();
    if (size > service.settings().maxMessageBytes()) {
      refuseStream(Status.RESOURCE_EXHAUSTED, "message seq " + message.getSeq() + " is " + size
          + " bytes, over this collector's limit of " + service.settings().maxMessageBytes()
          + "; nothing after the last ack was stored");
      return;
    }
    if (agentId == null) {
      if (message.getBodyCase() != AgentMessage.BodyCase.HELLO) {
        refuseStream(Status.INVALID_ARGUMENT, "the first message on a stream must be Hello, got "
            + message.getBodyCase());
        return;
      }
      hello(message.getHello());
      return;
    }
    switch (message.getBodyCase()) {
      case HEARTBEAT -> heartbeat(message.getHeartbeat());
      case COMMAND_UPDATE -> {
        // Results come through the outbox (seq > 0) and are committed like inventories; progress is best effort.
        if (message.getSeq() > 0) enqueue(message);
        else service.events().commandUpdate(agentId, message.getCommandUpdate());
      }
      case SNAPSHOT, DELTA, LAYER_INVENTORY, IMAGE_INVENTORY -> enqueue(message);
      case LAYER_OFFER -> {
        if (welcomed) service.offers().answer(this, message.getLayerOffer());
      }
      case HELLO -> refuseStream(Status.INVALID_ARGUMENT, "Hello may only be sent once per stream");
      default -> refuseStream(Status.INVALID_ARGUMENT, "message seq " + message.getSeq() + " has type "
          + message.getBodyCase() + ", which this collector does not handle yet");
    }
  }

  private void hello(Hello hello) {
    String id = hello.getAgentId();
    if (!AGENT_ID.matcher(id).matches()) {
      refuseStream(Status.INVALID_ARGUMENT, "agent_id must be 1-128 characters of [A-Za-z0-9._:-]");
      return;
    }
    var refusal = service.policy().refusal(hello.getProtocolVersion(), hello.getAgentVersion());
    if (refusal.isPresent()) {
      service.metrics().rejected("version");
      log.warn("refused agent {} ({}): {}", id, hello.getHost().getHostName(), refusal.get());
      send(CollectorMessage.newBuilder()
          .setWelcome(Welcome.newBuilder()
              .setAccepted(false)
              .setReason(refusal.get())
              .setCollectorId(service.settings().collectorId())
              .setProtocolVersion(AgentVersionPolicy.PROTOCOL_VERSION))
          .build());
      closeWith(Status.FAILED_PRECONDITION, refusal.get());
      return;
    }
    IngestBatch.Registration r;
    try {
      r = new IngestBatch.Registration(hello.getAgentVersion(), WireMapping.hostFacts(hello.getHost()));
    } catch (InvalidMessageException e) {
      refuseStream(Status.INVALID_ARGUMENT, "invalid Hello: " + e.getMessage());
      return;
    }
    agentId = id;
    registration.set(r);
    service.attach(id, this);
    service.writer().schedule(this);
  }

  private void heartbeat(Heartbeat beat) {
    service.touch(agentId);
    if (!beat.hasHost()) return;
    try {
      registration.set(new IngestBatch.Registration(
          registration.get() != null ? registration.get().agentVersion() : agentVersion,
          WireMapping.hostFacts(beat.getHost())));
      service.writer().schedule(this);
    } catch (InvalidMessageException e) {
      service.metrics().rejected("invalid");
      warnings.warn("invalid", "agent " + agentId + " sent invalid host facts, ignored: " + e.getMessage());
    }
  }

  private void enqueue(AgentMessage message) {
    if (!welcomed) {
      refuseStream(Status.FAILED_PRECONDITION, "wait for the Welcome before sending " + message.getBodyCase());
      return;
    }
    if (message.getSeq() == 0) {
      refuseStream(Status.INVALID_ARGUMENT, message.getBodyCase() + " needs a seq greater than 0");
      return;
    }
    pending.add(message);
    pendingCount.incrementAndGet();
    service.writer().schedule(this);
  }

  /** Asks the transport for the next message unless too much is waiting for the database. */
  private void readMore() {
    if (call == null || closed) return;
    if (pendingCount.get() < MAX_PENDING) call.request(1);
    else readPaused.set(true);
  }

  boolean markScheduled() {
    return !closed && scheduled.compareAndSet(false, true);
  }

  void clearScheduled() {
    scheduled.set(false);
  }

  /** What a writer commits for this session: a registration and/or durable messages. */
  final class Work {
    private final IngestBatch batch;
    private final boolean registering;
    private final int messageCount;
    private final List<io.portolan.proto.agent.v1.LayerWant> wants;

    private Work(IngestBatch batch, boolean registering, int messageCount,
        List<io.portolan.proto.agent.v1.LayerWant> wants) {
      this.batch = batch;
      this.registering = registering;
      this.messageCount = messageCount;
      this.wants = wants;
    }

    IngestBatch batch() {
      return batch;
    }

    int messageCount() {
      return messageCount;
    }

    void committed(long seq) {
      try {
        AgentSession.this.committed(this, seq);
      } finally {
        release();
      }
    }

    void failed(Exception e) {
      try {
        warnings.warn("store", "cannot store messages of agent " + agentId
            + "; they stay in its outbox: " + e.getMessage());
        refuseStream(Status.UNAVAILABLE, "collector database unavailable; retry later");
      } finally {
        release();
      }
    }
  }

  /** Takes up to {@code maxMessages} for one commit, or null when another writer holds this session. */
  Work takeWork(int maxMessages) {
    if (!inFlight.compareAndSet(false, true)) return null;
    IngestBatch.Registration r = registration.getAndSet(null);
    List<HostChange> changes = new ArrayList<>();
    List<io.portolan.collector.store.ScanStore.AgentResult> scanResults = new ArrayList<>();
    InventoryBatch inventory = new InventoryBatch(service.store());
    long highest = 0;
    int taken = 0;
    AgentMessage m;
    while (taken < maxMessages && (m = pending.poll()) != null) {
      taken++;
      pendingCount.decrementAndGet();
      if (m.getSeq() <= committedSeq) continue; // a replay of something already committed
      highest = Math.max(highest, m.getSeq());
      try {
        switch (m.getBodyCase()) {
          case LAYER_INVENTORY -> inventory.layer(m.getLayerInventory());
          case IMAGE_INVENTORY -> inventory.image(m.getImageInventory());
          case COMMAND_UPDATE -> WireMapping.scanResult(m.getCommandUpdate()).ifPresent(scanResults::add);
          default -> changes.addAll(WireMapping.changes(m));
        }
      } catch (InvalidMessageException e) {
        // Acked all the same: a message that can never be valid must not block the agent's outbox.
        service.metrics().rejected("invalid");
        warnings.warn("invalid", "agent " + agentId + " sent an invalid message (seq " + m.getSeq()
            + "), skipped: " + e.getMessage());
      }
    }
    if (readPaused.compareAndSet(true, false) && call != null && !closed) call.request(1);
    if (r == null && taken == 0) {
      inFlight.set(false);
      return null;
    }
    if (r == null && highest == 0) {
      // Only replays: acknowledge again so the agent can trim its outbox.
      ack(committedSeq);
      inFlight.set(false);
      return null;
    }
    List<io.portolan.collector.store.InventoryChange> results;
    try {
      results = inventory.resolve();
    } catch (RuntimeException e) {
      // The database could not be read: nothing of this work is committed, the agent resends it.
      inFlight.set(false);
      warnings.warn("store", "cannot read layer units for agent " + agentId + ": " + e.getMessage());
      refuseStream(Status.UNAVAILABLE, "collector database unavailable; retry later");
      return null;
    }
    return new Work(new IngestBatch(agentId, Optional.ofNullable(r), changes, results, scanResults, highest),
        r != null, taken, inventory.wants());
  }

  private void committed(Work w, long seq) {
    if (w.registering && !welcomed) {
      committedSeq = Math.max(committedSeq, seq);
      welcome(w.batch.registration().orElseThrow(), seq);
    } else if (seq > committedSeq) {
      committedSeq = seq;
    }
    if (w.batch.lastSeq() > 0) ack(committedSeq);
    // Images whose units had not all arrived: ask for the rest; the agent then resends the image.
    w.wants.forEach(this::sendWant);
  }

  void sendWant(io.portolan.proto.agent.v1.LayerWant want) {
    send(CollectorMessage.newBuilder().setLayerWant(want).build());
  }

  private void release() {
    inFlight.set(false);
    if (!pending.isEmpty() || registration.get() != null) service.writer().schedule(this);
  }

  private void welcome(IngestBatch.Registration r, long committed) {
    agentVersion = r.agentVersion();
    welcomed = true;
    send(CollectorMessage.newBuilder()
        .setWelcome(Welcome.newBuilder()
            .setAccepted(true)
            .setCollectorId(service.settings().collectorId())
            .setProtocolVersion(AgentVersionPolicy.PROTOCOL_VERSION)
            .setLastCommittedSeq(Math.max(0, committed))
            .setHeartbeatIntervalSeconds((int) service.settings().heartbeatInterval().toSeconds())
            .setMaxInFlight(service.settings().maxInFlight()))
        .build());
    log.info("agent {} connected: host {} agent {} (last committed seq {})",
        agentId, r.facts().hostName(), r.agentVersion(), committed);
    service.events().connected(agentId);
  }

  /** Sends a collector command (scan, cancel) down this stream; false when the stream is gone. */
  boolean sendCommand(Command command) {
    if (closed || !welcomed) return false;
    send(CollectorMessage.newBuilder().setCommand(command).build());
    return !closed;
  }

  private void ack(long seq) {
    if (seq < 0) return;
    send(CollectorMessage.newBuilder().setAck(Ack.newBuilder().setSeq(seq)).build());
  }

  /** Asks the agent for a fresh full snapshot. */
  void requestResync() {
    send(CollectorMessage.newBuilder()
        .setCommand(Command.newBuilder().setRequestId(UUID.randomUUID().toString())
            .setResync(Resync.getDefaultInstance()))
        .build());
  }

  @Override
  public void onError(Throwable t) {
    Status status = Status.fromThrowable(t);
    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED || status.getCode() == Status.Code.INTERNAL) {
      // The transport refused a frame (too large or undecodable): the agent only sees a reset.
      service.metrics().rejected(status.getCode().name().toLowerCase());
      warnings.warn("transport", "stream of agent " + (agentId == null ? "(before Hello)" : agentId)
          + " refused by the transport: " + status.getDescription());
    }
    end("stream error: " + status.getCode());
  }

  @Override
  public void onCompleted() {
    end("agent closed the stream");
    synchronized (responses) {
      try {
        responses.onCompleted();
      } catch (IllegalStateException ignored) {
        // Already closed by a refusal.
      }
    }
  }

  void supersede() {
    refuseStream(Status.ABORTED, "superseded by a newer connection of the same agent");
  }

  void shutdown() {
    refuseStream(Status.UNAVAILABLE, "collector shutting down");
  }

  private void end(String why) {
    if (closed) return;
    closed = true;
    if (agentId != null) {
      service.detach(agentId, this);
      log.info("agent {} disconnected: {}", agentId, why);
      service.events().disconnected(agentId);
    }
  }

  private void refuseStream(Status status, String description) {
    if (!closed && status.getCode() != Status.Code.UNAVAILABLE && status.getCode() != Status.Code.ABORTED) {
      service.metrics().rejected(status.getCode().name().toLowerCase());
      warnings.warn("refused", "closing stream of agent " + (agentId == null ? "(before Hello)" : agentId)
          + ": " + description);
    }
    closeWith(status, description);
  }

  private void closeWith(Status status, String description) {
    boolean wasClosed = closed;
    end(description);
    if (wasClosed) return;
    synchronized (responses) {
      try {
        responses.onError(status.withDescription(description).asRuntimeException());
      } catch (IllegalStateException ignored) {
        // The call is already closed.
      }
    }
  }

  private void send(CollectorMessage message) {
    synchronized (responses) {
      if (closed && !message.hasWelcome()) return;
      try {
        responses.onNext(message);
      } catch (RuntimeException e) {
        end("send failed: " + e.getMessage());
      }
    }
  }
}
