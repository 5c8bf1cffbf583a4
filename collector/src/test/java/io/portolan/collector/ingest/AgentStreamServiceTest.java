package io.portolan.collector.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.portolan.collector.TestCollector;
import io.portolan.collector.store.PageRequest;
import io.portolan.collector.store.Queries.ContainerQuery;
import io.portolan.collector.store.Queries.ContainerState;
import io.portolan.collector.store.Queries.Direction;
import io.portolan.collector.store.Queries.ImageQuery;
import io.portolan.collector.store.Queries.ImageSort;
import io.portolan.collector.store.Queries.ImageSummary;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.AgentServiceGrpc;
import io.portolan.proto.agent.v1.CollectorMessage;
import io.portolan.proto.agent.v1.Container;
import io.portolan.proto.agent.v1.Delta;
import io.portolan.proto.agent.v1.Heartbeat;
import io.portolan.proto.agent.v1.Image;
import io.portolan.proto.agent.v1.SnapshotChunk;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentStreamServiceTest {
  @TempDir Path dataDir;
  TestCollector collector;

  @BeforeEach
  void start() {
    collector = new TestCollector(dataDir);
  }

  @AfterEach
  void stop() {
    collector.close();
  }

  static String hex(char c) {
    return String.valueOf(c).repeat(64);
  }

  static Image image(char c, String tag) {
    return Image.newBuilder().setId("sha256:" + hex(c)).addRepoTags(tag).setSizeBytes(1234).setOs("linux")
        .setArchitecture("amd64").addLayerDiffIds("sha256:" + hex('f')).build();
  }

  static Container container(char c, char image, String state) {
    return Container.newBuilder().setId(hex(c)).addNames("c-" + c).setImageId("sha256:" + hex(image))
        .setImageRef("busybox:latest").setState(state).setStatus(state.equals("running") ? "Up" : "Exited (0)")
        .setCommand("/bin/busybox sleep 3600").build();
  }

  static AgentMessage snapshot(long seq, Image... images) {
    return AgentMessage.newBuilder().setSeq(seq).setSnapshot(SnapshotChunk.newBuilder().setSnapshotId("s" + seq)
        .setLast(true).addAllImages(List.of(images))).build();
  }

  List<ImageSummary> images() {
    return collector.collector.store().images(new ImageQuery(Optional.empty(), Optional.empty(), Optional.empty(),
        false, ImageSort.ID, Direction.ASC, PageRequest.FIRST)).items();
  }

  FakeAgent connect(String id, String version) {
    FakeAgent a = new FakeAgent(collector.grpcPort()).open();
    a.send(AgentMessage.newBuilder().setHello(FakeAgent.hello(id, version)).build());
    await().until(() -> a.received.stream().anyMatch(CollectorMessage::hasWelcome) || a.closed.isDone());
    return a;
  }

  @Test
  void acknowledgesOnlyAfterCommitAndResumesFromTheCommittedSeq() {
    try (FakeAgent a = connect("agent-1", "0.1.0")) {
      assertThat(a.received.get(0).getWelcome().getAccepted()).isTrue();
      assertThat(a.received.get(0).getWelcome().getLastCommittedSeq()).isZero();
      a.send(snapshot(1, image('a', "app:1"), image('b', "app:2")));
      a.send(AgentMessage.newBuilder().setSeq(2).setDelta(Delta.newBuilder()
          .addUpsertedContainers(container('c', 'a', "running"))).build());
      await().until(() -> a.highestAck() == 2);
      assertThat(images()).extracting(ImageSummary::id).containsExactly("sha256:" + hex('a'), "sha256:" + hex('b'));
    }
    try (FakeAgent again = connect("agent-1", "0.1.0")) {
      assertThat(again.received.get(0).getWelcome().getLastCommittedSeq()).isEqualTo(2);
    }
  }

  @Test
  void aReplayedMessageChangesNothing() {
    try (FakeAgent a = connect("agent-1", "0.1.0")) {
      a.send(snapshot(1, image('a', "app:1")));
      a.send(AgentMessage.newBuilder().setSeq(2).setDelta(Delta.newBuilder()
          .addRemovedImageIds("sha256:" + hex('a'))).build());
      await().until(() -> a.highestAck() == 2);
      long acks = a.received.stream().filter(CollectorMessage::hasAck).count();
      // The snapshot again with its old seq: already committed, so acked and ignored.
      a.send(snapshot(1, image('a', "app:1")));
      await().until(() -> a.received.stream().filter(CollectorMessage::hasAck).count() > acks);
      assertThat(images()).isEmpty();
    }
  }

  @Test
  void refusesAnUnknownAgentVersionWithAClearReason() {
    try (FakeAgent a = connect("agent-x", "banana")) {
      var welcome = a.received.get(0).getWelcome();
      assertThat(welcome.getAccepted()).isFalse();
      assertThat(welcome.getReason()).contains("unknown agent version 'banana'");
      Status s = a.closed.orTimeout(5, TimeUnit.SECONDS).join();
      assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    }
    try (FakeAgent newer = connect("agent-y", "9.0.0")) {
      assertThat(newer.received.get(0).getWelcome().getReason()).contains("upgrade the collector");
    }
    assertThat(collector.get("/api/v1/hosts").body()).doesNotContain("agent-x").doesNotContain("agent-y");
  }

  @Test
  void refusesAnUnknownProtocolVersion() {
    FakeAgent a = new FakeAgent(collector.grpcPort()).open();
    a.send(AgentMessage.newBuilder().setHello(FakeAgent.hello("agent-p", "0.1.0").toBuilder()
        .setProtocolVersion(7)).build());
    Status s = a.closed.orTimeout(5, TimeUnit.SECONDS).join();
    assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(s.getDescription()).contains("unsupported protocol version 7");
    a.close();
  }

  @Test
  void theFirstMessageMustBeHello() {
    FakeAgent a = new FakeAgent(collector.grpcPort()).open();
    a.send(snapshot(1, image('a', "app:1")));
    Status s = a.closed.orTimeout(5, TimeUnit.SECONDS).join();
    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s.getDescription()).contains("first message on a stream must be Hello");
    assertThat(images()).isEmpty();
    a.close();
  }

  @Test
  void anOversizedMessageIsRefusedAndEarlierDataIsKept() {
    try (FakeAgent a = connect("agent-1", "0.1.0")) {
      a.send(snapshot(1, image('a', "app:1")));
      await().until(() -> a.highestAck() == 1);
      Image huge = image('b', "big:1").toBuilder().addRepoDigests("x".repeat(17 * 1024 * 1024)).build();
      a.send(AgentMessage.newBuilder().setSeq(2).setDelta(Delta.newBuilder().addUpsertedImages(huge)).build());
      Status s = a.closed.orTimeout(10, TimeUnit.SECONDS).join();
      assertThat(s.getCode()).as(s.toString()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    }
    assertThat(images()).extracting(ImageSummary::id).containsExactly("sha256:" + hex('a'));
    try (FakeAgent again = connect("agent-1", "0.1.0")) {
      assertThat(again.received.get(0).getWelcome().getLastCommittedSeq()).isEqualTo(1);
    }
  }

  @Test
  void malformedBytesCloseTheStreamAndLoseNothing() throws Exception {
    try (FakeAgent a = connect("agent-1", "0.1.0")) {
      a.send(snapshot(1, image('a', "app:1")));
      await().until(() -> a.highestAck() == 1);
    }
    // Field 10 (hello) claims 5 bytes but only 1 follows: not a valid AgentMessage.
    byte[] garbage = {0x52, 0x05, 0x01};
    try (FakeAgent raw = new FakeAgent(collector.grpcPort())) {
      MethodDescriptor<byte[], byte[]> method = AgentServiceGrpc.getConnectMethod().toBuilder(BYTES, BYTES).build();
      ClientCall<byte[], byte[]> call = raw.channel.newCall(method, CallOptions.DEFAULT);
      CompletableFuture<Status> closed = new CompletableFuture<>();
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onClose(Status status, Metadata trailers) {
          closed.complete(status);
        }
      }, new Metadata());
      call.request(10);
      call.sendMessage(garbage);
      Status s = closed.get(10, TimeUnit.SECONDS);
      assertThat(s.isOk()).isFalse();
      assertThat(s.getDescription()).isNotBlank();
    }
    assertThat(images()).hasSize(1);
    try (FakeAgent again = connect("agent-1", "0.1.0")) {
      assertThat(again.received.get(0).getWelcome().getAccepted()).isTrue();
    }
  }

  @Test
  void anInvalidMessageIsSkippedAndAckedSoTheAgentIsNotStuck() {
    try (FakeAgent a = connect("agent-1", "0.1.0")) {
      a.send(AgentMessage.newBuilder().setSeq(1).setDelta(Delta.newBuilder()
          .addUpsertedImages(Image.newBuilder().setId("not-a-digest"))).build());
      a.send(AgentMessage.newBuilder().setSeq(2).setDelta(Delta.newBuilder()
          .addUpsertedImages(image('a', "ok:1"))).build());
      await().until(() -> a.highestAck() == 2);
      assertThat(a.closed).isNotDone();
      assertThat(images()).extracting(ImageSummary::id).containsExactly("sha256:" + hex('a'));
    }
    assertThat(collector.get("/metrics").body()).contains("portolan_collector_rejected_total{reason=\"invalid\"}");
  }

  @Test
  void containersAndHeartbeatsReachTheStore() {
    try (FakeAgent a = connect("agent-1", "0.1.0")) {
      a.send(AgentMessage.newBuilder().setSeq(1).setSnapshot(SnapshotChunk.newBuilder().setSnapshotId("s").setLast(true)
          .addImages(image('a', "app:1")).addContainers(container('c', 'a', "running"))
          .addContainers(container('d', 'a', "exited"))).build());
      await().until(() -> a.highestAck() == 1);
      a.send(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder()
          .setHost(FakeAgent.hello("agent-1", "0.1.0").getHost().toBuilder().setDockerVersion("24.0.7"))).build());
      await().untilAsserted(() -> assertThat(collector.collector.store()
          .host("agent-1", java.time.Instant.EPOCH).orElseThrow().dockerVersion()).isEqualTo("24.0.7"));
      var running = collector.collector.store().containers(new ContainerQuery(Optional.empty(), Optional.empty(),
          Optional.empty(), ContainerState.RUNNING, PageRequest.FIRST));
      assertThat(running.items()).singleElement().satisfies(c -> {
        assertThat(c.command()).isEqualTo("/bin/busybox sleep 3600");
        assertThat(c.hostName()).isEqualTo("agent-1-host");
      });
      assertThat(collector.collector.ingest().connectedAgents()).isEqualTo(1);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> collector.collector.ingest().connectedAgents() == 0);
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
}
