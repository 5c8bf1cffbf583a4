package io.portolan.collector.ingest;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.AgentServiceGrpc;
import io.portolan.proto.agent.v1.CollectorMessage;
import io.portolan.proto.agent.v1.Hello;
import io.portolan.proto.agent.v1.HostFacts;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** A scripted agent speaking the real protocol over a real gRPC channel, for collector tests. */
public final class FakeAgent implements AutoCloseable {
  public final ManagedChannel channel;
  public final List<CollectorMessage> received = new CopyOnWriteArrayList<>();
  public final CompletableFuture<Status> closed = new CompletableFuture<>();
  private StreamObserver<AgentMessage> requests;

  public FakeAgent(int port) {
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .maxInboundMessageSize(64 * 1024 * 1024).build();
  }

  public FakeAgent open() {
    requests = AgentServiceGrpc.newStub(channel).connect(new StreamObserver<>() {
      @Override
      public void onNext(CollectorMessage m) {
        received.add(m);
      }

      @Override
      public void onError(Throwable t) {
        closed.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        closed.complete(Status.OK);
      }
    });
    return this;
  }

  public static Hello hello(String agentId, String version) {
    return Hello.newBuilder().setProtocolVersion(1).setAgentId(agentId).setAgentVersion(version)
        .setHost(HostFacts.newBuilder().setHostName(agentId + "-host").addIps("10.0.0.1").setOs("Debian 12")
            .setKernel("6.1.0").setDockerVersion("20.10.24").setDockerApiVersion("1.41"))
        .build();
  }

  public FakeAgent send(AgentMessage m) {
    requests.onNext(m);
    return this;
  }

  public long highestAck() {
    return received.stream().filter(CollectorMessage::hasAck).mapToLong(m -> m.getAck().getSeq()).max().orElse(-1);
  }

  @Override
  public void close() {
    try {
      if (!closed.isDone()) requests.onCompleted();
    } catch (RuntimeException ignored) {
      // already closed
    }
    channel.shutdownNow();
  }
}
