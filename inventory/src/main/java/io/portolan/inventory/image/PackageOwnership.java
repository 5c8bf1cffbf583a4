package io.portolan.inventory.image;

import io.portolan.inventory.analyzer.OwnedFiles;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.image.ImageInventories.Attributed;
import io.portolan.inventory.image.ImageInventories.FileKey;
import io.portolan.inventory.image.ImageInventories.Surviving;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Decides which of the packages the stacked layers record are packages of the image, so that
 * nothing is counted twice:
 *
 * <ul>
 *   <li>A language package found in a file that an installed OS package owns (its {@link
 *       OwnedFiles}: {@code dpkg -L}, apk's file list, rpm's) is the OS package: Debian's {@code
 *       python3-requests} ships {@code requests-2.28.1.egg-info}, and its advisories are the
 *       distro's. It is not reported on its own; it is linked to the OS package (its purl is the
 *       OS package's language identity), as Trivy and Syft do.
 *   <li>Lock-file entries ({@code source=lockfile}) describe what an install would produce. npm and
 *       Composer lock files count only when their project has no installed tree ({@code
 *       node_modules/}, {@code vendor/composer/installed.json} beside them); Python and Ruby lock
 *       entries give way to an installed distribution or gem of the same name anywhere in the
 *       image, since those install into shared directories.
 * </ul>
 */
final class PackageOwnership {
  private static final Set<String> OS_TYPES = Set.of("deb", "apk", "rpm");
  private static final String NODE_MODULES = "node_modules/";
  private static final String COMPOSER_INSTALLED = "vendor/composer/installed.json";

  private PackageOwnership() {}

  /** The image's packages in file order, OS packages carrying the language packages they own. */
  static List<ImageInventory.InstalledPackage> visible(Map<FileKey, Surviving> state) {
    Map<String, Package> osByKey = new HashMap<>();
    Map<String, Package> osByName = new HashMap<>();
    Set<String> installedNames = new HashSet<>();
    Set<String> npmProjects = new HashSet<>();
    Set<String> composerProjects = new HashSet<>();
    Set<String> languagePaths = new HashSet<>();
    for (Map.Entry<FileKey, Surviving> file : state.entrySet()) {
      String path = file.getKey().path();
      if (path.equals(COMPOSER_INSTALLED) || path.endsWith("/" + COMPOSER_INSTALLED)) {
        composerProjects.add(path.substring(0, path.length() - COMPOSER_INSTALLED.length()));
      }
      for (Attributed a : file.getValue().packages()) {
        Package p = a.pkg();
        if (OS_TYPES.contains(p.type())) {
          osByKey.putIfAbsent(p.key(), p);
          osByName.putIfAbsent(p.type() + "/" + p.name(), p);
          continue;
        }
        languagePaths.add(path);
        if (!isLockfile(p)) {
          installedNames.add(p.type() + "/" + normalized(p));
          int nodeModules = path.startsWith(NODE_MODULES) ? 0 : path.indexOf("/" + NODE_MODULES) + 1;
          if (p.type().equals("npm") && (nodeModules > 0 || path.startsWith(NODE_MODULES))) {
            npmProjects.add(path.substring(0, nodeModules));
          }
        }
      }
    }
    // Only paths holding a language package need an owner: an OS image owns tens of thousands of
    // files, and this runs once per layer.
    Map<String, Package> ownerOfPath = new HashMap<>();
    for (Surviving surviving : languagePaths.isEmpty() ? List.<Surviving>of() : state.values()) {
      for (OwnedFiles owned : surviving.owned()) {
        // A list whose package is gone (purged, or left behind by a broken removal) owns nothing.
        Package owner = owned.architecture().isEmpty() ? osByName.get(owned.type() + "/" + owned.name())
            : osByKey.get(owned.ownerKey());
        if (owner == null) {
          continue;
        }
        for (String p : owned.paths()) {
          if (languagePaths.contains(p)) {
            ownerOfPath.putIfAbsent(p, owner);
          }
        }
      }
    }
    Map<Package, List<Package>> linked = new IdentityHashMap<>();
    List<Object[]> kept = new ArrayList<>();
    for (Map.Entry<FileKey, Surviving> file : state.entrySet()) {
      String path = file.getKey().path();
      List<Attributed> packages = new ArrayList<>(file.getValue().packages());
      packages.sort(Comparator.comparing((Attributed a) -> a.pkg().key()).thenComparing(a -> a.pkg().version()));
      for (Attributed a : packages) {
        Package p = a.pkg();
        if (!OS_TYPES.contains(p.type())) {
          Package owner = ownerOfPath.get(path);
          if (owner != null) {
            linked.computeIfAbsent(owner, k -> new ArrayList<>()).add(p);
            continue;
          }
          if (isLockfile(p) && superseded(p, path, installedNames, npmProjects, composerProjects)) {
            continue;
          }
        }
        kept.add(new Object[] {a, path});
      }
    }
    List<ImageInventory.InstalledPackage> out = new ArrayList<>(kept.size());
    for (Object[] k : kept) {
      Attributed a = (Attributed) k[0];
      out.add(new ImageInventory.InstalledPackage(a.pkg(), (String) k[1], a.diffId(),
          linked.getOrDefault(a.pkg(), List.of())));
    }
    return out;
  }

  private static boolean isLockfile(Package p) {
    return "lockfile".equals(p.properties().get("source"));
  }

  private static boolean superseded(Package p, String lockPath, Set<String> installedNames, Set<String> npmProjects,
      Set<String> composerProjects) {
    String project = lockPath.substring(0, lockPath.lastIndexOf('/') + 1);
    return switch (p.type()) {
      case "npm" -> npmProjects.contains(project);
      case "composer" -> composerProjects.contains(project);
      default -> installedNames.contains(p.type() + "/" + normalized(p));
    };
  }

  /** Names as each ecosystem compares them: PyPI by PEP 503, the rest as written. */
  private static String normalized(Package p) {
    if (p.type().equals("pypi")) {
      return p.name().toLowerCase(Locale.ROOT).replaceAll("[-_.]+", "-");
    }
    return p.name();
  }
}
