package io.portolan.inventory.lang.golang;

import io.portolan.inventory.lang.elf.ElfFile;
import io.portolan.inventory.analyzer.AnalysisException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * Decodes the build info block the Go linker writes into every binary ({@code runtime/debug}
 * reads the same bytes at run time). The block is 16-byte aligned and starts with the 14-byte
 * magic, a pointer size and a flags byte (bit 0: big endian, bit 1: inline strings):
 *
 * <ul>
 *   <li>Go 1.18 and later inline the toolchain version and the module info as two uvarint-prefixed
 *       strings right after the 32-byte header;
 *   <li>older toolchains store two pointers at offset 16 to Go string headers (data pointer,
 *       length), which have to be resolved through the ELF segments.
 * </ul>
 *
 * The module info string is framed by two 16-byte sentinels, stripped here as {@code
 * debug/buildinfo} does.
 */
record GoBuildInfo(String goVersion, String modInfo, boolean inline) {
  static final byte[] MAGIC = "\u00ff Go buildinf:".getBytes(StandardCharsets.ISO_8859_1);
  private static final int HEADER = 32;
  private static final int FLAG_BIG_ENDIAN = 1;
  private static final int FLAG_INLINE = 2;
  // Both strings are far smaller in practice; the bound keeps a corrupt length from allocating.
  private static final int MAX_STRING = 16 * 1024 * 1024;

  /**
   * Finds and decodes the block: in {@code .go.buildinfo} when the section table survived, else in
   * the writable loadable segments (where the linker puts it), searching 16-byte aligned offsets.
   * Empty when the file is an ELF file but not a Go binary.
   */
  static Optional<GoBuildInfo> read(ElfFile elf) throws AnalysisException {
    Optional<ElfFile.Section> section = elf.section(".go.buildinfo");
    if (section.isPresent()) {
      byte[] data = elf.bytes(section.get());
      int at = find(data);
      if (at < 0) {
        throw new AnalysisException(elf.path() + ": section .go.buildinfo at offset " + section.get().offset()
            + " has no build info magic");
      }
      return Optional.of(decode(elf, data, at, section.get().offset()));
    }
    for (ElfFile.Segment segment : elf.writableLoadSegments()) {
      byte[] data = elf.bytes(segment);
      int at = find(data);
      if (at >= 0) {
        return Optional.of(decode(elf, data, at, segment.offset()));
      }
    }
    return Optional.empty();
  }

  private static int find(byte[] data) {
    for (int i = 0; i + HEADER <= data.length; i += 16) {
      if (Arrays.equals(data, i, i + MAGIC.length, MAGIC, 0, MAGIC.length)) {
        return i;
      }
    }
    return -1;
  }

  private static GoBuildInfo decode(ElfFile elf, byte[] data, int at, long fileOffset) throws AnalysisException {
    int ptrSize = data[at + 14];
    int flags = data[at + 15];
    long where = fileOffset + at;
    if ((flags & FLAG_INLINE) != 0) {
      int[] pos = {at + HEADER};
      byte[] version = varintString(elf, data, pos, fileOffset);
      byte[] mod = varintString(elf, data, pos, fileOffset);
      return new GoBuildInfo(utf8(version), utf8(stripSentinels(mod)), true);
    }
    if (ptrSize != 4 && ptrSize != 8) {
      throw new AnalysisException(elf.path() + ": build info pointer size " + ptrSize + " (at offset " + (where + 14)
          + ")");
    }
    boolean big = (flags & FLAG_BIG_ENDIAN) != 0;
    if (at + 16 + 2L * ptrSize > data.length) {
      throw new AnalysisException(elf.path() + ": build info header truncated (at offset " + where + ")");
    }
    long versionPtr = pointer(data, at + 16, ptrSize, big);
    long modPtr = pointer(data, at + 16 + ptrSize, ptrSize, big);
    byte[] version = goString(elf, versionPtr, ptrSize, big);
    byte[] mod = goString(elf, modPtr, ptrSize, big);
    return new GoBuildInfo(utf8(version), utf8(stripSentinels(mod)), false);
  }

  /** Reads a Go string header (data pointer, length) at {@code addr} and then its bytes. */
  private static byte[] goString(ElfFile elf, long addr, int ptrSize, boolean big) throws AnalysisException {
    byte[] header = elf.atAddress(addr, 2L * ptrSize);
    long dataPtr = pointer(header, 0, ptrSize, big);
    long length = pointer(header, ptrSize, ptrSize, big);
    if (length < 0 || length > MAX_STRING) {
      throw new AnalysisException(elf.path() + ": build info string at address 0x" + Long.toHexString(addr)
          + " claims " + Long.toUnsignedString(length) + " bytes");
    }
    return length == 0 ? new byte[0] : elf.atAddress(dataPtr, length);
  }

  private static long pointer(byte[] b, int p, int size, boolean big) {
    long v = 0;
    for (int i = 0; i < size; i++) {
      int shift = big ? 8 * (size - 1 - i) : 8 * i;
      v |= (long) (b[p + i] & 0xff) << shift;
    }
    return v;
  }

  private static byte[] varintString(ElfFile elf, byte[] data, int[] pos, long fileOffset) throws AnalysisException {
    int start = pos[0];
    long length = 0;
    int shift = 0;
    while (true) {
      if (pos[0] >= data.length) {
        throw new AnalysisException(elf.path() + ": build info string length truncated (at offset "
            + (fileOffset + start) + ")");
      }
      int b = data[pos[0]++] & 0xff;
      length |= (long) (b & 0x7f) << shift;
      if (b < 0x80) {
        break;
      }
      shift += 7;
      if (shift > 35) {
        throw new AnalysisException(elf.path() + ": build info string length overflows (at offset "
            + (fileOffset + start) + ")");
      }
    }
    if (length > MAX_STRING || length > data.length - pos[0]) {
      throw new AnalysisException(elf.path() + ": build info string of " + length + " bytes runs past the data"
          + " (at offset " + (fileOffset + start) + ")");
    }
    byte[] s = Arrays.copyOfRange(data, pos[0], pos[0] + (int) length);
    pos[0] += (int) length;
    return s;
  }

  /** {@code debug/buildinfo}: 16 sentinel bytes either side, the last line ending just before the tail. */
  static byte[] stripSentinels(byte[] mod) {
    if (mod.length >= 33 && mod[mod.length - 17] == '\n') {
      return Arrays.copyOfRange(mod, 16, mod.length - 16);
    }
    return mod;
  }

  private static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
