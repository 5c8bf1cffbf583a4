package io.portolan.inventory.analyzer;

import java.time.LocalDate;
import java.util.Optional;

/**
 * The distribution an image is built on: {@code id} as os-release spells it ("debian", "alpine",
 * "rhel"...), {@code versionId} ("12", "3.19.1"), {@code codename} ("bookworm") and, from the dated
 * end-of-life table in the code, when its security support ends.
 */
public record OsRelease(String id, String name, String versionId, String codename, String prettyName,
    Optional<LocalDate> endOfLife) {}
