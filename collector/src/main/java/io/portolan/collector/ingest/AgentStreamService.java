package io.portolan.collector.ingest;

import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.portolan.collector.store.Store;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.AgentServiceGrpc;
import io.portolan.proto.agent.v1.CollectorMessage;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's end of {@code AgentService.Connect}: one {@link AgentSession} per connected agent,
 * plus the batching of heartbeats so thousands of agents cost one UPDATE a second.
 */
public final class AgentStreamService extends AgentServiceGrpc.AgentServiceImplBase implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentStreamService.class);

  /**
   * How sessions behave; the first three are sent to agents in the Welcome. {@code maxMessageBytes}
   * is enforced here, below the transport's own hard limit, so an agent is told why it was cut off
   * (a transport-level refusal reaches the client only as a reset stream).
   */
  public record Settings(
      String collectorId, Duration heartbeatInterval, int maxInFlight, int maxMessageBytes, int writerThreads) {}

  private final Store store;
  private final Clock clock;
  private final AgentVersionPolicy policy;
  private final Settings settings;
  private final IngestMetrics metrics;
  private final ConcurrentHashMap<String, AgentSession> sessions = new ConcurrentHashMap<>();
  private final Set<String> touched = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService heartbeatFlusher;
  private final IngestWriter writer;
  private final LayerOffers offers;
  private volatile AgentEvents events = AgentEvents.NONE;

  public AgentStreamService(
      Store store, Clock clock, AgentVersionPolicy policy, Settings settings, MeterRegistry registry) {
    this.store = store;
    this.clock = clock;
    this.policy = policy;
    this.settings = settings;
    this.metrics = new IngestMetrics(registry);
    this.writer = new IngestWriter(store, clock, metrics, settings.writerThreads());
    this.offers = new LayerOffers(store, metrics);
    Gauge.builder("portolan_collector_connected_agents", sessions, ConcurrentHashMap::size)
        .description("Agents with an open stream to this collector")
        .register(registry);
    this.heartbeatFlusher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "heartbeat-flusher");
      t.setDaemon(true);
      return t;
    });
    heartbeatFlusher.scheduleWithFixedDelay(this::flushHeartbeats, 1, 1, TimeUnit.SECONDS);
  }

  /** Tells {@code listener} which images got a new inventory, after each commit. */
  public void onInventories(java.util.function.Consumer<java.util.Collection<String>> listener) {
    writer.onInventories(listener);
  }

  /** Tells {@code listener} about sessions, command updates and committed scan results. */
  public void onAgentEvents(AgentEvents listener) {
    this.events = listener;
    writer.onScanResults(listener::scanResults);
  }

  AgentEvents events() {
    return events;
  }

  /** Sends a command down the agent's stream if this collector holds it; false otherwise. */
  public boolean send(String agentId, io.portolan.proto.agent.v1.Command command) {
    AgentSession s = sessions.get(agentId);
    return s != null && s.sendCommand(command);
  }

  /** Agents with an open stream to this collector. */
  public Set<String> connectedAgentIds() {
    return Set.copyOf(sessions.keySet());
  }

  @Override
  public StreamObserver<AgentMessage> connect(StreamObserver<CollectorMessage> responses) {
    return new AgentSession(this, responses);
  }

  /** This collector's ID, as agents see it in the Welcome. */
  public String collectorId() {
    return settings.collectorId();
  }

  public int connectedAgents() {
    return sessions.size();
  }

  /** Whether an agent has an open stream to this collector right now. */
  public boolean isConnected(String agentId) {
    return sessions.containsKey(agentId);
  }

  Store store() {
    return store;
  }

  Clock clock() {
    return clock;
  }

  AgentVersionPolicy policy() {
    return policy;
  }

  Settings settings() {
    return settings;
  }

  IngestMetrics metrics() {
    return metrics;
  }

  IngestWriter writer() {
    return writer;
  }

  LayerOffers offers() {
    return offers;
  }

  /** Registers a session, superseding an older stream of the same agent (a reconnect that raced). */
  void attach(String agentId, AgentSession session) {
    AgentSession previous = sessions.put(agentId, session);
    if (previous != null && previous != session) previous.supersede();
  }

  void detach(String agentId, AgentSession session) {
    sessions.remove(agentId, session);
  }

  void touch(String agentId) {
    touched.add(agentId);
  }

  private void flushHeartbeats() {
    if (touched.isEmpty()) return;
    var batch = Set.copyOf(touched);
    touched.removeAll(batch);
    try {
      store.touchHosts(batch, clock.instant());
    } catch (RuntimeException e) {
      metrics.storeFailure();
      log.warn("could not record heartbeats of {} agents: {}", batch.size(), e.getMessage());
      touched.addAll(batch);
    }
  }

  @Override
  public void close() {
    heartbeatFlusher.shutdownNow();
    sessions.values().forEach(AgentSession::shutdown);
    writer.close();
    offers.close();
    flushHeartbeats();
  }
}
