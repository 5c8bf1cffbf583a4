package io.portolan.cli;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;

/**
 * Keeps the process alive until Ctrl-C or SIGTERM, then closes what was started in reverse order.
 */
final class Lifecycle {
  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final CountDownLatch stopped = new CountDownLatch(1);

  <T extends AutoCloseable> T add(T part) {
    synchronized (started) {
      started.push(part);
    }
    return part;
  }

  int runUntilStopped() throws InterruptedException {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      closeAll();
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
    return 0;
  }

  void closeAll() {
    synchronized (started) {
      while (!started.isEmpty()) {
        try {
          started.pop().close();
        } catch (Exception e) {
          System.err.println("portolan: error while stopping: " + e.getMessage());
        }
      }
    }
  }
}
