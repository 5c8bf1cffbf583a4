package io.portolan.collector.ingest;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides which agents may connect. The collector speaks protocol 1 and accepts agents of its own
 * major version or older (an older agent only lacks features); an agent newer than the collector may
 * send things it cannot store, so it is refused with advice to upgrade the collector.
 */
public final class AgentVersionPolicy {
  public static final int PROTOCOL_VERSION = 1;
  private static final Pattern SEMVER = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)([-+][0-9A-Za-z.+-]*)?");

  private final int collectorMajor;
  private final String collectorVersion;

  public AgentVersionPolicy(String collectorVersion) {
    this.collectorVersion = collectorVersion;
    Matcher m = SEMVER.matcher(collectorVersion);
    this.collectorMajor = m.matches() ? Integer.parseInt(m.group(1)) : 0;
  }

  /** Empty when the agent may connect, else the reason it may not. */
  public Optional<String> refusal(int protocolVersion, String agentVersion) {
    if (protocolVersion != PROTOCOL_VERSION) {
      return Optional.of("unsupported protocol version " + protocolVersion
          + "; this collector (" + collectorVersion + ") speaks protocol " + PROTOCOL_VERSION);
    }
    if (agentVersion.equals("dev")) return Optional.empty();
    Matcher m = SEMVER.matcher(agentVersion);
    if (!m.matches()) {
      return Optional.of("unknown agent version '" + agentVersion
          + "': expected MAJOR.MINOR.PATCH (or 'dev' for a development build)");
    }
    int major = Integer.parseInt(m.group(1));
    if (major > collectorMajor) {
      return Optional.of("agent version " + agentVersion + " is newer than this collector ("
          + collectorVersion + ") supports; upgrade the collector first");
    }
    return Optional.empty();
  }
}
