package io.portolan.inventory.lang.java;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Optional;
import java.util.Properties;
import java.util.jar.Attributes;
import java.util.regex.Pattern;

/**
 * The rules that turn what an archive says about itself into Maven coordinates: its {@code
 * pom.properties}, its manifest and its file name. Each rule prefers saying nothing over guessing,
 * because a wrong {@code group:artifact:version} is a false vulnerability match.
 */
final class ArchiveIdentity {
  static final String MAVEN_DIR = "META-INF/maven/";
  static final String POM_PROPERTIES = "/pom.properties";
  private static final String[] EXTENSIONS = {".jar", ".war", ".ear", ".jpi", ".hpi"};
  // Maven coordinates are made of these characters; anything else (spaces, "${...}") is prose or
  // an unresolved build placeholder, not a coordinate.
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_.+~-]+");

  private ArchiveIdentity() {}

  /** Whether an entry or file name ends in one of the Java archive extensions, in any case. */
  static boolean isArchiveName(String name) {
    for (String ext : EXTENSIONS) {
      if (name.regionMatches(true, name.length() - ext.length(), ext, 0, ext.length())) {
        return true;
      }
    }
    return false;
  }

  static boolean isPomProperties(String entry) {
    return entry.startsWith(MAVEN_DIR) && entry.endsWith(POM_PROPERTIES);
  }

  /**
   * Coordinates from one {@code META-INF/maven/<group>/<artifact>/pom.properties}. Group and
   * artifact missing from the file are taken from the entry path, which Maven writes from the same
   * values; without a version the file identifies nothing.
   */
  static Optional<Gav> fromPomProperties(String entry, byte[] bytes) throws IOException {
    Properties p = new Properties();
    // Properties.load(InputStream) reads ISO-8859-1 with \\u escapes, which is how Maven writes it.
    p.load(new ByteArrayInputStream(bytes));
    String group = value(p.getProperty("groupId"));
    String artifact = value(p.getProperty("artifactId"));
    String version = value(p.getProperty("version"));
    String[] dirs = entry.substring(MAVEN_DIR.length(), entry.length() - POM_PROPERTIES.length()).split("/");
    if (dirs.length == 2) {
      group = group.isEmpty() ? dirs[0] : group;
      artifact = artifact.isEmpty() ? dirs[1] : artifact;
    }
    if (!isToken(group) || !isToken(artifact) || !isToken(version)) {
      return Optional.empty();
    }
    return Optional.of(new Gav(group, artifact, version));
  }

  /**
   * Coordinates from a manifest's main attributes. A manifest has no groupId or artifactId field,
   * so they are derived, and only where two fields agree or a field exists for the purpose; on the
   * jars of a local Maven repository the looser rules (Trivy's "Bundle-SymbolicName minus its last
   * segment") gave {@code com.sun:jna} and {@code org.objectweb.asm.tree:asm-analysis}, so they
   * are not used:
   *
   * <ul>
   *   <li>version: {@code Implementation-Version}, else {@code Bundle-Version}. {@code
   *       Specification-Version} is the version of an API, not of the artifact, and is never used.
   *       No version, no identity.
   *   <li>artifactId: the file name's artifact when the file name carries exactly that version
   *       (two sources agree; this is how {@code log4j-core} gets its name, since its title is
   *       "Apache Log4j Core"); else {@code Implementation-Title} when it is a single token that
   *       is not a Java package name. Nothing else: a symbolic name's last segment ({@code
   *       org.eclipse.osgi} gives "osgi") is not an artifactId. No artifactId, no identity.
   *   <li>groupId: {@code Implementation-Vendor-Id} when it is a dotted token (maven-archiver wrote
   *       the groupId there); else the part of {@code Bundle-SymbolicName} or {@code
   *       Automatic-Module-Name} before {@code .<artifactId>}, only when the artifactId has a
   *       {@code -} and so cannot be a package segment ({@code
   *       com.fasterxml.jackson.core.jackson-databind}); else none. Free-text vendors ("The Apache
   *       Software Foundation") are never a group; they go to {@link
   *       io.portolan.inventory.analyzer.Package#vendor()}.
   * </ul>
   *
   * <p>Without a group the package is named by the artifact alone and gets no purl, so it is
   * visible in the inventory but cannot match a {@code group:artifact} advisory by accident.
   */
  static Optional<Gav> fromManifest(Attributes main, String fileName) {
    String version = firstToken(main.getValue("Implementation-Version"), main.getValue("Bundle-Version"));
    if (version.isEmpty()) {
      return Optional.empty();
    }
    String title = value(main.getValue("Implementation-Title"));
    String artifact = "";
    Optional<Gav> named = fromFileName(fileName);
    if (named.isPresent() && named.get().version().equals(version)) {
      artifact = named.get().artifact();
    } else if (isToken(title) && !looksLikePackageName(title)) {
      artifact = title;
    }
    if (artifact.isEmpty()) {
      return Optional.empty();
    }
    String group = "";
    String vendorId = value(main.getValue("Implementation-Vendor-Id"));
    if (isDotted(vendorId)) {
      group = vendorId;
    } else if (artifact.indexOf('-') > 0) {
      String symbolic = symbolicName(main.getValue("Bundle-SymbolicName"));
      String module = value(main.getValue("Automatic-Module-Name"));
      for (String name : new String[] {symbolic, module}) {
        String prefix = name.endsWith("." + artifact) ? name.substring(0, name.length() - artifact.length() - 1) : "";
        if (isDotted(prefix)) {
          group = prefix;
          break;
        }
      }
    }
    return Optional.of(new Gav(group, artifact, version));
  }

  /**
   * {@code name-1.2.3.jar}: the version starts at the last {@code -<digit>} whose preceding
   * segment does not itself start with a digit, so {@code log4j-1.2-api-2.17.1.jar} is {@code
   * log4j-1.2-api} 2.17.1 and {@code foo-1.0-20240101.120000-3.jar} keeps its snapshot timestamp.
   * The result has no group.
   */
  static Optional<Gav> fromFileName(String fileName) {
    String base = fileName.substring(fileName.lastIndexOf('/') + 1);
    if (!isArchiveName(base)) {
      return Optional.empty();
    }
    base = base.substring(0, base.lastIndexOf('.'));
    int split = -1;
    for (int i = base.indexOf('-'); i >= 0; i = base.indexOf('-', i + 1)) {
      if (i + 1 < base.length() && Character.isDigit(base.charAt(i + 1))) {
        int segmentStart = base.lastIndexOf('-', i - 1) + 1;
        if (segmentStart < i && !Character.isDigit(base.charAt(segmentStart))) {
          split = i;
        }
      }
    }
    if (split <= 0) {
      return Optional.empty();
    }
    String artifact = base.substring(0, split);
    String version = base.substring(split + 1);
    if (!isToken(artifact) || !isToken(version)) {
      return Optional.empty();
    }
    return Optional.of(new Gav("", artifact, version));
  }

  private static String firstToken(String... candidates) {
    for (String c : candidates) {
      String v = value(c);
      if (isToken(v)) {
        return v;
      }
    }
    return "";
  }

  // "org.foo.bar;singleton:=true" -> "org.foo.bar"
  private static String symbolicName(String header) {
    String v = value(header);
    int semicolon = v.indexOf(';');
    return semicolon < 0 ? v : v.substring(0, semicolon).strip();
  }

  private static boolean isDotted(String s) {
    return isToken(s) && s.indexOf('.') > 0 && !s.endsWith(".") && !s.contains("..");
  }

  // A title like "org.apache.commons.text" is a Java package, not an artifactId.
  private static boolean looksLikePackageName(String s) {
    return segments(s) >= 3 && s.indexOf('-') < 0;
  }

  private static int segments(String s) {
    int n = 1;
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == '.') {
        n++;
      }
    }
    return n;
  }

  private static boolean isToken(String s) {
    return !s.isEmpty() && TOKEN.matcher(s).matches();
  }

  private static String value(String s) {
    return s == null ? "" : s.strip();
  }
}
