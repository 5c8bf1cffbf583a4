package io.portolan.agent.transport;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.stub.StreamObserver;
import io.portolan.proto.agent.v1.Ack;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.AgentServiceGrpc;
import io.portolan.proto.agent.v1.CollectorMessage;
import io.portolan.proto.agent.v1.Command;
import io.portolan.proto.agent.v1.Welcome;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-process collector on a real loopback port: welcomes, records and (optionally) acks, and
 * remembers what it "committed" across restarts like a collector backed by a database would.
 */
public final class FakeCollector implements AutoCloseable {

  /** One Connect stream as the collector saw it. */
  public static final class Session {
    public final List<AgentMessage> received = new CopyOnWriteArrayList<>();
    final StreamObserver<CollectorMessage> out;

    Session(StreamObserver<CollectorMessage> out) {
      this.out = out;
    }

    public synchronized void send(CollectorMessage message) {
      out.onNext(message);
    }

    public List<Long> seqs() {
      return received.stream().map(AgentMessage::getSeq).filter(s -> s > 0).toList();
    }
  }

  public final List<Session> sessions = new CopyOnWriteArrayList<>();
  /** Highest seq received so far: the fake commits everything it receives. */
  public final AtomicLong committed = new AtomicLong();
  public volatile boolean autoAck = true;
  public volatile int maxInFlight;
  public volatile String refuseWith;
  private Server server;
  private int port;

  public FakeCollector start(int wantedPort) throws IOException {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", wantedPort))
        .withOption(ChannelOption.SO_REUSEADDR, true)
        .maxInboundMessageSize(CollectorLink.MAX_INBOUND_MESSAGE_BYTES)
        .addService(new AgentServiceGrpc.AgentServiceImplBase() {
          @Override
          public StreamObserver<AgentMessage> connect(StreamObserver<CollectorMessage> responses) {
            Session session = new Session(responses);
            sessions.add(session);
            return new StreamObserver<>() {
              @Override
              public void onNext(AgentMessage message) {
                session.received.add(message);
                if (message.hasHello()) {
                  welcome(session);
                } else if (message.getSeq() > 0) {
                  committed.accumulateAndGet(message.getSeq(), Math::max);
                  if (autoAck) {
                    session.send(ack(message.getSeq()));
                  }
                }
              }

              @Override
              public void onError(Throwable t) {
              }

              @Override
              public void onCompleted() {
                responses.onCompleted();
              }
            };
          }
        })
        .build()
        .start();
    port = server.getPort();
    return this;
  }

  private void welcome(Session session) {
    String refusal = refuseWith;
    if (refusal != null) {
      session.send(CollectorMessage.newBuilder().setWelcome(Welcome.newBuilder()
          .setAccepted(false).setReason(refusal)).build());
      session.out.onCompleted();
      return;
    }
    session.send(CollectorMessage.newBuilder().setWelcome(Welcome.newBuilder()
        .setAccepted(true)
        .setCollectorId("fake")
        .setProtocolVersion(1)
        .setLastCommittedSeq(committed.get())
        .setMaxInFlight(maxInFlight)).build());
  }

  public static CollectorMessage ack(long seq) {
    return CollectorMessage.newBuilder().setAck(Ack.newBuilder().setSeq(seq)).build();
  }

  public void command(Command command) {
    last().send(CollectorMessage.newBuilder().setCommand(command).build());
  }

  public Session last() {
    return sessions.get(sessions.size() - 1);
  }

  public int port() {
    return port;
  }

  public String target() {
    return "127.0.0.1:" + port;
  }

  public void stop() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (server != null && !server.isTerminated()) {
      stop();
    }
  }
}
