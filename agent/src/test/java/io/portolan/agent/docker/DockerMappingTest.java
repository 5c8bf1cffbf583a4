package io.portolan.agent.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.ImageHistory;
import io.portolan.proto.agent.v1.HistoryEntry;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DockerMappingTest {

  private static ImageHistory history(String createdBy, long size) {
    try {
      ImageHistory h = new ImageHistory();
      set(h, "createdBy", createdBy);
      set(h, "size", size);
      set(h, "created", 1_700_000_000L);
      return h;
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static void set(Object target, String field, Object value) throws ReflectiveOperationException {
    Field f = target.getClass().getDeclaredField(field);
    f.setAccessible(true);
    f.set(target, value);
  }

  /** Docker returns history newest first; the tests write it oldest first for readability. */
  private static List<HistoryEntry> mapOldestFirst(int layers, ImageHistory... oldestFirst) {
    List<ImageHistory> newestFirst = new ArrayList<>(List.of(oldestFirst));
    java.util.Collections.reverse(newestFirst);
    return DockerMapping.history(newestFirst, layers);
  }

  @Test
  void sizedEntriesAreLayersAndMetadataIsEmpty() {
    List<HistoryEntry> h = mapOldestFirst(1,
        history("/bin/sh -c #(nop) COPY file:abc in /bin/busybox ", 1_982_256),
        history("/bin/sh -c #(nop)  CMD [\"/bin/busybox\"]", 0));
    assertThat(h).extracting(HistoryEntry::getEmptyLayer).containsExactly(false, true);
  }

  @Test
  void zeroSizeLayersAreFoundAmongFileSystemInstructions() {
    List<HistoryEntry> h = mapOldestFirst(3,
        history("/bin/sh -c #(nop) ADD file:abc in / ", 5_000_000),
        history("/bin/sh -c #(nop)  ENV A=b", 0),
        history("/bin/sh -c true", 0),
        history("RUN /bin/sh -c apt-get update # buildkit", 10),
        history("LABEL x=y", 0));
    assertThat(h).extracting(HistoryEntry::getEmptyLayer).containsExactly(false, true, false, false, true);
  }

  @Test
  void envArgAndBuildArgValuesAreRedacted() {
    assertThat(DockerMapping.redactCreatedBy("/bin/sh -c #(nop)  ENV PASSWORD=hunter2 MODE=\"a b\""))
        .isEqualTo("/bin/sh -c #(nop)  ENV PASSWORD=<redacted> MODE=<redacted>");
    assertThat(DockerMapping.redactCreatedBy("ENV TOKEN secret-value")).isEqualTo("ENV TOKEN=<redacted>");
    assertThat(DockerMapping.redactCreatedBy("ARG VERSION=1.2.3")).isEqualTo("ARG VERSION=<redacted>");
    assertThat(DockerMapping.redactCreatedBy("|2 KEY=abc USER=bob /bin/sh -c make"))
        .isEqualTo("|2 KEY=<redacted> USER=<redacted> /bin/sh -c make");
    assertThat(DockerMapping.redactCreatedBy("/bin/sh -c echo hi")).isEqualTo("/bin/sh -c echo hi");
  }

  @Test
  void statusDoesNotDriftAndZeroTimeIsUnset() {
    assertThat(DockerMapping.status("running", 0, null)).isEqualTo("Up");
    assertThat(DockerMapping.status("running", 0, "healthy")).isEqualTo("Up (healthy)");
    assertThat(DockerMapping.status("exited", 137, null)).isEqualTo("Exited (137)");
    assertThat(DockerMapping.status("created", 0, null)).isEqualTo("Created");
    assertThat(DockerMapping.status("paused", 0, null)).isEqualTo("Paused");
    assertThat(DockerMapping.timestamp("0001-01-01T00:00:00Z")).isEmpty();
    assertThat(DockerMapping.timestamp("2024-05-01T10:00:00.123456789Z")).hasValueSatisfying(
        t -> assertThat(t.getNanos()).isEqualTo(123_456_789));
    assertThat(DockerMapping.envNames(new String[] {"A=1", "B=x=y", "C"})).containsExactly("A", "B", "C");
    assertThat(DockerMapping.repoTags(new String[] {"<none>:<none>"})).isEmpty();
    assertThat(DockerMapping.command("/bin/busybox", new String[] {"sleep", "3600"}))
        .isEqualTo("/bin/busybox sleep 3600");
  }
}
