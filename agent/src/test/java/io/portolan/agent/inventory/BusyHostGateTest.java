package io.portolan.agent.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BusyHostGateTest {
  final List<Duration> slept = new ArrayList<>();

  @Test
  void waitsWhileTheLoadExceedsTheCpusAndNoLonger() throws Exception {
    AtomicReference<Double> load = new AtomicReference<>(5.0);
    BusyHostGate gate = new BusyHostGate(load::get, 2, Duration.ofSeconds(30), d -> {
      slept.add(d);
      if (slept.size() == 3) load.set(1.5);
    });
    assertThat(gate.awaitQuiet()).isEqualTo(Duration.ofMillis(1500));
    assertThat(slept).hasSize(3);
  }

  @Test
  void neverWaitsLongerThanItsBoundOnAnAlwaysBusyHost() throws Exception {
    BusyHostGate gate = new BusyHostGate(() -> 99, 2, Duration.ofSeconds(2), slept::add);
    assertThat(gate.awaitQuiet()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void aQuietHostIsNotHeldBack() throws Exception {
    BusyHostGate gate = new BusyHostGate(() -> 0.3, 2, Duration.ofSeconds(30), slept::add);
    assertThat(gate.awaitQuiet()).isZero();
    assertThat(BusyHostGate.loadAverage()).isGreaterThanOrEqualTo(0);
  }
}
