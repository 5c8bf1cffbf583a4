package io.portolan.cli;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The JVM flags each command runs with, from the same jvm-options.properties the {@code ./portolan}
 * launcher reads, so tests and benchmarks that start processes measure what users run.
 */
public final class JvmOptions {
  private static final String CDS = "{cds}";

  private JvmOptions() {}

  /** As {@link #forCommand(String, String)} for a process started with this JVM's class path. */
  public static List<String> forCommand(String command) {
    return forCommand(command, System.getProperty("java.class.path"));
  }

  /**
   * Common flags, then the command's, then PORTOLAN_JAVA_OPTS (which wins). {@code classpath} is
   * the measured process's: it names the command's class-data archive, as the launcher does.
   */
  public static List<String> forCommand(String command, String classpath) {
    return forCommand(command, classpath, List.of());
  }

  /**
   * As {@link #forCommand(String, String)} for a process started with {@code args} (the command
   * line after the class name): they pick which of the command's archives it uses.
   */
  public static List<String> forCommand(String command, String classpath, List<String> args) {
    Properties p = new Properties();
    try (InputStream in = JvmOptions.class.getResourceAsStream("jvm-options.properties")) {
      if (in == null) throw new IllegalStateException("jvm-options.properties is missing from the launcher jar");
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> opts = new ArrayList<>();
    String variant = variant(args);
    // A variant's own line, when it has one, replaces the command's.
    for (String value : List.of(p.getProperty("common", ""), p.getProperty(command + variant, p.getProperty(command, "")),
        System.getenv().getOrDefault("PORTOLAN_JAVA_OPTS", ""))) {
      if (!value.isBlank()) opts.addAll(Arrays.asList(value.trim().split("\\s+")));
    }
    if (opts.stream().anyMatch(o -> o.contains(CDS)) && hasDirectory(classpath)) {
      // The JVM archives classes from jars only, and a class directory makes its dump at exit fail
      // with exit status 1: such processes (tests run from target/classes) go without.
      opts.removeIf(o -> o.contains(CDS) || o.equals("-XX:+AutoCreateSharedArchive"));
    } else if (opts.stream().anyMatch(o -> o.contains(CDS))) {
      Path archive = cdsArchive(command + variant, classpath, System.getenv());
      dropIfStale(archive, classpath);
      opts.replaceAll(o -> o.replace(CDS, archive.toString()));
    }
    return opts;
  }

  /**
   * "-overlay2", "-save" or "-tar" for {@code inventory --source ...}, else "". The JVM archives
   * only the classes of the run that writes the archive, and the sources share few of theirs (the
   * save stream brings the engine client and databind), so one archive per source keeps every
   * source's start fast, whichever ran first. The launcher derives the same suffix.
   */
  static String variant(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String value = args.get(i).equals("--source") && i + 1 < args.size() ? args.get(i + 1)
          : args.get(i).startsWith("--source=") ? args.get(i).substring("--source=".length()) : null;
      if (value == null) continue;
      if (value.startsWith("tar:")) return "-tar";
      return value.equals("overlay2") || value.equals("save") ? "-" + value : "";
    }
    return "";
  }

  private static boolean hasDirectory(String classpath) {
    return Arrays.stream(classpath.split(File.pathSeparator))
        .anyMatch(e -> !e.isEmpty() && Files.isDirectory(Path.of(e)));
  }

  /**
   * Deletes the archive when a jar on the class path is newer: the JVM refuses an archive whose
   * jars changed but does not write a new one over it, so after a rebuild it would never be used
   * again. The launcher does the same with find -newer.
   */
  static void dropIfStale(Path archive, String classpath) {
    try {
      if (!Files.isRegularFile(archive)) return;
      FileTime made = Files.getLastModifiedTime(archive);
      for (String entry : classpath.split(File.pathSeparator)) {
        if (entry.isEmpty()) continue;
        List<Path> files = new ArrayList<>();
        if (entry.endsWith("*")) {
          Path dir = Path.of(entry.substring(0, entry.length() - 1).isEmpty() ? "." : entry.substring(0, entry.length() - 1));
          try (DirectoryStream<Path> jars = Files.newDirectoryStream(dir, "*.{jar,JAR}")) {
            jars.forEach(files::add);
          }
        } else {
          files.add(Path.of(entry));
        }
        for (Path f : files) {
          if (Files.isRegularFile(f) && Files.getLastModifiedTime(f).compareTo(made) > 0) {
            Files.deleteIfExists(archive);
            return;
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // a stale archive only costs its speed-up
    }
  }

  /**
   * {@code $XDG_CACHE_HOME/portolan/cds/<command>-<16 hex of SHA-256(classpath)>.jsa} (default
   * {@code ~/.cache}); the launcher computes the same name. Keyed by class path because the JVM
   * throws away an archive made for another one: two checkouts sharing one file would rewrite it on
   * every run. The directory is created here; if it cannot be, the JVM simply runs without.
   */
  static Path cdsArchive(String command, String classpath, Map<String, String> env) {
    String cache = env.getOrDefault("XDG_CACHE_HOME", "");
    Path dir = (cache.isEmpty() ? Path.of(System.getProperty("user.home"), ".cache") : Path.of(cache))
        .resolve("portolan/cds");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      // an unwritable cache costs only the archive's speed-up
    }
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(classpath.getBytes(StandardCharsets.UTF_8));
      return dir.resolve(command + "-" + HexFormat.of().formatHex(hash).substring(0, 16) + ".jsa");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
