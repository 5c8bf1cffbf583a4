package io.portolan.inventory.os.release;

import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;

/**
 * When security support ends for a distribution release, from a table kept in the code.
 *
 * <p>Table last reviewed: 2026-12-05. The dates are the end of the vendor's free security
 * support: Debian including Debian LTS (not the paid ELTS); Ubuntu's end of standard support (not
 * the paid ESM); Alpine's end of support of the branch; RHEL's end of Maintenance Support (not
 * ELS); Rocky and AlmaLinux as their RHEL major; Amazon Linux as AWS announced it. Dates marked
 * "estimate" were announced only as a month or were still in the future when the table was
 * written and should be checked at the next review; a release missing here has no known date.
 */
public final class EndOfLife {
  private static final Map<String, LocalDate> TABLE = Map.ofEntries(
      Map.entry("debian/8", LocalDate.of(2020, 6, 30)),
      Map.entry("debian/9", LocalDate.of(2022, 6, 30)),
      Map.entry("debian/10", LocalDate.of(2024, 6, 30)),
      Map.entry("debian/11", LocalDate.of(2026, 8, 31)),
      Map.entry("debian/12", LocalDate.of(2028, 6, 30)),
      Map.entry("debian/13", LocalDate.of(2030, 6, 30)), // estimate: LTS to "June 2030"
      Map.entry("ubuntu/16.04", LocalDate.of(2021, 4, 30)),
      Map.entry("ubuntu/18.04", LocalDate.of(2023, 5, 31)),
      Map.entry("ubuntu/20.04", LocalDate.of(2025, 5, 31)),
      Map.entry("ubuntu/22.04", LocalDate.of(2027, 6, 1)), // estimate: "June 2027"
      Map.entry("ubuntu/24.04", LocalDate.of(2029, 5, 31)), // estimate: "May 2029"
      Map.entry("ubuntu/24.10", LocalDate.of(2025, 7, 10)),
      Map.entry("ubuntu/25.04", LocalDate.of(2026, 1, 15)), // estimate: "January 2026"
      Map.entry("ubuntu/25.10", LocalDate.of(2026, 7, 9)), // estimate: "July 2026"
      Map.entry("ubuntu/26.04", LocalDate.of(2031, 5, 31)), // estimate: five years from April 2026
      Map.entry("alpine/3.12", LocalDate.of(2022, 5, 1)),
      Map.entry("alpine/3.13", LocalDate.of(2022, 11, 1)),
      Map.entry("alpine/3.14", LocalDate.of(2023, 5, 1)),
      Map.entry("alpine/3.15", LocalDate.of(2023, 11, 1)),
      Map.entry("alpine/3.16", LocalDate.of(2024, 5, 23)),
      Map.entry("alpine/3.17", LocalDate.of(2024, 11, 22)),
      Map.entry("alpine/3.18", LocalDate.of(2025, 5, 9)),
      Map.entry("alpine/3.19", LocalDate.of(2025, 11, 1)),
      Map.entry("alpine/3.20", LocalDate.of(2026, 4, 1)),
      Map.entry("alpine/3.21", LocalDate.of(2026, 11, 1)),
      Map.entry("alpine/3.22", LocalDate.of(2027, 5, 1)), // estimate: two years from May 2025
      Map.entry("rhel/7", LocalDate.of(2024, 6, 30)),
      Map.entry("rhel/8", LocalDate.of(2029, 5, 31)),
      Map.entry("rhel/9", LocalDate.of(2032, 5, 31)),
      Map.entry("centos/7", LocalDate.of(2024, 6, 30)),
      Map.entry("centos/8", LocalDate.of(2021, 12, 31)),
      Map.entry("centos-stream/8", LocalDate.of(2024, 5, 31)),
      Map.entry("centos-stream/9", LocalDate.of(2027, 5, 31)), // estimate: follows RHEL 9 full support
      Map.entry("rocky/8", LocalDate.of(2029, 5, 31)),
      Map.entry("rocky/9", LocalDate.of(2032, 5, 31)),
      Map.entry("almalinux/8", LocalDate.of(2029, 3, 1)),
      Map.entry("almalinux/9", LocalDate.of(2032, 5, 31)),
      Map.entry("amzn/2", LocalDate.of(2026, 6, 30)),
      Map.entry("amzn/2023", LocalDate.of(2029, 6, 30)));

  private EndOfLife() {}

  /**
   * The end of security support of {@code id} (os-release spelling) at {@code versionId}; {@code
   * name} tells CentOS Stream from CentOS Linux, which share the id.
   */
  public static Optional<LocalDate> of(String id, String versionId, String name) {
    String release = switch (id) {
      case "ubuntu", "alpine" -> majorMinor(versionId);
      default -> major(versionId);
    };
    String table = id.equals("centos") && name.contains("Stream") ? "centos-stream" : id;
    return Optional.ofNullable(TABLE.get(table + "/" + release));
  }

  private static String major(String version) {
    int dot = version.indexOf('.');
    return dot < 0 ? version : version.substring(0, dot);
  }

  private static String majorMinor(String version) {
    String[] parts = version.split("\\.");
    return parts.length < 2 ? version : parts[0] + "." + parts[1];
  }
}
