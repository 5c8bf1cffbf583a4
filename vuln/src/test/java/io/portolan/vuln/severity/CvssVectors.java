package io.portolan.vuln.severity;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.provider.Arguments;

/** Published vector/score pairs under src/test/resources/vulndata/cvss (see PROVENANCE.tsv). */
final class CvssVectors {
  private CvssVectors() {}

  /** The rows of a TSV file after its header, each as the arguments of one test case. */
  static List<Arguments> load(String file) {
    String resource = "/vulndata/cvss/" + file;
    List<Arguments> rows = new ArrayList<>();
    try (InputStream in = CvssVectors.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + resource);
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      reader.readLine();
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (!line.isBlank()) {
          rows.add(Arguments.of((Object[]) line.split("\t")));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (rows.isEmpty()) {
      throw new IllegalStateException("no vectors in " + resource);
    }
    return rows;
  }
}
