package io.portolan.inventory.layer;

/**
 * One file-system entry of a layer. {@code path} is relative to the layer root, normalized (no
 * leading slash, no {@code .} or {@code ..}, no trailing slash). {@code size} is the content
 * length of regular files and 0 otherwise; {@code mode} holds the read, write and execute bits (0777:
 * every source can tell those, while overlay2 cannot say set-ID and sticky bits without a second stat). For
 * symlinks {@code linkTarget} is where the link points, resolved as the kernel would inside a
 * container whose root is the layer root (so never outside it; "" is the root); for hardlinks it
 * is the normalized path of the linked entry; otherwise it is "".
 */
public record LayerEntry(String path, Type type, long size, int mode, String linkTarget) {

  /** The kinds of entry a layer holds; devices, fifos and sockets are {@code OTHER}. */
  public enum Type { FILE, DIRECTORY, SYMLINK, HARDLINK, OTHER }
}
