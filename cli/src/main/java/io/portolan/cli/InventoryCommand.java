package io.portolan.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.portolan.agent.AgentConfig;
import io.portolan.agent.docker.DockerImages;
import io.portolan.inventory.Analyzers;
import io.portolan.inventory.analyzer.OsRelease;
import io.portolan.inventory.image.FindingsCache;
import io.portolan.inventory.image.ImageInventories;
import io.portolan.inventory.image.ImageInventory;
import io.portolan.inventory.image.LayerAnalysis;
import io.portolan.inventory.lang.java.Sha1Index;
import io.portolan.inventory.layer.DockerRootImages;
import io.portolan.inventory.layer.DockerSaveLayerSource;
import io.portolan.inventory.layer.LayerSource;
import io.portolan.inventory.layer.Overlay2LayerSource;
import io.portolan.inventory.layer.SavedImageLayerSource;
import io.portolan.inventory.purl.Purls;
import io.portolan.inventory.sbom.CycloneDxSbom;
import io.portolan.collector.Collector;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code portolan inventory IMAGE}: one image's OS and language packages, per layer, without a collector, for CI
 * pipelines and for comparison with other tools. Exits non-zero when the image or a layer could not
 * be read (the output still shows what was read).
 */
@Command(name = "inventory", mixinStandardHelpOptions = true,
    description = "Inventory one image's packages layer by layer (no collector needed).")
final class InventoryCommand implements Callable<Integer> {
  enum Format { TABLE, JSON, CYCLONEDX }

  static final String DEFAULT_SOURCE = "auto";
  static final String DEFAULT_DOCKER_ROOT = "/var/lib/docker";

  /**
   * Overlay2 layers walked at once. A one-shot inventory runs in the foreground, where a second core
   * would otherwise idle while one walks a large tree; the agent, on production hosts, keeps to one.
   */
  private static final int WALKERS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

  @Parameters(index = "0", paramLabel = "IMAGE", description = "Image name, tag or ID (ignored with --source tar:PATH)")
  String image;

  @Option(names = "--format", defaultValue = "table", description = "table, json or cyclonedx (default: ${DEFAULT-VALUE})")
  String format;

  @Option(names = "--source", defaultValue = DEFAULT_SOURCE,
      description = "auto (overlay2 when readable, else docker save), overlay2, save, or tar:PATH (a saved tarball or OCI layout)")
  String source;

  @Option(names = "--docker-host", defaultValue = AgentConfig.DEFAULT_DOCKER_HOST, description = "Docker engine socket")
  String dockerHost;

  @Option(names = "--docker-root", defaultValue = DEFAULT_DOCKER_ROOT,
      description = "The engine's data root, read directly when overlay2 is readable (default: ${DEFAULT-VALUE})")
  Path dockerRoot;

  @Option(names = "--java-sha1-index", paramLabel = "FILE",
      description = "Table of <sha1><TAB><group>:<artifact>:<version> lines that names jars carrying neither"
          + " pom.properties nor a usable manifest")
  Path javaSha1Index;

  @Option(names = "--pkg-types", paramLabel = "TYPES", defaultValue = Analyzers.PackageType.DEFAULT,
      description = "Package types to look for, as in Trivy: os (dpkg, apk, rpm), library (language packages),"
          + " or both (default: ${DEFAULT-VALUE}). The OS is detected either way.")
  String pkgTypes;

  @Spec CommandSpec spec;

  /** The JSON output: stable field names, meant for scripts. */
  record Report(String image, List<String> repoTags, Optional<OsRelease> os, String source,
      List<String> packageTypes, List<Row> packages,
      List<Layer> layers, List<String> errors) {}

  /**
   * One package. {@code path} is where it is (inside an archive for nested jars: {@code
   * app.jar!/BOOT-INF/lib/x.jar}); {@code properties} are what its analyzer recorded (confidence,
   * identity, dev, ...); {@code languagePurls} are the language packages an OS package ships.
   */
  record Row(String type, String name, String version, String architecture, String sourceName, String sourceVersion,
      String license, String purl, String path, int layerIndex, String layer, Map<String, String> properties,
      List<String> languagePurls) {}

  record Layer(int index, String diffId, int added, int changed, int removed) {}

  /** What an inventory reads depends on these options alone; {@code --format} only shapes the output. */
  record Request(String image, String source, String dockerHost, Path dockerRoot, Path javaSha1Index,
      String pkgTypes) {}

  /** An image read layer by layer, before its layers are stacked and reported. */
  record Walked(String subject, List<String> tags, String used, Set<Analyzers.PackageType> types,
      LayerAnalysis.Result result) {}

  /** The request these parsed options make. */
  Request request() {
    return new Request(image, source, dockerHost, dockerRoot, javaSha1Index, pkgTypes);
  }

  @Override
  public Integer call() throws Exception {
    return run(request(), format, spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  /** Inventories what {@code request} names and reports it in {@code format}: the exit code. */
  static int run(Request request, String format, PrintWriter out, PrintWriter err) throws Exception {
    Format fmt = parseFormat(format);
    Walked walked = walk(request);
    String subject = walked.subject();
    List<String> tags = walked.tags();
    LayerAnalysis.Result result = walked.result();
    ImageInventory inv = ImageInventories.of(result.diffIds(), result.findings());
    List<String> errors = new ArrayList<>();
    result.imageError().ifPresent(errors::add);
    result.failures().forEach(f -> errors.add("layer " + (f.diffId().isEmpty() ? f.location() : f.diffId()) + ": "
        + f.message()));
    inv.errors().forEach(e -> errors.add(e.path() + ": " + e.message()));
    Report report = report(subject, tags, walked.used(),
        walked.types().stream().map(Analyzers.PackageType::label).toList(), result.diffIds(), inv, errors);
    switch (fmt) {
      case JSON -> {
        json(out, report);
        out.println();
      }
      case CYCLONEDX -> out.println(CycloneDxSbom.json(
          new CycloneDxSbom.Subject(subject, tags, inv.os().map(OsRelease::id), inv.os().map(OsRelease::versionId),
              Collector.version()),
          report.packages().stream().map(r -> new CycloneDxSbom.Entry(r.type(), r.name(), r.version(), r.purl(),
              r.license(), r.sourceName(), r.sourceVersion(), r.architecture(), r.layer(), r.path(), r.properties(),
              r.languagePurls())).toList()));
      case TABLE -> table(out, report);
    }
    out.flush();
    errors.forEach(e -> err.println("portolan: " + e));
    return result.imageError().isPresent() || !result.failures().isEmpty() ? 1 : 0;
  }

  /**
   * Reads the image {@code r} names, layer by layer. Throws IllegalArgumentException for what the
   * user got wrong (no such image or file, a bad option value).
   */
  static Walked walk(Request r) throws Exception {
    String image = r.image();
    String source = r.source();
    if (!source.startsWith("tar:") && !List.of("auto", "overlay2", "save").contains(source)) {
      throw new IllegalArgumentException("--source must be auto, overlay2, save or tar:PATH, got '" + source + "'");
    }
    Set<Analyzers.PackageType> types;
    try {
      types = Analyzers.PackageType.parse(r.pkgTypes());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--pkg-types: " + e.getMessage());
    }
    // An explicit save stream is asked for before anything else, by the name given, and checked below
    // against the image resolved meanwhile; auto looks for overlay2 first, where nothing is exported.
    Optional<InputStream> requested = source.equals("save")
        ? DockerImages.requestSave(r.dockerHost(), image) : Optional.empty();
    if (source.equals("auto") || source.equals("overlay2")) {
      Overlay2LayerSource.preload(); // while the analyzers are built and the image is looked up
    }
    try (InputStream early = requested.orElse(null)) {
      var analysis = new LayerAnalysis(Analyzers.of(types, sha1Index(r.javaSha1Index())), FindingsCache.NONE);
      Optional<DockerRootImages.Found> found;
      if (source.startsWith("tar:")) {
        Path path = Path.of(source.substring(4));
        if (!Files.exists(path)) throw new IllegalArgumentException("no such file or directory: " + path);
        try (LayerSource s = Files.isDirectory(path) ? SavedImageLayerSource.directory(path)
            : SavedImageLayerSource.tarball(path)) {
          return new Walked(path.toString(), List.of(), "tar", types, analysis.run(s));
        }
      }
      if (!source.equals("save") && (found = DockerRootImages.resolve(r.dockerRoot(), image)).isPresent()) {
        // Root on an overlay2 host: the engine's own records say what the image is; no API client needed.
        try (LayerSource s = new Overlay2LayerSource(r.dockerRoot(), found.get().diffIds(), WALKERS)) {
          return new Walked(found.get().id(), found.get().repoTags(), "overlay2", types, analysis.run(s));
        }
      }
      try (DockerImages docker = DockerImages.open(r.dockerHost(), AgentConfig.DEFAULT_DOCKER_API_VERSION)) {
        var ref = docker.resolve(image).orElseThrow(() -> new IllegalArgumentException("no such image: " + image));
        Optional<Path> overlay = source.equals("save") ? Optional.empty() : docker.overlay2Root();
        if (source.equals("overlay2") && overlay.isEmpty())
          throw new IllegalArgumentException("overlay2 layers are not readable here (driver not overlay2, or not root)");
        LayerAnalysis.Result result;
        try (LayerSource s = overlay.isPresent() ? new Overlay2LayerSource(overlay.get(), ref.diffIds(), WALKERS)
            : DockerSaveLayerSource.fromEngine(early != null ? early : docker.save(ref.id()))) {
          result = analysis.run(s);
        }
        if (early != null && result.imageError().isEmpty() && !result.diffIds().equals(ref.diffIds())) {
          throw new IllegalStateException("image " + image + " changed while it was being read (its layers are not"
              + " those of " + ref.id() + " any more); run the inventory again");
        }
        return new Walked(ref.id(), ref.repoTags(), overlay.isPresent() ? "overlay2" : "save", types, result);
      }
    }
  }

  private static Sha1Index sha1Index(Path file) {
    if (file == null) return Sha1Index.empty();
    try {
      return Sha1Index.load(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IllegalArgumentException("--java-sha1-index: no such file: " + file);
    } catch (IOException e) {
      throw new IllegalArgumentException("--java-sha1-index: " + e.getMessage());
    }
  }

  private static Format parseFormat(String format) {
    try {
      return Format.valueOf(format.trim().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--format must be table, json or cyclonedx, got '" + format + "'");
    }
  }

  private static Report report(String subject, List<String> tags, String used, List<String> packageTypes,
      List<String> diffIds, ImageInventory inv, List<String> errors) {
    List<Row> rows = new ArrayList<>();
    for (ImageInventory.InstalledPackage ip : inv.packages()) {
      var p = ip.pkg();
      String purl = p.purl();
      if (inv.os().isPresent() && !purl.isEmpty()) {
        try {
          purl = Purls.withDistro(purl, inv.os().get());
        } catch (IllegalArgumentException ignored) {
          // keep the analyzer's purl
        }
      }
      rows.add(new Row(p.type(), p.name(), p.version(), p.architecture(), p.sourceName(), p.sourceVersion(),
          p.license(), purl, ip.location(), diffIds.indexOf(ip.diffId()), ip.diffId(), shown(p),
          ip.linked().stream().map(io.portolan.inventory.analyzer.Package::purl).filter(u -> !u.isEmpty()).distinct()
              .toList()));
    }
    rows.sort(java.util.Comparator.comparing(Row::type).thenComparing(Row::name).thenComparing(Row::version)
        .thenComparing(Row::path));
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < inv.layers().size(); i++) {
      var c = inv.layers().get(i);
      layers.add(new Layer(i, c.diffId(), c.added().size(), c.changed().size(), c.removed().size()));
    }
    return new Report(subject, tags, inv.os(), used, packageTypes, rows, layers, errors);
  }

  /**
   * The properties worth showing: an OS package's are database bookkeeping (installed size,
   * maintainer), a language package's say how sure the identity is and where it came from.
   */
  static Map<String, String> shown(io.portolan.inventory.analyzer.Package p) {
    if (List.of("deb", "apk", "rpm").contains(p.type())) return Map.of();
    Map<String, String> props = new java.util.TreeMap<>(p.properties());
    props.remove("path"); // the row's path already says it
    return props;
  }

  private static void table(PrintWriter out, Report r) {
    out.println("Image:    " + r.image() + (r.repoTags().isEmpty() ? "" : " (" + String.join(", ", r.repoTags()) + ")"));
    out.println("OS:       " + r.os().map(os -> os.prettyName().isEmpty() ? os.id() + " " + os.versionId() : os.prettyName())
        .orElse("unknown") + r.os().flatMap(OsRelease::endOfLife).map(d -> "  (security support ends " + d + ")").orElse(""));
    out.println("Source:   " + r.source() + ", " + r.layers().size() + " layers, " + r.packages().size() + " packages ("
        + String.join(", ", r.packageTypes()) + ")");
    out.println();
    out.printf("%-5s %-9s %-7s %-7s  %s%n", "LAYER", "ADDED", "CHANGED", "REMOVED", "DIFF ID");
    for (Layer l : r.layers()) out.printf("%-5d %-9d %-7d %-7d  %s%n", l.index(), l.added(), l.changed(), l.removed(), l.diffId());
    out.println();
    out.printf("%-40s %-32s %-8s %-24s %-5s %s%n", "NAME", "VERSION", "TYPE", "SOURCE", "LAYER", "NOTE");
    for (Row p : r.packages()) {
      String src = p.sourceName().equals(p.name()) ? "" : p.sourceName();
      out.printf("%-40s %-32s %-8s %-24s %-5d %s%n", p.name(), p.version(), p.type(), src, p.layerIndex(), note(p));
    }
  }

  /** What a reader should know about a row at a glance: an unidentified file, a guess, a dev dependency. */
  private static String note(Row p) {
    List<String> notes = new ArrayList<>();
    if ("unidentified".equals(p.properties().get("identity"))) notes.add("unidentified " + p.path());
    if (p.properties().containsKey("confidence")) notes.add(p.properties().get("confidence") + " confidence");
    if ("true".equals(p.properties().get("dev"))) notes.add("dev");
    if ("lockfile".equals(p.properties().get("source"))) notes.add("lock file");
    if (!p.languagePurls().isEmpty()) notes.add("ships " + String.join(" ", p.languagePurls()));
    return String.join(", ", notes);
  }

  /**
   * The report as the object mapper would write it (record components in order, absent optionals
   * as null, dates as ISO strings, indented), but through the streaming generator: setting up
   * databind with its Java 8 and java.time modules and introspecting these records cost a cold
   * process more than writing the report.
   */
  static void json(PrintWriter out, Report r) throws IOException {
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeStringField("image", r.image());
      g.writeArrayFieldStart("repoTags");
      for (String t : r.repoTags()) g.writeString(t);
      g.writeEndArray();
      g.writeFieldName("os");
      if (r.os().isEmpty()) {
        g.writeNull();
      } else {
        OsRelease os = r.os().get();
        g.writeStartObject();
        g.writeStringField("id", os.id());
        g.writeStringField("name", os.name());
        g.writeStringField("versionId", os.versionId());
        g.writeStringField("codename", os.codename());
        g.writeStringField("prettyName", os.prettyName());
        g.writeStringField("endOfLife", os.endOfLife().map(Object::toString).orElse(null));
        g.writeEndObject();
      }
      g.writeStringField("source", r.source());
      g.writeArrayFieldStart("packageTypes");
      for (String t : r.packageTypes()) g.writeString(t);
      g.writeEndArray();
      g.writeArrayFieldStart("packages");
      for (Row p : r.packages()) {
        g.writeStartObject();
        g.writeStringField("type", p.type());
        g.writeStringField("name", p.name());
        g.writeStringField("version", p.version());
        g.writeStringField("architecture", p.architecture());
        g.writeStringField("sourceName", p.sourceName());
        g.writeStringField("sourceVersion", p.sourceVersion());
        g.writeStringField("license", p.license());
        g.writeStringField("purl", p.purl());
        g.writeStringField("path", p.path());
        g.writeNumberField("layerIndex", p.layerIndex());
        g.writeStringField("layer", p.layer());
        g.writeObjectFieldStart("properties");
        for (var e : p.properties().entrySet()) g.writeStringField(e.getKey(), e.getValue());
        g.writeEndObject();
        g.writeArrayFieldStart("languagePurls");
        for (String u : p.languagePurls()) g.writeString(u);
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("layers");
      for (Layer l : r.layers()) {
        g.writeStartObject();
        g.writeNumberField("index", l.index());
        g.writeStringField("diffId", l.diffId());
        g.writeNumberField("added", l.added());
        g.writeNumberField("changed", l.changed());
        g.writeNumberField("removed", l.removed());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("errors");
      for (String e : r.errors()) g.writeString(e);
      g.writeEndArray();
      g.writeEndObject();
    }
  }
}
