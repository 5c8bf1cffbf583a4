package io.portolan.inventory.sbom;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.cyclonedx.Version;
import org.cyclonedx.generators.BomGeneratorFactory;
import org.cyclonedx.model.Bom;
import org.cyclonedx.model.Component;
import org.cyclonedx.model.Dependency;
import org.cyclonedx.model.Hash;
import org.cyclonedx.model.License;
import org.cyclonedx.model.LicenseChoice;
import org.cyclonedx.model.Metadata;
import org.cyclonedx.model.OrganizationalEntity;
import org.cyclonedx.model.Property;
import org.cyclonedx.model.metadata.ToolInformation;

/**
 * Writes an image inventory as a CycloneDX 1.6 JSON SBOM. Each component carries the diff ID of
 * the layer that brought it in and the file that records it as properties, so the SBOM answers
 * "which layer" the way the Layers view does.
 */
public final class CycloneDxSbom {
  /** Property names, in the namespace CycloneDX asks tools to use for their own properties. */
  public static final String LAYER_PROPERTY = "portolan:layer:diff_id";
  public static final String PATH_PROPERTY = "portolan:package:path";

  private CycloneDxSbom() {}

  /** The image the SBOM describes. */
  public record Subject(String imageId, List<String> repoTags, Optional<String> osId, Optional<String> osVersion,
      String toolVersion) {}

  /** Prefix of the properties an analyzer recorded ({@code portolan:package:property:confidence}). */
  public static final String PACKAGE_PROPERTY_PREFIX = "portolan:package:property:";
  /** A language package an OS package ships (the purl of Debian's python3-requests' egg-info); repeated. */
  public static final String LANGUAGE_PURL_PROPERTY = "portolan:package:language_purl";

  /**
   * One package of the image. Strings are empty when unknown. {@code properties} are what its
   * analyzer recorded ({@code sha1}, {@code confidence}, {@code identity}, {@code dev}...); {@code
   * languagePurls} the language packages an OS package ships.
   */
  public record Entry(String type, String name, String version, String purl, String license, String sourceName,
      String sourceVersion, String architecture, String diffId, String path, Map<String, String> properties,
      List<String> languagePurls) {
    public Entry {
      properties = Map.copyOf(properties);
      languagePurls = List.copyOf(languagePurls);
    }

    public Entry(String type, String name, String version, String purl, String license, String sourceName,
        String sourceVersion, String architecture, String diffId, String path) {
      this(type, name, version, purl, license, sourceName, sourceVersion, architecture, diffId, path, Map.of(),
          List.of());
    }
  }

  public static String json(Subject subject, List<Entry> entries) {
    Bom bom = new Bom();
    bom.setSerialNumber("urn:uuid:" + UUID.nameUUIDFromBytes((subject.imageId() + entries.size()).getBytes(
        java.nio.charset.StandardCharsets.UTF_8)));
    Metadata metadata = new Metadata();
    metadata.setTimestamp(new java.util.Date());
    Component tool = new Component();
    tool.setType(Component.Type.APPLICATION);
    tool.setName("portolan");
    tool.setVersion(subject.toolVersion());
    ToolInformation tools = new ToolInformation();
    tools.setComponents(List.of(tool));
    metadata.setToolChoice(tools);
    Component image = new Component();
    image.setType(Component.Type.CONTAINER);
    image.setBomRef(subject.imageId());
    image.setName(subject.repoTags().isEmpty() ? subject.imageId() : subject.repoTags().get(0));
    image.setVersion(subject.imageId());
    List<Property> imageProps = new ArrayList<>();
    for (String tag : subject.repoTags()) imageProps.add(property("portolan:image:tag", tag));
    subject.osId().ifPresent(id -> imageProps.add(property("portolan:os:id", id)));
    subject.osVersion().ifPresent(v -> imageProps.add(property("portolan:os:version", v)));
    image.setProperties(imageProps);
    metadata.setComponent(image);
    OrganizationalEntity supplier = new OrganizationalEntity();
    supplier.setName("Portolan");
    metadata.setSupplier(supplier);
    bom.setMetadata(metadata);

    // One component per distinct purl (a package listed by two files keeps its first location).
    Map<String, Component> components = new LinkedHashMap<>();
    for (Entry e : entries) {
      String ref = e.purl().isEmpty() ? e.type() + ":" + e.name() + "@" + e.version() + "#" + e.path() : e.purl();
      if (components.containsKey(ref)) continue;
      Component c = new Component();
      // A file nothing identifies is listed as what it is, a file, so that no one reads it as a library version.
      c.setType("unidentified".equals(e.properties().get("identity")) ? Component.Type.FILE : Component.Type.LIBRARY);
      c.setBomRef(ref);
      c.setName(e.name());
      c.setVersion(e.version());
      if (!e.purl().isEmpty()) c.setPurl(e.purl());
      if (!e.license().isEmpty()) {
        License license = new License();
        license.setName(e.license());
        LicenseChoice choice = new LicenseChoice();
        choice.addLicense(license);
        c.setLicenses(choice);
      }
      List<Property> props = new ArrayList<>();
      props.add(property(LAYER_PROPERTY, e.diffId()));
      props.add(property(PATH_PROPERTY, e.path()));
      props.add(property("portolan:package:type", e.type()));
      if (!e.sourceName().isEmpty()) props.add(property("portolan:package:source_name", e.sourceName()));
      if (!e.sourceVersion().isEmpty()) props.add(property("portolan:package:source_version", e.sourceVersion()));
      if (!e.architecture().isEmpty()) props.add(property("portolan:package:architecture", e.architecture()));
      for (String language : e.languagePurls()) props.add(property(LANGUAGE_PURL_PROPERTY, language));
      for (var p : new java.util.TreeMap<>(e.properties()).entrySet()) {
        props.add(property(PACKAGE_PROPERTY_PREFIX + p.getKey(), p.getValue()));
      }
      String sha1 = e.properties().getOrDefault("sha1", "");
      if (sha1.matches("[0-9a-f]{40}")) c.setHashes(List.of(new Hash(Hash.Algorithm.SHA1, sha1)));
      c.setProperties(props);
      components.put(ref, c);
    }
    bom.setComponents(new ArrayList<>(components.values()));
    Dependency root = new Dependency(subject.imageId());
    for (String ref : components.keySet()) root.addDependency(new Dependency(ref));
    bom.setDependencies(List.of(root));
    try {
      return BomGeneratorFactory.createJson(Version.VERSION_16, bom).toJsonString();
    } catch (Exception e) {
      throw new IllegalStateException("cannot write the CycloneDX document: " + e.getMessage(), e);
    }
  }

  private static Property property(String name, String value) {
    Property p = new Property();
    p.setName(name);
    p.setValue(value);
    return p;
  }
}
