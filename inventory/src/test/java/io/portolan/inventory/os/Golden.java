package io.portolan.inventory.os;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Golden-file support for the OS package analyzers. Fixtures live in {@code
 * src/test/resources/<format>/<case>/} with {@code expected.json} beside them; run the tests with
 * {@code -Dportolan.golden.update=true} to rewrite every {@code expected.json} from the current
 * output, then review the diff. Tool-made goldens ({@code dpkg-query.txt}, {@code rpm-qa.txt}) are
 * never rewritten by the tests.
 */
public final class Golden {
  public static final Path RESOURCES = Path.of("src/test/resources");
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private Golden() {}

  public static Path resource(String relative) {
    return RESOURCES.resolve(relative);
  }

  /** Runs {@code analyzer} on one fixture file the way the layer walker would: path, stream, size. */
  public static FileFindings analyze(Analyzer analyzer, String layerPath, Path file) throws IOException {
    assertThat(analyzer.wants(layerPath)).as("analyzer wants %s", layerPath).isTrue();
    try (InputStream in = Files.newInputStream(file)) {
      List<FileFindings> findings = analyzer.analyze(layerPath, in, Files.size(file));
      assertThat(findings).hasSize(1);
      return findings.get(0);
    }
  }

  /** Compares {@code packages} with {@code expected.json}, or rewrites it when the update flag is set. */
  public static void assertMatches(Path expectedJson, List<Package> packages) throws IOException {
    String actual = JSON.writeValueAsString(packages) + "\n";
    if (Boolean.getBoolean("portolan.golden.update")) {
      Files.writeString(expectedJson, actual, StandardCharsets.UTF_8);
    }
    assertThat(expectedJson).as("golden file %s (regenerate with -Dportolan.golden.update=true)", expectedJson)
        .exists();
    assertThat(actual).isEqualTo(Files.readString(expectedJson, StandardCharsets.UTF_8));
  }

  /** The non-blank lines of a tool-made golden file. */
  public static List<String> lines(Path file) throws IOException {
    return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
  }
}
