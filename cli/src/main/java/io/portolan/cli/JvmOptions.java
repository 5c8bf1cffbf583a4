package io.portolan.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * The JVM flags each command runs with, from the same jvm-options.properties the {@code ./portolan}
 * launcher reads, so tests and benchmarks that start processes measure what users run.
 */
public final class JvmOptions {
  private JvmOptions() {}

  /** Common flags, then the command's, then PORTOLAN_JAVA_OPTS (which wins). */
  public static List<String> forCommand(String command) {
    Properties p = new Properties();
    try (InputStream in = JvmOptions.class.getResourceAsStream("jvm-options.properties")) {
      if (in == null) throw new IllegalStateException("jvm-options.properties is missing from the launcher jar");
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> opts = new ArrayList<>();
    for (String value : List.of(p.getProperty("common", ""), p.getProperty(command, ""),
        System.getenv().getOrDefault("PORTOLAN_JAVA_OPTS", ""))) {
      if (!value.isBlank()) opts.addAll(Arrays.asList(value.trim().split("\\s+")));
    }
    return opts;
  }
}
