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
import java.util.List;

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
}
