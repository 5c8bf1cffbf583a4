package io.portolan.bench;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.AgentServiceGrpc;
import io.portolan.proto.agent.v1.CollectorMessage;
import io.portolan.proto.agent.v1.Command;
import io.portolan.proto.agent.v1.CommandStatus;
import io.portolan.proto.agent.v1.CommandUpdate;
import io.portolan.proto.agent.v1.FileFindings;
import io.portolan.proto.agent.v1.Heartbeat;
import io.portolan.proto.agent.v1.Hello;
import io.portolan.proto.agent.v1.Image;
import io.portolan.proto.agent.v1.ImageInventory;
import io.portolan.proto.agent.v1.LayerInventory;
import io.portolan.proto.agent.v1.LayerOffer;
import io.portolan.proto.agent.v1.LayerRef;
import io.portolan.proto.agent.v1.LayerWant;
import io.portolan.proto.agent.v1.OsRelease;
import io.portolan.proto.agent.v1.Package;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Simulated agents that answer scans the way real ones do, over real gRPC: each syncs its
 * snapshot, keeps its layer inventories "cached" (every unit is computed once, in memory), and on a
 * {@code ScanImages} command reports each image running, offers its units, and after the
 * collector's answer sends what it wanted (nothing, when it already holds the image) followed by a
 * DONE result through its "outbox" (durable seqs). Heartbeats keep the hosts online.
 */
final class ScanSimulator implements AutoCloseable {
  private static final List<String> ANALYZERS = List.of("dpkg", "os-release");

  private final Fleet fleet;
  private final int imagesPerHost;
  private final int containers;
  private final List<SimAgent> agents = new ArrayList<>();
  private final SimChannels channels;
  private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(1, SimChannels.named("scan-sim-timer"));
  private final AtomicReference<String> firstError = new AtomicReference<>();
  private final AtomicInteger streamErrors = new AtomicInteger();
  private final AtomicInteger scanResults = new AtomicInteger();
  private final AtomicInteger commands = new AtomicInteger();
  private final AtomicInteger unitsSent = new AtomicInteger();
  private volatile CountDownLatch synced;
  private volatile CountDownLatch inventoried;
  private volatile boolean closing;

  ScanSimulator(int grpcPort, Fleet fleet, int agentCount, int imagesPerHost, int containers) {
    this.fleet = fleet;
    this.imagesPerHost = imagesPerHost;
    this.containers = containers;
    this.channels = new SimChannels(grpcPort, agentCount, "scan-sim");
    for (int i = 0; i < agentCount; i++) agents.add(new SimAgent(i + 1, channels.forAgent(i)));
  }

  /** Connects every agent, sends its snapshot and waits until all are acknowledged. */
  void sync(Duration timeout) throws InterruptedException {
    synced = new CountDownLatch(agents.size());
    for (SimAgent a : agents) a.connect();
    if (!synced.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(synced.getCount() + " agents not synced within " + timeout.toSeconds() + " s; "
          + firstError.get());
    }
  }

  /**
   * Sends every distinct image's inventory once, from the first host that has it, and waits until
   * the collector acknowledged them all: the state "all layers cached" starts from.
   */
  int inventory(Duration timeout) throws InterruptedException {
    Map<String, SimAgent> owner = new HashMap<>();
    for (SimAgent a : agents) for (Image i : a.images.values()) owner.putIfAbsent(i.getId(), a);
    inventoried = new CountDownLatch(owner.size());
    owner.forEach((image, agent) -> agent.offer(image, false));
    if (!inventoried.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(inventoried.getCount() + " of " + owner.size() + " image inventories not"
          + " acknowledged within " + timeout.toSeconds() + " s; " + firstError.get());
    }
    return owner.size();
  }

  /** Every agent beats every {@code interval}, spread evenly, until closed. */
  void heartbeats(Duration interval) {
    long period = interval.toMillis();
    for (int i = 0; i < agents.size(); i++) {
      SimAgent a = agents.get(i);
      timers.scheduleAtFixedRate(a::heartbeat, period * i / agents.size(), period, TimeUnit.MILLISECONDS);
    }
  }

  int scanResults() {
    return scanResults.get();
  }

  int commands() {
    return commands.get();
  }

  int unitsSent() {
    return unitsSent.get();
  }

  int streamErrors() {
    return streamErrors.get();
  }

  String firstError() {
    return firstError.get();
  }

  @Override
  public void close() {
    closing = true;
    timers.shutdownNow();
    agents.forEach(SimAgent::complete);
    channels.close();
  }

  /** The units of an image: each layer, for each analyzer, base layer first. */
  static List<LayerRef> units(Image image) {
    List<LayerRef> out = new ArrayList<>();
    for (String diffId : image.getLayerDiffIdsList()) {
      for (String a : ANALYZERS) {
        out.add(LayerRef.newBuilder().setDiffId(diffId).setAnalyzer(a).setAnalyzerVersion(1).build());
      }
    }
    return out;
  }

  /** What a layer "holds": the bottom layer the OS, every layer a few packages named after it. */
  static LayerInventory findings(LayerRef ref, boolean bottom) {
    LayerInventory.Builder b = LayerInventory.newBuilder().setRef(ref).setSizeBytes(10_000_000);
    if (ref.getAnalyzer().equals("os-release")) {
      if (bottom) {
        b.addFiles(FileFindings.newBuilder().setPath("etc/os-release").setOs(OsRelease.newBuilder().setId("debian")
            .setName("Debian GNU/Linux").setVersionId("12").setCodename("bookworm")
            .setPrettyName("Debian GNU/Linux 12 (bookworm)")));
      }
      return b.build();
    }
    FileFindings.Builder status = FileFindings.newBuilder().setPath("var/lib/dpkg/status.d/" + ref.getDiffId()
        .substring(7, 15));
    int n = bottom ? 12 : 3;
    for (int p = 0; p < n; p++) {
      String name = "lib" + ref.getDiffId().substring(7 + p, 12 + p);
      String version = "1." + p + "-" + (ref.getDiffId().charAt(20) % 5);
      status.addPackages(Package.newBuilder().setType("deb").setName(name).setVersion(version)
          .setArchitecture("amd64").setSourceName(name).setSourceVersion(version)
          .setPurl("pkg:deb/debian/" + name + "@" + version + "?arch=amd64"));
    }
    return b.addFiles(status).build();
  }

  /** One simulated agent. */
  private final class SimAgent implements ClientResponseObserver<AgentMessage, CollectorMessage> {
    private final int index;
    private final ManagedChannel channel;
    final Map<String, Image> images = new HashMap<>();
    private final List<AgentMessage> snapshot;
    private final long snapshotSeq;
    private ClientCallStreamObserver<AgentMessage> out; // guarded by this
    private long seq; // guarded by this
    private boolean synced;
    /** Image -> scan requests waiting for the collector's answer to the image's offer. */
    private final Map<String, List<String>> scanning = new ConcurrentHashMap<>();
    /** Durable seq of each setup inventory -> its image, until acknowledged. */
    private final Map<Long, String> setupInventories = new ConcurrentHashMap<>();
    private final Set<String> offeredForSetup = ConcurrentHashMap.newKeySet();

    SimAgent(int index, ManagedChannel channel) {
      this.index = index;
      this.channel = channel;
      this.snapshot = fleet.snapshot(index, imagesPerHost, containers, 1);
      for (AgentMessage m : snapshot) for (Image i : m.getSnapshot().getImagesList()) images.put(i.getId(), i);
      this.snapshotSeq = snapshot.get(snapshot.size() - 1).getSeq();
      this.seq = snapshotSeq;
    }

    void connect() {
      AgentServiceGrpc.newStub(channel).connect(this);
      send(AgentMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1)
          .setAgentId(Fleet.agentId(index)).setAgentVersion("0.1.0").setHost(fleet.host(index))).build());
    }

    @Override
    public synchronized void beforeStart(ClientCallStreamObserver<AgentMessage> requestStream) {
      this.out = requestStream;
    }

    private synchronized void send(AgentMessage m) {
      if (out == null) return;
      try {
        out.onNext(m);
      } catch (RuntimeException e) {
        firstError.compareAndSet(null, Fleet.agentId(index) + ": " + e);
      }
    }

    /** Sends a durable message with the next seq; returns the seq. */
    private synchronized long durable(AgentMessage.Builder m) {
      long s = ++seq;
      send(m.setSeq(s).build());
      return s;
    }

    void heartbeat() {
      if (synced) {
        send(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSentAt(SimChannels.now())
            .setImageCount(images.size()).setContainerCount(containers)).build());
      }
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

    void offer(String imageId, boolean forScan) {
      if (!forScan) offeredForSetup.add(imageId);
      send(AgentMessage.newBuilder().setLayerOffer(LayerOffer.newBuilder().setImageId(imageId)
          .addAllLayers(units(images.get(imageId)))).build());
    }

    @Override
    public void onNext(CollectorMessage m) {
      switch (m.getBodyCase()) {
        case WELCOME -> {
          if (!m.getWelcome().getAccepted()) {
            firstError.compareAndSet(null, "refused: " + m.getWelcome().getReason());
            return;
          }
          snapshot.forEach(this::send);
        }
        case ACK -> acked(m.getAck().getSeq());
        case COMMAND -> command(m.getCommand());
        case LAYER_WANT -> want(m.getLayerWant());
        default -> { }
      }
    }

    private void acked(long upTo) {
      if (!synced && upTo >= snapshotSeq) {
        synced = true;
        synced();
      }
      for (Long s : List.copyOf(setupInventories.keySet())) {
        if (s <= upTo && setupInventories.remove(s) != null) inventoried.countDown();
      }
    }

    private void synced() {
      CountDownLatch l = ScanSimulator.this.synced;
      if (l != null) l.countDown();
    }

    private void command(Command c) {
      if (!c.hasScanImages()) return; // cancels: nothing here runs long enough to stop
      commands.incrementAndGet();
      for (String image : c.getScanImages().getImageIdsList()) {
        if (!images.containsKey(image)) {
          durable(result(c.getRequestId(), image, CommandStatus.COMMAND_STATUS_FAILED, "image is not on this host"));
          continue;
        }
        send(AgentMessage.newBuilder().setCommandUpdate(CommandUpdate.newBuilder().setRequestId(c.getRequestId())
            .setImageId(image).setStatus(CommandStatus.COMMAND_STATUS_RUNNING).setProgressPercent(0)).build());
        scanning.computeIfAbsent(image, k -> new ArrayList<>()).add(c.getRequestId());
        offer(image, true);
      }
    }

    private AgentMessage.Builder result(String request, String image, CommandStatus status, String message) {
      return AgentMessage.newBuilder().setCommandUpdate(CommandUpdate.newBuilder().setRequestId(request)
          .setImageId(image).setStatus(status).setMessage(message).setProgressPercent(100));
    }

    private void want(LayerWant w) {
      String imageId = w.getImageId();
      Image image = images.get(imageId);
      if (image == null) return;
      long last = 0;
      if (!(w.getImageCurrent() && w.getWantedCount() == 0)) {
        String bottom = image.getLayerDiffIds(0);
        Set<String> sent = new HashSet<>();
        for (LayerRef ref : w.getWantedList()) {
          if (!sent.add(ref.getDiffId() + "|" + ref.getAnalyzer())) continue;
          durable(AgentMessage.newBuilder().setLayerInventory(findings(ref, ref.getDiffId().equals(bottom))));
          unitsSent.incrementAndGet();
        }
        last = durable(AgentMessage.newBuilder().setImageInventory(ImageInventory.newBuilder().setImageId(imageId)
            .addAllLayers(units(image))));
      }
      if (offeredForSetup.remove(imageId)) {
        if (last > 0) setupInventories.put(last, imageId);
        else inventoried.countDown(); // the collector already had it (shared by another host's inventory)
      }
      List<String> requests = scanning.remove(imageId);
      if (requests != null) {
        for (String r : requests) {
          durable(result(r, imageId, CommandStatus.COMMAND_STATUS_DONE, ""));
          scanResults.incrementAndGet();
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      synchronized (this) {
        out = null;
      }
      if (closing) return;
      streamErrors.incrementAndGet();
      firstError.compareAndSet(null, Fleet.agentId(index) + " stream failed: " + Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      synchronized (this) {
        out = null;
      }
      if (!closing) {
        streamErrors.incrementAndGet();
        firstError.compareAndSet(null, Fleet.agentId(index) + ": the collector ended the stream");
      }
    }
  }
}
