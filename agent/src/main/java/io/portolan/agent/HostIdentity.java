package io.portolan.agent;

import io.portolan.proto.agent.v1.HostFacts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Describes this host for the Hello: the engine's facts from the watcher, completed with the host
 * name, the interface addresses and the operator's labels, and with JVM-side fallbacks while the
 * engine has not answered yet.
 */
public final class HostIdentity implements Supplier<HostFacts> {

  private static final Logger LOG = LoggerFactory.getLogger(HostIdentity.class);

  private final Supplier<HostFacts> engineFacts;
  private final Optional<String> hostNameOverride;
  private final Map<String, String> labels;

  public HostIdentity(Supplier<HostFacts> engineFacts, Optional<String> hostNameOverride, Map<String, String> labels) {
    this.engineFacts = engineFacts;
    this.hostNameOverride = hostNameOverride;
    this.labels = Map.copyOf(labels);
  }

  @Override
  public HostFacts get() {
    HostFacts.Builder facts = engineFacts.get().toBuilder()
        .setHostName(hostNameOverride.orElseGet(HostIdentity::machineHostName))
        .clearIps()
        .addAllIps(addresses())
        .putAllLabels(labels);
    if (facts.getOs().isEmpty()) {
      osRelease().ifPresent(facts::setOs);
    }
    if (facts.getKernel().isEmpty()) {
      facts.setKernel(System.getProperty("os.version", ""));
    }
    if (facts.getArchitecture().isEmpty()) {
      facts.setArchitecture(System.getProperty("os.arch", ""));
    }
    if (facts.getCpus() == 0) {
      facts.setCpus(Runtime.getRuntime().availableProcessors());
    }
    return facts.build();
  }

  static String machineHostName() {
    try {
      Path etcHostname = Path.of("/etc/hostname");
      if (Files.isReadable(etcHostname)) {
        String name = Files.readString(etcHostname).strip();
        if (!name.isEmpty()) {
          return name;
        }
      }
    } catch (IOException e) {
      LOG.debug("cannot read /etc/hostname", e);
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  /** Non-loopback, non-link-local addresses of interfaces that are up, sorted for a stable Hello. */
  static List<String> addresses() {
    List<String> result = new ArrayList<>();
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!nic.isUp() || nic.isLoopback()) {
          continue;
        }
        for (InetAddress address : Collections.list(nic.getInetAddresses())) {
          if (address.isLoopbackAddress() || address.isLinkLocalAddress()) {
            continue;
          }
          String text = address.getHostAddress();
          int zone = text.indexOf('%');
          result.add(zone < 0 ? text : text.substring(0, zone));
        }
      }
    } catch (SocketException e) {
      LOG.debug("cannot list network interfaces", e);
    }
    return result.stream().distinct().sorted().toList();
  }

  static Optional<String> osRelease() {
    try {
      for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
        if (line.startsWith("PRETTY_NAME=")) {
          return Optional.of(line.substring("PRETTY_NAME=".length()).replace("\"", "").strip());
        }
      }
    } catch (IOException e) {
      LOG.debug("cannot read /etc/os-release", e);
    }
    return Optional.empty();
  }
}
