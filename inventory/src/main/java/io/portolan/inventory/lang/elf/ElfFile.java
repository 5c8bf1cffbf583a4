package io.portolan.inventory.lang.elf;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.BoundedInput;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The parts of an ELF file that embedded package metadata needs: section headers by name and the
 * loadable segments that map virtual addresses to file offsets. It is public because the Rust
 * analyzer reads {@code .dep-v0} sections through it too. Every read is bounds-checked and fails
 * with an {@link AnalysisException} naming the file and offset; nothing is executed.
 *
 * <p>The bytes come from memory (a file read from a layer stream) or from a channel (a file
 * overlay2 keeps on disk). From a channel only the headers, the section name table and the
 * sections asked for are read, a few kilobytes however large the binary.
 */
public final class ElfFile {
  /** The ELF magic; callers test it before reading a whole file. */
  public static final int MAGIC_LENGTH = 4;

  private static final int PT_LOAD = 1;
  private static final int PF_W = 2;
  private static final int SHT_NOBITS = 8;
  private static final int MAX_SECTIONS = 65_535;
  /** Program and section header tables are a few kilobytes; this bounds a corrupt count. */
  private static final long MAX_TABLE_BYTES = 64L * 65_535;

  /** One section header; {@code offset}/{@code size} are file positions, {@code addr} virtual. */
  public record Section(String name, int type, long addr, long offset, long size) {}

  /** One program header. */
  public record Segment(int type, int flags, long offset, long vaddr, long fileSize) {
    public boolean writable() {
      return (flags & PF_W) != 0;
    }
  }

  /** Where the file's bytes are read from. */
  private interface Bytes {
    long length();

    void read(long offset, byte[] into) throws IOException;
  }

  private record Memory(byte[] data) implements Bytes {
    @Override
    public long length() {
      return data.length;
    }

    @Override
    public void read(long offset, byte[] into) {
      System.arraycopy(data, (int) offset, into, 0, into.length);
    }
  }

  private record Channel(SeekableByteChannel channel, long length) implements Bytes {
    @Override
    public void read(long offset, byte[] into) throws IOException {
      channel.position(offset);
      ByteBuffer buffer = ByteBuffer.wrap(into);
      while (buffer.hasRemaining()) {
        if (channel.read(buffer) < 0) {
          throw new IOException("unexpected end of file at offset " + (offset + buffer.position()));
        }
      }
    }
  }

  private final String path;
  private final Bytes bytes;
  private final long maxRead;
  private final boolean is64;
  private final boolean littleEndian;
  private final List<Section> sections;
  private final List<Segment> segments;

  private ElfFile(String path, Bytes bytes, long maxRead) throws AnalysisException {
    this.path = path;
    this.bytes = bytes;
    this.maxRead = maxRead;
    byte[] header = slice(0, Math.min(64, bytes.length()), "ELF header");
    if (!isElf(header)) {
      throw new AnalysisException(path + ": not an ELF file (at offset 0)");
    }
    need(0, 52);
    int cls = header[4];
    int enc = header[5];
    if (cls != 1 && cls != 2) {
      throw new AnalysisException(path + ": unknown ELF class " + cls + " (at offset 4)");
    }
    if (enc != 1 && enc != 2) {
      throw new AnalysisException(path + ": unknown ELF data encoding " + enc + " (at offset 5)");
    }
    is64 = cls == 2;
    littleEndian = enc == 1;
    need(0, is64 ? 64 : 52);
    long phoff = is64 ? u64(header, 32) : u32(header, 28);
    long shoff = is64 ? u64(header, 40) : u32(header, 32);
    int phentsize = u16(header, is64 ? 54 : 42);
    int phnum = u16(header, is64 ? 56 : 44);
    int shentsize = u16(header, is64 ? 58 : 46);
    int shnum = u16(header, is64 ? 60 : 48);
    int shstrndx = u16(header, is64 ? 62 : 50);
    segments = readSegments(phoff, phentsize, phnum);
    sections = readSections(shoff, shentsize, shnum, shstrndx);
  }

  /** Whether {@code head} starts with {@code \x7fELF}. */
  public static boolean isElf(byte[] head) {
    return head.length >= 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';
  }

  /**
   * Reads an ELF file from {@code content}, or returns empty after the first four bytes when they
   * are not the ELF magic, so that a caller wanting every file pays almost nothing for non-ELF ones.
   */
  public static Optional<ElfFile> read(String path, InputStream content, long size, long max) throws IOException {
    byte[] head = content.readNBytes(MAGIC_LENGTH);
    if (!isElf(head)) {
      return Optional.empty();
    }
    byte[] rest = BoundedInput.readAll(path, content, Math.max(0, size - MAGIC_LENGTH), max - MAGIC_LENGTH);
    byte[] all = new byte[head.length + rest.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(rest, 0, all, head.length, rest.length);
    return Optional.of(new ElfFile(path, new Memory(all), max));
  }

  /**
   * Opens an ELF file over {@code channel} ({@code size} bytes), or returns empty when it does not
   * start with the ELF magic. Reads happen on demand; no single read exceeds {@code maxRead} bytes.
   */
  public static Optional<ElfFile> read(String path, SeekableByteChannel channel, long size, long maxRead)
      throws IOException {
    if (size < MAGIC_LENGTH) {
      return Optional.empty();
    }
    byte[] head = new byte[MAGIC_LENGTH];
    Channel source = new Channel(channel, size);
    source.read(0, head);
    if (!isElf(head)) {
      return Optional.empty();
    }
    return Optional.of(new ElfFile(path, source, maxRead));
  }

  /** Parses an ELF image already in memory. */
  public static ElfFile parse(String path, byte[] data) throws AnalysisException {
    return new ElfFile(path, new Memory(data), Long.MAX_VALUE);
  }

  public String path() {
    return path;
  }

  public boolean is64() {
    return is64;
  }

  public boolean littleEndian() {
    return littleEndian;
  }

  public List<Section> sections() {
    return sections;
  }

  public List<Segment> segments() {
    return segments;
  }

  public Optional<Section> section(String name) {
    return sections.stream().filter(s -> s.name().equals(name)).findFirst();
  }

  /** The file bytes of a section; a {@code NOBITS} section (.bss) has none. */
  public byte[] bytes(Section s) throws AnalysisException {
    if (s.type() == SHT_NOBITS) {
      return new byte[0];
    }
    return slice(s.offset(), s.size(), "section " + s.name());
  }

  /** The file bytes of a segment. */
  public byte[] bytes(Segment s) throws AnalysisException {
    return slice(s.offset(), s.fileSize(), "segment at vaddr 0x" + Long.toHexString(s.vaddr()));
  }

  /** {@code length} bytes at virtual address {@code vaddr}, through the loadable segments. */
  public byte[] atAddress(long vaddr, long length) throws AnalysisException {
    for (Segment s : segments) {
      if (s.type() == PT_LOAD && vaddr >= s.vaddr() && vaddr - s.vaddr() < s.fileSize()) {
        long delta = vaddr - s.vaddr();
        if (length > s.fileSize() - delta) {
          break;
        }
        return slice(s.offset() + delta, length, "address 0x" + Long.toHexString(vaddr));
      }
    }
    throw new AnalysisException(path + ": virtual address 0x" + Long.toHexString(vaddr) + " (+" + length
        + " bytes) is not in any loaded segment of the file");
  }

  /** The writable loadable segments, where Go keeps its build info when sections are stripped. */
  public List<Segment> writableLoadSegments() {
    return segments.stream().filter(s -> s.type() == PT_LOAD && s.writable()).toList();
  }

  private List<Segment> readSegments(long phoff, int entsize, int num) throws AnalysisException {
    List<Segment> out = new ArrayList<>();
    if (phoff == 0 || num == 0) {
      return out;
    }
    int min = is64 ? 56 : 32;
    if (entsize < min) {
      throw new AnalysisException(path + ": program header size " + entsize + " too small (at offset "
          + (is64 ? 54 : 42) + ")");
    }
    byte[] table = table(phoff, (long) entsize * num, "program header table");
    for (int i = 0; i < num; i++) {
      int p = i * entsize;
      if (is64) {
        out.add(new Segment((int) u32(table, p), (int) u32(table, p + 4), u64(table, p + 8), u64(table, p + 16),
            u64(table, p + 32)));
      } else {
        out.add(new Segment((int) u32(table, p), (int) u32(table, p + 24), u32(table, p + 4), u32(table, p + 8),
            u32(table, p + 16)));
      }
    }
    return out;
  }

  private List<Section> readSections(long shoff, int entsize, int num, int strndx) throws AnalysisException {
    List<Section> out = new ArrayList<>();
    if (shoff == 0 || num == 0) {
      return out;
    }
    int min = is64 ? 64 : 40;
    if (entsize < min) {
      throw new AnalysisException(path + ": section header size " + entsize + " too small (at offset "
          + (is64 ? 58 : 46) + ")");
    }
    if (num > MAX_SECTIONS || strndx >= num) {
      throw new AnalysisException(path + ": section name table index " + strndx + " outside " + num
          + " sections (at offset " + (is64 ? 62 : 50) + ")");
    }
    byte[] table = table(shoff, (long) entsize * num, "section header table");
    long[][] raw = new long[num][];
    for (int i = 0; i < num; i++) {
      int p = i * entsize;
      raw[i] = is64
          ? new long[] {u32(table, p), u32(table, p + 4), u64(table, p + 16), u64(table, p + 24), u64(table, p + 32)}
          : new long[] {u32(table, p), u32(table, p + 4), u32(table, p + 12), u32(table, p + 16), u32(table, p + 20)};
    }
    long[] str = raw[strndx];
    byte[] names = (int) str[1] == SHT_NOBITS ? new byte[0] : slice(str[3], str[4], "section name table");
    for (long[] r : raw) {
      out.add(new Section(name(names, r[0]), (int) r[1], r[2], r[3], r[4]));
    }
    return out;
  }

  private byte[] table(long offset, long length, String what) throws AnalysisException {
    if (length > MAX_TABLE_BYTES) {
      throw new AnalysisException(path + ": " + what + " of " + length + " bytes at offset " + offset
          + " is implausibly large");
    }
    return slice(offset, length, what);
  }

  private String name(byte[] names, long offset) {
    if (offset < 0 || offset >= names.length) {
      return "";
    }
    int end = (int) offset;
    while (end < names.length && names[end] != 0) {
      end++;
    }
    return new String(names, (int) offset, end - (int) offset, StandardCharsets.ISO_8859_1);
  }

  private byte[] slice(long offset, long length, String what) throws AnalysisException {
    need(offset, length, what);
    if (length > maxRead || length > Integer.MAX_VALUE - 8) {
      throw new AnalysisException(path + ": " + what + " at offset " + offset + " is " + length
          + " bytes, more than the " + maxRead + "-byte read limit");
    }
    byte[] out = new byte[(int) length];
    try {
      bytes.read(offset, out);
    } catch (IOException e) {
      throw new AnalysisException(path + ": cannot read " + what + " at offset " + offset + ": " + e.getMessage(), e);
    }
    return out;
  }

  private void need(long offset, long length) throws AnalysisException {
    need(offset, length, "ELF header data");
  }

  private void need(long offset, long length, String what) throws AnalysisException {
    long size = bytes.length();
    if (offset < 0 || length < 0 || offset > size || length > size - offset) {
      throw new AnalysisException(path + ": " + what + " at offset " + Long.toUnsignedString(offset) + " ("
          + Long.toUnsignedString(length) + " bytes) runs past the end of the " + size + "-byte file");
    }
  }

  private int u16(byte[] b, int p) {
    return littleEndian
        ? (b[p] & 0xff) | (b[p + 1] & 0xff) << 8
        : (b[p] & 0xff) << 8 | (b[p + 1] & 0xff);
  }

  private long u32(byte[] b, int p) {
    return littleEndian
        ? (long) u16(b, p) | (long) u16(b, p + 2) << 16
        : (long) u16(b, p) << 16 | (long) u16(b, p + 2);
  }

  private long u64(byte[] b, int p) {
    return littleEndian ? u32(b, p) | u32(b, p + 4) << 32 : u32(b, p) << 32 | u32(b, p + 4);
  }
}
