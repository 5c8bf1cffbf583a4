package io.portolan.agent;

import io.portolan.inventory.Analyzers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Everything an {@link Agent} needs to run, as the launcher parsed it from flags and files.
 *
 * @param collectorTarget the collector's gRPC address, "host:port"
 * @param stateDir where RocksDB keeps the agent identity and the outbox
 * @param dockerHost the engine, e.g. "unix:///var/run/docker.sock"
 * @param hostName reported host name; empty means the machine's own
 * @param labels free-form labels reported in the Hello
 * @param resyncInterval how often a full snapshot is taken even without changes
 * @param heartbeatInterval how often a heartbeat is sent, unless the collector says otherwise
 * @param reconnectMin smallest reconnect backoff, for both the collector and the engine
 * @param reconnectMax largest reconnect backoff, also the wait after the collector refused the agent
 * @param maxInFlight unacknowledged messages allowed in flight, unless the collector says otherwise
 * @param dockerApiVersion the Docker API version to speak, lowered to the engine's maximum if older
 * @param layerSource where layers are read: overlay2 directly when readable (AUTO), or one of them only
 * @param packageTypes what the inventory looks for; both OS and language packages unless narrowed
 * @param javaSha1Index a {@code <sha1> TAB <group>:<artifact>:<version>} table naming jars that say
 *     nothing about themselves, as the CLI's {@code --java-sha1-index} takes it
 */
public record AgentConfig(
    String collectorTarget,
    Path stateDir,
    String dockerHost,
    Optional<String> hostName,
    Map<String, String> labels,
    Duration resyncInterval,
    Duration heartbeatInterval,
    Duration reconnectMin,
    Duration reconnectMax,
    int maxInFlight,
    String dockerApiVersion,
    io.portolan.agent.inventory.InventoryScheduler.Settings inventory,
    io.portolan.agent.docker.DockerLayerReader.Mode layerSource,
    Set<Analyzers.PackageType> packageTypes,
    Optional<Path> javaSha1Index) {

  public static final String DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
  public static final String DEFAULT_DOCKER_API_VERSION = "1.41";
  public static final Duration DEFAULT_RESYNC_INTERVAL = Duration.ofMinutes(10);
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(10);
  public static final Duration DEFAULT_RECONNECT_MIN = Duration.ofMillis(500);
  public static final Duration DEFAULT_RECONNECT_MAX = Duration.ofSeconds(30);
  public static final int DEFAULT_MAX_IN_FLIGHT = 256;
  /** One image at a time, new images inventoried as they arrive. */
  public static final io.portolan.agent.inventory.InventoryScheduler.Settings DEFAULT_INVENTORY =
      new io.portolan.agent.inventory.InventoryScheduler.Settings(1, true, true);

  public AgentConfig {
    Objects.requireNonNull(collectorTarget, "collectorTarget");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(dockerHost, "dockerHost");
    Objects.requireNonNull(hostName, "hostName");
    Objects.requireNonNull(resyncInterval, "resyncInterval");
    Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
    Objects.requireNonNull(reconnectMin, "reconnectMin");
    Objects.requireNonNull(reconnectMax, "reconnectMax");
    Objects.requireNonNull(dockerApiVersion, "dockerApiVersion");
    Objects.requireNonNull(inventory, "inventory");
    Objects.requireNonNull(layerSource, "layerSource");
    Objects.requireNonNull(javaSha1Index, "javaSha1Index");
    if (packageTypes == null || packageTypes.isEmpty()) {
      throw new IllegalArgumentException("packageTypes must name at least one package type");
    }
    packageTypes = Collections.unmodifiableSet(EnumSet.copyOf(packageTypes));
    if (collectorTarget.isBlank()) {
      throw new IllegalArgumentException("collector target must be host:port");
    }
    requirePositive("resyncInterval", resyncInterval);
    requirePositive("heartbeatInterval", heartbeatInterval);
    requirePositive("reconnectMin", reconnectMin);
    if (reconnectMax.compareTo(reconnectMin) < 0) {
      throw new IllegalArgumentException("reconnectMax must not be below reconnectMin");
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be at least 1");
    }
    hostName = hostName.filter(h -> !h.isBlank());
    labels = labels == null ? Map.of() : Map.copyOf(new TreeMap<>(labels));
  }

  /** A config with every default, for the given collector and state directory. */
  public static AgentConfig defaults(String collectorTarget, Path stateDir) {
    return new AgentConfig(collectorTarget, stateDir, DEFAULT_DOCKER_HOST, Optional.empty(), Map.of(),
        DEFAULT_RESYNC_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_RECONNECT_MIN, DEFAULT_RECONNECT_MAX,
        DEFAULT_MAX_IN_FLIGHT, DEFAULT_DOCKER_API_VERSION, DEFAULT_INVENTORY,
        io.portolan.agent.docker.DockerLayerReader.Mode.AUTO, EnumSet.allOf(Analyzers.PackageType.class), Optional.empty());
  }

  public AgentConfig withDockerHost(String value) {
    return new AgentConfig(collectorTarget, stateDir, value, hostName, labels, resyncInterval,
        heartbeatInterval, reconnectMin, reconnectMax, maxInFlight, dockerApiVersion, inventory, layerSource,
        packageTypes, javaSha1Index);
  }

  public AgentConfig withHostName(String value) {
    return new AgentConfig(collectorTarget, stateDir, dockerHost, Optional.ofNullable(value), labels,
        resyncInterval, heartbeatInterval, reconnectMin, reconnectMax, maxInFlight, dockerApiVersion, inventory, layerSource,
        packageTypes, javaSha1Index);
  }

  public AgentConfig withLabels(Map<String, String> value) {
    return new AgentConfig(collectorTarget, stateDir, dockerHost, hostName, value, resyncInterval,
        heartbeatInterval, reconnectMin, reconnectMax, maxInFlight, dockerApiVersion, inventory, layerSource,
        packageTypes, javaSha1Index);
  }

  public AgentConfig withResyncInterval(Duration value) {
    return new AgentConfig(collectorTarget, stateDir, dockerHost, hostName, labels, value,
        heartbeatInterval, reconnectMin, reconnectMax, maxInFlight, dockerApiVersion, inventory, layerSource,
        packageTypes, javaSha1Index);
  }

  public AgentConfig withHeartbeatInterval(Duration value) {
    return new AgentConfig(collectorTarget, stateDir, dockerHost, hostName, labels, resyncInterval,
        value, reconnectMin, reconnectMax, maxInFlight, dockerApiVersion, inventory, layerSource,
        packageTypes, javaSha1Index);
  }

  public AgentConfig withReconnectBackoff(Duration min, Duration max) {
    return new AgentConfig(collectorTarget, stateDir, dockerHost, hostName, labels, resyncInterval,
        heartbeatInterval, min, max, maxInFlight, dockerApiVersion, inventory, layerSource,
        packageTypes, javaSha1Index);
  }

  public AgentConfig withMaxInFlight(int value) {
    return new AgentConfig(collectorTarget, stateDir, dockerHost, hostName, labels, resyncInterval,
        heartbeatInterval, reconnectMin, reconnectMax, value, dockerApiVersion, inventory, layerSource,
        packageTypes, javaSha1Index);
  }

  public AgentConfig withInventory(io.portolan.agent.inventory.InventoryScheduler.Settings value) {
    return new AgentConfig(collectorTarget, stateDir, dockerHost, hostName, labels, resyncInterval,
        heartbeatInterval, reconnectMin, reconnectMax, maxInFlight, dockerApiVersion, value, layerSource,
        packageTypes, javaSha1Index);
  }

  public AgentConfig withLayerSource(io.portolan.agent.docker.DockerLayerReader.Mode value) {
    return new AgentConfig(collectorTarget, stateDir, dockerHost, hostName, labels, resyncInterval,
        heartbeatInterval, reconnectMin, reconnectMax, maxInFlight, dockerApiVersion, inventory, value,
        packageTypes, javaSha1Index);
  }

  public AgentConfig withPackageTypes(Set<Analyzers.PackageType> value) {
    return new AgentConfig(collectorTarget, stateDir, dockerHost, hostName, labels, resyncInterval,
        heartbeatInterval, reconnectMin, reconnectMax, maxInFlight, dockerApiVersion, inventory, layerSource,
        value, javaSha1Index);
  }

  public AgentConfig withJavaSha1Index(Optional<Path> value) {
    return new AgentConfig(collectorTarget, stateDir, dockerHost, hostName, labels, resyncInterval,
        heartbeatInterval, reconnectMin, reconnectMax, maxInFlight, dockerApiVersion, inventory, layerSource,
        packageTypes, value);
  }

  private static void requirePositive(String name, Duration d) {
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }
}
