package io.portolan.collector.console;

import io.portolan.collector.match.RiskScore;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** How the console writes sizes, times, IDs and severities: one place, so every view agrees. */
public final class Format {
  private Format() {}

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final String NONE = "—";

  /** Decimal units, as {@code docker images} shows sizes. */
  public static String bytes(long n) {
    if (n < 1000) return n + " B";
    String[] units = {"kB", "MB", "GB", "TB", "PB"};
    double v = n;
    int u = -1;
    while (v >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return (v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v)) + " " + units[u];
  }

  public static String number(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** UTC, to the minute; the exact instant is in the {@code datetime} attribute. */
  public static String time(Instant t) {
    return t == null ? NONE : TIME.format(t) + " UTC";
  }

  private static final DateTimeFormatter ZONED =
      DateTimeFormatter.ofPattern("EEE yyyy-MM-dd HH:mm", Locale.ENGLISH);

  /** A fire time in its schedule's zone: "Mon 2026-12-07 02:00 Europe/Berlin". */
  public static String zoned(java.time.ZonedDateTime t) {
    return t == null ? NONE : ZONED.format(t) + " " + t.getZone().getId();
  }

  /** A duration as people say it: "850 ms", "42 s", "3 min 5 s", "2 h 4 min". */
  public static String duration(Long millis) {
    if (millis == null) return NONE;
    long ms = millis;
    if (ms < 1000) return ms + " ms";
    long s = ms / 1000;
    if (s < 60) return s + " s";
    if (s < 3600) return (s / 60) + " min " + (s % 60) + " s";
    return (s / 3600) + " h " + (s % 3600 / 60) + " min";
  }

  /** "SCAN_EXCEPTION" → "scan exception": states as words. */
  public static String words(String constant) {
    return constant == null ? "" : constant.toLowerCase(Locale.ROOT).replace('_', ' ');
  }

  public static String iso(Instant t) {
    return t == null ? "" : t.toString();
  }

  public static String date(LocalDate d) {
    return d == null ? NONE : d.toString();
  }

  /** "4 min ago", "3 d ago": for last-seen columns, where recency is the point. */
  public static String ago(Instant t, Instant now) {
    if (t == null) return NONE;
    Duration d = Duration.between(t, now);
    if (d.isNegative() || d.toSeconds() < 60) return "just now";
    if (d.toMinutes() < 60) return d.toMinutes() + " min ago";
    if (d.toHours() < 48) return d.toHours() + " h ago";
    return d.toDays() + " d ago";
  }

  /** The 12 hex digits Docker shows. */
  public static String shortId(String id) {
    if (id == null) return "";
    String hex = id.startsWith("sha256:") ? id.substring(7) : id;
    return hex.length() > 12 ? hex.substring(0, 12) : hex;
  }

  public static String score(double s) {
    return s == Math.rint(s) ? String.format(Locale.ROOT, "%.0f", s) : String.format(Locale.ROOT, "%.1f", s);
  }

  public static String cvss(Double s) {
    return s == null ? NONE : String.format(Locale.ROOT, "%.1f", s);
  }

  /** "CRITICAL" → "Critical"; empty stays empty. */
  public static String severity(String s) {
    if (s == null || s.isEmpty()) return "";
    return s.charAt(0) + s.substring(1).toLowerCase(Locale.ROOT);
  }

  /** The CSS class of a severity badge. */
  public static String sevClass(String s) {
    return "sev sev-" + (s == null || s.isEmpty() ? "none" : s.toLowerCase(Locale.ROOT));
  }

  /** The severity stored under a rank, or "" for -1 (no finding). */
  public static String rankName(int rank) {
    return rank < 0 ? "" : RiskScore.ofRank(rank).name();
  }

  /** A build step as people read it: without the shell prefix the classic builder adds. */
  public static String command(String createdBy) {
    if (createdBy == null) return "";
    String c = createdBy.trim();
    if (c.startsWith("/bin/sh -c #(nop) ")) return c.substring(18).trim();
    if (c.startsWith("/bin/sh -c ")) return "RUN " + c.substring(11).trim();
    return c;
  }

  public static String plural(long n, String one, String many) {
    return number(n) + " " + (n == 1 ? one : many);
  }

  /** Whether the OS's security support ended on or before {@code today}. */
  public static boolean endOfLife(LocalDate eol, LocalDate today) {
    return eol != null && !eol.isAfter(today);
  }

  /** A fraction of a bar, in percent, for the severity distribution. */
  public static String percent(long part, long whole) {
    return whole == 0 ? "0" : String.format(Locale.ROOT, "%.2f", 100.0 * part / whole);
  }
}
