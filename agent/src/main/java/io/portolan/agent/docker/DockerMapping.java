package io.portolan.agent.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.model.ContainerConfig;
import com.github.dockerjava.api.model.ContainerPort;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.ImageHistory;
import com.google.protobuf.Timestamp;
import io.portolan.proto.agent.v1.Container;
import io.portolan.proto.agent.v1.HistoryEntry;
import io.portolan.proto.agent.v1.Image;
import io.portolan.proto.agent.v1.ImageConfig;
import io.portolan.proto.agent.v1.Port;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** Turns docker-java responses into wire messages; pure functions, so they are tested without an engine. */
final class DockerMapping {

  static final String NO_TAG = "<none>:<none>";
  static final String NO_DIGEST = "<none>@<none>";

  /** Dockerfile instructions that only change the image config, never the file system. */
  private static final Set<String> METADATA_INSTRUCTIONS = Set.of(
      "ENV", "LABEL", "CMD", "ENTRYPOINT", "EXPOSE", "USER", "WORKDIR", "VOLUME", "ARG",
      "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "MAINTAINER");

  private DockerMapping() {
  }

  static List<String> repoTags(String[] tags) {
    return clean(tags, NO_TAG);
  }

  static List<String> repoDigests(String[] digests) {
    return clean(digests, NO_DIGEST);
  }

  private static List<String> clean(String[] values, String none) {
    if (values == null) {
      return List.of();
    }
    return Arrays.stream(values).filter(v -> v != null && !v.isEmpty() && !v.equals(none)).sorted().toList();
  }

  static Image image(com.github.dockerjava.api.model.Image listed, InspectImageResponse inspect,
      List<ImageHistory> newestFirst) {
    Image.Builder image = Image.newBuilder()
        .setId(inspect.getId())
        .addAllRepoTags(repoTags(listed.getRepoTags()))
        .addAllRepoDigests(repoDigests(listed.getRepoDigests()))
        .setSizeBytes(listed.getSize() != null ? listed.getSize() : orZero(inspect.getSize()))
        .setOs(nonNull(inspect.getOs()))
        .setArchitecture(nonNull(inspect.getArch()))
        .setAuthor(nonNull(inspect.getAuthor()))
        .setDockerVersion(nonNull(inspect.getDockerVersion()));
    timestamp(inspect.getCreated()).ifPresent(image::setCreated);
    Object variant = inspect.getRawValues().get("Variant");
    if (variant instanceof String v) {
      image.setVariant(v);
    }
    List<String> diffIds = inspect.getRootFS() == null || inspect.getRootFS().getLayers() == null
        ? List.of() : inspect.getRootFS().getLayers();
    image.addAllLayerDiffIds(diffIds);
    image.addAllHistory(history(newestFirst, diffIds.size()));
    if (inspect.getConfig() != null) {
      image.setConfig(config(inspect.getConfig()));
    }
    return image.build();
  }

  /**
   * Docker's history API has no EmptyLayer flag, so it is derived: an entry with Size &gt; 0 made a
   * layer. If that accounts for fewer layers than RootFS lists, the rest are zero-size layers
   * (e.g. a RUN that changed nothing): zero-size entries whose instruction can touch the file
   * system (anything but ENV, LABEL, CMD, ...) are counted as layers oldest first, then, if still
   * short, any remaining zero-size entries oldest first. Everything else is an empty layer.
   */
  static List<HistoryEntry> history(List<ImageHistory> newestFirst, int layerCount) {
    List<ImageHistory> entries = new ArrayList<>(newestFirst == null ? List.of() : newestFirst);
    java.util.Collections.reverse(entries);
    boolean[] layer = new boolean[entries.size()];
    int layers = 0;
    for (int i = 0; i < entries.size(); i++) {
      if (orZero(entries.get(i).getSize()) > 0) {
        layer[i] = true;
        layers++;
      }
    }
    for (int pass = 0; pass < 2 && layers < layerCount; pass++) {
      for (int i = 0; i < entries.size() && layers < layerCount; i++) {
        if (!layer[i] && (pass == 1 || !isMetadataOnly(entries.get(i).getCreatedBy()))) {
          layer[i] = true;
          layers++;
        }
      }
    }
    List<HistoryEntry> result = new ArrayList<>(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      ImageHistory h = entries.get(i);
      HistoryEntry.Builder entry = HistoryEntry.newBuilder()
          .setCreatedBy(redactCreatedBy(h.getCreatedBy()))
          .setComment(nonNull(h.getComment()))
          .setEmptyLayer(!layer[i])
          .setSizeBytes(Math.max(0, orZero(h.getSize())));
      if (h.getCreated() != null && h.getCreated() > 0) {
        entry.setCreated(Timestamp.newBuilder().setSeconds(h.getCreated()));
      }
      result.add(entry.build());
    }
    return result;
  }

  private static final java.util.regex.Pattern BUILD_ARGS =
      java.util.regex.Pattern.compile("^\\|(\\d+)((?:\\s+[^\\s=]+=\\S*)*)(\\s+.*)?$", java.util.regex.Pattern.DOTALL);
  private static final java.util.regex.Pattern ASSIGNMENT_NAME =
      java.util.regex.Pattern.compile("(?:^|\\s)([^\\s=\"']+)=");
  private static final java.util.regex.Pattern ENV_OR_ARG =
      java.util.regex.Pattern.compile("^((?:/bin/sh -c #\\(nop\\)\\s+)?)(ENV|ARG)(\\s+)(.*)$",
          java.util.regex.Pattern.DOTALL | java.util.regex.Pattern.CASE_INSENSITIVE);

  /**
   * History records ENV and ARG instructions and build arguments verbatim, values included;
   * like env values in the config, those values are replaced by "&lt;redacted&gt;" and only the
   * names leave the host.
   */
  static String redactCreatedBy(String createdBy) {
    if (createdBy == null) {
      return "";
    }
    String s = createdBy.strip();
    java.util.regex.Matcher args = BUILD_ARGS.matcher(s);
    if (args.matches()) {
      String names = redactAssignments(args.group(2));
      String rest = args.group(3) == null ? "" : args.group(3);
      return "|" + args.group(1) + names + rest;
    }
    java.util.regex.Matcher envOrArg = ENV_OR_ARG.matcher(s);
    if (envOrArg.matches()) {
      String body = envOrArg.group(4).strip();
      String redacted;
      if (body.contains("=")) {
        redacted = redactAssignments(body).strip();
      } else {
        // Legacy "ENV NAME value" form, or an ARG without default (nothing to hide).
        int space = body.indexOf(' ');
        redacted = space < 0 ? body : body.substring(0, space) + "=<redacted>";
      }
      return envOrArg.group(1) + envOrArg.group(2) + envOrArg.group(3) + redacted;
    }
    return s;
  }

  private static String redactAssignments(String assignments) {
    StringBuilder names = new StringBuilder();
    java.util.regex.Matcher m = ASSIGNMENT_NAME.matcher(assignments);
    while (m.find()) {
      names.append(' ').append(m.group(1)).append("=<redacted>");
    }
    return names.toString();
  }

  static boolean isMetadataOnly(String createdBy) {
    if (createdBy == null) {
      return false;
    }
    String s = createdBy.strip();
    for (String prefix : List.of("/bin/sh -c #(nop)", "|")) {
      if (s.startsWith(prefix)) {
        s = prefix.equals("|") ? s.replaceFirst("^\\|\\d+\\s+(\\S+=\\S*\\s+)*", "") : s.substring(prefix.length());
        s = s.strip();
      }
    }
    int space = s.indexOf(' ');
    String word = (space < 0 ? s : s.substring(0, space)).toUpperCase(Locale.ROOT);
    return METADATA_INSTRUCTIONS.contains(word);
  }

  static ImageConfig config(ContainerConfig config) {
    ImageConfig.Builder result = ImageConfig.newBuilder()
        .setUser(nonNull(config.getUser()))
        .setWorkingDir(nonNull(config.getWorkingDir()));
    if (config.getEntrypoint() != null) {
      result.addAllEntrypoint(Arrays.asList(config.getEntrypoint()));
    }
    if (config.getCmd() != null) {
      result.addAllCmd(Arrays.asList(config.getCmd()));
    }
    result.addAllEnvNames(envNames(config.getEnv()));
    if (config.getExposedPorts() != null) {
      result.addAllExposedPorts(Arrays.stream(config.getExposedPorts())
          .map(ExposedPort::toString).sorted().toList());
    }
    if (config.getLabels() != null) {
      result.putAllLabels(new TreeMap<>(config.getLabels()));
    }
    return result.build();
  }

  /** Only the names: values routinely hold passwords and tokens, which never leave the host. */
  static List<String> envNames(String[] env) {
    if (env == null) {
      return List.of();
    }
    return Arrays.stream(env)
        .filter(e -> e != null && !e.isEmpty())
        .map(e -> {
          int eq = e.indexOf('=');
          return eq < 0 ? e : e.substring(0, eq);
        })
        .toList();
  }

  /**
   * The command is redacted like history because the classic builder's intermediate containers
   * run "#(nop) ENV NAME=value" as their command while a build is in progress.
   */
  static Container container(com.github.dockerjava.api.model.Container listed, InspectContainerResponse inspect) {
    Container.Builder c = Container.newBuilder()
        .setId(inspect.getId())
        .addAllNames(names(listed.getNames()))
        .setImageId(nonNull(inspect.getImageId()))
        .setImageRef(inspect.getConfig() != null && inspect.getConfig().getImage() != null
            ? inspect.getConfig().getImage() : nonNull(listed.getImage()))
        .setCommand(redactCreatedBy(command(inspect.getPath(), inspect.getArgs())))
        .setRestartCount(Math.max(0, orZero(inspect.getRestartCount())))
        .addAllPorts(ports(listed.getPorts()));
    timestamp(inspect.getCreated()).ifPresent(c::setCreated);
    InspectContainerResponse.ContainerState state = inspect.getState();
    if (state != null) {
      String status = state.getStatus() == null ? nonNull(listed.getState()) : state.getStatus();
      int exitCode = state.getExitCodeLong() != null ? state.getExitCodeLong().intValue() : orZero(state.getExitCode());
      String health = state.getHealth() == null ? null : state.getHealth().getStatus();
      c.setState(status)
          .setStatus(status(status, exitCode, health))
          .setExitCode(exitCode);
      timestamp(state.getStartedAt()).ifPresent(c::setStarted);
      timestamp(state.getFinishedAt()).ifPresent(c::setFinished);
    } else {
      c.setState(nonNull(listed.getState())).setStatus(status(nonNull(listed.getState()), 0, null));
    }
    Map<String, String> labels = listed.getLabels() != null ? listed.getLabels()
        : inspect.getConfig() != null ? inspect.getConfig().getLabels() : null;
    if (labels != null) {
      c.putAllLabels(new TreeMap<>(labels));
    }
    return c.build();
  }

  static List<String> names(String[] names) {
    if (names == null) {
      return List.of();
    }
    return Arrays.stream(names).filter(n -> n != null && !n.isEmpty())
        .map(n -> n.startsWith("/") ? n.substring(1) : n).sorted().toList();
  }

  /** Like Docker's list "Command": the path and arguments joined by spaces. */
  static String command(String path, String[] args) {
    StringBuilder command = new StringBuilder(nonNull(path));
    if (args != null) {
      for (String arg : args) {
        if (!command.isEmpty()) {
          command.append(' ');
        }
        command.append(arg);
      }
    }
    return command.toString();
  }

  /**
   * Docker's own status ("Up 3 minutes") changes every second; this keeps its shape without the
   * duration, so an unchanged container produces an unchanged message.
   */
  static String status(String state, int exitCode, String health) {
    String base = switch (state == null ? "" : state) {
      case "running" -> "Up";
      case "paused" -> "Paused";
      case "restarting" -> "Restarting (" + exitCode + ")";
      case "exited" -> "Exited (" + exitCode + ")";
      case "created" -> "Created";
      case "removing" -> "Removal In Progress";
      case "dead" -> "Dead";
      case "" -> "Unknown";
      default -> state.substring(0, 1).toUpperCase(Locale.ROOT) + state.substring(1);
    };
    if ("running".equals(state) && health != null && !health.isEmpty() && !"none".equals(health)) {
      return base + ("starting".equals(health) ? " (health: starting)" : " (" + health + ")");
    }
    return base;
  }

  static List<Port> ports(ContainerPort[] ports) {
    if (ports == null) {
      return List.of();
    }
    return Arrays.stream(ports)
        .map(p -> Port.newBuilder()
            .setIp(nonNull(p.getIp()))
            .setPrivatePort(Math.max(0, orZero(p.getPrivatePort())))
            .setPublicPort(Math.max(0, orZero(p.getPublicPort())))
            .setProtocol(nonNull(p.getType()))
            .build())
        .sorted(Comparator.comparing(Port::getPrivatePort).thenComparing(Port::getProtocol)
            .thenComparing(Port::getIp).thenComparing(Port::getPublicPort))
        .toList();
  }

  /** Docker writes "0001-01-01T00:00:00Z" for a time that never happened; that maps to unset. */
  static Optional<Timestamp> timestamp(String rfc3339) {
    if (rfc3339 == null || rfc3339.isEmpty()) {
      return Optional.empty();
    }
    Instant instant;
    try {
      instant = OffsetDateTime.parse(rfc3339).toInstant();
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
    if (instant.getEpochSecond() <= 0) {
      return Optional.empty();
    }
    return Optional.of(Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build());
  }

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }

  private static long orZero(Long l) {
    return l == null ? 0 : l;
  }

  private static int orZero(Integer i) {
    return i == null ? 0 : i;
  }
}
