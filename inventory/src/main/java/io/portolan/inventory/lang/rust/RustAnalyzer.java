package io.portolan.inventory.lang.rust;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.BoundedInput;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.analyzer.TextLines;
import io.portolan.inventory.analyzer.UnclosableChannel;
import io.portolan.inventory.lang.elf.ElfFile;
import io.portolan.inventory.lang.golang.GoBinaryAnalyzer;
import io.portolan.inventory.purl.Purls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Reports Rust crates from {@code Cargo.lock} and from the {@code .dep-v0} section that
 * cargo-auditable links into binaries (zlib-compressed JSON: {@code {"packages": [{"name",
 * "version", "source", "kind", "root"}]}}). Binaries are found as {@link GoBinaryAnalyzer} finds
 * Go ones: any path that may hold an executable, left after four bytes unless they are the ELF
 * magic.
 *
 * <p>Cargo.lock is read as the subset of TOML Cargo writes: {@code [[package]]} tables of {@code
 * key = "string"} lines; arrays ({@code dependencies}) are skipped. A package without {@code
 * source} is a workspace or path crate and is marked {@code local=true}. In audit data, {@code
 * kind: "build"} crates (build scripts, proc macros) are kept and marked, since a vulnerable
 * build-time crate still matters to some, and the {@code root} crate is marked as the binary's own.
 */
public final class RustAnalyzer implements Analyzer {
  public static final String NAME = "rust";
  static final String SECTION = ".dep-v0";
  /**
   * The mapper, made on first use: building one costs a cold process tens of milliseconds, which an
   * image without such files should not pay.
   */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }
  // cargo-auditable caps its own data far lower; this only bounds a zlib bomb.
  private static final int MAX_INFLATED = 16 * 1024 * 1024;

  private final long maxFileBytes;

  public RustAnalyzer() {
    this(256L * 1024 * 1024);
  }

  public RustAnalyzer(long maxFileBytes) {
    this.maxFileBytes = maxFileBytes;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int version() {
    // 2: a non-executable file at a wanted path hides the lower layers' findings for it.
    return 2;
  }

  @Override
  public boolean narrowsByMode() {
    return true;
  }

  @Override
  public long maxFileBytes() {
    return maxFileBytes;
  }

  @Override
  public boolean wants(String path) {
    return isCargoLock(path) || GoBinaryAnalyzer.mayBeExecutable(path);
  }

  @Override
  public boolean wants(String path, int mode) {
    return isCargoLock(path) || GoBinaryAnalyzer.isExecutable(mode) && GoBinaryAnalyzer.mayBeExecutable(path);
  }

  @Override
  public boolean randomAccess() {
    return true;
  }

  @Override
  public List<FileFindings> analyze(String path, SeekableByteChannel content, long size) throws IOException {
    if (isCargoLock(path)) {
      return analyze(path, Channels.newInputStream(new UnclosableChannel(content)), size);
    }
    return binary(path, ElfFile.read(path, content, size, maxFileBytes));
  }

  private static boolean isCargoLock(String path) {
    return path.equals("Cargo.lock") || path.endsWith("/Cargo.lock");
  }

  @Override
  public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
    List<Package> packages = new ArrayList<>();
    if (isCargoLock(path)) {
      cargoLock(path, BoundedInput.readAll(path, content, size, maxFileBytes), packages);
    } else {
      return binary(path, ElfFile.read(path, content, size, maxFileBytes));
    }
    return List.of(new FileFindings(path, NAME, packages, Optional.empty()));
  }

  private static List<FileFindings> binary(String path, Optional<ElfFile> elf) throws IOException {
    if (elf.isEmpty()) {
      return List.of();
    }
    Optional<ElfFile.Section> section = elf.get().section(SECTION);
    if (section.isEmpty()) {
      return List.of();
    }
    List<Package> packages = new ArrayList<>();
    byte[] json = inflate(path, elf.get().bytes(section.get()), section.get().offset());
    auditData(path, json, packages);
    return List.of(new FileFindings(path, NAME, packages, Optional.empty()));
  }

  static void cargoLock(String path, byte[] data, List<Package> out) throws AnalysisException {
    Map<String, String> current = null;
    TextLines.Line start = null;
    boolean inArray = false;
    for (TextLines.Line line : TextLines.of(path, data)) {
      String text = line.text().strip();
      if (inArray) {
        inArray = !text.startsWith("]");
        continue;
      }
      if (text.isEmpty() || text.startsWith("#")) {
        continue;
      }
      if (text.startsWith("[")) {
        if (current != null) {
          out.add(crate(path, current, start));
        }
        current = text.equals("[[package]]") ? new LinkedHashMap<>() : null;
        start = line;
        continue;
      }
      int eq = text.indexOf('=');
      if (eq <= 0) {
        throw new AnalysisException(path + ": line " + line.number() + " (offset " + line.offset()
            + "): expected key = value");
      }
      String key = text.substring(0, eq).strip();
      String value = text.substring(eq + 1).strip();
      if (value.startsWith("[")) {
        inArray = !value.endsWith("]");
        continue;
      }
      if (current != null && value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        current.put(key, value.substring(1, value.length() - 1));
      }
    }
    if (current != null) {
      out.add(crate(path, current, start));
    }
  }

  private static Package crate(String path, Map<String, String> table, TextLines.Line start)
      throws AnalysisException {
    String name = table.getOrDefault("name", "");
    String version = table.getOrDefault("version", "");
    if (name.isEmpty() || version.isEmpty()) {
      throw new AnalysisException(path + ": [[package]] at line " + start.number() + " (offset " + start.offset()
          + ") has no name or version");
    }
    Map<String, String> props = new LinkedHashMap<>();
    String source = table.getOrDefault("source", "");
    if (source.isEmpty()) {
      props.put("local", "true");
    } else {
      props.put("source", source);
    }
    if (table.containsKey("checksum")) {
      props.put("checksum", table.get("checksum"));
    }
    return cargo(path, name, version, props);
  }

  private static byte[] inflate(String path, byte[] compressed, long offset) throws AnalysisException {
    Inflater inflater = new Inflater();
    try {
      inflater.setInput(compressed);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      while (!inflater.finished()) {
        int n = inflater.inflate(buffer);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          throw new AnalysisException(path + ": section " + SECTION + " at offset " + offset
              + ": zlib stream truncated after " + inflater.getTotalIn() + " bytes");
        }
        out.write(buffer, 0, n);
        if (out.size() > MAX_INFLATED) {
          throw new AnalysisException(path + ": section " + SECTION + " at offset " + offset + " inflates past "
              + MAX_INFLATED + " bytes");
        }
      }
      return out.toByteArray();
    } catch (DataFormatException e) {
      throw new AnalysisException(path + ": section " + SECTION + " at offset " + offset + ": corrupt zlib data"
          + " (at offset " + (offset + inflater.getTotalIn()) + "): " + e.getMessage(), e);
    } finally {
      inflater.end();
    }
  }

  static void auditData(String path, byte[] json, List<Package> out) throws AnalysisException {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(json);
    } catch (JsonParseException e) {
      JsonLocation at = e.getLocation();
      throw new AnalysisException(path + ": " + SECTION + " JSON invalid at offset "
          + (at == null ? -1 : at.getByteOffset()) + " of the inflated data: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new AnalysisException(path + ": " + SECTION + " JSON unreadable: " + e.getMessage(), e);
    }
    JsonNode list = root == null ? null : root.path("packages");
    if (list == null || !list.isArray()) {
      throw new AnalysisException(path + ": " + SECTION + " data has no \"packages\" array");
    }
    for (int i = 0; i < list.size(); i++) {
      JsonNode p = list.get(i);
      String name = p.path("name").asText("");
      String version = p.path("version").asText("");
      if (name.isEmpty() || version.isEmpty()) {
        throw new AnalysisException(path + ": " + SECTION + " packages[" + i + "] has no name or version");
      }
      Map<String, String> props = new LinkedHashMap<>();
      String source = p.path("source").asText("");
      if (!source.isEmpty()) {
        props.put("source", source);
      }
      if (source.equals("local")) {
        props.put("local", "true");
      }
      String kind = p.path("kind").asText("runtime");
      if (!kind.equals("runtime")) {
        props.put("kind", kind);
      }
      if (p.path("root").asBoolean(false)) {
        props.put("root", "true");
      }
      out.add(cargo(path, name, version, props));
    }
  }

  private static Package cargo(String path, String name, String version, Map<String, String> props)
      throws AnalysisException {
    String purl;
    try {
      purl = Purls.of("cargo", "", name, version, Map.of());
    } catch (IllegalArgumentException e) {
      throw new AnalysisException(path + ": " + e.getMessage(), e);
    }
    return new Package("cargo", name, version, "", "", "", "", "", purl, props);
  }
}
