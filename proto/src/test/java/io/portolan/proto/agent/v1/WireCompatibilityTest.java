package io.portolan.proto.agent.v1;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Decodes bytes written by earlier versions of the protocol. The files under
 * src/test/resources/golden/v1 are never regenerated for an existing case: a failure here means a
 * field was renumbered or retyped. To add a case, write its builder below and run once with
 * {@code -Dportolan.golden.write=true}, then commit the new file.
 */
class WireCompatibilityTest {
  private static final Path GOLDEN = Path.of("src/test/resources/golden/v1");

  static AgentMessage helloV1() {
    return AgentMessage.newBuilder().setHello(Hello.newBuilder()
        .setProtocolVersion(1).setAgentId("5f0c7a2e-agent").setAgentVersion("0.1.0").setLastAckedSeq(41)
        .setHost(HostFacts.newBuilder().setHostName("web-1").addAllIps(List.of("10.0.0.5", "fd00::5"))
            .setOs("Debian GNU/Linux 12 (bookworm)").setKernel("6.1.0-18-amd64").setArchitecture("x86_64")
            .setDockerVersion("20.10.24").setDockerApiVersion("1.41").putLabels("env", "prod")
            .setStorageDriver("overlay2").setDockerRootDir("/var/lib/docker").setCpus(2).setMemoryBytes(25_000_000_000L)))
        .build();
  }

  static AgentMessage snapshotV1() {
    Timestamp t = Timestamp.newBuilder().setSeconds(1_700_000_000).setNanos(123_000_000).build();
    return AgentMessage.newBuilder().setSeq(42).setSnapshot(SnapshotChunk.newBuilder()
        .setSnapshotId("b1e6").setChunkIndex(0).setLast(true).setTakenAt(t)
        .addImages(Image.newBuilder().setId("sha256:" + "a".repeat(64)).addRepoTags("busybox:static")
            .addRepoDigests("registry.example.com/busybox@sha256:" + "b".repeat(64)).setCreated(t).setSizeBytes(1_234_567)
            .setOs("linux").setArchitecture("amd64").addLayerDiffIds("sha256:" + "c".repeat(64))
            .addHistory(HistoryEntry.newBuilder().setCreated(t).setCreatedBy("COPY busybox /bin/busybox"))
            .addHistory(HistoryEntry.newBuilder().setCreatedBy("CMD [\"/bin/busybox\"]").setEmptyLayer(true))
            .setConfig(ImageConfig.newBuilder().addCmd("/bin/busybox").addCmd("sleep").addEnvNames("PATH")
                .setUser("nobody").addExposedPorts("8080/tcp").putLabels("team", "infra").setWorkingDir("/")))
        .addContainers(Container.newBuilder().setId("d".repeat(64)).addNames("web").setImageId("sha256:" + "a".repeat(64))
            .setImageRef("busybox:static").setState("exited").setStatus("Exited (137)")
            .setCommand("/bin/busybox sleep 3600").setCreated(t).setStarted(t).setFinished(t).setExitCode(137)
            .addPorts(Port.newBuilder().setIp("0.0.0.0").setPrivatePort(8080).setPublicPort(18080).setProtocol("tcp"))
            .putLabels("app", "web").setRestartCount(2)))
        .build();
  }

  static CollectorMessage welcomeV1() {
    return CollectorMessage.newBuilder().setWelcome(Welcome.newBuilder().setAccepted(true).setCollectorId("c-1")
        .setProtocolVersion(1).setLastCommittedSeq(41).setHeartbeatIntervalSeconds(10).setMaxInFlight(256)).build();
  }

  static CollectorMessage scanCommandV1() {
    return CollectorMessage.newBuilder().setCommand(Command.newBuilder().setRequestId("scan-7f3a")
        .setScanImages(ScanImages.newBuilder().addImageIds("sha256:" + "a".repeat(64))
            .addImageIds("sha256:" + "b".repeat(64)).addCategories("vulnerabilities").setForce(true))).build();
  }

  static CollectorMessage cancelCommandV1() {
    return CollectorMessage.newBuilder().setCommand(Command.newBuilder().setRequestId("cancel-19c2")
        .setCancelScan(CancelScan.newBuilder().setScanRequestId("scan-7f3a").addImageIds("sha256:" + "b".repeat(64))))
        .build();
  }

  static AgentMessage scanUpdateV1() {
    return AgentMessage.newBuilder().setSeq(43).setCommandUpdate(CommandUpdate.newBuilder().setRequestId("scan-7f3a")
        .setImageId("sha256:" + "b".repeat(64)).setStatus(CommandStatus.COMMAND_STATUS_CANCELLED)
        .setMessage("cancelled in layer x after 12 entries").setProgressPercent(40)).build();
  }

  @Test
  void scanCommandsAndPerImageUpdatesStillDecode() throws IOException {
    assertThat(CollectorMessage.parseFrom(golden("scan-command.bin", scanCommandV1()))).isEqualTo(scanCommandV1());
    assertThat(CollectorMessage.parseFrom(golden("cancel-command.bin", cancelCommandV1())))
        .isEqualTo(cancelCommandV1());
    assertThat(AgentMessage.parseFrom(golden("scan-update.bin", scanUpdateV1()))).isEqualTo(scanUpdateV1());
  }

  /** A layer unit as agents with language analyzers write it: a jar's package and a dpkg file list. */
  static AgentMessage layerInventoryWithOwnedFiles() {
    return AgentMessage.newBuilder().setSeq(43).setLayerInventory(LayerInventory.newBuilder()
        .setRef(LayerRef.newBuilder().setDiffId("sha256:" + "e".repeat(64)).setAnalyzer("dpkg").setAnalyzerVersion(2))
        .addFiles(FileFindings.newBuilder().setPath("var/lib/dpkg/info/python3-requests.list")
            .addOwned(OwnedFiles.newBuilder().setType("deb").setName("python3-requests")
                .addPaths("usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO")))
        .addFiles(FileFindings.newBuilder().setPath("app/app.jar").addPackages(Package.newBuilder().setType("maven")
            .setName("org.apache.logging.log4j:log4j-core").setVersion("2.14.1")
            .setPurl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
            .putProperties("path", "app/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar")))
        .setSizeBytes(4096))
        .build();
  }

  @Test
  void layerInventoryWithOwnedFilesStillDecodes() throws IOException {
    assertThat(AgentMessage.parseFrom(golden("layer-inventory-owned.bin", layerInventoryWithOwnedFiles())))
        .isEqualTo(layerInventoryWithOwnedFiles());
  }

  @Test
  void helloWrittenByV1StillDecodes() throws IOException {
    assertThat(AgentMessage.parseFrom(golden("hello.bin", helloV1()))).isEqualTo(helloV1());
  }

  @Test
  void snapshotWrittenByV1StillDecodes() throws IOException {
    assertThat(AgentMessage.parseFrom(golden("snapshot.bin", snapshotV1()))).isEqualTo(snapshotV1());
  }

  @Test
  void welcomeWrittenByV1StillDecodes() throws IOException {
    assertThat(CollectorMessage.parseFrom(golden("welcome.bin", welcomeV1()))).isEqualTo(welcomeV1());
  }

  @Test
  void anOlderReaderSkipsFieldsItDoesNotKnow() throws IOException {
    // A newer agent adds field 999 to Hello; this version must still read the rest.
    byte[] withUnknown = helloV1().toBuilder()
        .setHello(helloV1().getHello().toBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
            .addField(999, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(7).build()).build()))
        .build().toByteArray();
    assertThat(AgentMessage.parseFrom(withUnknown).getHello().getAgentId()).isEqualTo("5f0c7a2e-agent");
  }

  private static byte[] golden(String name, Message current) throws IOException {
    Path file = GOLDEN.resolve(name);
    if (Boolean.getBoolean("portolan.golden.write") && !Files.exists(file)) {
      Files.createDirectories(GOLDEN);
      Files.write(file, current.toByteArray());
    }
    return Files.readAllBytes(file);
  }
}
