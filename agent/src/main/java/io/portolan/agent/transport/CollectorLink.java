package io.portolan.agent.transport;

import com.google.protobuf.Timestamp;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.portolan.agent.cache.AgentState;
import io.portolan.agent.logging.StateChangeLog;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.AgentServiceGrpc;
import io.portolan.proto.agent.v1.CollectorMessage;
import io.portolan.proto.agent.v1.Command;
import io.portolan.proto.agent.v1.CommandStatus;
import io.portolan.proto.agent.v1.CommandUpdate;
import io.portolan.proto.agent.v1.Heartbeat;
import io.portolan.proto.agent.v1.Hello;
import io.portolan.proto.agent.v1.HostFacts;
import io.portolan.proto.agent.v1.Welcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one gRPC {@code Connect} stream to the collector: says Hello, replays the outbox
 * from what the collector last committed, keeps a bounded window of unacknowledged messages in
 * flight, answers commands and reconnects with jittered backoff when the stream breaks.
 *
 * <p>All state lives on one scheduler thread; gRPC callbacks only hand work to it. The outbox is
 * the only thing shared with the rest of the agent, which keeps appending while disconnected.
 */
public final class CollectorLink implements AutoCloseable {

  /** Protocol version of {@code portolan.agent.v1}, sent in every Hello. */
  public static final int PROTOCOL_VERSION = 1;
  /** The largest collector message accepted, set explicitly on both sides of the wire. */
  public static final int MAX_INBOUND_MESSAGE_BYTES = 16 * 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(CollectorLink.class);

  /** Tunables of the link; the collector's Welcome may override heartbeat and window. */
  public record Settings(
      Duration heartbeatInterval,
      Duration reconnectMin,
      Duration reconnectMax,
      int maxInFlight,
      Duration welcomeTimeout) {

    public Settings {
      Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
      Objects.requireNonNull(reconnectMin, "reconnectMin");
      Objects.requireNonNull(reconnectMax, "reconnectMax");
      Objects.requireNonNull(welcomeTimeout, "welcomeTimeout");
      if (heartbeatInterval.isZero() || heartbeatInterval.isNegative()) {
        throw new IllegalArgumentException("heartbeatInterval must be positive");
      }
      if (maxInFlight < 1) {
        throw new IllegalArgumentException("maxInFlight must be at least 1");
      }
    }
  }

  /** The size of the inventory, reported in heartbeats. */
  public record InventorySize(int images, int containers) {
  }

  /** A point-in-time view of the link, for status pages and tests. */
  public record LinkStatus(boolean connected, long lastAckedSeq, int inFlight, int outboxDepth) {
  }

  private final String target;
  private final AgentState state;
  private final String agentVersion;
  private final Supplier<HostFacts> hostFacts;
  private final Supplier<InventorySize> inventorySize;
  private final Runnable requestResync;
  private final Settings settings;
  private final Clock clock;
  private final Backoff backoff;
  private final StateChangeLog stateLog;
  private final ScheduledExecutorService loop;

  private volatile InventoryExchange inventory = InventoryExchange.NONE;
  private volatile CommandHandler commands = CommandHandler.NONE;
  private Session current;
  private ScheduledFuture<?> pendingReconnect;
  private boolean started;
  private boolean closed;
  private volatile boolean connected;
  private volatile int inFlight;

  public CollectorLink(
      String target,
      AgentState state,
      String agentVersion,
      Supplier<HostFacts> hostFacts,
      Supplier<InventorySize> inventorySize,
      Runnable requestResync,
      Settings settings,
      Clock clock,
      RandomGenerator random) {
    this.target = Objects.requireNonNull(target, "target");
    this.state = Objects.requireNonNull(state, "state");
    this.agentVersion = Objects.requireNonNull(agentVersion, "agentVersion");
    this.hostFacts = Objects.requireNonNull(hostFacts, "hostFacts");
    this.inventorySize = Objects.requireNonNull(inventorySize, "inventorySize");
    this.requestResync = Objects.requireNonNull(requestResync, "requestResync");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.backoff = new Backoff(settings.reconnectMin(), settings.reconnectMax(), random);
    this.stateLog = new StateChangeLog(LOG, clock, Duration.ofMinutes(1));
    this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "portolan-collector-link");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * The other end of the layer inventory exchange: told when a stream is (re)established, so it
   * re-offers its images, and handed the collector's wants.
   */
  public interface InventoryExchange {
    InventoryExchange NONE = new InventoryExchange() {
      @Override
      public void connected() {}

      @Override
      public void wanted(io.portolan.proto.agent.v1.LayerWant want) {}
    };

    void connected();

    void wanted(io.portolan.proto.agent.v1.LayerWant want);
  }

  /** Set once while wiring, before {@link #start()} (the exchange needs the link to send). */
  public void setInventoryExchange(InventoryExchange exchange) {
    this.inventory = Objects.requireNonNull(exchange, "exchange");
  }

  /**
   * Takes the collector's commands beyond Resync (scans, cancels). {@link #handle} runs on the
   * link's own thread: it must hand the work off at once and report through its own updates.
   */
  @FunctionalInterface
  public interface CommandHandler {
    CommandHandler NONE = command -> false;

    /** Returns false for a command it does not know, which the link then rejects. */
    boolean handle(Command command);
  }

  /** Set once while wiring, before {@link #start()}. */
  public void setCommandHandler(CommandHandler handler) {
    this.commands = Objects.requireNonNull(handler, "handler");
  }

  /**
   * Sends a message that needs no acknowledgement (seq 0), such as a layer offer, if a stream is
   * up; returns whether it was handed to the stream. Offers are repeated on every reconnect.
   */
  public boolean sendNow(AgentMessage message) {
    if (message.getSeq() != 0) throw new IllegalArgumentException("durable messages go through the outbox");
    java.util.concurrent.CompletableFuture<Boolean> sent = new java.util.concurrent.CompletableFuture<>();
    run(() -> {
      Session s = current;
      if (s != null && s.isWelcomed()) {
        s.sendEphemeral(message);
        sent.complete(true);
      } else {
        sent.complete(false);
      }
    });
    try {
      return sent.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      return false;
    }
  }

  /** Dials the collector; returns at once, connecting and reconnecting happen in the background. */
  public void start() {
    run(() -> {
      if (!started && !closed) {
        started = true;
        connect();
      }
    });
  }

  /** Tells the link that the outbox grew, so it sends what the window allows. */
  public void outboxChanged() {
    run(() -> {
      if (current != null) {
        current.pump();
      }
    });
  }

  /** Whether a stream is open and the collector has welcomed this agent. */
  public boolean isConnected() {
    return connected;
  }

  public LinkStatus status() {
    return new LinkStatus(connected, state.lastAckedSeq(), inFlight, state.outboxDepth());
  }

  @Override
  public void close() {
    run(() -> {
      closed = true;
      if (pendingReconnect != null) {
        pendingReconnect.cancel(false);
      }
      if (current != null) {
        current.end(true);
        current = null;
      }
      connected = false;
    });
    loop.shutdown();
    try {
      if (!loop.awaitTermination(5, TimeUnit.SECONDS)) {
        loop.shutdownNow();
      }
    } catch (InterruptedException e) {
      loop.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private void run(Runnable task) {
    try {
      loop.execute(() -> {
        try {
          task.run();
        } catch (RuntimeException e) {
          // A bug or a failing outbox must not kill the only link thread silently.
          LOG.error("collector link task failed", e);
        }
      });
    } catch (RejectedExecutionException e) {
      // Closed: late gRPC callbacks have nothing left to do.
    }
  }

  private void connect() {
    if (closed) {
      return;
    }
    pendingReconnect = null;
    ManagedChannel channel = NettyChannelBuilder.forTarget(target)
        .usePlaintext()
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
        // A collector that vanishes without closing the connection is noticed within a minute,
        // not only when a heartbeat write fails; the collector permits pings every 10 s.
        .keepAliveTime(30, java.util.concurrent.TimeUnit.SECONDS)
        .keepAliveTimeout(20, java.util.concurrent.TimeUnit.SECONDS)
        .build();
    Session session = new Session(channel);
    current = session;
    session.open();
  }

  private void scheduleReconnect(Duration delay) {
    if (closed) {
      return;
    }
    pendingReconnect = loop.schedule(() -> {
      try {
        connect();
      } catch (RuntimeException e) {
        LOG.error("collector link cannot dial {}", target, e);
        scheduleReconnect(backoff.next());
      }
    }, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private static String describe(Throwable t) {
    Status status = Status.fromThrowable(t);
    StringBuilder reason = new StringBuilder(status.getCode().toString());
    if (status.getDescription() != null) {
      reason.append(": ").append(status.getDescription());
    }
    Throwable cause = status.getCause();
    while (cause != null && cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    if (cause != null && cause.getMessage() != null) {
      reason.append(" (").append(cause.getMessage()).append(')');
    }
    return reason.toString();
  }

  private Timestamp now() {
    Instant now = clock.instant();
    return Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
  }

  /** One Connect stream; callbacks from an older session are ignored. */
  private final class Session {
    private final ManagedChannel channel;
    private final NavigableSet<Long> unacked = new TreeSet<>();
    private StreamObserver<AgentMessage> requests;
    private ScheduledFuture<?> welcomeTimeout;
    private ScheduledFuture<?> heartbeat;
    private boolean welcomed;
    /** The host facts the collector last received, so heartbeats carry them only when they change. */
    private HostFacts sentFacts;
    private boolean ended;
    private long sentUpTo;
    private int window;

    Session(ManagedChannel channel) {
      this.channel = channel;
    }

    void open() {
      requests = AgentServiceGrpc.newStub(channel).connect(new StreamObserver<>() {
        @Override
        public void onNext(CollectorMessage message) {
          run(() -> handle(message));
        }

        @Override
        public void onError(Throwable t) {
          String reason = describe(t);
          run(() -> lost(reason));
        }

        @Override
        public void onCompleted() {
          run(() -> lost("collector closed the stream"));
        }
      });
      Hello hello = Hello.newBuilder()
          .setProtocolVersion(PROTOCOL_VERSION)
          .setAgentId(state.agentId())
          .setAgentVersion(agentVersion)
          .setLastAckedSeq(state.lastAckedSeq())
          .setHost(sentFacts = hostFacts.get())
          .build();
      send(AgentMessage.newBuilder().setSeq(0).setHello(hello).build());
      welcomeTimeout = loop.schedule(
          () -> {
            if (current == this && !welcomed) {
              lost("no Welcome within " + settings.welcomeTimeout().toSeconds() + " s");
            }
          },
          settings.welcomeTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void handle(CollectorMessage message) {
      if (current != this || ended) {
        return;
      }
      switch (message.getBodyCase()) {
        case WELCOME -> welcome(message.getWelcome());
        case ACK -> ack(message.getAck().getSeq());
        case COMMAND -> command(message.getCommand());
        case LAYER_WANT -> inventory.wanted(message.getLayerWant());
        case BODY_NOT_SET -> LOG.debug("ignoring a collector message of a newer protocol");
      }
    }

    private void welcome(Welcome welcome) {
      if (welcomed) {
        return;
      }
      welcomeTimeout.cancel(false);
      if (!welcome.getAccepted()) {
        // Refusal is a configuration problem (protocol, identity), not a network blip: be loud, retry slowly.
        stateLog.warn("refused:" + welcome.getReason(), "collector at " + target
            + " REFUSED this agent (" + state.agentId() + "): " + welcome.getReason()
            + "; retrying in " + settings.reconnectMax().toSeconds() + " s");
        end(true);
        current = null;
        connected = false;
        scheduleReconnect(settings.reconnectMax());
        return;
      }
      welcomed = true;
      backoff.reset();
      window = welcome.getMaxInFlight() > 0 ? welcome.getMaxInFlight() : settings.maxInFlight();
      long committed = welcome.getLastCommittedSeq();
      if (committed > 0) {
        state.ack(committed);
      }
      sentUpTo = committed;
      connected = true;
      stateLog.info("connected", "connected to collector " + target
          + (welcome.getCollectorId().isEmpty() ? "" : " (" + welcome.getCollectorId() + ")")
          + ", committed seq " + committed + ", outbox " + state.outboxDepth() + ", window " + window);
      pump();
      Duration every = welcome.getHeartbeatIntervalSeconds() > 0
          ? Duration.ofSeconds(welcome.getHeartbeatIntervalSeconds())
          : settings.heartbeatInterval();
      heartbeat = loop.scheduleAtFixedRate(
          this::heartbeat, every.toNanos(), every.toNanos(), TimeUnit.NANOSECONDS);
      // Whatever happened while disconnected (or was compacted away) heals through a fresh snapshot.
      requestResync.run();
      inventory.connected();
    }

    boolean isWelcomed() {
      return welcomed && !ended;
    }

    void sendEphemeral(AgentMessage message) {
      send(message);
    }

    private void ack(long seq) {
      state.ack(seq);
      unacked.headSet(seq, true).clear();
      inFlight = unacked.size();
      pump();
    }

    private void command(Command command) {
      CommandUpdate.Builder update = CommandUpdate.newBuilder().setRequestId(command.getRequestId());
      if (command.hasResync()) {
        requestResync.run();
        update.setStatus(CommandStatus.COMMAND_STATUS_DONE).setMessage("resync requested");
      } else if (commands.handle(command)) {
        return;
      } else {
        update.setStatus(CommandStatus.COMMAND_STATUS_REJECTED)
            .setMessage("command not supported by agent " + agentVersion);
      }
      send(AgentMessage.newBuilder().setSeq(0).setCommandUpdate(update).build());
    }

    private void heartbeat() {
      if (current != this || ended) {
        return;
      }
      InventorySize size = inventorySize.get();
      Heartbeat.Builder beat = Heartbeat.newBuilder()
          .setSentAt(now())
          .setOutboxDepth(state.outboxDepth())
          .setImageCount(size.images())
          .setContainerCount(size.containers());
      HostFacts facts = hostFacts.get();
      if (!facts.equals(sentFacts)) {
        beat.setHost(facts);
        sentFacts = facts;
      }
      send(AgentMessage.newBuilder().setSeq(0).setHeartbeat(beat).build());
    }

    void pump() {
      if (!welcomed || ended) {
        return;
      }
      while (unacked.size() < window) {
        List<AgentMessage> batch = state.pending(sentUpTo, window - unacked.size());
        if (batch.isEmpty()) {
          break;
        }
        for (AgentMessage message : batch) {
          send(message);
          unacked.add(message.getSeq());
          sentUpTo = message.getSeq();
        }
      }
      inFlight = unacked.size();
    }

    private void send(AgentMessage message) {
      try {
        requests.onNext(message);
      } catch (RuntimeException e) {
        lost("cannot send: " + e.getMessage());
      }
    }

    private void lost(String reason) {
      if (current != this || ended) {
        return;
      }
      end(false);
      current = null;
      boolean wasConnected = connected;
      connected = false;
      Duration delay = backoff.next();
      String what = wasConnected ? "disconnected from collector " : "collector unreachable at ";
      stateLog.warn("lost:" + reason, what + target + ": " + reason
          + "; outbox " + state.outboxDepth() + ", retrying within " + delay.toMillis() + " ms");
      scheduleReconnect(delay);
    }

    void end(boolean graceful) {
      if (ended) {
        return;
      }
      ended = true;
      welcomed = false;
      unacked.clear();
      inFlight = 0;
      if (welcomeTimeout != null) {
        welcomeTimeout.cancel(false);
      }
      if (heartbeat != null) {
        heartbeat.cancel(false);
      }
      if (graceful) {
        try {
          requests.onCompleted();
        } catch (RuntimeException e) {
          // The stream is already gone; closing the channel below is all that is left.
        }
      }
      channel.shutdownNow();
    }
  }
}
