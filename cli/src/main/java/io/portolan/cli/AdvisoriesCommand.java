package io.portolan.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code portolan advisories import PATH}: feeds an air-gapped collector. The file (or a directory,
 * zipped on the way) goes to the collector's import endpoint, which replaces that feed's content
 * and rematches what changed.
 */
@Command(name = "advisories", mixinStandardHelpOptions = true, description = "Manage the collector's advisory feeds.",
    subcommands = {AdvisoriesCommand.Import.class})
final class AdvisoriesCommand {

  @Command(name = "import", mixinStandardHelpOptions = true,
      description = "Import an OSV file/directory/zip, a Debian tracker export or lists, or an Alpine secdb file as"
          + " the whole content of one feed.")
  static final class Import implements Callable<Integer> {
    @Parameters(paramLabel = "PATH", description = "File, directory or .zip")
    Path path;

    @Option(names = "--feed", description = "Feed name (default: the file or directory name)")
    String feed;

    @Option(names = "--collector", defaultValue = "http://127.0.0.1:7070",
        description = "The collector's HTTP address (default: ${DEFAULT-VALUE})")
    URI collector;

    @Override
    public Integer call() throws Exception {
      if (!Files.exists(path)) {
        System.err.println("error: " + path + " does not exist");
        return 2;
      }
      String name = feed != null ? feed
          : path.toAbsolutePath().normalize().getFileName().toString().replaceAll("\\.(zip|json|ya?ml)$", "")
              .replaceAll("[^A-Za-z0-9._-]", "-");
      Path upload = path;
      String fileName = path.getFileName().toString();
      boolean zipped = Files.isDirectory(path);
      if (zipped) {
        upload = Files.createTempFile("portolan-feed-", ".zip");
        zipDirectory(path, upload);
        fileName = fileName + ".zip";
      }
      try {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        URI uri = collector.resolve("/api/v1/feeds/" + URLEncoder.encode(name, StandardCharsets.UTF_8)
            + "/import?filename=" + URLEncoder.encode(fileName, StandardCharsets.UTF_8));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofFile(upload)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
          System.err.println("error: import of " + path + " into feed " + name + " failed (HTTP "
              + response.statusCode() + "): " + response.body());
          return 1;
        }
        System.out.println(response.body());
        return 0;
      } catch (IOException e) {
        System.err.println("error: cannot reach the collector at " + collector + ": " + e.getMessage());
        return 1;
      } finally {
        if (zipped) Files.deleteIfExists(upload);
      }
    }

    private static void zipDirectory(Path dir, Path zip) throws IOException {
      List<Path> files;
      try (Stream<Path> walk = Files.walk(dir)) {
        files = walk.filter(Files::isRegularFile).sorted().toList();
      }
      try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(out)) {
        for (Path f : files) {
          z.putNextEntry(new ZipEntry(dir.relativize(f).toString().replace('\\', '/')));
          Files.copy(f, z);
          z.closeEntry();
        }
      }
    }
  }
}
