package io.portolan.agent;

import io.portolan.agent.cache.AgentState;
import io.portolan.agent.docker.DockerImages;
import io.portolan.agent.docker.DockerLayerReader;
import io.portolan.agent.inventory.InventoryFeed;
import io.portolan.agent.inventory.InventoryScheduler;
import io.portolan.agent.inventory.ScanCommands;
import io.portolan.inventory.Analyzers;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.lang.java.Sha1Index;
import io.portolan.agent.docker.DockerWatcher;
import io.portolan.agent.transport.CollectorLink;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent daemon: watches the local Docker engine, keeps what it sees in a durable outbox and
 * streams it to the collector. The whole object graph is wired here, by hand.
 */
public final class Agent implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
  /** Used when the classes are not running from the packaged jar (IDE, tests). */
  static final String DEV_VERSION = "dev";
  private static final Duration ENGINE_GRACE = Duration.ofSeconds(5);

  private final AgentConfig config;
  private final AgentState state;
  private final DockerWatcher watcher;
  private final CollectorLink link;
  private final InventoryScheduler inventory;
  private final ScanCommands scans;
  private boolean started;
  private boolean closed;

  /** Wires an agent with the system clock and an unseeded random source for backoff jitter. */
  public Agent(AgentConfig config) {
    this(config, Clock.systemUTC(), RandomGenerator.getDefault());
  }

  /**
   * Wires an agent; opens the state directory at once so a locked or corrupt directory fails here.
   *
   * @throws io.portolan.agent.cache.AgentStateException if the state directory cannot be used
   */
  public Agent(AgentConfig config, Clock clock, RandomGenerator random) {
    this.config = Objects.requireNonNull(config, "config");
    List<Analyzer> analyzers = Analyzers.of(config.packageTypes(), sha1Index(config.javaSha1Index()));
    this.state = AgentState.open(config.stateDir());
    CollectorLink[] linkRef = new CollectorLink[1];
    InventoryScheduler[] inventoryRef = new InventoryScheduler[1];
    OutboxFeeder feeder = new OutboxFeeder(state, () -> {
      // The link exists before the watcher can emit: the watcher starts in start().
      linkRef[0].outboxChanged();
    });
    this.watcher = new DockerWatcher(
        new DockerWatcher.Settings(config.dockerHost(), config.dockerApiVersion(), config.resyncInterval(),
            Duration.ofMillis(120), config.reconnectMin(), config.reconnectMax()),
        new InventoryFeed(feeder, () -> inventoryRef[0]), clock, random);
    HostIdentity host = new HostIdentity(watcher::engineFacts, config.hostName(), config.labels());
    this.link = new CollectorLink(
        config.collectorTarget(),
        state,
        version(),
        host,
        () -> new CollectorLink.InventorySize(watcher.imageCount(), watcher.containerCount()),
        watcher::requestResync,
        new CollectorLink.Settings(config.heartbeatInterval(), config.reconnectMin(),
            config.reconnectMax(), config.maxInFlight(), Duration.ofSeconds(30)),
        clock,
        random);
    linkRef[0] = link;
    this.inventory = new InventoryScheduler(state,
        new DockerLayerReader(() -> DockerImages.open(config.dockerHost(), config.dockerApiVersion()),
            config.layerSource()),
        analyzers, config.inventory(), link::sendNow, link::outboxChanged);
    inventoryRef[0] = inventory;
    link.setInventoryExchange(inventory);
    this.scans = new ScanCommands(inventory, state, link::sendNow, link::outboxChanged, clock);
    inventory.onOutboxReplaced(scans::outboxReplaced);
    link.setCommandHandler(scans);
  }

  /**
   * The SHA-1 table the Java analyzer names bare jars with, read once at start: a table that cannot
   * be read stops the agent with a message, rather than silently inventorying without it.
   */
  private static Sha1Index sha1Index(Optional<Path> file) {
    if (file.isEmpty()) {
      return Sha1Index.empty();
    }
    try {
      return Sha1Index.load(file.get());
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("java SHA-1 index: no such file: " + file.get());
    } catch (IOException e) {
      throw new IllegalArgumentException("java SHA-1 index " + file.get() + ": " + e.getMessage());
    }
  }

  /** Starts watching the engine and dialling the collector; both retry on their own from here. */
  public synchronized void start() {
    if (started || closed) {
      return;
    }
    started = true;
    LOG.info("portolan agent {} ({}) starting: collector {}, docker {}, state {}",
        version(), state.agentId(), config.collectorTarget(), config.dockerHost(), config.stateDir());
    watcher.start();
    // The Hello carries the engine's facts, so give the engine a moment to answer first; a
    // down engine must not keep the agent from reporting in, so dial anyway after that.
    Thread.ofVirtual().name("portolan-agent-start").start(() -> {
      try {
        if (!watcher.awaitFirstContact(ENGINE_GRACE)) {
          LOG.warn("docker engine at {} has not answered within {} s; connecting to the collector without its facts",
              config.dockerHost(), ENGINE_GRACE.toSeconds());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      link.start();
    });
  }

  /** The identity this agent reports, fixed for the lifetime of its state directory. */
  public String agentId() {
    return state.agentId();
  }

  public AgentStatus status() {
    CollectorLink.LinkStatus linkStatus = link.status();
    return new AgentStatus(linkStatus.connected(), watcher.isWatching(), linkStatus.outboxDepth(),
        linkStatus.lastAckedSeq(), linkStatus.inFlight());
  }

  /** Stops in reverse order of start: the link, then the watcher, then the state. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    link.close();
    scans.close();
    inventory.close();
    watcher.close();
    state.close();
  }

  /** The version from the jar manifest, or "dev" when not running from the packaged jar. */
  public static String version() {
    String version = Agent.class.getPackage().getImplementationVersion();
    return version == null || version.isBlank() ? DEV_VERSION : version;
  }
}
