package io.portolan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Processes die the hard way (SIGKILL) while Docker keeps changing; once they are back the API must
 * equal the engine exactly: nothing lost, nothing duplicated. Runs on the real PostgreSQL server.
 */
class ResilienceIT {
  static final String HOST = "it-resilient";
  @TempDir Path work;
  Engine engine;
  Postgres db;
  int http;
  int grpc;
  PortolanProcess collector;
  PortolanProcess agent;
  Api api;

  @BeforeEach
  void start() {
    engine = new Engine();
    db = Postgres.freshSchema();
    http = PortolanProcess.freePort();
    grpc = PortolanProcess.freePort();
    collector = startCollector();
    agent = PortolanProcess.agent(work, HOST, grpc).start();
  }

  @AfterEach
  void stop() {
    if (agent != null) agent.close();
    if (collector != null) collector.close();
    if (engine != null) engine.close();
    if (db != null) db.close();
  }

  private PortolanProcess startCollector() {
    var p = PortolanProcess.collector(work, http, grpc, db.url(), db.user(), db.password()).start();
    api = new Api(http);
    await("collector healthy").atMost(Duration.ofSeconds(60)).until(api::healthy);
    return p;
  }

  @Test
  void collectorKilledHardWhileDockerChangesLosesNothing() {
    String image = engine.buildBusyboxImage("portolan-it/resilient", "v1");
    List<String> containers = new ArrayList<>();
    for (int i = 0; i < 3; i++) containers.add(engine.createContainer(image, "before-" + i, i == 0));
    awaitApiEqualsEngine();

    collector.kill();
    // The changes land while no collector is listening: the agent must buffer them.
    String second = engine.buildBusyboxImage("portolan-it/resilient", "v2");
    engine.tag(image, "portolan-it/resilient", "retagged");
    for (int i = 0; i < 4; i++) containers.add(engine.createContainer(i % 2 == 0 ? image : second, "during-" + i, i < 2));
    engine.stop(containers.get(0));
    engine.removeContainer(containers.get(1));
    engine.removeContainer(containers.get(2));
    await("the agent sees the changes during the outage").during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5)).until(() -> !collector.isAlive());

    collector = startCollector();
    awaitApiEqualsEngine();
  }

  @Test
  void agentKilledHardAndRestartedLosesNothing() {
    String image = engine.buildBusyboxImage("portolan-it/resilient", "a1");
    List<String> containers = new ArrayList<>();
    for (int i = 0; i < 3; i++) containers.add(engine.createContainer(image, "before-" + i, true));
    awaitApiEqualsEngine();

    agent.kill();
    String second = engine.buildBusyboxImage("portolan-it/resilient", "a2");
    for (int i = 0; i < 3; i++) containers.add(engine.createContainer(second, "during-" + i, i == 0));
    engine.removeContainer(containers.get(0));
    engine.stop(containers.get(1));
    engine.removeImage(engine.buildBusyboxImage("portolan-it/resilient", "short-lived"));

    agent = PortolanProcess.agent(work, HOST, grpc).start();
    awaitApiEqualsEngine();
    // One host, not two: the restarted agent kept its identity.
    assertThat(api.get("/api/v1/hosts?search=" + HOST).get("total").asInt()).isEqualTo(1);
  }

  private void awaitApiEqualsEngine() {
    await("API state equals the engine's").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          List<JsonNode> hosts = api.all("/api/v1/hosts?search=" + HOST);
          assertThat(hosts).as("hosts named " + HOST).hasSize(1);
          String hostId = hosts.get(0).get("id").asText();

          List<JsonNode> apiContainers = api.all("/api/v1/hosts/" + hostId + "/containers");
          Map<String, String> apiStates = new HashMap<>();
          for (JsonNode c : apiContainers) {
            assertThat(apiStates.put(c.get("id").asText(), c.get("state").asText()))
                .as("duplicate container " + c.get("id").asText()).isNull();
          }
          assertThat(apiStates).isEqualTo(engine.containers());

          List<JsonNode> apiImages = api.all("/api/v1/hosts/" + hostId + "/images");
          Map<String, List<String>> apiTags = new HashMap<>();
          for (JsonNode i : apiImages) {
            List<String> tags = new ArrayList<>();
            i.get("repoTags").forEach(t -> tags.add(t.asText()));
            assertThat(apiTags.put(i.get("id").asText(), tags.stream().sorted().toList()))
                .as("duplicate image " + i.get("id").asText()).isNull();
          }
          assertThat(apiTags).isEqualTo(engine.images());
        });
  }
}
