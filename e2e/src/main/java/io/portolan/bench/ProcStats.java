package io.portolan.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time and memory of another process, read from Linux's /proc. */
final class ProcStats {
  private static final long CLOCK_TICKS = clockTicks();

  private ProcStats() {}

  /** User plus system CPU seconds of all the process's threads so far. */
  static double cpuSeconds(long pid) {
    String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
    // Fields after the command name, which is in parentheses and may contain spaces; field 3 is index 0.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    long utime = Long.parseLong(f[14 - 3]);
    long stime = Long.parseLong(f[15 - 3]);
    return (utime + stime) / (double) CLOCK_TICKS;
  }

  /** Resident set size now, in MiB. */
  static double rssMb(long pid) {
    return statusKb(pid, "VmRSS") / 1024.0;
  }

  /** Peak resident set size ("high water mark"), in MiB. */
  static double peakRssMb(long pid) {
    return statusKb(pid, "VmHWM") / 1024.0;
  }

  private static long statusKb(long pid, String field) {
    for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
      }
    }
    throw new IllegalStateException("no " + field + " in /proc/" + pid + "/status");
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p + " (has the process exited?)", e);
    }
  }

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return Long.parseLong(out);
    } catch (IOException | NumberFormatException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
