package io.portolan.vuln.advisory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Snapshots over test resources and in-memory files, so the tests need no real feed layout. */
final class DebianTrackerTestSnapshots {
  static final String DEBIAN = "vulndata/debian";

  private DebianTrackerTestSnapshots() {}

  /** Every file under a classpath directory, named by its path below that directory. */
  static FeedSnapshot resources(String directory) {
    Path root = resourcePath(directory);
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new FeedSnapshot() {
      @Override
      public String origin() {
        return "classpath:" + directory;
      }

      @Override
      public void forEachEntry(EntryVisitor visitor) throws IOException {
        for (Path file : files) {
          String name = root.relativize(file).toString().replace('\\', '/');
          try (InputStream in = Files.newInputStream(file)) {
            visitor.visit(name, in);
          }
        }
      }
    };
  }

  /** Entries given as name, text, name, text, ... in visiting order. */
  static FeedSnapshot texts(String... namesAndTexts) {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    for (int i = 0; i < namesAndTexts.length; i += 2) {
      entries.put(namesAndTexts[i], namesAndTexts[i + 1].getBytes(StandardCharsets.UTF_8));
    }
    return bytes(entries);
  }

  static FeedSnapshot bytes(Map<String, byte[]> entries) {
    Map<String, byte[]> copy = new LinkedHashMap<>(entries);
    return new FeedSnapshot() {
      @Override
      public String origin() {
        return "memory:" + copy.keySet();
      }

      @Override
      public void forEachEntry(EntryVisitor visitor) throws IOException {
        for (Map.Entry<String, byte[]> e : copy.entrySet()) {
          visitor.visit(e.getKey(), new ByteArrayInputStream(e.getValue()));
        }
      }
    };
  }

  static byte[] resourceBytes(String resource) {
    try {
      return Files.readAllBytes(resourcePath(resource));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> resourceLines(String resource) {
    return new String(resourceBytes(resource), StandardCharsets.UTF_8).lines().toList();
  }

  /** What a parse hands out, problems included, for assertions on either. */
  record Parsed(List<Advisory> advisories, List<String> problems) {
    Advisory advisory(String id) {
      List<Advisory> found = advisories.stream().filter(a -> a.id().equals(id)).toList();
      if (found.size() != 1) {
        throw new AssertionError(found.size() + " advisories with id " + id);
      }
      return found.get(0);
    }

    Affected affected(String id, String namespace, String sourcePackage) {
      List<Affected> found = advisory(id).affected().stream()
          .filter(a -> a.namespace().equals(namespace) && a.packageName().equals(sourcePackage))
          .toList();
      if (found.size() != 1) {
        throw new AssertionError(found.size() + " entries for " + id + " " + namespace + " "
            + sourcePackage);
      }
      return found.get(0);
    }
  }

  static Parsed parse(FeedSnapshot snapshot) throws IOException {
    List<Advisory> advisories = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    new DebianTrackerParser().parse(snapshot, advisories::add, problems::add);
    return new Parsed(List.copyOf(advisories), List.copyOf(problems));
  }

  private static Path resourcePath(String resource) {
    URL url = DebianTrackerTestSnapshots.class.getClassLoader().getResource(resource);
    if (url == null) {
      throw new IllegalArgumentException("no test resource " + resource);
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
