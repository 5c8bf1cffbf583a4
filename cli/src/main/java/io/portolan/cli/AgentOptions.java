package io.portolan.cli;

import io.portolan.agent.AgentConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The agent's flags. */
final class AgentOptions {
  @Option(names = "--collector", defaultValue = "127.0.0.1:7071", description = "Collector's agent endpoint HOST:PORT (default: ${DEFAULT-VALUE})")
  String collector;

  @Option(names = "--state-dir", defaultValue = "./data/agent", description = "Agent ID, outbox and layer cache (default: ${DEFAULT-VALUE})")
  Path stateDir;

  @Option(names = "--docker-host", defaultValue = AgentConfig.DEFAULT_DOCKER_HOST, description = "Docker engine socket (default: ${DEFAULT-VALUE})")
  String dockerHost;

  @Option(names = "--host-name", defaultValue = "", description = "Name to report instead of the machine's host name")
  String hostName;

  @Option(names = "--label", description = "key=value label for this host (repeatable)")
  Map<String, String> labels = Map.of();

  @Option(names = "--resync-interval", defaultValue = "10m", converter = DurationConverter.class,
      description = "Full resync period (default: ${DEFAULT-VALUE})")
  Duration resyncInterval;

  @Option(names = "--inventory-concurrency", defaultValue = "1",
      description = "Images inventoried at once, on low-priority threads (default: ${DEFAULT-VALUE})")
  int inventoryConcurrency;

  @Option(names = "--auto-inventory", defaultValue = "true", negatable = true, fallbackValue = "true",
      description = "Inventory new images as they arrive (default: ${DEFAULT-VALUE}); --no-auto-inventory waits for scans")
  boolean autoInventory;

  @Option(names = "--polite", defaultValue = "true", negatable = true, fallbackValue = "true",
      description = "Wait (up to 30 s per image) while the host's load exceeds its CPUs before reading layers"
          + " (default: ${DEFAULT-VALUE})")
  boolean polite;

  @Option(names = "--layer-source", defaultValue = "auto",
      description = "Where layers are read: auto (overlay2 directories when readable, else the docker save stream),"
          + " overlay2 or save (default: ${DEFAULT-VALUE})")
  String layerSource;

  @Option(names = "--pkg-types", paramLabel = "TYPES", defaultValue = io.portolan.inventory.Analyzers.PackageType.DEFAULT,
      description = "Package types to inventory: os (dpkg, apk, rpm), library (language packages) or both"
          + " (default: ${DEFAULT-VALUE})")
  String pkgTypes;

  @Option(names = "--java-sha1-index", paramLabel = "FILE",
      description = "Table of <sha1><TAB><group>:<artifact>:<version> lines that names jars carrying neither"
          + " pom.properties nor a usable manifest; read at start")
  Path javaSha1Index;

  AgentConfig toConfig() {
    io.portolan.agent.docker.DockerLayerReader.Mode mode;
    try {
      mode = io.portolan.agent.docker.DockerLayerReader.Mode.valueOf(
          layerSource.trim().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--layer-source must be auto, overlay2 or save, got '" + layerSource + "'");
    }
    java.util.Set<io.portolan.inventory.Analyzers.PackageType> types;
    try {
      types = io.portolan.inventory.Analyzers.PackageType.parse(pkgTypes);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--pkg-types: " + e.getMessage());
    }
    if (javaSha1Index != null && !java.nio.file.Files.isRegularFile(javaSha1Index)) {
      throw new IllegalArgumentException("--java-sha1-index: no such file: " + javaSha1Index);
    }
    return AgentConfig.defaults(collector, stateDir)
        .withLayerSource(mode)
        .withPackageTypes(types)
        .withJavaSha1Index(Optional.ofNullable(javaSha1Index))
        .withInventory(new io.portolan.agent.inventory.InventoryScheduler.Settings(inventoryConcurrency, autoInventory, polite))
        .withDockerHost(dockerHost)
        .withHostName(hostName.isBlank() ? null : hostName)
        .withLabels(labels == null ? Map.of() : labels)
        .withResyncInterval(resyncInterval);
  }

  static AgentConfig local(Path dataDir, int grpcPort, Optional<String> dockerHost) {
    var c = AgentConfig.defaults("127.0.0.1:" + grpcPort, dataDir.resolve("agent"));
    return dockerHost.map(c::withDockerHost).orElse(c);
  }
}
