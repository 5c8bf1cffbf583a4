package io.portolan.collector.console;

import java.util.List;

/** The console's sections, in menu order. A section joins the menu here and nowhere else. */
public final class Nav {
  private Nav() {}

  /** One menu entry; {@code key} marks the active one. */
  public record Item(String key, String label, String href) {}

  public static final List<Item> ITEMS = List.of(
      new Item("overview", "Overview", "/"),
      new Item("images", "Images", "/images"),
      new Item("hosts", "Hosts", "/hosts"),
      new Item("containers", "Containers", "/containers"),
      new Item("repositories", "Repositories", "/repositories"),
      new Item("vulnerabilities", "Vulnerabilities", "/vulnerabilities"),
      new Item("scans", "Scans", "/scans"),
      new Item("schedules", "Schedules", "/schedules"),
      new Item("feeds", "Feeds", "/feeds"));
}
