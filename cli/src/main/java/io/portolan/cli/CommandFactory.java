package io.portolan.cli;

import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import picocli.CommandLine;

/**
 * Creates commands, providers and option collections for picocli. picocli's own factory, in its
 * static initializer, looks for Groovy's {@code Closure} class by name; on our class path of ~100
 * jars that miss opens every jar and reads its index, 0.1-0.15 s of each start, beside a one-shot
 * inventory that has two cores to share.
 */
final class CommandFactory implements CommandLine.IFactory {
  static final CommandFactory INSTANCE = new CommandFactory();

  private CommandFactory() {}

  @Override
  public <K> K create(Class<K> type) throws Exception {
    if (type.isInterface()) {
      return type.cast(collection(type));
    }
    Constructor<K> constructor = type.getDeclaredConstructor();
    constructor.setAccessible(true);
    return constructor.newInstance();
  }

  /** The implementation picocli's own factory picks for a collection or map interface. */
  private static Object collection(Class<?> type) throws Exception {
    if (SortedSet.class.isAssignableFrom(type)) return new TreeSet<>();
    if (Set.class.isAssignableFrom(type)) return new LinkedHashSet<>();
    if (Queue.class.isAssignableFrom(type)) return new LinkedList<>();
    if (List.class.isAssignableFrom(type) || Collection.class.isAssignableFrom(type)) return new ArrayList<>();
    if (SortedMap.class.isAssignableFrom(type)) return new TreeMap<>();
    if (Map.class.isAssignableFrom(type)) return new LinkedHashMap<>();
    return CommandLine.defaultFactory().create(type);
  }
}
