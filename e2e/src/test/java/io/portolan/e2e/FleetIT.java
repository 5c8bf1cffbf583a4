package io.portolan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two agents (two simulated hosts) against one real dockerd, a collector process, and the API as the
 * security analyst uses it: which hosts and containers run this image.
 */
class FleetIT {
  @TempDir Path work;
  Engine engine;
  PortolanProcess collector;
  PortolanProcess agentA;
  PortolanProcess agentB;
  Api api;

  @BeforeEach
  void start() {
    engine = new Engine();
    int http = PortolanProcess.freePort();
    int grpc = PortolanProcess.freePort();
    collector = PortolanProcess.collector(work, http, grpc, "", "", "").start();
    api = new Api(http);
    await("collector healthy").atMost(Duration.ofSeconds(60)).until(api::healthy);
    agentA = PortolanProcess.agent(work, "it-host-a", grpc).start();
    agentB = PortolanProcess.agent(work, "it-host-b", grpc).start();
  }

  @AfterEach
  void stop() {
    for (var p : new PortolanProcess[] {agentA, agentB, collector}) if (p != null) p.close();
    if (engine != null) engine.close();
  }

  @Test
  void anImageOnTwoHostsShowsBothServersAndEveryContainer() {
    String image = engine.buildBusyboxImage("portolan-it/fleet", "v1");
    String running = engine.createContainer(image, "web", true);
    String stopped = engine.createContainer(image, "job", true);
    engine.stop(stopped);

    await("both hosts report the image").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      List<JsonNode> hosts = api.all("/api/v1/images/" + image + "/hosts");
      assertThat(hosts).extracting(h -> h.get("hostName").asText())
          .containsExactlyInAnyOrder("it-host-a", "it-host-b");
      assertThat(hosts).allSatisfy(h -> {
        assertThat(h.get("online").asBoolean()).isTrue();
        assertThat(h.get("present").asBoolean()).isTrue();
        assertThat(h.get("dockerVersion").asText()).isEqualTo(engine.dockerVersion());
        assertThat(h.get("ips")).isNotEmpty();
        assertThat(h.get("repoTags").toString()).contains("portolan-it/fleet:v1");
      });
    });
    await("containers with state and CMD").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      List<JsonNode> containers = api.all("/api/v1/images/" + image + "/containers");
      // Each agent reports the engine's containers as its own host's.
      assertThat(containers).hasSize(4);
      Map<String, List<JsonNode>> byId = containers.stream().collect(Collectors.groupingBy(c -> c.get("id").asText()));
      assertThat(byId.get(running)).hasSize(2).allSatisfy(c -> {
        assertThat(c.get("state").asText()).isEqualTo("running");
        assertThat(c.get("status").asText()).isEqualTo("Up");
        assertThat(c.get("command").asText()).isEqualTo("/bin/busybox sleep 3600");
        assertThat(c.get("name").asText()).startsWith("web-");
        assertThat(c.get("updated").asText()).isNotBlank();
      });
      assertThat(byId.get(stopped)).hasSize(2).allSatisfy(c -> {
        assertThat(c.get("state").asText()).isEqualTo("exited");
        assertThat(c.get("status").asText()).isEqualTo("Exited (137)");
      });
      assertThat(containers).extracting(c -> c.get("hostName").asText())
          .containsOnly("it-host-a", "it-host-b");
    });
    JsonNode detail = api.get("/api/v1/images/" + image.substring(7, 19));
    assertThat(detail.get("id").asText()).isEqualTo(image);
    assertThat(detail.get("hostCount").asInt()).isEqualTo(2);
    assertThat(detail.get("containerCount").asInt()).isEqualTo(4);
    assertThat(detail.get("layerCount").asInt()).isEqualTo(1);
    assertThat(detail.get("config").get("envNames").toString()).contains("SECRET_TOKEN");
    assertThat(detail.toString()).doesNotContain("do-not-leak");
    // The classic builder records "COPY file:<sha> in /bin/busybox"; ENV values are redacted at the source.
    assertThat(detail.get("history").toString()).contains("in /bin/busybox").contains("SECRET_TOKEN=<redacted>");

    engine.removeContainer(running);
    await("a removed container leaves the listing").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(api.all("/api/v1/images/" + image + "/containers")).extracting(c -> c.get("id").asText())
          .containsOnly(stopped);
      assertThat(api.all("/api/v1/containers?state=removed")).extracting(c -> c.get("id").asText())
          .contains(running);
    });

    engine.removeContainer(stopped);
    engine.removeImage(image);
    await("a removed image leaves the listing").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(api.get("/api/v1/images?search=portolan-it/fleet").get("total").asInt()).isZero();
      assertThat(api.get("/api/v1/images/" + image).get("hostCount").asInt()).isZero();
      assertThat(api.all("/api/v1/images/" + image + "/hosts")).allSatisfy(h ->
          assertThat(h.get("present").asBoolean()).isFalse());
    });
  }
}
