package io.portolan.inventory.layer;

import java.io.IOException;

/** A wanted file is larger than the consumer's limit; it was not read. */
public class ContentTooLargeException extends IOException {
  public ContentTooLargeException(String path, long size, long limit) {
    super(path + " is " + size + " bytes, larger than the " + limit + "-byte limit; not read");
  }
}
