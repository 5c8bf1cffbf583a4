package io.portolan.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.portolan.agent.cache.AgentStateException;
import io.portolan.agent.testing.TestImages;
import io.portolan.agent.transport.FakeCollector;
import io.portolan.proto.agent.v1.AgentMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wired agent against the real dockerd and an in-process collector. */
class AgentIT {

  @TempDir
  Path dir;

  private FakeCollector collector;
  private TestImages images;

  @BeforeEach
  void setUp() throws Exception {
    images = new TestImages();
    collector = new FakeCollector().start(0);
  }

  @AfterEach
  void tearDown() throws Exception {
    collector.close();
    images.close();
  }

  private AgentConfig config(String name) {
    return AgentConfig.defaults(collector.target(), dir.resolve(name))
        .withHostName("it-" + name)
        .withLabels(Map.of("env", "it"))
        .withReconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));
  }

  @Test
  void twoAgentsOnOneEngineEachStreamASnapshotAndDeltas() {
    try (Agent first = new Agent(config("a")); Agent second = new Agent(config("b"))) {
      assertThat(first.agentId()).isNotEqualTo(second.agentId());
      assertThatThrownBy(() -> new Agent(config("a")))
          .isInstanceOf(AgentStateException.class)
          .hasMessageContaining("locked");
      first.start();
      second.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> first.status().connected() && second.status().connected());
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.sessions.stream()
          .flatMap(s -> s.received.stream())
          .filter(m -> m.hasSnapshot() && m.getSnapshot().getLast()).count() >= 2);
      AgentMessage hello = collector.sessions.get(0).received.get(0);
      assertThat(hello.getHello().getHost().getLabelsMap()).containsEntry("env", "it");
      assertThat(hello.getHello().getHost().getDockerApiVersion()).isEqualTo("1.41");
      assertThat(hello.getHello().getAgentVersion()).isNotEmpty();

      String id = images.busybox(TestImages.TAG_PREFIX + "agent:" + UUID.randomUUID().toString().substring(0, 8),
          Map.of(), Map.of());
      await().atMost(Duration.ofSeconds(3)).until(() -> collector.sessions.stream()
          .flatMap(s -> s.received.stream())
          .filter(m -> m.hasDelta() && m.getDelta().getUpsertedImagesList().stream()
              .anyMatch(i -> i.getId().equals(id)))
          .count() == 2);
      await().atMost(Duration.ofSeconds(3)).until(() -> first.status().outboxDepth() == 0);
      assertThat(first.status().lastAckedSeq()).isPositive();
    }
  }
}
