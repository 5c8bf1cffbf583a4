package io.portolan.agent.inventory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * The agent's "nice" mode: before reading an image's layers it waits while the host is busier than
 * its CPUs can carry (1-minute load average above the CPU count), so inventory never competes with
 * the production containers for CPU and disk. It waits at most {@code maxWait} per image, so work
 * still completes on a host that is always busy.
 */
public final class BusyHostGate {
  /** How the gate waits; injected so tests run without sleeping. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private static final Duration STEP = Duration.ofMillis(500);
  private final DoubleSupplier load;
  private final int cpus;
  private final Duration maxWait;
  private final Sleeper sleeper;

  public BusyHostGate(DoubleSupplier load, int cpus, Duration maxWait, Sleeper sleeper) {
    this.load = load;
    this.cpus = cpus;
    this.maxWait = maxWait;
    this.sleeper = sleeper;
  }

  /** A gate on this machine's /proc/loadavg. */
  public static BusyHostGate forThisHost(Duration maxWait) {
    return new BusyHostGate(BusyHostGate::loadAverage, Runtime.getRuntime().availableProcessors(), maxWait,
        d -> TimeUnit.MILLISECONDS.sleep(d.toMillis()));
  }

  /** A gate that never waits. */
  public static BusyHostGate open() {
    return new BusyHostGate(() -> 0, 1, Duration.ZERO, d -> {});
  }

  /** Returns how long it waited. */
  public Duration awaitQuiet() throws InterruptedException {
    Duration waited = Duration.ZERO;
    while (waited.compareTo(maxWait) < 0 && load.getAsDouble() > cpus) {
      sleeper.sleep(STEP);
      waited = waited.plus(STEP);
    }
    return waited;
  }

  static double loadAverage() {
    try {
      String first = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0];
      return Double.parseDouble(first);
    } catch (IOException | RuntimeException e) {
      return 0; // not Linux, or unreadable: never hold work back for lack of a number
    }
  }
}
