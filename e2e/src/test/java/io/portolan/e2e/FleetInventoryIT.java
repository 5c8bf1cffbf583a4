package io.portolan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layer inventory across a fleet: two hosts hold images that share a base layer; the collector
 * ends up with each (layer, analyzer) unit exactly once, and the API shows packages, layers and
 * an SBOM per image. Runs on the real PostgreSQL server so the tables can be counted.
 */
class FleetInventoryIT {
  @TempDir Path work;
  Engine engine;
  Postgres db;
  PortolanProcess collector;
  PortolanProcess agentA;
  PortolanProcess agentB;
  Api api;
  int http;

  @BeforeEach
  void start() {
    engine = new Engine();
    db = Postgres.freshSchema();
    http = PortolanProcess.freePort();
    int grpc = PortolanProcess.freePort();
    collector = PortolanProcess.collector(work, http, grpc, db.url(), db.user(), db.password()).start();
    api = new Api(http);
    await("collector healthy").atMost(Duration.ofSeconds(60)).until(api::healthy);
    agentA = PortolanProcess.agent(work, "inv-host-a", grpc).start();
    agentB = PortolanProcess.agent(work, "inv-host-b", grpc).start();
  }

  @AfterEach
  void stop() {
    for (var p : new PortolanProcess[] {agentA, agentB, collector}) if (p != null) p.close();
    if (engine != null) engine.close();
    if (db != null) db.close();
  }

  String build(Path ctx, String tag, String... dockerfile) throws Exception {
    Files.writeString(ctx.resolve("Dockerfile"), String.join("\n", dockerfile) + "\nLABEL " + Engine.LABEL + "="
        + engine.run + "\n");
    String id = engine.docker.buildImageCmd(ctx.toFile()).withTags(Set.of(tag))
        .exec(new BuildImageResultCallback()).awaitImageId();
    return engine.docker.inspectImageCmd(id).exec().getId();
  }

  @Test
  void eachLayerIsStoredOnceAndEveryImageShowsItsPackages() throws Exception {
    Path ctx = work.resolve("ctx");
    Files.createDirectories(ctx.resolve("base/var/lib/dpkg"));
    Files.createDirectories(ctx.resolve("base/etc"));
    Files.createDirectories(ctx.resolve("app/var/lib/dpkg"));
    Files.writeString(ctx.resolve("base/etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"
        + "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n");
    Files.writeString(ctx.resolve("base/var/lib/dpkg/status"),
        "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u3\n\n"
            + "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\n"
            + "Version: 1:1.2.13.dfsg-1\n\n");
    Files.writeString(ctx.resolve("app/var/lib/dpkg/status"),
        Files.readString(ctx.resolve("base/var/lib/dpkg/status"))
            + "Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u8\n\n");
    String base = build(ctx, "portolan-it/inv-base:1", "FROM scratch", "COPY base /");
    String app = build(ctx, "portolan-it/inv-app:1", "FROM portolan-it/inv-base:1", "COPY app /");

    await("both images inventoried").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(api.get("/api/v1/images/" + base).get("inventory").get("status").asText()).isEqualTo("COMPLETE");
      assertThat(api.get("/api/v1/images/" + app).get("inventory").get("status").asText()).isEqualTo("COMPLETE");
    });
    JsonNode detail = api.get("/api/v1/images/" + app);
    assertThat(detail.get("inventory").get("osName").asText()).isEqualTo("Debian GNU/Linux 12 (bookworm)");
    assertThat(detail.get("inventory").get("osEndOfLife").asText()).isEqualTo("2028-06-30");
    assertThat(detail.get("inventory").get("packageCount").asInt()).isEqualTo(3);

    List<JsonNode> packages = api.all("/api/v1/images/" + app + "/packages");
    assertThat(packages).extracting(p -> p.get("name").asText() + "@" + p.get("layerIndex").asInt())
        .containsExactlyInAnyOrder("libc6@0", "zlib1g@0", "curl@1");
    assertThat(api.get("/api/v1/images/" + app + "/packages?search=curl").get("total").asInt()).isEqualTo(1);
    assertThat(api.get("/api/v1/images/" + app + "/packages?layer=0").get("total").asInt()).isEqualTo(2);
    JsonNode libc = packages.stream().filter(p -> p.get("name").asText().equals("libc6")).findFirst().orElseThrow();
    assertThat(libc.get("sourceName").asText()).isEqualTo("glibc");
    assertThat(libc.get("purl").asText()).contains("distro=debian-12");

    JsonNode layers = api.get("/api/v1/images/" + app + "/layers");
    JsonNode last = layers.get(layers.size() - 2); // the LABEL step comes last and makes no layer
    assertThat(last.get("index").asInt()).isEqualTo(1);
    assertThat(last.get("added").asInt()).isEqualTo(1);
    assertThat(last.get("createdBy").asText()).contains("COPY");
    assertThat(layers.get(layers.size() - 1).get("emptyLayer").asBoolean()).isTrue();

    HttpResponse<String> sbom = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + http + "/api/v1/images/" + app + "/sbom?format=cyclonedx")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(sbom.statusCode()).isEqualTo(200);
    assertThat(sbom.headers().firstValue("content-type").orElse("")).startsWith("application/vnd.cyclonedx+json");
    JsonNode bom = new ObjectMapper().readTree(sbom.body());
    assertThat(bom.get("specVersion").asText()).isEqualTo("1.6");
    assertThat(bom.get("components")).hasSize(3);
    assertThat(bom.toString()).contains("portolan:layer:diff_id");

    // Two hosts, two images, two distinct layers (the base is shared), every analyzer: one unit each, stored once.
    int analyzers = io.portolan.inventory.Analyzers.all().size();
    try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT COUNT(*), COUNT(DISTINCT diff_id) FROM layer_findings WHERE diff_id IN ("
                + "SELECT diff_id FROM image_layers WHERE image_id IN ('" + base + "', '" + app + "'))")) {
      rs.next();
      assertThat(rs.getInt(2)).isEqualTo(2);
      assertThat(rs.getInt(1)).isEqualTo(2 * analyzers);
    }
  }
}
