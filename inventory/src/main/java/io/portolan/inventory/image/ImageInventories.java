package io.portolan.inventory.image;

import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.OsRelease;
import io.portolan.inventory.analyzer.OwnedFiles;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.layer.LayerPaths;
import io.portolan.inventory.os.release.EndOfLife;
import io.portolan.inventory.os.release.OsReleaseAnalyzer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Stacks per-layer findings into an image inventory, as the union file system would: bottom-up,
 * a layer's findings for a path replace the lower ones, whiteouts delete a path and everything
 * under it, opaque directories hide everything the lower layers have under them. A pure function,
 * so findings cached per layer give the same inventory as a fresh analysis.
 *
 * <p>Attribution: within one file (a database or manifest), a package is the same package across
 * layers when its {@link Package#key()} matches; it is attributed to the layer that added it or
 * last changed its version. A layer's changes compare the image before and after it, so packages
 * whose file was whited out, or that vanished from a rewritten database, count as removed.
 *
 * <p>What counts as a package of the image is decided by {@link PackageOwnership}: a language
 * package in a file an OS package installed is reported once, as that OS package, and lock-file
 * entries give way to what is installed.
 */
public final class ImageInventories {
  /** Where the OS is read from, most trusted first; a surviving file earlier here wins. */
  private static final List<String> OS_FILES = OsReleaseAnalyzer.PATHS;
  private static final String DISTROLESS_STATUS = "var/lib/dpkg/status.d";

  private ImageInventories() {}

  /** The image built by {@code findings}, each layer's findings consecutive, bottom layer first. */
  public static ImageInventory of(List<LayerFindings> perLayerInImageOrder) {
    List<String> diffIds = new ArrayList<>();
    for (LayerFindings f : perLayerInImageOrder) {
      if (diffIds.isEmpty() || !diffIds.getLast().equals(f.diffId())) {
        diffIds.add(f.diffId());
      }
    }
    return of(diffIds, perLayerInImageOrder);
  }

  /**
   * The image whose layers are {@code diffIds} (bottom first; a diff ID may repeat) with the
   * findings of every analyzer for those layers, fresh or cached, in any order.
   */
  public static ImageInventory of(List<String> diffIds, Collection<LayerFindings> findings) {
    Map<String, List<LayerFindings>> byLayer = new HashMap<>();
    for (LayerFindings f : findings) {
      byLayer.computeIfAbsent(f.diffId(), k -> new ArrayList<>()).add(f);
    }
    // The file system as the layers so far leave it: (analyzer, path) -> what the file holds.
    TreeMap<FileKey, Surviving> state = new TreeMap<>();
    List<ImageInventory.LayerChanges> changes = new ArrayList<>();
    List<LayerFindings.LayerError> errors = new ArrayList<>();
    List<ImageInventory.InstalledPackage> visible = List.of();
    for (String diffId : diffIds) {
      List<LayerFindings> layer = byLayer.getOrDefault(diffId, List.of());
      Map<FileKey, Surviving> before = new TreeMap<>(state);
      for (LayerFindings f : layer) {
        for (String dir : f.opaqueDirectories()) {
          removeUnder(state, dir, false);
        }
        for (String path : f.whiteouts()) {
          removeUnder(state, path, true);
        }
      }
      Map<FileKey, List<FileFindings>> written = new LinkedHashMap<>();
      for (LayerFindings f : layer) {
        for (FileFindings file : f.files()) {
          written.computeIfAbsent(new FileKey(file.analyzer(), file.path()), k -> new ArrayList<>()).add(file);
        }
        errors.addAll(f.errors());
      }
      for (Map.Entry<FileKey, List<FileFindings>> file : written.entrySet()) {
        state.put(file.getKey(), rewrite(file.getValue(), before.get(file.getKey()), diffId));
      }
      List<ImageInventory.InstalledPackage> now = PackageOwnership.visible(state);
      changes.add(changes(diffId, visible, now));
      visible = now;
    }
    return new ImageInventory(os(state), visible, changes, errors);
  }

  /**
   * Removes the files under {@code path} (and {@code path} itself when {@code self}) as two key
   * ranges of the path-ordered state: an apt layer whites out thousands of files, and testing
   * every file of the image against every whiteout cost a cold CLI run more than reading the layers.
   * Every path with the prefix {@code p + "/"} sorts in {@code [p + "/", p + "0")}, '0' being the
   * character after '/'; the keys of {@code p} itself (one per analyzer) in {@code [p, p + "\0")}.
   */
  static void removeUnder(TreeMap<FileKey, Surviving> state, String path, boolean self) {
    if (path.isEmpty()) {
      state.keySet().removeIf(k -> self || !k.path().isEmpty());
      return;
    }
    if (self) {
      state.subMap(new FileKey("", path), new FileKey("", path + "\0")).clear();
    }
    state.subMap(new FileKey("", path + "/"), new FileKey("", path + "0")).clear();
  }

  private static Surviving rewrite(List<FileFindings> files, Surviving previous, String diffId) {
    List<Attributed> unmatched = previous == null ? new ArrayList<>() : new ArrayList<>(previous.packages());
    List<Attributed> now = new ArrayList<>();
    List<OwnedFiles> owned = new ArrayList<>();
    Optional<OsRelease> os = Optional.empty();
    for (FileFindings file : files) {
      os = os.or(file::os);
      owned.addAll(file.owned());
      for (Package p : file.packages()) {
        // Same key and version as before this layer: the same package, and it keeps its layer.
        Optional<Attributed> same = unmatched.stream()
            .filter(a -> a.pkg().key().equals(p.key()) && a.pkg().version().equals(p.version())).findFirst();
        same.ifPresent(unmatched::remove);
        now.add(new Attributed(p, same.map(Attributed::diffId).orElse(diffId)));
      }
    }
    return new Surviving(now, os, owned);
  }

  private static ImageInventory.LayerChanges changes(String diffId, List<ImageInventory.InstalledPackage> before,
      List<ImageInventory.InstalledPackage> after) {
    Map<String, List<Package>> old = group(before);
    Map<String, List<Package>> now = group(after);
    List<Package> added = new ArrayList<>();
    List<Package> changed = new ArrayList<>();
    List<Package> removed = new ArrayList<>();
    for (String key : union(old.keySet(), now.keySet())) {
      List<Package> was = new ArrayList<>(old.getOrDefault(key, List.of()));
      List<Package> is = new ArrayList<>(now.getOrDefault(key, List.of()));
      // Versions on both sides are untouched; what remains pairs up as changes, the rest is added or removed.
      for (Package p : List.copyOf(is)) {
        was.stream().filter(w -> w.version().equals(p.version())).findFirst().ifPresent(w -> {
          was.remove(w);
          is.remove(p);
        });
      }
      int pairs = Math.min(was.size(), is.size());
      changed.addAll(is.subList(0, pairs));
      added.addAll(is.subList(pairs, is.size()));
      removed.addAll(was.subList(pairs, was.size()));
    }
    return new ImageInventory.LayerChanges(diffId, added, changed, removed);
  }

  private static List<String> union(Collection<String> a, Collection<String> b) {
    TreeMap<String, Boolean> all = new TreeMap<>();
    a.forEach(k -> all.put(k, true));
    b.forEach(k -> all.put(k, true));
    return new ArrayList<>(all.keySet());
  }

  /** Packages by file and package key: the identity attribution is computed over. */
  private static Map<String, List<Package>> group(List<ImageInventory.InstalledPackage> packages) {
    Map<String, List<Package>> grouped = new HashMap<>();
    for (ImageInventory.InstalledPackage p : packages) {
      grouped.computeIfAbsent(p.path() + "\0" + p.pkg().key(), k -> new ArrayList<>()).add(p.pkg());
    }
    return grouped;
  }

  private static Optional<OsRelease> os(Map<FileKey, Surviving> state) {
    Optional<OsRelease> best = Optional.empty();
    int bestRank = Integer.MAX_VALUE;
    Optional<OsRelease> debianVersion = Optional.empty();
    for (Map.Entry<FileKey, Surviving> file : state.entrySet()) {
      Optional<OsRelease> os = file.getValue().os();
      if (os.isEmpty()) {
        continue;
      }
      if (file.getKey().path().equals("etc/debian_version")) {
        debianVersion = os;
      }
      int rank = OS_FILES.indexOf(file.getKey().path());
      rank = rank < 0 ? OS_FILES.size() : rank;
      if (rank < bestRank) {
        best = os;
        bestRank = rank;
      }
    }
    if (best.isPresent()) {
      OsRelease os = best.get();
      // Debian testing and sid ship an os-release without VERSION_ID; debian_version still knows.
      if (os.id().equals("debian") && os.versionId().isEmpty() && debianVersion.isPresent()) {
        OsRelease dv = debianVersion.get();
        return Optional.of(new OsRelease(os.id(), os.name(), dv.versionId(),
            os.codename().isEmpty() ? dv.codename() : os.codename(), os.prettyName(), dv.endOfLife()));
      }
      return best;
    }
    return distroless(state);
  }

  /**
   * Distroless images have no os-release but keep dpkg's {@code status.d}: they are Debian. The
   * release comes from the {@code base-files} package when a dpkg analyzer reported it.
   */
  private static Optional<OsRelease> distroless(Map<FileKey, Surviving> state) {
    boolean statusD = state.keySet().stream().anyMatch(k -> LayerPaths.isAtOrUnder(k.path(), DISTROLESS_STATUS)
        && !k.path().equals(DISTROLESS_STATUS));
    if (!statusD) {
      return Optional.empty();
    }
    String version = state.values().stream().flatMap(s -> s.packages().stream()).map(Attributed::pkg)
        .filter(p -> p.type().equals("deb") && p.name().equals("base-files")).map(Package::version)
        .findFirst().map(v -> v.replaceAll("^(\\d+).*", "$1")).filter(v -> v.matches("\\d+")).orElse("");
    String codename = OsReleaseAnalyzer.debianCodename(version);
    return Optional.of(new OsRelease("debian", "Debian GNU/Linux", version, codename,
        "Debian GNU/Linux" + (version.isEmpty() ? "" : " " + version) + (codename.isEmpty() ? "" : " (" + codename + ")"),
        EndOfLife.of("debian", version, "")));
  }

  record FileKey(String analyzer, String path) implements Comparable<FileKey> {
    @Override
    public int compareTo(FileKey o) {
      int byPath = path.compareTo(o.path);
      return byPath != 0 ? byPath : analyzer.compareTo(o.analyzer);
    }
  }

  record Attributed(Package pkg, String diffId) {}

  /** What a file of the image holds once the layers so far are stacked. */
  record Surviving(List<Attributed> packages, Optional<OsRelease> os, List<OwnedFiles> owned) {}
}
