package io.portolan.agent.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.command.CreateContainerResponse;
import io.portolan.agent.testing.TestImages;
import io.portolan.proto.agent.v1.Container;
import io.portolan.proto.agent.v1.HistoryEntry;
import io.portolan.proto.agent.v1.Image;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Runs the watcher against the real local dockerd; fails when dockerd is missing. */
class DockerWatcherIT {

  /** The budget for a change to reach the listener. */
  private static final Duration BUDGET = Duration.ofSeconds(2);

  private TestImages images;
  private RecordingListener listener;
  private DockerWatcher watcher;
  private final String unique = UUID.randomUUID().toString().substring(0, 8);

  @BeforeEach
  void setUp() {
    images = new TestImages();
    listener = new RecordingListener();
    String host = System.getenv().getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock");
    watcher = new DockerWatcher(DockerWatcher.Settings.defaults(host), listener, Clock.systemUTC(),
        new SplittableRandom(7));
  }

  @AfterEach
  void tearDown() {
    if (watcher != null) {
      watcher.close();
    }
    if (images != null) {
      images.close();
    }
  }

  @Test
  void snapshotThenDeltasForImagesAndContainers() {
    String secret = "s3cr3t-" + UUID.randomUUID();
    String before = images.busybox(TestImages.TAG_PREFIX + "before:" + unique, Map.of("case", "before"), Map.of());

    watcher.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> listener.snapshots() == 1);
    RecordingListener.Snapshot snapshot = (RecordingListener.Snapshot) listener.seen.get(0);
    assertThat(snapshot.images()).extracting(Image::getId).contains(before);
    assertThat(watcher.engineFacts().getDockerApiVersion()).isEqualTo("1.41");
    assertThat(watcher.engineFacts().getDockerVersion()).isNotEmpty();
    assertThat(watcher.isWatching()).isTrue();

    // A new image reaches the listener within the budget, with its facts.
    String tag = TestImages.TAG_PREFIX + "app:" + unique;
    String built = images.busybox(tag, Map.of("case", "built"), Map.of("PORTOLAN_SECRET", secret, "MODE", "x"));
    await().atMost(BUDGET).until(() -> listener.lastImageUpsert(built).isPresent());
    Image image = listener.lastImageUpsert(built).orElseThrow();
    assertThat(image.getRepoTagsList()).containsExactly(tag);
    assertThat(image.getLayerDiffIdsList()).hasSize(1);
    assertThat(image.getOs()).isEqualTo("linux");
    assertThat(image.getConfig().getEnvNamesList()).contains("PORTOLAN_SECRET", "MODE");
    assertThat(image.getConfig().getCmdList()).containsExactly("/bin/busybox", "sleep", "3600");
    assertThat(image.getConfig().getLabelsMap()).containsEntry("case", "built");
    assertThat(image.getHistoryList()).extracting(HistoryEntry::getEmptyLayer).containsOnlyOnce(false);
    assertThat(image.getHistoryList()).filteredOn(h -> !h.getEmptyLayer())
        .singleElement().extracting(HistoryEntry::getCreatedBy).asString().contains("COPY");

    // Container lifecycle.
    CreateContainerResponse created = images.docker().createContainerCmd(built)
        .withName("portolan-it-" + unique)
        .withLabels(images.cleanupLabels())
        .exec();
    String id = created.getId();
    await().atMost(BUDGET).until(() -> listener.lastContainerUpsert(id).isPresent());
    Container container = listener.lastContainerUpsert(id).orElseThrow();
    assertThat(container.getState()).isEqualTo("created");
    assertThat(container.getStatus()).isEqualTo("Created");
    assertThat(container.getNamesList()).containsExactly("portolan-it-" + unique);
    assertThat(container.getImageId()).isEqualTo(built);
    assertThat(container.getImageRef()).isEqualTo(built);
    assertThat(container.getCommand()).isEqualTo("/bin/busybox sleep 3600");
    assertThat(container.hasCreated()).isTrue();
    assertThat(container.hasStarted()).isFalse();

    images.docker().startContainerCmd(id).exec();
    await().atMost(BUDGET).until(() -> listener.lastContainerUpsert(id)
        .map(c -> c.getState().equals("running")).orElse(false));
    container = listener.lastContainerUpsert(id).orElseThrow();
    assertThat(container.getStatus()).isEqualTo("Up");
    assertThat(container.hasStarted()).isTrue();

    // busybox as PID 1 ignores SIGTERM, so stop ends in a SIGKILL: 137.
    images.docker().stopContainerCmd(id).withTimeout(1).exec();
    await().atMost(BUDGET).until(() -> listener.lastContainerUpsert(id)
        .map(c -> c.getState().equals("exited")).orElse(false));
    container = listener.lastContainerUpsert(id).orElseThrow();
    assertThat(container.getStatus()).isEqualTo("Exited (137)");
    assertThat(container.getExitCode()).isEqualTo(137);
    assertThat(container.hasFinished()).isTrue();

    images.docker().removeContainerCmd(id).exec();
    await().atMost(BUDGET).until(() -> listener.containerRemoved(id));

    images.docker().removeImageCmd(built).withForce(true).exec();
    await().atMost(BUDGET).until(() -> listener.imageRemoved(built));

    // A resync on demand is a full snapshot that no longer lists the removed objects.
    int snapshots = listener.snapshots();
    watcher.requestResync();
    await().atMost(BUDGET).until(() -> listener.snapshots() == snapshots + 1);
    RecordingListener.Snapshot last = (RecordingListener.Snapshot) listener.seen.stream()
        .filter(RecordingListener.Snapshot.class::isInstance).reduce((a, b) -> b).orElseThrow();
    assertThat(last.images()).extracting(Image::getId).contains(before).doesNotContain(built);
    assertThat(last.containers()).extracting(Container::getId).doesNotContain(id);

    assertThat(listener.allText()).contains("PORTOLAN_SECRET").doesNotContain(secret);
  }

  @Test
  void burstOfTagsBecomesFewPassesAndUntagIsAnUpsert() {
    String id = images.scratch(TestImages.TAG_PREFIX + "files:" + unique,
        Map.of("etc/os-release", "ID=portolan\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        Map.of());
    watcher.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> listener.snapshots() == 1);
    for (int i = 0; i < 5; i++) {
      images.docker().tagImageCmd(id, TestImages.TAG_PREFIX + "files", unique + "-" + i).exec();
    }
    await().atMost(BUDGET).until(() -> listener.lastImageUpsert(id)
        .map(img -> img.getRepoTagsCount() == 6).orElse(false));
    images.docker().removeImageCmd(TestImages.TAG_PREFIX + "files:" + unique + "-0").exec();
    await().atMost(BUDGET).until(() -> listener.lastImageUpsert(id)
        .map(img -> img.getRepoTagsCount() == 5).orElse(false));
    assertThat(listener.imageRemoved(id)).isFalse();
    long upserts = listener.seen.stream().filter(s -> s instanceof RecordingListener.ImageUp(Image img)
        && img.getId().equals(id)).count();
    assertThat(upserts).as("debounced: far fewer passes than events").isLessThanOrEqualTo(4);
  }
}
