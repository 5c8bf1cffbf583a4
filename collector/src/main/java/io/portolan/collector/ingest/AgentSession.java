package io.portolan.collector.ingest;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.portolan.collector.ingest.WireMapping.InvalidMessageException;
import io.portolan.collector.store.HostChange;
import io.portolan.proto.agent.v1.Ack;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.CollectorMessage;
import io.portolan.proto.agent.v1.Command;
import io.portolan.proto.agent.v1.Hello;
import io.portolan.proto.agent.v1.Resync;
import io.portolan.proto.agent.v1.Welcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent's stream. gRPC delivers its messages one at a time; durable ones are queued and a
 * worker commits them in batches, acknowledging the highest seq only after the commit, so an ack
 * always means "in the database". The queue is bounded by the agent's in-flight window: an agent
 * that ignores the window is cut off rather than allowed to exhaust memory.
 */
final class AgentSession implements StreamObserver<AgentMessage> {
  private static final Logger log = LoggerFactory.getLogger(AgentSession.class);
  private static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final int MAX_BATCH = 512;
  private static final AgentMessage END = AgentMessage.getDefaultInstance();

  private final AgentStreamService service;
  private final StreamObserver<CollectorMessage> responses;
  private final BlockingQueue<AgentMessage> queue;
  private final RateLimitedLog warnings;
  private volatile String agentId;
  private String agentVersion = "";
  private volatile boolean closed;
  private long committedSeq;

  AgentSession(AgentStreamService service, StreamObserver<CollectorMessage> responses) {
    this.service = service;
    this.responses = responses;
    this.queue = new ArrayBlockingQueue<>(service.settings().maxInFlight() * 2 + 16);
    this.warnings = new RateLimitedLog(log, service.clock(), Duration.ofMinutes(1));
    if (responses instanceof ServerCallStreamObserver<CollectorMessage> call) {
      call.setOnCancelHandler(() -> end("cancelled by agent"));
    }
  }

  @Override
  public void onNext(AgentMessage message) {
    if (closed) return;
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
      case COMMAND_UPDATE -> log.debug("agent {} command {} is {}", agentId,
          message.getCommandUpdate().getRequestId(), message.getCommandUpdate().getStatus());
      case SNAPSHOT, DELTA -> enqueue(message);
      case HELLO -> refuseStream(Status.INVALID_ARGUMENT, "Hello may only be sent once per stream");
      case BODY_NOT_SET -> refuseStream(Status.INVALID_ARGUMENT,
          "message seq " + message.getSeq() + " has no body (unknown message type from a newer agent?)");
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
    long committed;
    try {
      committed = service.store().registerHost(
          id, hello.getAgentVersion(), WireMapping.hostFacts(hello.getHost()), service.clock().instant());
    } catch (InvalidMessageException e) {
      refuseStream(Status.INVALID_ARGUMENT, "invalid Hello: " + e.getMessage());
      return;
    } catch (RuntimeException e) {
      service.metrics().storeFailure();
      warnings.warn("store", "cannot register agent " + id + ": database unavailable: " + e.getMessage());
      refuseStream(Status.UNAVAILABLE, "collector database unavailable; retry later");
      return;
    }
    this.agentId = id;
    this.agentVersion = hello.getAgentVersion();
    this.committedSeq = committed;
    service.attach(id, this);
    send(CollectorMessage.newBuilder()
        .setWelcome(Welcome.newBuilder()
            .setAccepted(true)
            .setCollectorId(service.settings().collectorId())
            .setProtocolVersion(AgentVersionPolicy.PROTOCOL_VERSION)
            .setLastCommittedSeq(committed)
            .setHeartbeatIntervalSeconds((int) service.settings().heartbeatInterval().toSeconds())
            .setMaxInFlight(service.settings().maxInFlight()))
        .build());
    log.info("agent {} connected: host {} agent {} (last committed seq {})",
        id, hello.getHost().getHostName(), hello.getAgentVersion(), committed);
    Thread.ofVirtual().name("ingest-" + id).start(this::drain);
  }

  private void heartbeat(io.portolan.proto.agent.v1.Heartbeat beat) {
    service.touch(agentId);
    if (!beat.hasHost()) return;
    try {
      service.store().registerHost(agentId, agentVersion, WireMapping.hostFacts(beat.getHost()), service.clock().instant());
    } catch (InvalidMessageException e) {
      service.metrics().rejected("invalid");
      warnings.warn("invalid", "agent " + agentId + " sent invalid host facts, ignored: " + e.getMessage());
    } catch (RuntimeException e) {
      service.metrics().storeFailure();
      warnings.warn("store", "cannot update host facts of agent " + agentId + ": " + e.getMessage());
    }
  }

  private void enqueue(AgentMessage message) {
    if (message.getSeq() == 0) {
      refuseStream(Status.INVALID_ARGUMENT, message.getBodyCase() + " needs a seq greater than 0");
      return;
    }
    if (!queue.offer(message)) {
      service.metrics().rejected("window");
      refuseStream(Status.RESOURCE_EXHAUSTED, "agent exceeded its in-flight window of "
          + service.settings().maxInFlight() + " unacknowledged messages");
    }
  }

  /** Commits queued messages in batches until the stream ends. */
  private void drain() {
    List<AgentMessage> batch = new ArrayList<>(MAX_BATCH);
    try {
      while (true) {
        batch.clear();
        AgentMessage first = queue.poll(1, TimeUnit.SECONDS);
        if (first == null) {
          if (closed) return;
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        boolean ending = batch.removeIf(m -> m == END);
        if (!batch.isEmpty() && !commit(batch)) return;
        if (ending) return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean commit(List<AgentMessage> batch) {
    List<HostChange> changes = new ArrayList<>();
    long highest = committedSeq;
    for (AgentMessage m : batch) {
      if (m.getSeq() <= committedSeq) continue; // a replay of something already committed
      highest = Math.max(highest, m.getSeq());
      try {
        changes.addAll(WireMapping.changes(m));
      } catch (InvalidMessageException e) {
        // Acked all the same: a message that can never be valid must not block the agent's outbox.
        service.metrics().rejected("invalid");
        warnings.warn("invalid", "agent " + agentId + " sent an invalid message (seq " + m.getSeq()
            + "), skipped: " + e.getMessage());
      }
    }
    if (highest == committedSeq) {
      ack(highest);
      return true;
    }
    try {
      long seq = highest;
      service.metrics().commit().record(() ->
          service.store().apply(agentId, changes, seq, service.clock().instant()));
    } catch (RuntimeException e) {
      service.metrics().storeFailure();
      warnings.warn("store", "cannot store messages of agent " + agentId
          + "; they stay in its outbox: " + e.getMessage());
      refuseStream(Status.UNAVAILABLE, "collector database unavailable; retry later");
      return false;
    }
    committedSeq = highest;
    ack(highest);
    return true;
  }

  private void ack(long seq) {
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
    queue.offer(END);
    if (agentId != null) {
      service.detach(agentId, this);
      log.info("agent {} disconnected: {}", agentId, why);
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
