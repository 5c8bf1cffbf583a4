package io.portolan.inventory.layer;

/** The AUFS-style whiteout names that layer tars use (OCI image spec, "Whiteouts"). */
final class Whiteouts {
  static final String PREFIX = ".wh.";
  static final String OPAQUE = ".wh..wh..opq";

  private Whiteouts() {}

  /**
   * Reports the whiteout that {@code path} encodes, if it is one, and says whether it was one (so
   * the caller does not also report it as an entry). Other {@code .wh..wh.} names are AUFS
   * bookkeeping and are swallowed.
   */
  static boolean report(String path, LayerHandler handler) {
    String name = LayerPaths.fileName(path);
    if (!name.startsWith(PREFIX)) {
      return false;
    }
    String parent = LayerPaths.parent(path);
    if (name.equals(OPAQUE)) {
      handler.opaqueDirectory(parent);
    } else if (!name.startsWith(PREFIX + PREFIX) && name.length() > PREFIX.length()) {
      handler.whiteout(LayerPaths.join(parent, name.substring(PREFIX.length())));
    }
    return true;
  }
}
