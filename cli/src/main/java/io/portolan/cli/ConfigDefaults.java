package io.portolan.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Supplies option values that were not given on the command line: first from the environment
 * ({@code --http-port} is {@code PORTOLAN_HTTP_PORT}), then from the config file (a properties file
 * whose keys are the option names without dashes, e.g. {@code http-port=7070}).
 */
final class ConfigDefaults implements IDefaultValueProvider {
  private final Map<String, String> env;
  private final Properties file;

  private ConfigDefaults(Map<String, String> env, Properties file) {
    this.env = env;
    this.file = file;
  }

  /** Reads the config file named by {@code --config} in {@code args}, else by PORTOLAN_CONFIG, if any. */
  static ConfigDefaults load(String[] args, Map<String, String> env) {
    String path = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) path = args[i + 1];
      else if (args[i].startsWith("--config=")) path = args[i].substring("--config=".length());
    }
    if (path == null) path = env.get("PORTOLAN_CONFIG");
    Properties p = new Properties();
    if (path != null && !path.isBlank()) {
      Path file = Path.of(path);
      try (Reader r = Files.newBufferedReader(file)) {
        p.load(r);
      } catch (IOException | IllegalArgumentException e) {
        throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage(), e);
      }
    }
    return new ConfigDefaults(env, p);
  }

  static String envName(String option) {
    return "PORTOLAN_" + option.replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option)) return null;
    String name = option.longestName();
    String fromEnv = env.get(envName(name));
    if (fromEnv != null) return fromEnv;
    String fromFile = file.getProperty(name.replaceFirst("^-+", ""));
    if (fromFile != null) return fromFile.trim();
    return option.defaultValue();
  }
}
