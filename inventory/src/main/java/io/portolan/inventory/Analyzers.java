package io.portolan.inventory;

import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.lang.dotnet.DotnetDepsAnalyzer;
import io.portolan.inventory.lang.golang.GoBinaryAnalyzer;
import io.portolan.inventory.lang.java.JavaArchiveAnalyzer;
import io.portolan.inventory.lang.java.Sha1Index;
import io.portolan.inventory.lang.npm.NpmAnalyzer;
import io.portolan.inventory.lang.php.ComposerAnalyzer;
import io.portolan.inventory.lang.python.PythonAnalyzer;
import io.portolan.inventory.lang.ruby.RubyAnalyzer;
import io.portolan.inventory.lang.runtime.RuntimeAnalyzer;
import io.portolan.inventory.lang.rust.RustAnalyzer;
import io.portolan.inventory.os.apk.ApkAnalyzer;
import io.portolan.inventory.os.dpkg.DpkgAnalyzer;
import io.portolan.inventory.os.release.OsReleaseAnalyzer;
import io.portolan.inventory.os.rpm.RpmAnalyzer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The analyzers an inventory runs, in one place so the agent and the one-shot CLI agree. */
public final class Analyzers {
  private Analyzers() {}

  /** OS detection and the OS package databases (dpkg, apk, rpm), with the files each package owns. */
  public static List<Analyzer> osPackages() {
    return List.of(new OsReleaseAnalyzer(), new DpkgAnalyzer(), new ApkAnalyzer(), new RpmAnalyzer());
  }

  /**
   * Application packages: Java archives (identified through {@code sha1} where nothing inside them
   * says what they are), npm, Python, Go and Rust binaries, Ruby, Rust lock files, Composer, .NET
   * and language runtimes. Go and Rust both read executables; the layer walk reads such a file
   * once and hands the same content to both.
   */
  public static List<Analyzer> languagePackages(Sha1Index sha1) {
    return List.of(new JavaArchiveAnalyzer(sha1), new NpmAnalyzer(), new PythonAnalyzer(), new GoBinaryAnalyzer(),
        new RustAnalyzer(), new RubyAnalyzer(), new ComposerAnalyzer(), new DotnetDepsAnalyzer(),
        new RuntimeAnalyzer());
  }

  /** Everything an image inventory runs: OS packages first, then language packages. */
  public static List<Analyzer> all(Sha1Index sha1) {
    List<Analyzer> all = new ArrayList<>(osPackages());
    all.addAll(languagePackages(sha1));
    return List.copyOf(all);
  }

  /** {@link #all(Sha1Index)} without a SHA-1 table. */
  public static List<Analyzer> all() {
    return all(Sha1Index.empty());
  }

  /**
   * The analyzers for {@code types}. OS detection runs whatever the selection, as in Trivy: the
   * distro qualifies every purl and names the end of life. Without {@link PackageType#OS}, a
   * language package that an OS package installed is reported on its own (nothing says who owns it).
   */
  public static List<Analyzer> of(Set<PackageType> types, Sha1Index sha1) {
    if (types.isEmpty()) {
      throw new IllegalArgumentException("no package types selected");
    }
    List<Analyzer> selected = new ArrayList<>();
    if (types.contains(PackageType.OS)) {
      selected.addAll(osPackages());
    } else {
      selected.add(new OsReleaseAnalyzer());
    }
    if (types.contains(PackageType.LIBRARY)) {
      selected.addAll(languagePackages(sha1));
    }
    return List.copyOf(selected);
  }

  /**
   * The kinds of package an inventory can look for, named as Trivy's {@code --pkg-types} names
   * them. Inventorying only {@code os} walks just the package databases' directories, which on an
   * overlay2 host is a fraction of reading every executable and archive of the image.
   */
  public enum PackageType {
    /** The distro's package databases: dpkg, apk, rpm. */
    OS,
    /** Application packages: Java archives, npm, PyPI, Go and Rust binaries, gems, Composer, NuGet, runtimes. */
    LIBRARY;

    /** Both: what an inventory looks for unless told otherwise. */
    public static final String DEFAULT = "os,library";

    /** Lower case, as written on a command line. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** A comma-separated list such as {@code os,library}; anything else is an error that says what is allowed. */
    public static Set<PackageType> parse(String list) {
      Set<PackageType> types = EnumSet.noneOf(PackageType.class);
      for (String item : list.split(",", -1)) {
        String name = item.trim();
        try {
          types.add(valueOf(name.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("unknown package type '" + name + "' in '" + list
              + "': use os, library or both (os,library)");
        }
      }
      return types;
    }
  }
}
