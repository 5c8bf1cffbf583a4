package io.portolan.vuln.advisory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** The real records copied under test resources {@code vulndata/}, and zips built of them. */
final class VulnData {
  private VulnData() {}

  static Path path(String relative) {
    try {
      var url = VulnData.class.getResource("/vulndata/" + relative);
      if (url == null) {
        throw new IllegalArgumentException("no test resource vulndata/" + relative);
      }
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] bytes(String relative) {
    try {
      return Files.readAllBytes(path(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Entries in order; {@code stored} puts sizes in the headers, deflated entries do not. */
  static byte[] zip(Map<String, byte[]> entries, boolean stored) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (var e : entries.entrySet()) {
        ZipEntry entry = new ZipEntry(e.getKey());
        if (stored) {
          var crc = new java.util.zip.CRC32();
          crc.update(e.getValue());
          entry.setMethod(ZipEntry.STORED);
          entry.setSize(e.getValue().length);
          entry.setCompressedSize(e.getValue().length);
          entry.setCrc(crc.getValue());
        }
        zip.putNextEntry(entry);
        zip.write(e.getValue());
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Resource files as zip entries named by their base name, like an OSV all.zip. */
  static Map<String, byte[]> flat(String... relatives) {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    for (String r : relatives) {
      entries.put(r.substring(r.lastIndexOf('/') + 1), bytes(r));
    }
    return entries;
  }

  /** Offsets of the zip's local file headers, in order. */
  static List<Integer> localHeaders(byte[] zip) {
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i + 3 < zip.length; i++) {
      if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 3 && zip[i + 3] == 4) {
        at.add(i);
      }
    }
    return at;
  }

  /** Collects what a parser hands out. */
  static final class Collected {
    final List<Advisory> advisories = new ArrayList<>();
    final List<String> problems = new ArrayList<>();

    Advisory byId(String id) {
      return advisories.stream().filter(a -> a.id().equals(id)).findFirst()
          .orElseThrow(() -> new AssertionError("no advisory " + id + " in " + ids()));
    }

    List<String> ids() {
      return advisories.stream().map(Advisory::id).toList();
    }
  }

  static Collected parse(FeedParser parser, FeedSnapshot snapshot) throws IOException {
    Collected c = new Collected();
    parser.parse(snapshot, c.advisories::add, c.problems::add);
    return c;
  }
}
