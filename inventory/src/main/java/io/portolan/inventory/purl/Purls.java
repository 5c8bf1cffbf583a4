package io.portolan.inventory.purl;

import com.github.packageurl.MalformedPackageURLException;
import com.github.packageurl.PackageURL;
import io.portolan.inventory.analyzer.OsRelease;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds package URLs with packageurl-java and adds what only the image knows. An OS package
 * analyzer sees one database file and not {@code /etc/os-release}, so its purls carry a default
 * namespace and no {@code distro} qualifier (that keeps a layer's findings cacheable on their own);
 * the image-level inventory calls {@link #withDistro} once the distribution is known.
 */
public final class Purls {
  private Purls() {}

  /**
   * The canonical purl for these coordinates; empty qualifier values are left out, as the purl
   * spec asks. Throws {@link IllegalArgumentException} when packageurl-java rejects them.
   */
  public static String of(String type, String namespace, String name, String version, Map<String, String> qualifiers) {
    TreeMap<String, String> q = new TreeMap<>();
    qualifiers.forEach((k, v) -> {
      if (v != null && !v.isEmpty()) {
        q.put(k, v);
      }
    });
    try {
      return new PackageURL(type, emptyToNull(namespace), name, emptyToNull(version), q.isEmpty() ? null : q, null)
          .canonicalize();
    } catch (MalformedPackageURLException e) {
      throw new IllegalArgumentException("invalid purl coordinates for " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Adds the {@code distro} qualifier ({@code debian-12}, {@code alpine-3.19.1}: the os-release
   * {@code ID}, a dash, then {@code VERSION_ID}, or {@code VERSION_CODENAME} when a rolling release
   * has no version). For {@code deb} and {@code apk} purls the namespace becomes the os-release ID
   * too ({@code ubuntu}, {@code wolfi}), because the analyzer could only guess it; an {@code rpm}
   * purl keeps the namespace its VENDOR tag gave and gets the ID only when it had none. Purls of
   * other types are returned unchanged.
   */
  public static String withDistro(String purl, OsRelease os) {
    PackageURL parsed;
    try {
      parsed = new PackageURL(purl);
    } catch (MalformedPackageURLException e) {
      throw new IllegalArgumentException("not a purl: " + purl, e);
    }
    String type = parsed.getType();
    if (!type.equals("deb") && !type.equals("apk") && !type.equals("rpm")) {
      return purl;
    }
    String id = lower(os.id());
    String distro = distroQualifier(os);
    if (id.isEmpty() || distro.isEmpty()) {
      return purl;
    }
    String namespace = parsed.getNamespace();
    if (!type.equals("rpm") || namespace == null || namespace.isEmpty()) {
      namespace = id;
    }
    TreeMap<String, String> q = new TreeMap<>();
    if (parsed.getQualifiers() != null) {
      q.putAll(parsed.getQualifiers());
    }
    q.put("distro", distro);
    return of(type, namespace, parsed.getName(), parsed.getVersion(), q);
  }

  /** The {@code distro} qualifier value for this release, or "" when os-release names none. */
  public static String distroQualifier(OsRelease os) {
    String id = lower(os.id());
    if (id.isEmpty()) {
      return "";
    }
    String version = os.versionId() == null ? "" : os.versionId();
    String codename = os.codename() == null ? "" : os.codename();
    if (!version.isEmpty()) {
      return id + "-" + version;
    }
    return codename.isEmpty() ? id : id + "-" + codename;
  }

  private static String lower(String s) {
    return s == null ? "" : s.toLowerCase(Locale.ROOT);
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
