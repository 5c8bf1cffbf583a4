package io.portolan.agent.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Plain HTTP/1.1 GETs to the engine's unix socket, for the image reads of {@link DockerImages}.
 * docker-java costs about a second of class loading and negotiation before its first call, and
 * its response stream (httpclient5's chunk decoder over small reads) spends 2-3x the CPU of a raw
 * read on a 1 GB save stream; a one-shot inventory pays both in full. One connection per request.
 */
final class EngineSocket {
  private static final int MAX_JSON_BYTES = 16 * 1024 * 1024;
  private static final int MAX_HEADER_LINE = 16 * 1024;
  private static final int BUFFER = 256 * 1024;

  private final Path socket;
  private final String versionPrefix;

  private EngineSocket(Path socket, String versionPrefix) {
    this.socket = socket;
    this.versionPrefix = versionPrefix;
  }

  /**
   * Speaks {@code pinnedVersion}, or the engine's own API version when that is older (as {@link
   * DockerWatcher} does): an engine older than the pin rejects versioned calls.
   */
  static EngineSocket open(Path socket, String pinnedVersion) {
    EngineSocket unversioned = new EngineSocket(socket, "");
    String engine = unversioned.getJson("/version").map(v -> v.path("ApiVersion").asText(""))
        .orElseThrow(() -> new IllegalStateException("the Docker engine at " + socket + " has no /version"));
    String use = engine.isEmpty() || compareVersions(engine, pinnedVersion) >= 0 ? pinnedVersion : engine;
    return new EngineSocket(socket, "/v" + use);
  }

  /**
   * Speaks the engine's own API version without asking for it: for a request that must go out
   * before anything else ({@link DockerImages#requestSave}).
   */
  static EngineSocket unversioned(Path socket) {
    return new EngineSocket(socket, "");
  }

  static int compareVersions(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      int c = Integer.compare(i < x.length ? Integer.parseInt(x[i]) : 0, i < y.length ? Integer.parseInt(y[i]) : 0);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  /** Escapes an image reference for a path or query; '/', ':' and '@' stay, as the docker CLI sends them. */
  static String encode(String reference) {
    return URLEncoder.encode(reference, StandardCharsets.UTF_8).replace("+", "%20").replace("%2F", "/")
        .replace("%3A", ":").replace("%40", "@");
  }

  /** The JSON body of a 200 answer; empty on 404; any other status throws with the engine's message. */
  Optional<JsonNode> getJson(String path) {
    try (Response r = get(path)) {
      if (r.status == 404) {
        return Optional.empty();
      }
      byte[] body = readBounded(r.body);
      if (r.status != 200) {
        throw new IllegalStateException("Docker engine answered " + r.status + " to GET " + path + ": "
            + message(body));
      }
      return Optional.of(Json.MAPPER.readTree(body));
    } catch (IOException e) {
      throw new UncheckedIOException("Docker engine at " + socket + ", GET " + path + ": " + e.getMessage(), e);
    }
  }

  /** The body of a 200 answer as a stream the caller closes; any other status throws. */
  InputStream stream(String path) {
    try {
      return ok(get(path), path);
    } catch (IOException e) {
      throw new UncheckedIOException("Docker engine at " + socket + ", GET " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * The body of {@code r} when it is a 200 answer; otherwise closes it and throws
   * IllegalStateException with the engine's message.
   */
  private static InputStream ok(Response r, String path) throws IOException {
    if (r.status == 200) {
      return r.body;
    }
    byte[] body;
    try {
      body = readBounded(r.body);
    } finally {
      r.close();
    }
    throw new IllegalStateException("Docker engine answered " + r.status + " to GET " + path + ": " + message(body));
  }

  /**
   * Sends the GET now and returns its body as a stream the caller closes; the answer's status and
   * headers are read when the stream is first read, and any status but 200 then fails that read
   * with the engine's message. For answers that start long after the request (a save stream starts
   * once the engine has exported the whole image).
   */
  InputStream requestStream(String path) throws IOException {
    return new Requested(send(path), path);
  }

  private Response get(String path) throws IOException {
    return answer(send(path));
  }

  private SocketChannel send(String path) throws IOException {
    SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
    try {
      String request = "GET " + versionPrefix + path + " HTTP/1.1\r\nHost: docker\r\nUser-Agent: portolan\r\n"
          + "Connection: close\r\n\r\n";
      ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
      while (out.hasRemaining()) {
        channel.write(out);
      }
      return channel;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static Response answer(SocketChannel channel) throws IOException {
    try {
      InputStream in = new BufferedInputStream(Channels.newInputStream(channel), BUFFER);
      String status = line(in);
      String[] parts = status.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
        throw new IOException("not an HTTP answer: " + status);
      }
      int code = Integer.parseInt(parts[1]);
      long length = -1;
      boolean chunked = false;
      for (String h; !(h = line(in)).isEmpty(); ) {
        int colon = h.indexOf(':');
        if (colon < 0) {
          continue;
        }
        String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = h.substring(colon + 1).trim();
        if (name.equals("transfer-encoding")) {
          chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
        } else if (name.equals("content-length")) {
          length = Long.parseLong(value);
        }
      }
      InputStream body = chunked ? new Chunked(in) : length >= 0 ? new Bounded(in, length) : in;
      return new Response(code, body);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static byte[] readBounded(InputStream in) throws IOException {
    byte[] data = in.readNBytes(MAX_JSON_BYTES + 1);
    if (data.length > MAX_JSON_BYTES) {
      throw new IOException("answer larger than " + MAX_JSON_BYTES + " bytes");
    }
    return data;
  }

  private static String message(byte[] body) {
    try {
      JsonNode m = Json.MAPPER.readTree(body).path("message");
      if (m.isTextual()) {
        return m.asText();
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: show it as text
    }
    return new String(body, 0, Math.min(body.length, 500), StandardCharsets.UTF_8).trim();
  }

  /** One CRLF- (or LF-) terminated ASCII line, without the terminator. */
  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int b; (b = in.read()) != '\n'; ) {
      if (b < 0) {
        throw new EOFException("the engine closed the connection mid-header");
      }
      if (sb.length() >= MAX_HEADER_LINE) {
        throw new IOException("header line longer than " + MAX_HEADER_LINE + " bytes");
      }
      sb.append((char) b);
    }
    int end = sb.length();
    return end > 0 && sb.charAt(end - 1) == '\r' ? sb.substring(0, end - 1) : sb.toString();
  }

  /** A sent request whose answer is read on first use. */
  private final class Requested extends InputStream {
    private final SocketChannel channel;
    private final String path;
    private InputStream body;

    Requested(SocketChannel channel, String path) {
      this.channel = channel;
      this.path = path;
    }

    private InputStream body() throws IOException {
      if (body == null) {
        try {
          body = ok(answer(channel), path);
        } catch (IOException | IllegalStateException e) {
          channel.close();
          throw new IOException("Docker engine at " + socket + ", GET " + path + ": " + e.getMessage(), e);
        }
      }
      return body;
    }

    @Override
    public int read() throws IOException {
      return body().read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return body().read(b, off, len);
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  /**
   * Built on first use: setting up databind costs a cold process 0.1 s, which must not delay a
   * request sent before any JSON is read ({@link #requestStream}).
   */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  private record Response(int status, InputStream body) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      body.close();
    }
  }

  /** A Content-Length body. */
  private static final class Bounded extends InputStream {
    private final InputStream in;
    private long left;

    Bounded(InputStream in, long length) {
      this.in = in;
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left == 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new EOFException("the engine closed the connection " + left + " bytes before the end of the answer");
      }
      left -= n;
      return n;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /**
   * A chunked body. A connection that ends before the last (empty) chunk is an error, not an end:
   * that is how a save stream that the engine aborts shows.
   */
  private static final class Chunked extends InputStream {
    private final InputStream in;
    private long left;
    private boolean done;

    Chunked(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (left == 0 && !nextChunk()) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new EOFException("the engine closed the connection in the middle of a chunk");
      }
      left -= n;
      if (left == 0) {
        expectCrlf();
      }
      return n;
    }

    /** Reads the next chunk header; false at the last chunk (after its trailers). */
    private boolean nextChunk() throws IOException {
      if (done) {
        return false;
      }
      String header = line(in);
      int semicolon = header.indexOf(';');
      String size = (semicolon < 0 ? header : header.substring(0, semicolon)).trim();
      try {
        left = Long.parseLong(size, 16);
      } catch (NumberFormatException e) {
        throw new IOException("malformed chunk size '" + size + "'");
      }
      if (left < 0) {
        throw new IOException("malformed chunk size '" + size + "'");
      }
      if (left == 0) {
        while (!line(in).isEmpty()) {
          // trailers: none of them matter here
        }
        done = true;
        return false;
      }
      return true;
    }

    private void expectCrlf() throws IOException {
      if (!line(in).isEmpty()) {
        throw new IOException("chunk not followed by CRLF");
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
