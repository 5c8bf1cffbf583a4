package io.portolan.bench;

import com.google.protobuf.Timestamp;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.Container;
import io.portolan.proto.agent.v1.HistoryEntry;
import io.portolan.proto.agent.v1.HostFacts;
import io.portolan.proto.agent.v1.Image;
import io.portolan.proto.agent.v1.ImageConfig;
import io.portolan.proto.agent.v1.Port;
import io.portolan.proto.agent.v1.SnapshotChunk;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

/**
 * A synthetic but realistic fleet, the same for the same seed: a shared pool of images (each with
 * layers partly shared through common base images, build history, config, two tags and a digest)
 * from which every simulated host draws its images, and the containers each host runs from them.
 */
final class Fleet {
  static final int MAX_OBJECTS_PER_CHUNK = 200;
  private static final String[] APPS = {"nginx", "redis", "postgres", "api-gateway", "billing", "checkout",
      "search", "auth", "payments", "catalog", "inventory", "notifications", "reporting", "frontend", "worker",
      "scheduler", "metrics-exporter", "log-shipper", "cache", "ledger"};
  private static final String[] BASES = {"debian:12-slim", "alpine:3.20", "ubuntu:24.04", "eclipse-temurin:21-jre",
      "python:3.12-slim", "node:20-bookworm", "golang:1.22", "redhat/ubi9-minimal"};
  private static final Instant NOW = Instant.parse("2025-06-01T00:00:00Z");

  private final long seed;
  private final List<Image> pool;

  Fleet(long seed, int poolSize) {
    this.seed = seed;
    Random r = new Random(seed);
    List<List<String>> baseLayers = new ArrayList<>();
    for (int b = 0; b < BASES.length; b++) baseLayers.add(List.of(sha(r), sha(r), sha(r)));
    this.pool = new ArrayList<>(poolSize);
    for (int i = 0; i < poolSize; i++) pool.add(image(r, i, baseLayers));
  }

  int poolSize() {
    return pool.size();
  }

  private static Image image(Random r, int i, List<List<String>> baseLayers) {
    int base = i % BASES.length;
    String repo = "registry.example.com/team-" + (i / 5 % 40) + "/" + APPS[i / 5 % APPS.length] + "-" + (i / 5);
    String version = "1." + (i % 5) + "." + (i / 5 % 7);
    Instant created = NOW.minusSeconds(3600L * (1 + r.nextInt(24 * 365)));
    List<String> layers = new ArrayList<>(baseLayers.get(base));
    while (layers.size() < 8) layers.add(sha(r));
    String[] steps = {
        "/bin/sh -c #(nop) ADD file:" + hex(r, 32) + " in / ",
        "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends ca-certificates curl tzdata"
            + " && rm -rf /var/lib/apt/lists/*",
        "/bin/sh -c groupadd -r app && useradd -r -g app -d /app app",
        "/bin/sh -c #(nop) ENV APP_HOME=/app LANG=C.UTF-8",
        "/bin/sh -c #(nop) WORKDIR /app",
        "COPY --chown=app:app build/libs/ /app/lib/ # buildkit",
        "COPY config/ /etc/app/ # buildkit",
        "RUN /bin/sh -c chmod 0755 /app/bin/* && /app/bin/selfcheck --quick # buildkit",
        "RUN /bin/sh -c mkdir -p /var/cache/app && chown app:app /var/cache/app # buildkit",
        "/bin/sh -c #(nop) EXPOSE 8080/tcp",
        "RUN /bin/sh -c ln -sf /dev/stdout /var/log/app.log # buildkit",
        "/bin/sh -c #(nop) CMD [\"/app/bin/" + APPS[i / 5 % APPS.length] + "\" \"--config\" \"/etc/app/config.yaml\"]"};
    boolean[] empty = {false, false, false, true, true, false, false, false, true, true, false, true};
    Image.Builder b = Image.newBuilder()
        .setId("sha256:" + hex(r, 32))
        .addRepoTags(repo + ":" + version)
        .addRepoTags(repo + ":1." + (i % 5))
        .addRepoDigests(repo + "@sha256:" + hex(r, 32))
        .setCreated(ts(created))
        .setSizeBytes((30L + r.nextInt(770)) * 1024 * 1024)
        .setOs("linux")
        .setArchitecture("amd64")
        .addAllLayerDiffIds(layers)
        .setAuthor("platform-team@example.com")
        .setDockerVersion("24.0.7");
    for (int h = 0; h < steps.length; h++) {
      b.addHistory(HistoryEntry.newBuilder().setCreated(ts(created.minusSeconds(60L * (steps.length - h))))
          .setCreatedBy(steps[h]).setEmptyLayer(empty[h]));
    }
    b.setConfig(ImageConfig.newBuilder()
        .addCmd("/app/bin/" + APPS[i / 5 % APPS.length]).addCmd("--config").addCmd("/etc/app/config.yaml")
        .addEnvNames("PATH").addEnvNames("APP_HOME").addEnvNames("LANG").addEnvNames("JAVA_HOME")
        .addEnvNames("APP_VERSION")
        .setUser("app")
        .addExposedPorts("8080/tcp")
        .putLabels("org.opencontainers.image.source", "https://git.example.com/team-" + (i / 5 % 40) + "/" + APPS[i / 5 % APPS.length])
        .putLabels("org.opencontainers.image.version", version)
        .putLabels("org.opencontainers.image.base.name", BASES[base])
        .putLabels("maintainer", "platform-team@example.com")
        .setWorkingDir("/app"));
    return b.build();
  }

  static String agentId(int index) {
    return "bench-agent-" + String.format("%05d", index);
  }

  static String hostName(int index) {
    return "bench-host-" + String.format("%05d", index) + ".dc1.example.com";
  }

  HostFacts host(int index) {
    return HostFacts.newBuilder()
        .setHostName(hostName(index))
        .addIps("10." + (index >> 16 & 255) + "." + (index >> 8 & 255) + "." + (index & 255))
        .addIps("172.17.0.1")
        .setOs("Debian GNU/Linux 12 (bookworm)")
        .setKernel("6.1.0-21-amd64")
        .setArchitecture("x86_64")
        .setDockerVersion("24.0.7")
        .setDockerApiVersion("1.43")
        .putLabels("env", index % 3 == 0 ? "staging" : "production")
        .putLabels("dc", "dc1")
        .setStorageDriver("overlay2")
        .setDockerRootDir("/var/lib/docker")
        .setCpus(8)
        .setMemoryBytes(32L << 30)
        .build();
  }

  /**
   * A full snapshot of host {@code index}: {@code images} distinct images from the pool and
   * {@code containers} containers running or stopped from them, split into chunks of at most
   * {@value #MAX_OBJECTS_PER_CHUNK} objects with consecutive seqs from {@code firstSeq}.
   */
  List<AgentMessage> snapshot(int index, int images, int containers, long firstSeq) {
    Random r = new Random(seed * 31 + index);
    Set<Integer> picked = new LinkedHashSet<>();
    while (picked.size() < Math.min(images, pool.size())) picked.add(r.nextInt(pool.size()));
    List<Image> hostImages = picked.stream().map(pool::get).toList();
    List<Object> objects = new ArrayList<>(hostImages);
    for (int c = 0; c < containers; c++) objects.add(container(r, index, c, hostImages));

    String snapshotId = UUID.randomUUID().toString();
    Timestamp takenAt = ts(Instant.now());
    List<AgentMessage> chunks = new ArrayList<>();
    for (int from = 0, chunk = 0; from < objects.size() || chunk == 0; from += MAX_OBJECTS_PER_CHUNK, chunk++) {
      int to = Math.min(objects.size(), from + MAX_OBJECTS_PER_CHUNK);
      SnapshotChunk.Builder s = SnapshotChunk.newBuilder()
          .setSnapshotId(snapshotId).setChunkIndex(chunk).setLast(to == objects.size()).setTakenAt(takenAt);
      for (Object o : objects.subList(from, to)) {
        if (o instanceof Image i) s.addImages(i);
        else s.addContainers((Container) o);
      }
      chunks.add(AgentMessage.newBuilder().setSeq(firstSeq + chunk).setSnapshot(s).build());
    }
    return chunks;
  }

  private static Container container(Random r, int host, int c, List<Image> images) {
    Image image = images.isEmpty() ? null : images.get(r.nextInt(images.size()));
    String app = image == null ? "app" : image.getConfig().getCmd(0).substring("/app/bin/".length());
    boolean running = r.nextInt(4) != 0;
    Instant created = NOW.minusSeconds(60L * (1 + r.nextInt(60 * 24 * 60)));
    Container.Builder b = Container.newBuilder()
        .setId(hex(r, 32))
        .addNames(app + "-" + c + "-h" + host)
        .setState(running ? "running" : "exited")
        .setCommand("/app/bin/" + app + " --config /etc/app/config.yaml")
        .setCreated(ts(created))
        .setStarted(ts(created.plusSeconds(2)))
        .setRestartCount(r.nextInt(10) == 0 ? 1 + r.nextInt(5) : 0)
        .putLabels("com.docker.compose.project", "stack-" + (c % 4))
        .putLabels("com.docker.compose.service", app)
        .putLabels("team", "team-" + (c % 7));
    if (image != null) b.setImageId(image.getId()).setImageRef(image.getRepoTags(0));
    if (running) {
      b.setStatus("Up").addPorts(Port.newBuilder().setIp("0.0.0.0").setPrivatePort(8080)
          .setPublicPort(20000 + c).setProtocol("tcp"));
    } else {
      int code = r.nextBoolean() ? 0 : 137;
      b.setStatus("Exited (" + code + ")").setExitCode(code).setFinished(ts(created.plusSeconds(3600)));
    }
    return b.build();
  }

  private static String sha(Random r) {
    return "sha256:" + hex(r, 32);
  }

  private static String hex(Random r, int bytes) {
    byte[] b = new byte[bytes];
    r.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static Timestamp ts(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }
}
