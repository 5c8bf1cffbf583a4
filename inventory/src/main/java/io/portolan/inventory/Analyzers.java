package io.portolan.inventory;

import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.os.apk.ApkAnalyzer;
import io.portolan.inventory.os.dpkg.DpkgAnalyzer;
import io.portolan.inventory.os.release.OsReleaseAnalyzer;
import io.portolan.inventory.os.rpm.RpmAnalyzer;
import java.util.List;

/** The analyzers an inventory runs, in one place so the agent and the one-shot CLI agree. */
public final class Analyzers {
  private Analyzers() {}

  /** OS detection and the OS package databases (dpkg, apk, rpm). */
  public static List<Analyzer> osPackages() {
    return List.of(new OsReleaseAnalyzer(), new DpkgAnalyzer(), new ApkAnalyzer(), new RpmAnalyzer());
  }
}
