package io.portolan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two collector processes on one PostgreSQL schema, the agent connected to the second: a scan
 * started on the first reaches the agent through the database, and when the first dies with a job
 * in hand, the second takes the job over and finishes it.
 */
class MultiCollectorScanIT {
  @TempDir Path work;
  Engine engine;
  Postgres db;
  PortolanProcess first;
  PortolanProcess second;
  PortolanProcess agent;
  Api api1;
  Api api2;
  int grpc2;

  @BeforeEach
  void start() {
    engine = new Engine();
    db = Postgres.freshSchema();
    int http1 = PortolanProcess.freePort();
    int http2 = PortolanProcess.freePort();
    grpc2 = PortolanProcess.freePort();
    first = PortolanProcess.collector(work, "collector-1", http1, PortolanProcess.freePort(), db.url(), db.user(),
        db.password(), "--offline-after", "6s").start();
    api1 = new Api(http1);
    await("first collector healthy").atMost(Duration.ofSeconds(60)).until(api1::healthy);
    second = PortolanProcess.collector(work, "collector-2", http2, grpc2, db.url(), db.user(), db.password(),
        "--offline-after", "6s").start();
    api2 = new Api(http2);
    await("second collector healthy").atMost(Duration.ofSeconds(60)).until(api2::healthy);
  }

  @AfterEach
  void stop() {
    for (var p : new PortolanProcess[] {agent, first, second}) if (p != null) p.close();
    if (engine != null) engine.close();
    if (db != null) db.close();
  }

  PortolanProcess startAgent() {
    return PortolanProcess.agent(work, "relay-host", grpc2, "--no-auto-inventory").start();
  }

  JsonNode awaitState(Api api, String id, String state, Duration within) {
    await("scan job " + id + " " + state).atMost(within).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
        assertThat(api.get("/api/v1/scans/" + id).get("job").get("state").asText()).isEqualTo(state));
    return api.get("/api/v1/scans/" + id);
  }

  @Test
  void aScanStartedOnOneCollectorReachesAnAgentOnTheOtherAndSurvivesItsOwner() throws Exception {
    Path ctx = Files.createDirectories(work.resolve("ctx/root/var/lib/dpkg"));
    Files.writeString(ctx.resolve("status"), ScanIT.STATUS);
    Files.createDirectories(work.resolve("ctx/root/etc"));
    Files.writeString(work.resolve("ctx/root/etc/os-release"), ScanIT.OS_RELEASE);
    Files.writeString(work.resolve("ctx/Dockerfile"), "FROM scratch\nCOPY root /\nLABEL " + Engine.LABEL + "="
        + engine.run + "\n");
    String built = engine.docker.buildImageCmd(work.resolve("ctx").toFile())
        .withTags(Set.of("portolan-scanit/relay:" + engine.run)).withPull(false)
        .exec(new BuildImageResultCallback()).awaitImageId();
    String image = engine.docker.inspectImageCmd(built).exec().getId();

    agent = startAgent();
    await("the first collector sees the agent's host through the database").atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(api1.all("/api/v1/images/" + image + "/hosts?status=online"))
            .extracting(h -> h.get("hostName").asText()).containsExactly("relay-host"));
    assertThat(api1.get("/health").get("connectedAgents").asInt()).isZero();
    assertThat(api2.get("/health").get("connectedAgents").asInt()).isEqualTo(1);

    // Started on the first: the only way to the agent is the command queue the second one reads.
    String id = api1.post("/api/v1/scans", "{\"scope\":{\"kind\":\"images\",\"ids\":[\"" + image + "\"]}}")
        .get("id").asText();
    JsonNode done = awaitState(api1, id, "SUCCEEDED", Duration.ofSeconds(60));
    String firstId = done.get("job").get("owner").asText();
    JsonNode item = done.get("images").get("items").get(0);
    assertThat(item.get("state").asText()).isEqualTo("SCANNED");
    assertThat(item.get("hostName").asText()).isEqualTo("relay-host");
    assertThat(api2.get("/api/v1/images/" + image + "/scans").get("total").asInt()).isEqualTo(1);

    // The host goes away; a job for it waits on the first collector, which then dies.
    agent.close();
    await("relay-host offline").atMost(Duration.ofSeconds(30))
        .until(() -> api1.all("/api/v1/images/" + image + "/hosts?status=online").isEmpty());
    String orphan = api1.post("/api/v1/scans", "{\"scope\":{\"kind\":\"images\",\"ids\":[\"" + image + "\"]}}")
        .get("id").asText();
    await("the job waits for the host").atMost(Duration.ofSeconds(15)).untilAsserted(() ->
        assertThat(api2.get("/api/v1/scans/" + orphan).get("images").get("items").get(0).get("state").asText())
            .isEqualTo("WAITING"));
    first.kill();
    agent = startAgent();
    // After the dead owner's lease, the second collector holds the job and finishes it.
    JsonNode finished = awaitState(api2, orphan, "SUCCEEDED", Duration.ofSeconds(90));
    assertThat(finished.get("job").get("owner").asText()).isNotEqualTo(firstId).isNotEmpty();
    assertThat(finished.get("images").get("items").get(0).get("state").asText()).isEqualTo("SCANNED");
    assertThat(api2.get("/api/v1/images/" + image + "/scans").get("total").asInt()).isEqualTo(2);
  }
}
