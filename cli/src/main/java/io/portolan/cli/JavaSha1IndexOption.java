package io.portolan.cli;

import io.portolan.inventory.lang.java.Sha1Index;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --java-sha1-index}, the same for the agent and the one-shot inventory. */
final class JavaSha1IndexOption {
  @Option(names = "--java-sha1-index", paramLabel = "FILE",
      description = "Table of <sha1><TAB><group>:<artifact>:<version> lines that names jars carrying neither"
          + " pom.properties nor a usable manifest; a changed table re-reads the jars")
  Path file;

  /** The table, or an empty one; a missing or malformed file is refused with its name and line. */
  Sha1Index load() {
    if (file == null) return Sha1Index.empty();
    try {
      return Sha1Index.load(file);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("--java-sha1-index: no such file: " + file);
    } catch (IOException e) {
      throw new IllegalArgumentException("--java-sha1-index: " + e.getMessage());
    }
  }
}
