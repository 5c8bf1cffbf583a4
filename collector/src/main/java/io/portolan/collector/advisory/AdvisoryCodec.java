package io.portolan.collector.advisory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.portolan.vuln.advisory.Advisory;
import io.portolan.vuln.match.AdvisoryIndex;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.TreeSet;

/**
 * Normalized advisories as stored: deterministic JSON (sorted keys and sets), so that equal
 * content gives equal bytes and the content hash tells an unchanged record from a changed one.
 */
public final class AdvisoryCodec {
  private static final ObjectMapper JSON = JsonMapper.builder()
      .addModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  private AdvisoryCodec() {}

  public static byte[] encode(Advisory a) {
    // Sets have no order of their own; sorted, they serialize the same every time.
    Advisory sorted = new Advisory(a.id(), new TreeSet<>(a.aliases()), a.summary(), a.details(), a.published(),
        a.modified(), a.withdrawn(), a.severities(), a.references(), a.affected());
    try {
      return JSON.writeValueAsBytes(new Stored(sorted.id(), new TreeSet<>(sorted.aliases()), sorted));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Advisory decode(byte[] body) {
    try {
      return JSON.readValue(body, Stored.class).advisory();
    } catch (IOException e) {
      throw new UncheckedIOException("stored advisory is not readable: " + e.getMessage(), e);
    }
  }

  public static String hash(byte[] body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every ID the advisory is known by, for search. */
  public static TreeSet<String> ids(Advisory a) {
    TreeSet<String> ids = new TreeSet<>(a.aliases());
    ids.add(a.id());
    ids.add(AdvisoryIndex.canonicalId(a));
    return ids;
  }

  /** The wrapper keeps the sorted alias list first for people reading the database. */
  private record Stored(String id, TreeSet<String> aliases, Advisory advisory) {}
}
