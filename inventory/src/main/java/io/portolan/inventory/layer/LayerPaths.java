package io.portolan.inventory.layer;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Path rules shared by every layer source: names are made relative to the layer root, and nothing
 * is allowed to point outside it.
 */
public final class LayerPaths {
  private LayerPaths() {}

  /**
   * Normalizes an archive entry name: a leading {@code /} or {@code ./} is dropped (tar tools do
   * the same), {@code .} and empty segments vanish, {@code ..} pops a segment. Empty when the name
   * climbs above the root or holds a NUL; {@code ""} is the root itself.
   */
  public static Optional<String> normalize(String raw) {
    if (raw.indexOf('\0') >= 0) {
      return Optional.empty();
    }
    Deque<String> parts = new ArrayDeque<>();
    for (String part : raw.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (parts.isEmpty()) {
          return Optional.empty();
        }
        parts.removeLast();
      } else {
        parts.addLast(part);
      }
    }
    return Optional.of(String.join("/", parts));
  }

  /**
   * Where a symlink at {@code linkPath} pointing to {@code target} leads when the layer root is the
   * file-system root: absolute targets start at the root, {@code ..} stops at the root. The result
   * is lexical (links inside the target are not followed) and always inside the root.
   */
  public static String resolveSymlink(String linkPath, String target) {
    Deque<String> parts = new ArrayDeque<>();
    if (!target.startsWith("/")) {
      String parent = parent(linkPath);
      if (!parent.isEmpty()) {
        for (String p : parent.split("/")) {
          parts.addLast(p);
        }
      }
    }
    for (String part : target.replace('\0', '_').split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        parts.pollLast();
      } else {
        parts.addLast(part);
      }
    }
    return String.join("/", parts);
  }

  /** The parent of a normalized path; {@code ""} for a top-level name. */
  public static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash);
  }

  /** The last segment of a normalized path. */
  public static String fileName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** Whether {@code path} is {@code ancestor} or lies below it; the root contains everything. */
  public static boolean isAtOrUnder(String path, String ancestor) {
    return ancestor.isEmpty() || path.equals(ancestor) || path.startsWith(ancestor + "/");
  }

  static String join(String parent, String name) {
    return parent.isEmpty() ? name : parent + "/" + name;
  }
}
