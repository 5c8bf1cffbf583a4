package io.portolan.agent.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.portolan.agent.cache.AgentState;
import io.portolan.agent.cache.Supersedes;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.Command;
import io.portolan.proto.agent.v1.CommandStatus;
import io.portolan.proto.agent.v1.Delta;
import io.portolan.proto.agent.v1.HostFacts;
import io.portolan.proto.agent.v1.Image;
import io.portolan.proto.agent.v1.Resync;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollectorLinkTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  private AgentState state;
  private FakeCollector collector;
  private CollectorLink link;
  private final AtomicInteger resyncs = new AtomicInteger();

  @BeforeEach
  void setUp() throws Exception {
    state = AgentState.open(dir);
    collector = new FakeCollector().start(0);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (link != null) {
      link.close();
    }
    collector.close();
    state.close();
  }

  private CollectorLink link(int maxInFlight) {
    link = new CollectorLink(collector.target(), state, "test",
        () -> HostFacts.newBuilder().setHostName("test-host").build(),
        () -> new CollectorLink.InventorySize(0, 0),
        resyncs::incrementAndGet,
        new CollectorLink.Settings(Duration.ofMillis(200), Duration.ofMillis(50), Duration.ofMillis(300),
            maxInFlight, Duration.ofSeconds(5)),
        Clock.systemUTC(), new SplittableRandom(42));
    link.start();
    return link;
  }

  private AgentMessage append(String imageId) {
    AgentMessage message = state.append(AgentMessage.newBuilder().setDelta(Delta.newBuilder()
        .addUpsertedImages(Image.newBuilder().setId(imageId))), Supersedes.object("i:" + imageId));
    if (link != null) {
      link.outboxChanged();
    }
    return message;
  }

  @Test
  void helloComesFirstThenOutboxThenResyncIsRequested() {
    append("a");
    append("b");
    link(16);
    await().atMost(WAIT).until(() -> state.lastAckedSeq() == 2);
    FakeCollector.Session session = collector.last();
    AgentMessage hello = session.received.get(0);
    assertThat(hello.getSeq()).isZero();
    assertThat(hello.getHello().getProtocolVersion()).isEqualTo(1);
    assertThat(hello.getHello().getAgentId()).isEqualTo(state.agentId());
    assertThat(hello.getHello().getHost().getHostName()).isEqualTo("test-host");
    assertThat(session.seqs()).containsExactly(1L, 2L);
    assertThat(resyncs.get()).isEqualTo(1);
    assertThat(state.outboxDepth()).isZero();
    await().atMost(WAIT).until(() -> session.received.stream().anyMatch(AgentMessage::hasHeartbeat));
    assertThat(link.status().connected()).isTrue();
  }

  @Test
  void resendsOnlyWhatTheCollectorHasNotCommittedAfterReconnect() throws Exception {
    collector.autoAck = false;
    link(16);
    await().atMost(WAIT).until(link::isConnected);
    append("a");
    append("b");
    append("c");
    // The collector commits all three but the acks are "lost": only Welcome can tell the agent.
    await().atMost(WAIT).until(() -> collector.committed.get() == 3);
    assertThat(state.outboxDepth()).isEqualTo(3);
    int port = collector.port();
    collector.stop();
    await().atMost(WAIT).until(() -> !link.isConnected());

    for (String id : List.of("d", "e", "f", "g")) {
      append(id);
    }
    collector.autoAck = true;
    collector.start(port);
    await().atMost(WAIT).until(() -> state.lastAckedSeq() == 7);
    List<Long> afterRestart = collector.sessions.stream()
        .skip(1).flatMap(s -> s.seqs().stream()).toList();
    assertThat(afterRestart).containsExactly(4L, 5L, 6L, 7L);
    assertThat(collector.last().received.get(0).hasHello()).isTrue();
    assertThat(collector.last().received.get(0).getHello().getLastAckedSeq()).isZero();
    assertThat(state.outboxDepth()).isZero();
  }

  @Test
  void keepsAtMostTheWindowInFlight() {
    collector.autoAck = false;
    collector.maxInFlight = 3;
    link(256);
    await().atMost(WAIT).until(link::isConnected);
    for (int i = 0; i < 10; i++) {
      append("img" + i);
    }
    await().atMost(WAIT).until(() -> collector.last().seqs().size() == 3);
    await().during(Duration.ofMillis(300)).atMost(WAIT)
        .until(() -> collector.last().seqs().size() == 3);
    assertThat(link.status().inFlight()).isEqualTo(3);

    collector.last().send(FakeCollector.ack(2));
    await().atMost(WAIT).until(() -> collector.last().seqs().size() == 5);
    await().during(Duration.ofMillis(300)).atMost(WAIT)
        .until(() -> collector.last().seqs().size() == 5);
    assertThat(state.outboxDepth()).isEqualTo(8);

    collector.last().send(FakeCollector.ack(5));
    await().atMost(WAIT).untilAsserted(() -> assertThat(collector.last().seqs()).hasSize(8));
    collector.last().send(FakeCollector.ack(8));
    await().atMost(WAIT).until(() -> collector.last().seqs().size() == 10);
    collector.last().send(FakeCollector.ack(10));
    assertThat(collector.last().seqs()).containsExactlyElementsOf(LongStream.rangeClosed(1, 10).boxed().toList());
    await().atMost(WAIT).until(() -> state.outboxDepth() == 0);
  }

  @Test
  void refusedWelcomeIsRetriedLater() {
    collector.refuseWith = "protocol version 1 is not supported";
    append("a");
    link(16);
    await().atMost(WAIT).until(() -> collector.sessions.size() >= 1);
    assertThat(link.isConnected()).isFalse();
    assertThat(collector.sessions.get(0).seqs()).as("nothing is sent before a Welcome").isEmpty();
    collector.refuseWith = null;
    await().atMost(WAIT).until(link::isConnected);
    await().atMost(WAIT).until(() -> state.lastAckedSeq() == 1);
    assertThat(collector.sessions.size()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void answersAResyncCommand() {
    link(16);
    await().atMost(WAIT).until(link::isConnected);
    int before = resyncs.get();
    collector.command(Command.newBuilder().setRequestId("req-1").setResync(Resync.getDefaultInstance()).build());
    await().atMost(WAIT).until(() -> collector.last().received.stream()
        .anyMatch(m -> m.hasCommandUpdate() && m.getCommandUpdate().getRequestId().equals("req-1")));
    AgentMessage update = collector.last().received.stream().filter(AgentMessage::hasCommandUpdate).findFirst().orElseThrow();
    assertThat(update.getCommandUpdate().getStatus()).isEqualTo(CommandStatus.COMMAND_STATUS_DONE);
    assertThat(resyncs.get()).isEqualTo(before + 1);
  }

  @Test
  void collectorUnreachableAtStartIsRetriedUntilItAppears() throws Exception {
    int port = collector.port();
    collector.stop();
    append("a");
    link(16);
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> !link.isConnected());
    collector.start(port);
    await().atMost(WAIT).until(() -> state.lastAckedSeq() == 1);
  }
}
