package io.portolan.collector.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.portolan.collector.TestCollector;
import io.portolan.collector.ingest.FakeAgent;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.CollectorMessage;
import io.portolan.proto.agent.v1.Command;
import io.portolan.proto.agent.v1.CommandStatus;
import io.portolan.proto.agent.v1.CommandUpdate;
import io.portolan.proto.agent.v1.FileFindings;
import io.portolan.proto.agent.v1.Image;
import io.portolan.proto.agent.v1.ImageInventory;
import io.portolan.proto.agent.v1.LayerInventory;
import io.portolan.proto.agent.v1.LayerOffer;
import io.portolan.proto.agent.v1.LayerRef;
import io.portolan.proto.agent.v1.LayerWant;
import io.portolan.proto.agent.v1.OsRelease;
import io.portolan.proto.agent.v1.Package;
import io.portolan.proto.agent.v1.SnapshotChunk;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scan through the real collector: REST API in, a command down a real gRPC stream to a scripted
 * agent, its progress, inventory and per-image results back, and the outcome, history and image
 * status out of the API; plus every way a request can be refused.
 */
class ScanFlowTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String A = "sha256:" + "a".repeat(64);
  static final String B = "sha256:" + "b".repeat(64);
  static final String LAYER_A = "sha256:" + "1".repeat(64);
  static final String LAYER_B = "sha256:" + "2".repeat(64);

  @TempDir Path dataDir;
  TestCollector collector;
  FakeAgent agent;
  final AtomicLong seq = new AtomicLong();

  @BeforeEach
  void start() {
    collector = new TestCollector(dataDir);
    agent = new FakeAgent(collector.grpcPort()).open();
    agent.send(AgentMessage.newBuilder().setHello(FakeAgent.hello("agent-1", "0.1.0")).build());
    await().until(() -> agent.received.stream().anyMatch(CollectorMessage::hasWelcome));
    agent.send(AgentMessage.newBuilder().setSeq(seq.incrementAndGet()).setSnapshot(SnapshotChunk.newBuilder()
        .setSnapshotId("s1").setLast(true).addImages(image(A, "app:1", LAYER_A)).addImages(image(B, "web:2", LAYER_B)))
        .build());
    await().until(() -> agent.highestAck() == seq.get());
  }

  @AfterEach
  void stop() {
    agent.close();
    collector.close();
  }

  static Image image(String id, String tag, String layer) {
    return Image.newBuilder().setId(id).addRepoTags(tag).setSizeBytes(1000).setOs("linux").setArchitecture("amd64")
        .addLayerDiffIds(layer).build();
  }

  JsonNode json(TestCollector.Response r, int status) throws Exception {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    return JSON.readTree(r.body());
  }

  JsonNode get(String path) throws Exception {
    return json(collector.get(path), 200);
  }

  JsonNode post(String path, String body, int status) throws Exception {
    return json(collector.send("POST", path, body), status);
  }

  Command awaitCommand(java.util.function.Predicate<Command> which) {
    await().atMost(Duration.ofSeconds(10)).until(() -> agent.received.stream()
        .filter(CollectorMessage::hasCommand).map(CollectorMessage::getCommand).anyMatch(which));
    return agent.received.stream().filter(CollectorMessage::hasCommand).map(CollectorMessage::getCommand)
        .filter(which).reduce((a, b) -> b).orElseThrow();
  }

  void update(String request, String image, CommandStatus status, String message, int percent, boolean durable) {
    agent.send(AgentMessage.newBuilder().setSeq(durable ? seq.incrementAndGet() : 0).setCommandUpdate(
        CommandUpdate.newBuilder().setRequestId(request).setImageId(image).setStatus(status).setMessage(message)
            .setProgressPercent(percent)).build());
  }

  /** What the real agent does for a scanned image: offer, answer the want, then the result after the inventory. */
  void inventoryThenDone(String request, String image, String layer) {
    LayerRef unit = LayerRef.newBuilder().setDiffId(layer).setAnalyzer("dpkg").setAnalyzerVersion(1).build();
    agent.send(AgentMessage.newBuilder().setLayerOffer(LayerOffer.newBuilder().setImageId(image).addLayers(unit))
        .build());
    await().until(() -> agent.received.stream().anyMatch(m -> m.hasLayerWant()
        && m.getLayerWant().getImageId().equals(image)));
    LayerWant want = agent.received.stream().filter(m -> m.hasLayerWant()
        && m.getLayerWant().getImageId().equals(image)).findFirst().orElseThrow().getLayerWant();
    assertThat(want.getWantedList()).containsExactly(unit);
    agent.send(AgentMessage.newBuilder().setSeq(seq.incrementAndGet()).setLayerInventory(LayerInventory.newBuilder()
        .setRef(unit).addFiles(FileFindings.newBuilder().setPath("etc/os-release").setOs(OsRelease.newBuilder()
            .setId("debian").setVersionId("12").setCodename("bookworm").setPrettyName("Debian GNU/Linux 12")))
        .addFiles(FileFindings.newBuilder().setPath("var/lib/dpkg/status").addPackages(Package.newBuilder()
            .setType("deb").setName("libc6").setVersion("2.36-9").setSourceName("glibc").setSourceVersion("2.36-9")
            .setPurl("pkg:deb/debian/libc6@2.36-9")))).build());
    agent.send(AgentMessage.newBuilder().setSeq(seq.incrementAndGet()).setImageInventory(ImageInventory.newBuilder()
        .setImageId(image).addLayers(unit)).build());
    update(request, image, CommandStatus.COMMAND_STATUS_DONE, "", 100, true);
  }

  @Test
  void aScanOfEveryImageShowsProgressThenOutcomesHistoryAndStatus() throws Exception {
    JsonNode job = post("/api/v1/scans", "{\"scope\":{\"kind\":\"all\"},\"requestedBy\":\"alice\"}", 200);
    String id = job.get("id").asText();
    assertThat(job.get("images").asInt()).isEqualTo(2);
    assertThat(job.get("trigger").asText()).isEqualTo("API");
    assertThat(job.get("categories").get(0).asText()).isEqualTo("vulnerabilities");

    Command scan = awaitCommand(Command::hasScanImages);
    assertThat(scan.getScanImages().getImageIdsList()).containsExactlyInAnyOrder(A, B);
    String request = scan.getRequestId();
    update(request, A, CommandStatus.COMMAND_STATUS_RUNNING, "", 40, false);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode detail = get("/api/v1/scans/" + id);
      JsonNode a = detail.get("images").get("items").get(0);
      assertThat(a.get("imageId").asText()).isEqualTo(A);
      assertThat(a.get("state").asText()).isEqualTo("SCANNING");
      assertThat(a.get("progress").asInt()).isEqualTo(40);
      assertThat(a.get("hostName").asText()).isEqualTo("agent-1-host");
      assertThat(a.get("repoTags").get(0).asText()).isEqualTo("app:1");
      assertThat(detail.get("job").get("progressPercent").asInt()).isEqualTo(20);
      assertThat(get("/api/v1/images?scanStatus=scanning").get("total").asInt()).isEqualTo(2);
    });

    inventoryThenDone(request, A, LAYER_A);
    update(request, B, CommandStatus.COMMAND_STATUS_FAILED, "cannot read the layers of " + B + ": truncated", 0,
        true);
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
        assertThat(get("/api/v1/scans/" + id).get("job").get("state").asText()).isEqualTo("FAILED"));
    JsonNode done = get("/api/v1/scans/" + id);
    assertThat(done.get("job").get("counts").get("scanned").asInt()).isEqualTo(1);
    assertThat(done.get("job").get("counts").get("failed").asInt()).isEqualTo(1);
    assertThat(done.get("job").get("progressPercent").asInt()).isEqualTo(100);
    assertThat(get("/api/v1/scans/" + id + "?state=scan_exception").get("images").get("items").get(0)
        .get("reason").asText()).contains("truncated");

    JsonNode history = get("/api/v1/images/" + A + "/scans");
    assertThat(history.get("total").asInt()).isEqualTo(1);
    JsonNode record = history.get("items").get(0);
    assertThat(record.get("outcome").asText()).isEqualTo("SCANNED");
    assertThat(record.get("hostId").asText()).isEqualTo("agent-1");
    assertThat(record.get("before").get("assessed").asBoolean()).isFalse();
    assertThat(record.get("after").get("assessed").asBoolean()).as("matched after the scan").isTrue();
    JsonNode image = get("/api/v1/images/" + A);
    assertThat(image.get("scan").get("status").asText()).isEqualTo("SCANNED");
    assertThat(image.get("scan").get("lastScannedAt").asText()).isNotEmpty();
    assertThat(image.get("inventory").get("status").asText()).isEqualTo("COMPLETE");
    assertThat(get("/api/v1/images?scanStatus=scan_exception").get("items").get(0).get("id").asText()).isEqualTo(B);
    assertThat(get("/api/v1/scans?state=failed").get("total").asInt()).isEqualTo(1);
  }

  @Test
  void cancelReachesTheAgentForOneImageOrAWholeJob() throws Exception {
    JsonNode job = post("/api/v1/images/scan", "{\"images\":[\"" + B.substring(7, 19) + "\"],\"force\":true}", 200);
    Command scan = awaitCommand(c -> c.hasScanImages() && c.getScanImages().getImageIdsList().contains(B));
    assertThat(scan.getScanImages().getForce()).isTrue();
    assertThat(job.get("trigger").asText()).isEqualTo("MANUAL");

    JsonNode cancelled = post("/api/v1/images/cancel-scan", "{\"images\":[\"" + B + "\"],\"requestedBy\":\"bob\"}",
        200);
    assertThat(cancelled.get("cancelled").asInt()).isEqualTo(1);
    Command stop = awaitCommand(Command::hasCancelScan);
    assertThat(stop.getCancelScan().getScanRequestId()).isEqualTo(scan.getRequestId());
    assertThat(stop.getCancelScan().getImageIdsList()).containsExactly(B);
    update(scan.getRequestId(), B, CommandStatus.COMMAND_STATUS_CANCELLED, "cancelled in layer x after 3 entries", 10,
        true);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode status = get("/api/v1/images/" + B).get("scan");
      assertThat(status.get("status").asText()).isEqualTo("CANCELLED");
      assertThat(status.get("reason").asText()).contains("cancelled by bob").contains("after 3 entries");
    });

    JsonNode second = post("/api/v1/scans", "{\"scope\":{\"kind\":\"repositories\",\"ids\":[\"app\"]}}", 200);
    assertThat(second.get("images").asInt()).isEqualTo(1);
    String id = second.get("id").asText();
    awaitCommand(c -> c.hasScanImages() && c.getScanImages().getImageIdsList().contains(A));
    JsonNode after = post("/api/v1/scans/" + id + "/cancel?by=carol", "", 200);
    assertThat(after.get("state").asText()).isEqualTo("CANCELLED");
    assertThat(after.get("reason").asText()).isEqualTo("cancelled by carol");
    awaitCommand(c -> c.hasCancelScan() && c.getCancelScan().getImageIdsList().contains(A));
  }

  @Test
  void badRequestsAreRefusedWithAClearReasonAndStartNothing() throws Exception {
    JsonNode categories = get("/api/v1/scan-categories");
    assertThat(categories.findValuesAsText("name")).containsExactly("vulnerabilities", "sensitive-data", "malware");
    assertThat(categories.get(0).get("supported").asBoolean()).isTrue();
    assertThat(categories.get(2).get("supported").asBoolean()).isFalse();

    record Case(String body, String detail) {}
    for (Case c : List.of(
        new Case("{\"scope\":{\"kind\":\"all\"},\"categories\":[\"malware\"]}",
            "scan category 'malware' is not supported by this collector; supported: vulnerabilities"),
        new Case("{\"scope\":{\"kind\":\"all\"},\"categories\":[\"viruses\"]}", "unknown scan category 'viruses'"),
        new Case("{\"scope\":{\"kind\":\"everything\"}}", "scope.kind must be all, images, hosts or repositories"),
        new Case("{\"scope\":{\"kind\":\"images\"}}", "scope 'images' needs at least one id"),
        new Case("{\"scope\":{\"kind\":\"images\",\"ids\":[\"ffff0000\"]}}", "no image with ID or prefix 'ffff0000'"),
        new Case("{\"scope\":{\"kind\":\"hosts\",\"ids\":[\"nobody\"]}}", "no host with ID 'nobody'"),
        new Case("{\"scope\":{\"kind\":\"all\"},\"force\":\"yes please\"}", "invalid request body at 'force'"),
        new Case("{\"scope\":{\"kind\":\"all\"},\"priority\":1}", "unknown field 'priority'"),
        new Case("{\"scope\":{\"kind\":\"all\"},\"trigger\":\"schedule\"}", "trigger must be api or manual"),
        new Case("not json", "not valid JSON"),
        new Case("", "needs a JSON body"))) {
      JsonNode problem = post("/api/v1/scans", c.body(), 400);
      assertThat(problem.get("detail").asText()).as(c.body()).contains(c.detail());
    }
    assertThat(post("/api/v1/images/scan", "{\"images\":[]}", 400).get("detail").asText())
        .contains("at least one image");
    assertThat(get("/api/v1/scans").get("total").asInt()).isZero();
    assertThat(json(collector.get("/api/v1/scans/nope"), 404).get("detail").asText()).contains("no scan job");

    assertThat(get("/api/v1/settings/auto-assess").get("enabled").asBoolean()).isFalse();
    JsonNode set = json(collector.send("PUT", "/api/v1/settings/auto-assess",
        "{\"enabled\":true,\"perHostPerMinute\":5,\"maxInFlightPerHost\":1}"), 200);
    assertThat(set.get("perHostPerMinute").asInt()).isEqualTo(5);
    assertThat(get("/api/v1/settings/auto-assess").get("enabled").asBoolean()).isTrue();
    assertThat(json(collector.send("PUT", "/api/v1/settings/auto-assess",
        "{\"enabled\":true,\"perHostPerMinute\":0,\"maxInFlightPerHost\":1}"), 400).get("detail").asText())
        .contains("perHostPerMinute must be from 1 to 600");
    assertThat(json(collector.send("PUT", "/api/v1/settings/auto-assess", "{\"enabled\":false}"), 400)
        .get("detail").asText()).contains("perHostPerMinute");
    assertThat(get("/api/v1/settings/auto-assess").get("perHostPerMinute").asInt()).isEqualTo(5);

    JsonNode doc = get("/api/v1/openapi.json");
    assertThat(doc.at("/paths/~1api~1v1~1scans/post/requestBody/content/application~1json/schema/$ref").asText())
        .isEqualTo("#/components/schemas/ScanBody");
    assertThat(doc.at("/paths/~1api~1v1~1settings~1auto-assess/put").isMissingNode()).isFalse();
  }
}
