package io.portolan.agent.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.Delta;
import io.portolan.proto.agent.v1.SnapshotChunk;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentStateTest {

  @TempDir
  Path dir;

  private static AgentMessage.Builder upsertImage(String id) {
    return AgentMessage.newBuilder().setDelta(Delta.newBuilder()
        .addUpsertedImages(io.portolan.proto.agent.v1.Image.newBuilder().setId(id)));
  }

  private static AgentMessage.Builder chunk(String snapshotId, int index, boolean last) {
    return AgentMessage.newBuilder().setSnapshot(SnapshotChunk.newBuilder()
        .setSnapshotId(snapshotId).setChunkIndex(index).setLast(last));
  }

  private static List<Long> seqs(List<AgentMessage> messages) {
    return messages.stream().map(AgentMessage::getSeq).toList();
  }

  @Test
  void seqIsMonotonicAcrossReopenAndAgentIdIsKept() {
    String agentId;
    try (AgentState state = AgentState.open(dir)) {
      agentId = state.agentId();
      assertThat(state.append(upsertImage("a"), Supersedes.object("i:a")).getSeq()).isEqualTo(1);
      assertThat(state.append(upsertImage("b"), Supersedes.object("i:b")).getSeq()).isEqualTo(2);
      state.ack(2);
    }
    try (AgentState state = AgentState.open(dir)) {
      assertThat(state.agentId()).isEqualTo(agentId);
      assertThat(state.lastAckedSeq()).isEqualTo(2);
      assertThat(state.outboxDepth()).isZero();
      assertThat(state.append(upsertImage("c"), Supersedes.object("i:c")).getSeq()).isEqualTo(3);
    }
  }

  @Test
  void ackDeletesUpToAndIncludingSeq() {
    try (AgentState state = AgentState.open(dir)) {
      for (String id : List.of("a", "b", "c", "d")) {
        state.append(upsertImage(id), Supersedes.object("i:" + id));
      }
      state.ack(2);
      assertThat(seqs(state.pending(0))).containsExactly(3L, 4L);
      assertThat(state.lastAckedSeq()).isEqualTo(2);
      state.ack(1);
      assertThat(state.lastAckedSeq()).as("acks are cumulative").isEqualTo(2);
      assertThat(seqs(state.pending(3))).containsExactly(4L);
      assertThat(seqs(state.pending(0, 1))).containsExactly(3L);
    }
  }

  @Test
  void newerDeltaOfAnObjectReplacesItsUnackedOlderOne() {
    try (AgentState state = AgentState.open(dir)) {
      state.append(upsertImage("a"), Supersedes.object("i:a"));
      state.append(upsertImage("b"), Supersedes.object("i:b"));
      AgentMessage newest = state.append(upsertImage("a"), Supersedes.object("i:a"));
      assertThat(seqs(state.pending(0))).containsExactly(2L, 3L);
      assertThat(state.pending(0).get(1)).isEqualTo(newest);
      state.ack(3);
      // An acked delta is not touched again; the next one simply adds.
      state.append(upsertImage("a"), Supersedes.object("i:a"));
      assertThat(seqs(state.pending(0))).containsExactly(4L);
    }
  }

  @Test
  void snapshotSupersedesEverythingOlderButKeepsItsOwnChunks() {
    try (AgentState state = AgentState.open(dir)) {
      state.append(upsertImage("a"), Supersedes.object("i:a"));
      state.append(chunk("s1", 0, false), Supersedes.everything());
      state.append(chunk("s1", 1, true), Supersedes.nothing());
      state.append(upsertImage("b"), Supersedes.object("i:b"));
      assertThat(seqs(state.pending(0))).containsExactly(2L, 3L, 4L);
      state.append(chunk("s2", 0, false), Supersedes.everything());
      state.append(chunk("s2", 1, false), Supersedes.nothing());
      state.append(chunk("s2", 2, true), Supersedes.nothing());
      assertThat(seqs(state.pending(0))).containsExactly(5L, 6L, 7L);
      // Object compaction starts over after a snapshot: "a" of seq 1 is long gone.
      state.append(upsertImage("a"), Supersedes.object("i:a"));
      assertThat(seqs(state.pending(0))).containsExactly(5L, 6L, 7L, 8L);
    }
  }

  @Test
  void reopenAfterAbruptCloseKeepsEverything() throws IOException {
    try (AgentState state = AgentState.open(dir)) {
      state.append(upsertImage("a"), Supersedes.object("i:a"));
      state.append(upsertImage("b"), Supersedes.object("i:b"));
      state.ack(1);
      state.append(upsertImage("c"), Supersedes.object("i:c"));
      // Simulate a kill: copy the live files (WAL included) before any orderly close.
      copyTree(dir, dir.resolveSibling(dir.getFileName() + "-crash"));
    }
    Path crashed = dir.resolveSibling(dir.getFileName() + "-crash");
    Files.deleteIfExists(crashed.resolve("LOCK"));
    try (AgentState state = AgentState.open(crashed)) {
      assertThat(seqs(state.pending(0))).containsExactly(2L, 3L);
      assertThat(state.lastAckedSeq()).isEqualTo(1);
      assertThat(state.append(upsertImage("d"), Supersedes.object("i:d")).getSeq()).isEqualTo(4);
    }
  }

  @Test
  void secondOpenOfTheSameDirectoryFailsClearly() {
    try (AgentState first = AgentState.open(dir)) {
      assertThatThrownBy(() -> AgentState.open(dir))
          .isInstanceOf(AgentStateException.class)
          .hasMessageContaining("locked by another running agent")
          .hasMessageContaining(dir.toString());
      assertThat(first.append(upsertImage("a"), Supersedes.object("i:a")).getSeq()).isEqualTo(1);
    }
  }

  @Test
  void corruptDirectoryFailsClearly() throws IOException {
    try (AgentState state = AgentState.open(dir)) {
      state.append(upsertImage("a"), Supersedes.object("i:a"));
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path manifest : files.filter(p -> p.getFileName().toString().startsWith("MANIFEST-")).toList()) {
        Files.writeString(manifest, "this is not a rocksdb manifest", StandardCharsets.UTF_8);
      }
    }
    assertThatThrownBy(() -> AgentState.open(dir))
        .isInstanceOf(AgentStateException.class)
        .hasMessageContaining("corrupt")
        .hasMessageContaining(dir.toString());
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path file : files.toList()) {
        Files.copy(file, to.resolve(file.getFileName()));
      }
    }
  }
}
