package io.portolan.bench;

import com.google.protobuf.Timestamp;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gRPC channels simulated agents share: about a hundred streams a channel, as one process
 * cannot afford a channel per agent at fleet scale, with one callback pool for all of them.
 */
final class SimChannels implements AutoCloseable {
  private static final int STREAMS_PER_CHANNEL = 100;

  private final ExecutorService callbacks;
  private final List<ManagedChannel> channels = new ArrayList<>();

  SimChannels(int grpcPort, int agentCount, String threadPrefix) {
    callbacks = Executors.newFixedThreadPool(4, named(threadPrefix + "-grpc"));
    int channelCount = Math.max(1, (agentCount + STREAMS_PER_CHANNEL - 1) / STREAMS_PER_CHANNEL);
    for (int c = 0; c < channelCount; c++) {
      channels.add(NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().executor(callbacks)
          .maxInboundMessageSize(16 * 1024 * 1024).build());
    }
  }

  /** The channel agent number {@code index} (from 0) streams on. */
  ManagedChannel forAgent(int index) {
    return channels.get(index % channels.size());
  }

  /** Daemon threads named {@code prefix-N}. */
  static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  static Timestamp now() {
    Instant i = Instant.now();
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels) c.shutdown();
    try {
      for (ManagedChannel c : channels) {
        if (!c.awaitTermination(10, TimeUnit.SECONDS)) c.shutdownNow();
      }
    } catch (InterruptedException e) {
      channels.forEach(ManagedChannel::shutdownNow);
      Thread.currentThread().interrupt();
    }
    callbacks.shutdownNow();
  }
}
