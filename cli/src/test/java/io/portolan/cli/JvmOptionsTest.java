package io.portolan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JvmOptionsTest {
  @Test
  void inventoryGetsAnArchiveNamedAfterItsClassPath() {
    String archive = JvmOptions.forCommand("inventory", "a.jar:lib/*").stream()
        .filter(o -> o.startsWith("-XX:SharedArchiveFile=")).findFirst().orElseThrow();
    // The launcher names it with: printf %s "$CP" | sha256sum | cut -c1-16
    assertThat(archive).endsWith("/portolan/cds/inventory-791e133bc41dadc6.jsa");
    assertThat(JvmOptions.forCommand("inventory", "b.jar:lib/*")).doesNotContain(archive);
    assertThat(JvmOptions.forCommand("inventory", "a.jar:lib/*")).noneMatch(o -> o.contains("{cds}"))
        .contains("-XX:+AutoCreateSharedArchive");
  }

  @Test
  void eachInventorySourceHasItsOwnArchive() {
    assertThat(JvmOptions.variant(List.of("inventory", "img", "--source", "overlay2"))).isEqualTo("-overlay2");
    assertThat(JvmOptions.variant(List.of("inventory", "--source=save", "img"))).isEqualTo("-save");
    assertThat(JvmOptions.variant(List.of("inventory", "img", "--source", "tar:/x.tar"))).isEqualTo("-tar");
    assertThat(JvmOptions.variant(List.of("inventory", "img", "--source", "auto"))).isEmpty();
    assertThat(JvmOptions.variant(List.of("inventory", "img"))).isEmpty();
    String save = JvmOptions.forCommand("inventory", "a.jar:lib/*", List.of("inventory", "i", "--source", "save"))
        .stream().filter(o -> o.startsWith("-XX:SharedArchiveFile=")).findFirst().orElseThrow();
    // The launcher names it with the same suffix before the class path's hash.
    assertThat(save).endsWith("/portolan/cds/inventory-save-791e133bc41dadc6.jsa");
  }

  @Test
  void aTarballIsReadWithC2ForItsSha256AndTheOtherSourcesWithC1() {
    List<String> tar = JvmOptions.forCommand("inventory", "a.jar:lib/*", List.of("inventory", "x", "--source",
        "tar:/x.tar"));
    // The variant's line comes after common's C1-only flag, and the last one wins.
    assertThat(tar).containsSubsequence("-XX:TieredStopAtLevel=1", "-XX:TieredStopAtLevel=4")
        .anyMatch(o -> o.endsWith("/portolan/cds/inventory-tar-791e133bc41dadc6.jsa"));
    List<String> save = JvmOptions.forCommand("inventory", "a.jar:lib/*", List.of("inventory", "x", "--source", "save"));
    assertThat(save).contains("-XX:TieredStopAtLevel=1", "-Xmx256m").doesNotContain("-XX:TieredStopAtLevel=4");
    // A variant without a line of its own gets the command's.
    assertThat(JvmOptions.forCommand("inventory", "a.jar:lib/*", List.of("inventory", "x", "--source", "overlay2")))
        .contains("-XX:TieredStopAtLevel=1", "-Xmx256m", "-Xmn32m");
  }

  @Test
  void aClassDirectoryOnThePathMeansNoArchive(@TempDir Path classes) {
    assertThat(JvmOptions.forCommand("inventory", classes + File.pathSeparator + "a.jar"))
        .noneMatch(o -> o.contains("SharedArchive") || o.contains("{cds}")).contains("-Xmx256m");
  }

  @Test
  void agentHasNoArchive() {
    assertThat(JvmOptions.forCommand("agent", "a.jar")).noneMatch(o -> o.contains("SharedArchive"));
  }

  @Test
  void archiveOlderThanAJarOnTheClassPathIsDropped(@TempDir Path dir) throws Exception {
    Path lib = Files.createDirectories(dir.resolve("lib"));
    Path jar = Files.writeString(lib.resolve("a.jar"), "jar");
    Path archive = Files.writeString(dir.resolve("inventory.jsa"), "archive");
    Files.setLastModifiedTime(jar, FileTime.fromMillis(1_000_000));
    Files.setLastModifiedTime(archive, FileTime.fromMillis(2_000_000));
    JvmOptions.dropIfStale(archive, lib + "/*");
    assertThat(archive).exists();

    Files.setLastModifiedTime(jar, FileTime.fromMillis(3_000_000));
    JvmOptions.dropIfStale(archive, dir.resolve("missing.jar") + File.pathSeparator + lib + "/*");
    assertThat(archive).doesNotExist();
  }

  @Test
  void archiveLivesInTheXdgCacheWhenSet(@TempDir Path cache) {
    Path archive = JvmOptions.cdsArchive("inventory", "a.jar:lib/*", Map.of("XDG_CACHE_HOME", cache.toString()));
    assertThat(archive.getParent()).isEqualTo(cache.resolve("portolan/cds")).isDirectory();
  }
}
