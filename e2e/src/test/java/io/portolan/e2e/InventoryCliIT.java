package io.portolan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code portolan inventory} against a real engine: an image whose layers install, upgrade and
 * purge dpkg packages and delete files, read through overlay2 and through the save stream. The
 * expected packages and layers come from the dpkg status files the test itself wrote.
 */
class InventoryCliIT {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path work;
  Engine engine;

  @BeforeEach
  void start() {
    engine = new Engine();
  }

  @AfterEach
  void stop() {
    engine.close();
  }

  static String stanza(String name, String version, String source) {
    return "Package: " + name + "\nStatus: install ok installed\nArchitecture: amd64\n"
        + (source.isEmpty() ? "" : "Source: " + source + "\n") + "Version: " + version + "\n\n";
  }

  @Test
  void overlay2AndSaveStreamGiveTheSameExactInventory() throws Exception {
    Path ctx = work.resolve("ctx");
    Files.createDirectories(ctx.resolve("l1/var/lib/dpkg"));
    Files.createDirectories(ctx.resolve("l1/etc"));
    Files.createDirectories(ctx.resolve("l3/var/lib/dpkg"));
    Files.writeString(ctx.resolve("l1/etc/os-release"),
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
            + "VERSION_CODENAME=bookworm\nID=debian\n");
    // Layer 1: base packages. Layer 3: libssl3 upgraded, curl added, bash purged.
    Files.writeString(ctx.resolve("l1/var/lib/dpkg/status"),
        stanza("bash", "5.2.15-2+b2", "") + stanza("libssl3", "3.0.11-1~deb12u1", "openssl")
            + stanza("coreutils", "9.1-1", "") + stanza("libc6", "2.36-9+deb12u3", "glibc"));
    Files.writeString(ctx.resolve("l3/var/lib/dpkg/status"),
        stanza("libssl3", "3.0.15-1~deb12u1", "openssl") + stanza("coreutils", "9.1-1", "")
            + stanza("libc6", "2.36-9+deb12u3", "glibc") + stanza("curl", "7.88.1-10+deb12u8", ""));
    Files.copy(Path.of("/bin/busybox"), ctx.resolve("busybox"));
    Files.writeString(ctx.resolve("Dockerfile"), String.join("\n",
        "FROM scratch",
        "COPY l1 /",
        "COPY busybox /bin/busybox",
        "COPY l3 /",
        // A whiteout of a whole directory that no analyzer reads, and one of the os-release file.
        "RUN [\"/bin/busybox\", \"rm\", \"-rf\", \"/etc/os-release\"]",
        "COPY l1/etc/os-release /usr/lib/os-release",
        "LABEL " + Engine.LABEL + "=" + engine.run, ""));
    String image = engine.docker.buildImageCmd(ctx.toFile()).withTags(Set.of("portolan-it/inventory:1"))
        .exec(new BuildImageResultCallback()).awaitImageId();
    image = engine.docker.inspectImageCmd(image).exec().getId();
    List<String> diffIds = engine.docker.inspectImageCmd(image).exec().getRootFS().getLayers();

    JsonNode overlay = inventory(image, "overlay2", "json");
    JsonNode save = inventory(image, "save", "json");
    assertThat(overlay.get("source").asText()).isEqualTo("overlay2");
    assertThat(save.get("source").asText()).isEqualTo("save");
    assertThat(save.get("packages")).isEqualTo(overlay.get("packages"));
    assertThat(save.get("layers")).isEqualTo(overlay.get("layers"));
    assertThat(overlay.get("os").get("versionId").asText()).isEqualTo("12");

    Map<String, String> found = new TreeMap<>();
    for (JsonNode p : overlay.get("packages")) {
      found.put(p.get("name").asText() + "=" + p.get("version").asText(), p.get("layer").asText());
    }
    // 100 % recall and precision, with the exact layer of each package.
    assertThat(found).isEqualTo(Map.of(
        "coreutils=9.1-1", diffIds.get(0),
        "libc6=2.36-9+deb12u3", diffIds.get(0),
        "libssl3=3.0.15-1~deb12u1", diffIds.get(2),
        "curl=7.88.1-10+deb12u8", diffIds.get(2)));
    JsonNode libssl = pkg(overlay, "libssl3");
    assertThat(libssl.get("sourceName").asText()).isEqualTo("openssl");
    assertThat(libssl.get("purl").asText()).contains("distro=debian-12");
    JsonNode layer3 = overlay.get("layers").get(2);
    assertThat(layer3.get("added").asInt()).isEqualTo(1);
    assertThat(layer3.get("changed").asInt()).isEqualTo(1);
    assertThat(layer3.get("removed").asInt()).isEqualTo(1);

    JsonNode sbom = inventory(image, "auto", "cyclonedx");
    assertThat(sbom.get("specVersion").asText()).isEqualTo("1.6");
    assertThat(sbom.get("components")).hasSize(4);
    assertThat(sbom.toString()).contains("portolan:layer:diff_id").contains(diffIds.get(2));
  }

  @Test
  void aMissingImageOrABadFormatIsAClearError() throws Exception {
    PortolanCli.Result r = run("inventory", "portolan-it/does-not-exist:1");
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("no such image: portolan-it/does-not-exist:1");
    PortolanCli.Result bad = run("inventory", "x", "--source", "tar:" + work.resolve("missing.tar"));
    assertThat(bad.exit()).isNotZero();
    assertThat(bad.err()).contains("no such file or directory");
    Path garbage = work.resolve("garbage.tar");
    Files.write(garbage, new byte[] {1, 2, 3, 4, 5});
    PortolanCli.Result corrupt = run("inventory", "x", "--source", "tar:" + garbage);
    assertThat(corrupt.exit()).isNotZero();
    assertThat(corrupt.err()).startsWith("portolan: ");
  }

  private static JsonNode pkg(JsonNode report, String name) {
    for (JsonNode p : report.get("packages")) if (p.get("name").asText().equals(name)) return p;
    throw new AssertionError("no package " + name);
  }

  private JsonNode inventory(String image, String source, String format) throws Exception {
    PortolanCli.Result r = run("inventory", image, "--source", source, "--format", format);
    assertThat(r.exit()).as(r.err()).isZero();
    return JSON.readTree(r.out());
  }

  private PortolanCli.Result run(String... args) throws IOException, InterruptedException {
    return PortolanCli.run(work, args);
  }
}
