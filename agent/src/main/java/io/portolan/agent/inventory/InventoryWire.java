package io.portolan.agent.inventory;

import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.OsRelease;
import io.portolan.inventory.analyzer.OwnedFiles;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.image.LayerFindings;
import io.portolan.proto.agent.v1.LayerError;
import io.portolan.proto.agent.v1.LayerInventory;
import io.portolan.proto.agent.v1.LayerRef;

/** Turns the inventory library's per-layer findings into the wire's {@code LayerInventory}. */
final class InventoryWire {
  private InventoryWire() {}

  static LayerRef ref(String diffId, String analyzer, int version) {
    return LayerRef.newBuilder().setDiffId(diffId).setAnalyzer(analyzer).setAnalyzerVersion(version).build();
  }

  /** The layer cache key: one entry per layer, analyzer and analyzer version. */
  static String cacheKey(LayerRef ref) {
    return ref.getDiffId() + "|" + ref.getAnalyzer() + "|" + ref.getAnalyzerVersion();
  }

  static String diffIdOfCacheKey(String key) {
    int bar = key.indexOf('|');
    return bar < 0 ? key : key.substring(0, bar);
  }

  static LayerInventory toWire(LayerFindings f, long layerSize) {
    LayerInventory.Builder b = LayerInventory.newBuilder()
        .setRef(ref(f.diffId(), f.analyzer(), f.analyzerVersion()))
        .addAllWhiteouts(f.whiteouts())
        .addAllOpaqueDirectories(f.opaqueDirectories())
        .setSizeBytes(Math.max(0, layerSize));
    for (FileFindings file : f.files()) {
      var fb = io.portolan.proto.agent.v1.FileFindings.newBuilder().setPath(file.path());
      for (Package p : file.packages()) fb.addPackages(toWire(p));
      file.os().ifPresent(os -> fb.setOs(toWire(os)));
      for (OwnedFiles o : file.owned()) {
        fb.addOwned(io.portolan.proto.agent.v1.OwnedFiles.newBuilder().setType(o.type()).setName(o.name())
            .setArchitecture(o.architecture()).addAllPaths(o.paths()));
      }
      b.addFiles(fb);
    }
    for (LayerFindings.LayerError e : f.errors()) {
      b.addErrors(LayerError.newBuilder().setPath(e.path()).setMessage(e.message()));
    }
    return b.build();
  }

  static io.portolan.proto.agent.v1.Package toWire(Package p) {
    return io.portolan.proto.agent.v1.Package.newBuilder()
        .setType(p.type()).setName(p.name()).setVersion(p.version()).setArchitecture(p.architecture())
        .setSourceName(p.sourceName()).setSourceVersion(p.sourceVersion()).setLicense(p.license())
        .setVendor(p.vendor()).setPurl(p.purl()).putAllProperties(p.properties())
        .build();
  }

  static io.portolan.proto.agent.v1.OsRelease toWire(OsRelease os) {
    return io.portolan.proto.agent.v1.OsRelease.newBuilder()
        .setId(os.id()).setName(os.name()).setVersionId(os.versionId()).setCodename(os.codename())
        .setPrettyName(os.prettyName()).setEndOfLife(os.endOfLife().map(Object::toString).orElse(""))
        .build();
  }
}
