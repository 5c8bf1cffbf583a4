package io.portolan.collector.inventory;

import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.OsRelease;
import io.portolan.inventory.analyzer.OwnedFiles;
import io.portolan.inventory.analyzer.Package;
import io.portolan.inventory.image.LayerFindings;
import io.portolan.proto.agent.v1.LayerInventory;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Reads the wire's {@code LayerInventory} back into the inventory library's per-layer findings. */
final class WireFindings {
  private WireFindings() {}

  static LayerFindings fromWire(LayerInventory w) {
    String analyzer = w.getRef().getAnalyzer();
    return new LayerFindings(
        w.getRef().getDiffId(),
        analyzer,
        w.getRef().getAnalyzerVersion(),
        w.getFilesList().stream().map(f -> new FileFindings(f.getPath(), analyzer,
            f.getPackagesList().stream().map(WireFindings::fromWire).toList(),
            f.hasOs() ? Optional.of(fromWire(f.getOs())) : Optional.empty(),
            f.getOwnedList().stream().map(o -> new OwnedFiles(o.getType(), o.getName(), o.getArchitecture(),
                o.getPathsList())).toList())).toList(),
        w.getWhiteoutsList(),
        w.getOpaqueDirectoriesList(),
        w.getErrorsList().stream().map(e -> new LayerFindings.LayerError(e.getPath(), e.getMessage())).toList());
  }

  static Package fromWire(io.portolan.proto.agent.v1.Package p) {
    return new Package(p.getType(), p.getName(), p.getVersion(), p.getArchitecture(), p.getSourceName(),
        p.getSourceVersion(), p.getLicense(), p.getVendor(), p.getPurl(), p.getPropertiesMap());
  }

  static OsRelease fromWire(io.portolan.proto.agent.v1.OsRelease os) {
    Optional<LocalDate> eol;
    try {
      eol = os.getEndOfLife().isEmpty() ? Optional.empty() : Optional.of(LocalDate.parse(os.getEndOfLife()));
    } catch (DateTimeParseException e) {
      eol = Optional.empty();
    }
    return new OsRelease(os.getId(), os.getName(), os.getVersionId(), os.getCodename(), os.getPrettyName(), eol);
  }
}
