package io.portolan.inventory.analyzer;

import java.util.List;

/**
 * The files a package database says one of its packages installed ({@code dpkg -L}, apk's {@code
 * R:} lines), relative and normalized like layer paths. The image inventory uses them to report a
 * language package found in such a file once, as the OS package that owns it, instead of twice.
 * {@code architecture} is empty when the database does not say (a dpkg {@code name.list}).
 *
 * <p>Only {@link #relevant} paths are kept: documentation, manuals, translations, headers and
 * configuration can hold no language package, and leaving them out keeps a Debian image's lists
 * at a quarter of their size in every layer unit stored by the agent and the collector.
 */
public record OwnedFiles(String type, String name, String architecture, List<String> paths) {
  private static final List<String> IRRELEVANT_PREFIXES = List.of(
      "usr/share/doc/", "usr/share/man/", "usr/share/info/", "usr/share/locale/", "usr/share/i18n/",
      "usr/share/zoneinfo/", "usr/share/icons/", "usr/share/lintian/", "usr/share/bash-completion/",
      "usr/share/fonts/", "usr/share/mime/", "usr/share/terminfo/", "usr/share/X11/", "usr/share/common-licenses/",
      "usr/share/pixmaps/", "usr/share/applications/", "usr/share/bug/", "usr/share/menu/", "usr/share/perl5/",
      "usr/share/perl/", "usr/include/", "etc/");

  public OwnedFiles {
    paths = List.copyOf(paths);
  }

  /** Whether an owned path is worth recording: it could be, or hold, a language package. */
  public static boolean relevant(String path) {
    if (path.isEmpty()) {
      return false;
    }
    for (String prefix : IRRELEVANT_PREFIXES) {
      if (path.startsWith(prefix)) {
        return false;
      }
    }
    return true;
  }

  /** What identifies the owner among a database's packages, as {@link Package#key()} spells it. */
  public String ownerKey() {
    return type + "/" + name + "/" + architecture;
  }
}
