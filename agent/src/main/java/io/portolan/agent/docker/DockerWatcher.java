package io.portolan.agent.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.ImageHistory;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.api.model.Version;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.core.RemoteApiVersion;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import io.portolan.agent.logging.StateChangeLog;
import io.portolan.proto.agent.v1.Container;
import io.portolan.proto.agent.v1.HostFacts;
import io.portolan.proto.agent.v1.Image;
import io.portolan.proto.agent.v1.Port;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one Docker engine, read-only, and reports its images and containers to an
 * {@link InventoryListener}: a full snapshot on start, on demand and periodically, and
 * per-object upserts and removals as engine events arrive.
 *
 * <p>It subscribes to events before listing, so nothing changes unseen between the two. Event
 * bursts are debounced into one re-list; only objects that are new or whose list-level facts
 * changed (or that an event named) are inspected. This is the only class family that talks to
 * docker-java, and it only ever reads.
 */
public final class DockerWatcher implements AutoCloseable {

  /** The API version the agent is written against; a newer engine is spoken to at this level. */
  public static final String PINNED_API_VERSION = "1.41";

  private static final Logger LOG = LoggerFactory.getLogger(DockerWatcher.class);

  /** Tunables of the watcher. */
  public record Settings(
      String dockerHost,
      String apiVersion,
      Duration resyncInterval,
      Duration debounce,
      Duration reconnectMin,
      Duration reconnectMax) {

    public Settings {
      Objects.requireNonNull(dockerHost, "dockerHost");
      Objects.requireNonNull(apiVersion, "apiVersion");
      Objects.requireNonNull(resyncInterval, "resyncInterval");
      Objects.requireNonNull(debounce, "debounce");
      Objects.requireNonNull(reconnectMin, "reconnectMin");
      Objects.requireNonNull(reconnectMax, "reconnectMax");
    }

    /** Defaults for everything but the engine address. */
    public static Settings defaults(String dockerHost) {
      return new Settings(dockerHost, PINNED_API_VERSION, Duration.ofMinutes(10), Duration.ofMillis(120),
          Duration.ofMillis(500), Duration.ofSeconds(30));
    }
  }

  private record ImageFacts(List<String> tags, List<String> digests, Long size, Long created) {
  }

  private record ContainerFacts(List<String> names, String image, String imageId, String state,
      List<Port> ports, Map<String, String> labels, String command) {
  }

  private record Known<F, P>(F facts, P proto) {
  }

  private final Settings settings;
  private final InventoryListener listener;
  private final Clock clock;
  private final RandomGenerator random;
  private final StateChangeLog stateLog;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  // Guarded by lock: what the event stream and callers asked for.
  private boolean imagesDirty;
  private boolean containersDirty;
  private final Set<String> touchedContainers = new HashSet<>();
  private Instant dirtySince;
  private boolean resyncRequested;
  private boolean streamBroken;
  private String streamBrokenReason;
  private boolean closed;

  // Owned by the watcher thread.
  private Map<String, Known<ImageFacts, Image>> images = new LinkedHashMap<>();
  private Map<String, Known<ContainerFacts, Container>> containers = new LinkedHashMap<>();

  private volatile HostFacts engineFacts = HostFacts.getDefaultInstance();
  private final java.util.concurrent.CountDownLatch firstContact = new java.util.concurrent.CountDownLatch(1);
  private volatile int imageCount;
  private volatile int containerCount;
  private volatile boolean watching;
  private Thread thread;

  public DockerWatcher(Settings settings, InventoryListener listener, Clock clock, RandomGenerator random) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    this.stateLog = new StateChangeLog(LOG, clock, Duration.ofMinutes(1));
  }

  /** Starts watching in the background; the first snapshot follows as soon as the engine answers. */
  public synchronized void start() {
    if (thread != null) {
      return;
    }
    thread = Thread.ofPlatform().daemon().name("portolan-docker-watcher").start(this::run);
  }

  /** Asks for a full snapshot soon, e.g. because the collector (re)connected or asked for one. */
  public void requestResync() {
    lock.lock();
    try {
      resyncRequested = true;
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Facts about the engine and its host, as of the last connection; empty before the first. */
  public HostFacts engineFacts() {
    return engineFacts;
  }

  /**
   * Waits until the engine has answered once (so {@link #engineFacts()} is filled), at most
   * {@code timeout}.
   *
   * @return whether the engine answered in time
   */
  public boolean awaitFirstContact(Duration timeout) throws InterruptedException {
    return firstContact.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Whether the engine is reachable and its event stream is open. */
  public boolean isWatching() {
    return watching;
  }

  public int imageCount() {
    return imageCount;
  }

  public int containerCount() {
    return containerCount;
  }

  @Override
  public void close() {
    Thread t;
    lock.lock();
    try {
      closed = true;
      wake.signalAll();
    } finally {
      lock.unlock();
    }
    synchronized (this) {
      t = thread;
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void run() {
    Duration delay = settings.reconnectMin();
    while (!isClosed()) {
      String failure;
      try {
        session();
        failure = streamBrokenReason == null ? "event stream ended" : streamBrokenReason;
        delay = settings.reconnectMin();
      } catch (RuntimeException e) {
        failure = describe(e);
      } catch (InterruptedException e) {
        break;
      }
      watching = false;
      if (isClosed()) {
        break;
      }
      Duration wait = Duration.ofNanos((long) (delay.toNanos() * (0.5 + random.nextDouble() / 2)));
      stateLog.warn("down:" + failure, "docker engine unavailable at " + settings.dockerHost() + ": "
          + failure + "; retrying within " + wait.toMillis() + " ms");
      if (!sleep(wait)) {
        break;
      }
      delay = delay.multipliedBy(2).compareTo(settings.reconnectMax()) > 0
          ? settings.reconnectMax() : delay.multipliedBy(2);
    }
    watching = false;
  }

  private static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return message.strip();
  }

  private boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  private boolean sleep(Duration duration) {
    lock.lock();
    try {
      long nanos = duration.toNanos();
      while (!closed && nanos > 0) {
        nanos = wake.awaitNanos(nanos);
      }
      return !closed;
    } catch (InterruptedException e) {
      return false;
    } finally {
      lock.unlock();
    }
  }

  /** One connection to the engine: subscribe, snapshot, then follow events until something breaks. */
  private void session() throws InterruptedException {
    lock.lock();
    try {
      streamBroken = false;
      streamBrokenReason = null;
    } finally {
      lock.unlock();
    }
    try (DockerClient client = connect()) {
      EventStream events = new EventStream();
      // Ask the engine to replay a little history, so events between subscribing and the
      // subscription being live on the engine are not lost.
      long since = clock.instant().minusSeconds(2).getEpochSecond();
      client.eventsCmd()
          .withEventTypeFilter(EventType.IMAGE, EventType.CONTAINER)
          .withSince(Long.toString(since))
          .exec(events);
      try {
        fullSync(client);
        watching = true;
        HostFacts facts = engineFacts;
        stateLog.info("up", "watching docker engine at " + settings.dockerHost() + " (Docker "
            + facts.getDockerVersion() + ", API " + facts.getDockerApiVersion() + "): "
            + imageCount + " images, " + containerCount + " containers");
        follow(client);
      } finally {
        try {
          events.close();
        } catch (IOException e) {
          LOG.debug("closing the docker event stream failed", e);
        }
      }
    } catch (IOException e) {
      LOG.debug("closing the docker client failed", e);
    }
  }

  private DockerClient connect() {
    Negotiated n = negotiate(settings.dockerHost(), settings.apiVersion());
    try {
      Info info = n.client().infoCmd().exec();
      engineFacts = facts(n.version(), info, n.apiVersion());
      firstContact.countDown();
      return n.client();
    } catch (RuntimeException e) {
      try {
        n.client().close();
      } catch (IOException closeFailure) {
        e.addSuppressed(closeFailure);
      }
      throw e;
    }
  }

  /** A client speaking the pinned API version, or the engine's own when that is older. */
  record Negotiated(DockerClient client, Version version, String apiVersion) {}

  static Negotiated negotiate(String dockerHost, String pinnedVersion) {
    // Ask unversioned first: an engine older than the pinned version rejects versioned calls.
    RemoteApiVersion pinned = RemoteApiVersion.parseConfig(pinnedVersion);
    String apiVersion = pinnedVersion;
    Version version;
    try (DockerClient probe = client(dockerHost, RemoteApiVersion.UNKNOWN_VERSION)) {
      version = probe.versionCmd().exec();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    RemoteApiVersion engineMax = RemoteApiVersion.parseConfig(version.getApiVersion());
    if (!RemoteApiVersion.UNKNOWN_VERSION.equals(engineMax) && !engineMax.isGreaterOrEqual(pinned)) {
      apiVersion = version.getApiVersion();
    }
    return new Negotiated(client(dockerHost, RemoteApiVersion.parseConfig(apiVersion)), version, apiVersion);
  }

  private static DockerClient client(String dockerHost, RemoteApiVersion apiVersion) {
    DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
        .withDockerHost(dockerHost)
        .withApiVersion(apiVersion)
        .build();
    ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
        .dockerHost(URI.create(dockerHost))
        .maxConnections(8)
        .connectionTimeout(Duration.ofSeconds(5))
        .build();
    return DockerClientImpl.getInstance(config, http);
  }

  private static HostFacts facts(Version version, Info info, String apiVersion) {
    HostFacts.Builder facts = HostFacts.newBuilder()
        .setDockerVersion(orEmpty(version.getVersion()))
        .setDockerApiVersion(apiVersion)
        .setOs(orEmpty(info.getOperatingSystem()))
        .setKernel(orEmpty(info.getKernelVersion() != null ? info.getKernelVersion() : version.getKernelVersion()))
        .setArchitecture(orEmpty(info.getArchitecture() != null ? info.getArchitecture() : version.getArch()))
        .setStorageDriver(orEmpty(info.getDriver()))
        .setDockerRootDir(orEmpty(info.getDockerRootDir()));
    if (info.getNCPU() != null) {
      facts.setCpus(Math.max(0, info.getNCPU()));
    }
    if (info.getMemTotal() != null) {
      facts.setMemoryBytes(Math.max(0, info.getMemTotal()));
    }
    return facts.build();
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  private void follow(DockerClient client) throws InterruptedException {
    Instant nextResync = clock.instant().plus(settings.resyncInterval());
    while (true) {
      boolean doImages;
      boolean doContainers;
      boolean doResync;
      Set<String> touched;
      lock.lock();
      try {
        while (!closed && !streamBroken && !resyncRequested && dirtySince == null) {
          long untilResync = Duration.between(clock.instant(), nextResync).toNanos();
          if (untilResync <= 0) {
            break;
          }
          wake.awaitNanos(untilResync);
        }
        if (closed || streamBroken) {
          return;
        }
        if (dirtySince != null && !resyncRequested) {
          // Debounce from the first event of a burst, never sliding, so a steady stream of
          // events still produces a pass within the budget.
          long wait = Duration.between(clock.instant(), dirtySince.plus(settings.debounce())).toNanos();
          while (wait > 0 && !closed && !streamBroken && !resyncRequested) {
            wait = wake.awaitNanos(wait);
          }
          if (closed || streamBroken) {
            return;
          }
        }
        doResync = resyncRequested || !clock.instant().isBefore(nextResync);
        doImages = imagesDirty;
        doContainers = containersDirty;
        touched = Set.copyOf(touchedContainers);
        resyncRequested = false;
        imagesDirty = false;
        containersDirty = false;
        touchedContainers.clear();
        dirtySince = null;
      } finally {
        lock.unlock();
      }
      if (doResync) {
        fullSync(client);
        nextResync = clock.instant().plus(settings.resyncInterval());
      } else {
        incremental(client, doImages, doContainers, touched);
      }
    }
  }

  private void fullSync(DockerClient client) {
    lock.lock();
    try {
      // This pass covers whatever was asked for so far.
      resyncRequested = false;
      imagesDirty = false;
      containersDirty = false;
      touchedContainers.clear();
      dirtySince = null;
    } finally {
      lock.unlock();
    }
    Instant takenAt = clock.instant();
    Map<String, Known<ImageFacts, Image>> newImages = listImages(client);
    // Containers can change state without changing list-level facts, so a full pass inspects all.
    Map<String, Known<ContainerFacts, Container>> newContainers = listContainers(client, null);
    images = newImages;
    containers = newContainers;
    imageCount = images.size();
    containerCount = containers.size();
    listener.snapshot(takenAt,
        newImages.values().stream().map(Known::proto).toList(),
        newContainers.values().stream().map(Known::proto).toList());
  }

  /** Reports what differs between two listings: new or changed objects, then vanished ones. */
  private static <F, P> void emitChanges(Map<String, Known<F, P>> old, Map<String, Known<F, P>> now,
      java.util.function.Consumer<P> upserted, java.util.function.Consumer<String> removed) {
    for (var entry : now.entrySet()) {
      Known<F, P> before = old.get(entry.getKey());
      if (before == null || !before.proto().equals(entry.getValue().proto())) upserted.accept(entry.getValue().proto());
    }
    for (String id : old.keySet()) {
      if (!now.containsKey(id)) removed.accept(id);
    }
  }

  private void incremental(DockerClient client, boolean doImages, boolean doContainers, Set<String> touched) {
    Instant observedAt = clock.instant();
    if (doImages) {
      Map<String, Known<ImageFacts, Image>> old = images;
      Map<String, Known<ImageFacts, Image>> now = listImages(client);
      images = now;
      imageCount = now.size();
      emitChanges(old, now, p -> listener.imageUpserted(observedAt, p), id -> listener.imageRemoved(observedAt, id));
    }
    if (doContainers || !touched.isEmpty()) {
      Map<String, Known<ContainerFacts, Container>> old = containers;
      Map<String, Known<ContainerFacts, Container>> now = listContainers(client, touched);
      containers = now;
      containerCount = now.size();
      emitChanges(old, now, p -> listener.containerUpserted(observedAt, p),
          id -> listener.containerRemoved(observedAt, id));
    }
  }

  /** Lists images, inspecting only those that are new or whose list-level facts changed. */
  private Map<String, Known<ImageFacts, Image>> listImages(DockerClient client) {
    Map<String, Known<ImageFacts, Image>> result = new LinkedHashMap<>();
    for (com.github.dockerjava.api.model.Image listed : client.listImagesCmd().exec()) {
      ImageFacts facts = new ImageFacts(
          DockerMapping.repoTags(listed.getRepoTags()),
          DockerMapping.repoDigests(listed.getRepoDigests()),
          listed.getSize(),
          listed.getCreated());
      Known<ImageFacts, Image> known = images.get(listed.getId());
      if (known != null && known.facts().equals(facts)) {
        result.put(listed.getId(), known);
        continue;
      }
      try {
        InspectImageResponse inspect = client.inspectImageCmd(listed.getId()).exec();
        List<ImageHistory> history = client.imageHistoryCmd(listed.getId()).exec();
        Image image = DockerMapping.image(listed, inspect, history);
        result.put(image.getId(), new Known<>(facts, image));
      } catch (NotFoundException e) {
        // Removed between list and inspect: its delete event will follow.
        markImagesDirty();
      }
    }
    return result;
  }

  /**
   * Lists containers, inspecting those that are new, changed at list level or named by an event;
   * {@code touched == null} inspects all of them.
   */
  private Map<String, Known<ContainerFacts, Container>> listContainers(DockerClient client, Set<String> touched) {
    Map<String, Known<ContainerFacts, Container>> result = new LinkedHashMap<>();
    for (com.github.dockerjava.api.model.Container listed : client.listContainersCmd().withShowAll(true).exec()) {
      ContainerFacts facts = new ContainerFacts(
          DockerMapping.names(listed.getNames()),
          listed.getImage(),
          listed.getImageId(),
          listed.getState(),
          DockerMapping.ports(listed.getPorts()),
          listed.getLabels() == null ? Map.of() : new TreeMap<>(listed.getLabels()),
          listed.getCommand());
      Known<ContainerFacts, Container> known = containers.get(listed.getId());
      if (touched != null && known != null && known.facts().equals(facts) && !touched.contains(listed.getId())) {
        result.put(listed.getId(), known);
        continue;
      }
      try {
        InspectContainerResponse inspect = client.inspectContainerCmd(listed.getId()).exec();
        result.put(listed.getId(), new Known<>(facts, DockerMapping.container(listed, inspect)));
      } catch (NotFoundException e) {
        markContainersDirty(null);
      }
    }
    return result;
  }

  private void markImagesDirty() {
    lock.lock();
    try {
      imagesDirty = true;
      if (dirtySince == null) {
        dirtySince = clock.instant();
      }
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void markContainersDirty(String id) {
    lock.lock();
    try {
      containersDirty = true;
      if (id != null && !id.isEmpty()) {
        touchedContainers.add(id);
      }
      if (dirtySince == null) {
        dirtySince = clock.instant();
      }
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Receives the engine's events and turns them into dirty marks; the watcher thread does the work. */
  private final class EventStream extends ResultCallback.Adapter<Event> {
    @Override
    public void onNext(Event event) {
      EventType type = event.getType();
      String id = event.getActor() != null && event.getActor().getId() != null
          ? event.getActor().getId() : event.getId();
      if (type == EventType.CONTAINER) {
        markContainersDirty(id);
      } else if (type == EventType.IMAGE) {
        markImagesDirty();
      }
    }

    @Override
    public void onError(Throwable throwable) {
      broken(describe(throwable));
      try {
        super.close();
      } catch (IOException e) {
        LOG.debug("closing the failed docker event stream", e);
      }
    }

    @Override
    public void onComplete() {
      broken("event stream closed by the engine");
      super.onComplete();
    }

    private void broken(String reason) {
      lock.lock();
      try {
        if (!streamBroken) {
          streamBroken = true;
          streamBrokenReason = reason;
        }
        wake.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }
}
