package io.portolan.agent.cache;

import com.google.protobuf.InvalidProtocolBufferException;
import io.portolan.proto.agent.v1.AgentMessage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.TreeSet;
import java.util.UUID;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The agent's durable state in RocksDB: its identity, the seq counter and the outbox of messages
 * the collector has not acknowledged yet.
 *
 * <p>Every mutation is one {@link WriteBatch} written through the WAL with sync, so an agent killed
 * mid-write reopens either before or after the whole change, and a seq handed out is never handed
 * out again. Methods are synchronized: the watcher appends while the collector link acks.
 */
public final class AgentState implements AutoCloseable {

  private static final byte[] AGENT_ID = bytes("agent_id");
  private static final byte[] NEXT_SEQ = bytes("next_seq");
  private static final byte[] LAST_ACKED_SEQ = bytes("last_acked_seq");

  static {
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final WriteOptions writeOptions;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles;
  private final ColumnFamilyHandle meta;
  private final ColumnFamilyHandle outbox;
  private final ColumnFamilyHandle latest;
  private final ColumnFamilyHandle layers;
  private final String agentId;
  /** Mirror of the outbox keys, so depth and windowed reads need no scan. */
  private final NavigableSet<Long> outboxSeqs = new TreeSet<>();
  private long nextSeq;
  private long lastAckedSeq;
  private boolean closed;

  private AgentState(Path dir, DBOptions dbOptions, ColumnFamilyOptions cfOptions, RocksDB db,
      List<ColumnFamilyHandle> handles) throws RocksDBException {
    this.dir = dir;
    this.dbOptions = dbOptions;
    this.cfOptions = cfOptions;
    this.writeOptions = new WriteOptions().setSync(true).setDisableWAL(false);
    this.db = db;
    this.handles = handles;
    this.meta = handles.get(1);
    this.outbox = handles.get(2);
    this.latest = handles.get(3);
    this.layers = handles.get(4);

    byte[] id = db.get(meta, AGENT_ID);
    if (id == null) {
      id = bytes(UUID.randomUUID().toString());
      db.put(meta, writeOptions, AGENT_ID, id);
    }
    this.agentId = new String(id, StandardCharsets.UTF_8);
    this.lastAckedSeq = readLong(db.get(meta, LAST_ACKED_SEQ), 0);
    long storedNext = readLong(db.get(meta, NEXT_SEQ), 1);
    try (RocksIterator it = db.newIterator(outbox)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        outboxSeqs.add(decodeSeq(it.key()));
      }
      it.status();
    }
    // next_seq and the outbox are written in one batch, so this max only matters for a hand-edited dir.
    long afterOutbox = outboxSeqs.isEmpty() ? 1 : outboxSeqs.last() + 1;
    this.nextSeq = Math.max(Math.max(storedNext, afterOutbox), lastAckedSeq + 1);
  }

  /**
   * Opens (creating if needed) the state in {@code dir}.
   *
   * @throws AgentStateException if the directory is locked by another running agent, is corrupt
   *     or cannot be read; the message says which and names the directory
   */
  public static AgentState open(Path dir) {
    Objects.requireNonNull(dir, "dir");
    try {
      Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new AgentStateException(dir, "cannot create agent state directory " + dir + ": " + e, e);
    }
    DBOptions dbOptions = new DBOptions()
        .setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true)
        .setParanoidChecks(true)
        .setKeepLogFileNum(3);
    // The agent lives beside production containers: small memtables (RocksDB allocates their
    // arenas in eighths of the write buffer, per column family) and a small block cache. The
    // state is a few MB; nothing here needs RocksDB's server-sized defaults.
    ColumnFamilyOptions cfOptions = new ColumnFamilyOptions()
        .setWriteBufferSize(4L * 1024 * 1024)
        .setTableFormatConfig(new org.rocksdb.BlockBasedTableConfig()
            .setBlockCache(new org.rocksdb.LRUCache(8L * 1024 * 1024)));
    List<ColumnFamilyDescriptor> descriptors = List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
        new ColumnFamilyDescriptor(bytes("meta"), cfOptions),
        new ColumnFamilyDescriptor(bytes("outbox"), cfOptions),
        new ColumnFamilyDescriptor(bytes("latest"), cfOptions),
        new ColumnFamilyDescriptor(bytes("layers"), cfOptions));
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    RocksDB db = null;
    try {
      db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
      return new AgentState(dir, dbOptions, cfOptions, db, handles);
    } catch (RocksDBException e) {
      handles.forEach(ColumnFamilyHandle::close);
      if (db != null) {
        db.close();
      }
      dbOptions.close();
      cfOptions.close();
      throw translate(dir, e);
    }
  }

  private static AgentStateException translate(Path dir, RocksDBException e) {
    Status status = e.getStatus();
    String detail = e.getMessage();
    Status.Code code = status == null ? null : status.getCode();
    String lower = detail == null ? "" : detail.toLowerCase(java.util.Locale.ROOT);
    if (lower.contains("lock")) {
      return new AgentStateException(dir, "agent state directory " + dir
          + " is locked by another running agent (RocksDB LOCK); give each agent its own state directory", e);
    }
    if (code == Status.Code.Corruption || lower.contains("corrupt")) {
      return new AgentStateException(dir, "agent state directory " + dir
          + " is corrupt (" + detail + "); move it aside to start with a fresh agent identity", e);
    }
    return new AgentStateException(dir, "cannot open agent state directory " + dir + ": " + detail, e);
  }

  /** The agent's identity, generated once for this state directory and kept for its lifetime. */
  public String agentId() {
    return agentId;
  }

  /** The highest seq the collector has acknowledged. */
  public synchronized long lastAckedSeq() {
    return lastAckedSeq;
  }

  /** The seq the next appended message will get. */
  public synchronized long nextSeq() {
    return nextSeq;
  }

  /** How many unacknowledged messages the outbox holds. */
  public synchronized int outboxDepth() {
    return outboxSeqs.size();
  }

  /**
   * Assigns the next seq to {@code message}, stores it in the outbox and drops what it
   * supersedes, all in one atomic write.
   *
   * @return the stored message, with its seq
   */
  public synchronized AgentMessage append(AgentMessage.Builder message, Supersedes supersedes) {
    ensureOpen();
    long seq = nextSeq;
    AgentMessage stored = message.clone().setSeq(seq).build();
    List<Long> dropped = new ArrayList<>();
    try (WriteBatch batch = new WriteBatch()) {
      switch (supersedes) {
        case Supersedes.SameObject(String key) -> {
          byte[] previous = db.get(latest, bytes(key));
          if (previous != null) {
            long previousSeq = decodeSeq(previous);
            if (outboxSeqs.contains(previousSeq)) {
              batch.delete(outbox, encodeSeq(previousSeq));
              dropped.add(previousSeq);
            }
          }
          batch.put(latest, bytes(key), encodeSeq(seq));
        }
        case Supersedes.Everything() -> {
          if (!outboxSeqs.isEmpty()) {
            batch.deleteRange(outbox, encodeSeq(0), encodeSeq(seq));
            dropped.addAll(outboxSeqs);
          }
          // Per-object compaction restarts from the snapshot; this also keeps `latest` bounded.
          clearLatest(batch);
        }
        case Supersedes.Nothing() -> {
        }
      }
      batch.put(outbox, encodeSeq(seq), stored.toByteArray());
      batch.put(meta, NEXT_SEQ, encodeSeq(seq + 1));
      db.write(writeOptions, batch);
    } catch (RocksDBException e) {
      throw new AgentStateException(dir, "cannot append to the outbox in " + dir + ": " + e.getMessage(), e);
    }
    dropped.forEach(outboxSeqs::remove);
    outboxSeqs.add(seq);
    nextSeq = seq + 1;
    return stored;
  }

  private void clearLatest(WriteBatch batch) throws RocksDBException {
    try (RocksIterator it = db.newIterator(latest)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        batch.delete(latest, it.key());
      }
      it.status();
    }
  }

  /**
   * Records that the collector committed everything up to {@code seq}: those outbox entries are
   * deleted. Acks are cumulative, so an older ack than the last one changes nothing.
   */
  public synchronized void ack(long seq) {
    ensureOpen();
    if (seq <= lastAckedSeq && (outboxSeqs.isEmpty() || outboxSeqs.first() > seq)) {
      return;
    }
    long newAcked = Math.max(lastAckedSeq, seq);
    try (WriteBatch batch = new WriteBatch()) {
      batch.deleteRange(outbox, encodeSeq(0), encodeSeq(seq + 1));
      batch.put(meta, LAST_ACKED_SEQ, encodeSeq(newAcked));
      // A collector that committed more than this agent remembers issuing (state restored from
      // a backup) would drop our next messages as replays, so move past its number.
      long newNext = Math.max(nextSeq, newAcked + 1);
      batch.put(meta, NEXT_SEQ, encodeSeq(newNext));
      db.write(writeOptions, batch);
      nextSeq = newNext;
    } catch (RocksDBException e) {
      throw new AgentStateException(dir, "cannot record ack " + seq + " in " + dir + ": " + e.getMessage(), e);
    }
    outboxSeqs.headSet(seq, true).clear();
    lastAckedSeq = newAcked;
  }

  /** The cached findings stored under {@code key} in the layer cache, if any. */
  public synchronized java.util.Optional<byte[]> cachedLayer(String key) {
    ensureOpen();
    try {
      return java.util.Optional.ofNullable(db.get(layers, bytes(key)));
    } catch (RocksDBException e) {
      throw new AgentStateException(dir, "cannot read the layer cache in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Stores one layer's findings; a cache write need not be synced, it can always be recomputed. */
  public synchronized void cacheLayer(String key, byte[] value) {
    ensureOpen();
    try (WriteOptions relaxed = new WriteOptions().setSync(false)) {
      db.put(layers, relaxed, bytes(key), value);
    } catch (RocksDBException e) {
      throw new AgentStateException(dir, "cannot write the layer cache in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Deletes the cache entries whose key {@code keep} rejects; returns how many went. */
  public synchronized int pruneLayers(java.util.function.Predicate<String> keep) {
    ensureOpen();
    int removed = 0;
    try (WriteBatch batch = new WriteBatch(); RocksIterator it = db.newIterator(layers)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        if (!keep.test(new String(it.key(), StandardCharsets.UTF_8))) {
          batch.delete(layers, it.key());
          removed++;
        }
      }
      it.status();
      if (removed > 0) db.write(writeOptions, batch);
    } catch (RocksDBException e) {
      throw new AgentStateException(dir, "cannot prune the layer cache in " + dir + ": " + e.getMessage(), e);
    }
    return removed;
  }

  /** All unacknowledged messages with a seq above {@code afterSeq}, in seq order. */
  public List<AgentMessage> pending(long afterSeq) {
    return pending(afterSeq, Integer.MAX_VALUE);
  }

  /** At most {@code limit} unacknowledged messages with a seq above {@code afterSeq}, in seq order. */
  public synchronized List<AgentMessage> pending(long afterSeq, int limit) {
    ensureOpen();
    List<AgentMessage> result = new ArrayList<>();
    if (limit <= 0) {
      return result;
    }
    try {
      for (long seq : outboxSeqs.tailSet(afterSeq, false)) {
        byte[] value = db.get(outbox, encodeSeq(seq));
        if (value == null) {
          continue;
        }
        result.add(AgentMessage.parseFrom(value));
        if (result.size() >= limit) {
          break;
        }
      }
    } catch (RocksDBException e) {
      throw new AgentStateException(dir, "cannot read the outbox in " + dir + ": " + e.getMessage(), e);
    } catch (InvalidProtocolBufferException e) {
      throw new AgentStateException(dir, "corrupt outbox entry in " + dir + ": " + e.getMessage(), e);
    }
    return result;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("agent state " + dir + " is closed");
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    handles.forEach(ColumnFamilyHandle::close);
    db.close();
    writeOptions.close();
    dbOptions.close();
    cfOptions.close();
  }

  static byte[] encodeSeq(long seq) {
    return ByteBuffer.allocate(Long.BYTES).putLong(seq).array();
  }

  static long decodeSeq(byte[] bytes) {
    return ByteBuffer.wrap(bytes).getLong();
  }

  private static long readLong(byte[] bytes, long fallback) {
    return bytes == null ? fallback : decodeSeq(bytes);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
