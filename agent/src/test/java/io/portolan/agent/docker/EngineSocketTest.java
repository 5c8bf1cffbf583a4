package io.portolan.agent.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * EngineSocket against a fake engine on a unix socket that answers each path with canned bytes
 * and then closes the connection, so every malformed or truncated answer must end in an error
 * rather than a hang or a silently short body.
 */
class EngineSocketTest {
  private static final Duration LIMIT = Duration.ofSeconds(20);
  private static final String VERSION = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n"
      + "{\"ApiVersion\":\"1.43\"}\n";

  private final Map<String, Supplier<byte[]>> answers = new ConcurrentHashMap<>();
  private final Map<String, String> requests = new ConcurrentHashMap<>();
  private Path dir;
  private Path socket;
  private ServerSocketChannel server;
  private Thread engine;

  @BeforeEach
  void startEngine() throws IOException {
    // Not @TempDir: unix socket paths are limited to ~100 bytes and build directories can be deep.
    dir = Files.createTempDirectory("engine");
    socket = dir.resolve("d.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    answers.put("/version", () -> ascii(VERSION));
    engine = new Thread(this::serve, "fake-engine");
    engine.setDaemon(true);
    engine.start();
  }

  @AfterEach
  void stopEngine() throws Exception {
    server.close();
    engine.join(LIMIT.toMillis());
    Files.deleteIfExists(socket);
    Files.deleteIfExists(dir);
  }

  private void serve() {
    while (server.isOpen()) {
      try (SocketChannel c = server.accept()) {
        String request = readRequest(c);
        String path = request.split(" ", 3)[1];
        String unversioned = path.replaceFirst("^/v[0-9.]+/", "/").replaceFirst("[?].*", "");
        requests.put(unversioned, request);
        Supplier<byte[]> answer = answers.get(unversioned);
        byte[] bytes = answer != null ? answer.get()
            : ascii("HTTP/1.1 404 Not Found\r\nContent-Length: 30\r\n\r\n{\"message\":\"no such endpoint\"}");
        ByteBuffer out = ByteBuffer.wrap(bytes);
        while (out.hasRemaining()) c.write(out);
      } catch (IOException e) {
        // the client hung up early (an oversized answer), or the test is over
      }
    }
  }

  private static String readRequest(SocketChannel c) throws IOException {
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    ByteBuffer one = ByteBuffer.allocate(1);
    while (!seen.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      one.clear();
      if (c.read(one) < 0) throw new EOFException("request cut off");
      seen.write(one.array()[0]);
    }
    return seen.toString(StandardCharsets.US_ASCII);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private EngineSocket open() {
    return EngineSocket.open(socket, "1.41");
  }

  private static byte[] drain(InputStream in) throws IOException {
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[7];
      for (int n; (n = in.read(buf)) >= 0; ) out.write(buf, 0, n);
      return out.toByteArray();
    }
  }

  @Test
  void chunkedAnswerIsReassembledAndEndsAtTheLastChunk() {
    answers.put("/images/nginx:1/json", () -> ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "5\r\n{\"Id\"\r\n" + "d;ext=1\r\n:\"sha256:ab\"}\r\n" + "0\r\nX-Trailer: t\r\n\r\n"));
    answers.put("/images/get", () -> ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3\r\nabc\r\n" + "A\r\n0123456789\r\n" + "0\r\n\r\n"));
    assertTimeoutPreemptively(LIMIT, () -> {
      EngineSocket engine = open();
      assertThat(engine.getJson("/images/nginx:1/json").orElseThrow().path("Id").asText()).isEqualTo("sha256:ab");
      assertThat(drain(engine.stream("/images/get?names=x"))).asString(StandardCharsets.US_ASCII)
          .isEqualTo("abc0123456789");
    });
    // The pinned version is older than the engine's, so the pin is what goes on the wire.
    assertThat(requests.get("/images/nginx:1/json")).startsWith("GET /v1.41/images/nginx:1/json HTTP/1.1\r\n");
  }

  @Test
  void requestedStreamGoesOutAtOnceAndIsAnsweredOnFirstRead() {
    CountDownLatch answer = new CountDownLatch(1);
    answers.put("/images/get", () -> {
      // The engine exports the whole image before it answers: here, until the test lets it.
      await().atMost(LIMIT).until(() -> answer.getCount() == 0);
      return ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntar\r\n0\r\n\r\n");
    });
    answers.put("/images/missing", () -> ascii("HTTP/1.1 404 Not Found\r\nContent-Length: 38\r\n\r\n"
        + "{\"message\":\"reference does not exist\"}"));
    assertTimeoutPreemptively(LIMIT, () -> {
      InputStream save = EngineSocket.unversioned(socket).requestStream("/images/get?names=busybox:1");
      // Sent before anything was read, unversioned, and without asking the engine's version first.
      await().atMost(LIMIT).until(() -> requests.containsKey("/images/get"));
      assertThat(requests.get("/images/get")).startsWith("GET /images/get?names=busybox:1 HTTP/1.1\r\n");
      assertThat(requests).doesNotContainKey("/version");
      answer.countDown();
      assertThat(drain(save)).asString(StandardCharsets.US_ASCII).isEqualTo("tar");
      InputStream missing = EngineSocket.unversioned(socket).requestStream("/images/missing");
      assertThatThrownBy(() -> missing.read(new byte[8])).isInstanceOf(IOException.class)
          .hasMessageContaining("answered 404 to GET /images/missing: reference does not exist");
      missing.close();
    });
  }

  @Test
  void contentLengthAnswerStopsAtItsLength() {
    answers.put("/images/get", () -> ascii("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbodytrailing-garbage"));
    answers.put("/images/short/json", () -> ascii("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Id\":"));
    assertTimeoutPreemptively(LIMIT, () -> {
      EngineSocket engine = open();
      assertThat(drain(engine.stream("/images/get?names=x"))).asString(StandardCharsets.US_ASCII).isEqualTo("body");
      assertThatThrownBy(() -> engine.getJson("/images/short/json")).isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("bytes before the end");
    });
  }

  @Test
  void answerCutOffMidChunkIsAnErrorNotAShortBody() {
    answers.put("/images/get", () -> ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3\r\nabc\r\n" + "10\r\n01234"));
    answers.put("/images/cut/json", () -> ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "2\r\n{}\r\n"));
    assertTimeoutPreemptively(LIMIT, () -> {
      EngineSocket engine = open();
      InputStream in = engine.stream("/images/get?names=x");
      assertThatThrownBy(() -> drain(in)).isInstanceOf(EOFException.class).hasMessageContaining("middle of a chunk");
      // A complete chunk but no last chunk: the engine gave up between chunks, still not an end.
      assertThatThrownBy(() -> engine.getJson("/images/cut/json")).isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("closed the connection");
    });
  }

  @Test
  void malformedChunkSizeIsAnError() {
    answers.put("/images/get", () -> ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3\r\nabc\r\n" + "zz\r\nwhatever\r\n0\r\n\r\n"));
    answers.put("/images/neg/json", () -> ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "-5\r\nabcde\r\n0\r\n\r\n"));
    answers.put("/images/nocrlf/json", () -> ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "2\r\n{}XX\r\n0\r\n\r\n"));
    assertTimeoutPreemptively(LIMIT, () -> {
      EngineSocket engine = open();
      InputStream in = engine.stream("/images/get?names=x");
      assertThatThrownBy(() -> drain(in)).isInstanceOf(IOException.class).hasMessageContaining("malformed chunk size 'zz'");
      assertThatThrownBy(() -> engine.getJson("/images/neg/json")).isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("malformed chunk size");
      assertThatThrownBy(() -> engine.getJson("/images/nocrlf/json")).isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("not followed by CRLF");
    });
  }

  @Test
  void oversizedHeaderLineIsAnError() {
    char[] big = new char[64 * 1024];
    Arrays.fill(big, 'a');
    answers.put("/images/big/json", () -> ascii("HTTP/1.1 200 OK\r\nX-Big: " + new String(big) + "\r\n\r\n{}"));
    answers.put("/images/endless/json", () -> ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"));
    assertTimeoutPreemptively(LIMIT, () -> {
      EngineSocket engine = open();
      assertThatThrownBy(() -> engine.getJson("/images/big/json")).isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("header line longer than");
      assertThatThrownBy(() -> engine.getJson("/images/endless/json")).isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("mid-header");
    });
  }

  @Test
  void errorStatusCarriesTheEnginesMessage() {
    String body = "{\"message\":\"reference does not exist\"}";
    answers.put("/images/get", () -> ascii("HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + body.length() + "\r\n\r\n" + body));
    answers.put("/images/broken/json", () -> ascii("HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked"
        + "\r\n\r\n" + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n"));
    answers.put("/images/text/json", () -> ascii("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 9\r\n\r\nupstream!"));
    assertTimeoutPreemptively(LIMIT, () -> {
      EngineSocket engine = open();
      assertThatThrownBy(() -> engine.stream("/images/get?names=x")).isInstanceOf(IllegalStateException.class)
          .hasMessage("Docker engine answered 500 to GET /images/get?names=x: reference does not exist");
      assertThatThrownBy(() -> engine.getJson("/images/broken/json")).isInstanceOf(IllegalStateException.class)
          .hasMessage("Docker engine answered 500 to GET /images/broken/json: reference does not exist");
      assertThatThrownBy(() -> engine.getJson("/images/text/json")).isInstanceOf(IllegalStateException.class)
          .hasMessageEndingWith("502 to GET /images/text/json: upstream!");
      assertThat(engine.getJson("/images/missing/json")).isEmpty();
    });
  }

  @Test
  void oversizedJsonBodyIsRefusedNotBuffered() {
    int size = 17 * 1024 * 1024;
    answers.put("/images/huge/json", () -> {
      byte[] head = ascii("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n");
      byte[] all = Arrays.copyOf(head, head.length + size);
      Arrays.fill(all, head.length, all.length, (byte) ' ');
      return all;
    });
    assertTimeoutPreemptively(LIMIT, () -> {
      EngineSocket engine = open();
      assertThatThrownBy(() -> engine.getJson("/images/huge/json")).isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("answer larger than");
    });
  }

  @Test
  void notHttpIsAnError() {
    answers.put("/images/junk/json", () -> ascii("SSH-2.0-OpenSSH\r\n\r\n"));
    assertTimeoutPreemptively(LIMIT, () -> {
      EngineSocket engine = open();
      assertThatThrownBy(() -> engine.getJson("/images/junk/json")).isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("not an HTTP answer");
    });
  }
}
