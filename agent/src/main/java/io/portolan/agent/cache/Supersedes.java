package io.portolan.agent.cache;

import java.util.Objects;

/**
 * What an appended outbox message makes obsolete, which is how the outbox stays bounded while
 * the collector is unreachable.
 */
public sealed interface Supersedes {

  /** The newest state of one object ("i:&lt;imageId&gt;" or "c:&lt;containerId&gt;") replaces its older unacked delta. */
  record SameObject(String key) implements Supersedes {
    public SameObject {
      Objects.requireNonNull(key, "key");
      if (key.isEmpty()) {
        throw new IllegalArgumentException("object key must not be empty");
      }
    }
  }

  /** The first chunk of a full snapshot: every older unacked message is obsolete. */
  record Everything() implements Supersedes {
  }

  /** A message that replaces nothing, such as a later chunk of the snapshot being written. */
  record Nothing() implements Supersedes {
  }

  static Supersedes object(String key) {
    return new SameObject(key);
  }

  static Supersedes everything() {
    return new Everything();
  }

  static Supersedes nothing() {
    return new Nothing();
  }
}
