package io.portolan.agent.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void growsToTheMaximumWithJitterAndResets() {
    Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), new SplittableRandom(1));
    Duration previousCeiling = Duration.ZERO;
    for (int i = 0; i < 20; i++) {
      Duration ceiling = backoff.ceiling();
      assertThat(ceiling).isGreaterThanOrEqualTo(previousCeiling).isLessThanOrEqualTo(Duration.ofSeconds(30));
      Duration delay = backoff.next();
      assertThat(delay).isPositive().isLessThanOrEqualTo(ceiling);
      previousCeiling = ceiling;
    }
    assertThat(backoff.ceiling()).isEqualTo(Duration.ofSeconds(30));
    backoff.reset();
    assertThat(backoff.ceiling()).isEqualTo(Duration.ofMillis(500));
  }
}
