package io.portolan.inventory.lang.dotnet;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.analyzer.BoundedInput;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.purl.Purls;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reports the NuGet packages a .NET application was published with, from its {@code *.deps.json}
 * (the host reads the same file to load assemblies). Only {@code libraries} entries of type {@code
 * package} count: {@code project} entries are the application's own assemblies and {@code
 * reference}/{@code runtimepack} entries ship with the runtime. Keys are {@code Name/Version}; the
 * purl keeps NuGet's case ({@code pkg:nuget/Newtonsoft.Json@13.0.1}), as packageurl-java does.
 */
public final class DotnetDepsAnalyzer implements Analyzer {
  public static final String NAME = "dotnet-deps";
  /**
   * The mapper, made on first use: building one costs a cold process tens of milliseconds, which an
   * image without such files should not pay.
   */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  private final long maxFileBytes;

  public DotnetDepsAnalyzer() {
    this(64L * 1024 * 1024);
  }

  public DotnetDepsAnalyzer(long maxFileBytes) {
    this.maxFileBytes = maxFileBytes;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int version() {
    return 1;
  }

  @Override
  public long maxFileBytes() {
    return maxFileBytes;
  }

  @Override
  public boolean wants(String path) {
    return path.endsWith(".deps.json");
  }

  @Override
  public List<FileFindings> analyze(String path, InputStream content, long size) throws IOException {
    byte[] data = BoundedInput.readAll(path, content, size, maxFileBytes);
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(data);
    } catch (JsonParseException e) {
      JsonLocation at = e.getLocation();
      throw new AnalysisException(path + ": invalid JSON at offset " + (at == null ? -1 : at.getByteOffset()) + ": "
          + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new AnalysisException(path + ": not a JSON object (at offset 0)");
    }
    JsonNode libraries = root.path("libraries");
    if (!libraries.isObject()) {
      throw new AnalysisException(path + ": no \"libraries\" object");
    }
    List<Package> packages = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = libraries.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().path("type").asText("").equals("package")) {
        continue;
      }
      String key = e.getKey();
      int slash = key.indexOf('/');
      if (slash <= 0 || slash == key.length() - 1 || key.indexOf('/', slash + 1) >= 0) {
        throw new AnalysisException(path + ": library key '" + key + "' is not Name/Version");
      }
      String name = key.substring(0, slash);
      String version = key.substring(slash + 1);
      Map<String, String> props = new LinkedHashMap<>();
      String sha512 = e.getValue().path("sha512").asText("");
      if (!sha512.isEmpty()) {
        props.put("sha512", sha512);
      }
      String purl;
      try {
        purl = Purls.of("nuget", "", name, version, Map.of());
      } catch (IllegalArgumentException ex) {
        throw new AnalysisException(path + ": library " + key + ": " + ex.getMessage(), ex);
      }
      packages.add(new Package("nuget", name, version, "", "", "", "", "", purl, props));
    }
    return List.of(new FileFindings(path, NAME, packages, Optional.empty()));
  }
}
