package io.portolan.inventory.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class LayerPathsTest {
  @Test
  void normalizesNamesAndRefusesEscapes() {
    assertThat(LayerPaths.normalize("./etc/passwd")).contains("etc/passwd");
    assertThat(LayerPaths.normalize("/abs//x/")).contains("abs/x");
    assertThat(LayerPaths.normalize("a/./b/../c")).contains("a/c");
    assertThat(LayerPaths.normalize("./")).contains("");
    assertThat(LayerPaths.normalize("../../etc/passwd")).isEqualTo(Optional.empty());
    assertThat(LayerPaths.normalize("a/../../b")).isEmpty();
    assertThat(LayerPaths.normalize("a\0b")).isEmpty();
  }

  @Test
  void resolvesSymlinksInsideTheRootLikeAChroot() {
    assertThat(LayerPaths.resolveSymlink("etc/os-release", "../usr/lib/os-release")).isEqualTo("usr/lib/os-release");
    assertThat(LayerPaths.resolveSymlink("a/b/link", "../../../../../etc/shadow")).isEqualTo("etc/shadow");
    assertThat(LayerPaths.resolveSymlink("a/link", "/x/./y")).isEqualTo("x/y");
    assertThat(LayerPaths.resolveSymlink("link", ".")).isEmpty();
  }
}
