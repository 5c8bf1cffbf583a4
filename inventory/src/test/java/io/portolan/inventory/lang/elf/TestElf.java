package io.portolan.inventory.lang.elf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes minimal ELF files for the tests (no Go or cargo-auditable toolchain needed): an ELF
 * header, one read-write {@code PT_LOAD} segment mapping the whole file at {@link #BASE}, the given
 * sections and a {@code .shstrtab}. With {@link #stripSections} the section table is left out, as
 * {@code sstrip} does, so readers must fall back to the segments.
 */
public final class TestElf {
  public static final long BASE = 0x400000;

  private final boolean is64;
  private final boolean little;
  private final List<String> names = new ArrayList<>();
  private final List<byte[]> contents = new ArrayList<>();
  private boolean stripSections;

  private TestElf(boolean is64, boolean little) {
    this.is64 = is64;
    this.little = little;
  }

  public static TestElf elf64() {
    return new TestElf(true, true);
  }

  public static TestElf elf32BigEndian() {
    return new TestElf(false, false);
  }

  public boolean is64() {
    return is64;
  }

  public boolean littleEndian() {
    return little;
  }

  public TestElf section(String name, byte[] content) {
    names.add(name);
    contents.add(content);
    return this;
  }

  public TestElf stripSections() {
    stripSections = true;
    return this;
  }

  /** The file offset the next added section will get, 16-aligned after the headers. */
  public long nextSectionOffset() {
    long at = headerSize() + phentsize();
    for (byte[] c : contents) {
      at = align(at) + c.length;
    }
    return align(at);
  }

  public byte[] build() {
    int ehsize = headerSize();
    int phentsize = phentsize();
    long[] offsets = new long[contents.size()];
    long at = ehsize + phentsize;
    for (int i = 0; i < contents.size(); i++) {
      at = align(at);
      offsets[i] = at;
      at += contents.get(i).length;
    }
    ByteArrayOutputStream strtab = new ByteArrayOutputStream();
    strtab.write(0);
    int[] nameOffsets = new int[names.size() + 1];
    for (int i = 0; i < names.size(); i++) {
      nameOffsets[i] = strtab.size();
      strtab.writeBytes((names.get(i) + "\0").getBytes(StandardCharsets.ISO_8859_1));
    }
    nameOffsets[names.size()] = strtab.size();
    strtab.writeBytes(".shstrtab\0".getBytes(StandardCharsets.ISO_8859_1));
    long strOffset = align(at);
    long shoff = align(strOffset + strtab.size());
    int shentsize = is64 ? 64 : 40;
    int shnum = stripSections ? 0 : names.size() + 2;
    long total = stripSections ? strOffset : shoff + (long) shnum * shentsize;
    byte[] out = new byte[(int) total];

    out[0] = 0x7f;
    out[1] = 'E';
    out[2] = 'L';
    out[3] = 'F';
    out[4] = (byte) (is64 ? 2 : 1);
    out[5] = (byte) (little ? 1 : 2);
    out[6] = 1;
    put(out, 16, 2, 2); // ET_EXEC
    put(out, 18, 2, is64 ? 62 : 8);
    put(out, 20, 4, 1);
    if (is64) {
      put(out, 24, 8, BASE);
      put(out, 32, 8, ehsize);
      put(out, 40, 8, stripSections ? 0 : shoff);
      put(out, 52, 2, ehsize);
      put(out, 54, 2, phentsize);
      put(out, 56, 2, 1);
      put(out, 58, 2, shentsize);
      put(out, 60, 2, shnum);
      put(out, 62, 2, stripSections ? 0 : shnum - 1);
    } else {
      put(out, 24, 4, BASE);
      put(out, 28, 4, ehsize);
      put(out, 32, 4, stripSections ? 0 : shoff);
      put(out, 40, 2, ehsize);
      put(out, 42, 2, phentsize);
      put(out, 44, 2, 1);
      put(out, 46, 2, shentsize);
      put(out, 48, 2, shnum);
      put(out, 50, 2, stripSections ? 0 : shnum - 1);
    }
    int ph = ehsize;
    long fileSize = stripSections ? total : strOffset;
    if (is64) {
      put(out, ph, 4, 1);
      put(out, ph + 4, 4, 6); // PF_R | PF_W
      put(out, ph + 8, 8, 0);
      put(out, ph + 16, 8, BASE);
      put(out, ph + 24, 8, BASE);
      put(out, ph + 32, 8, fileSize);
      put(out, ph + 40, 8, fileSize);
      put(out, ph + 48, 8, 0x1000);
    } else {
      put(out, ph, 4, 1);
      put(out, ph + 4, 4, 0);
      put(out, ph + 8, 4, BASE);
      put(out, ph + 12, 4, BASE);
      put(out, ph + 16, 4, fileSize);
      put(out, ph + 20, 4, fileSize);
      put(out, ph + 24, 4, 6);
      put(out, ph + 28, 4, 0x1000);
    }
    for (int i = 0; i < contents.size(); i++) {
      System.arraycopy(contents.get(i), 0, out, (int) offsets[i], contents.get(i).length);
    }
    if (stripSections) {
      return out;
    }
    byte[] str = strtab.toByteArray();
    System.arraycopy(str, 0, out, (int) strOffset, str.length);
    for (int i = 0; i <= names.size(); i++) {
      int sh = (int) shoff + (i + 1) * shentsize;
      boolean strtabEntry = i == names.size();
      long offset = strtabEntry ? strOffset : offsets[i];
      long size = strtabEntry ? str.length : contents.get(i).length;
      int type = strtabEntry ? 3 : 1;
      if (is64) {
        put(out, sh, 4, nameOffsets[i]);
        put(out, sh + 4, 4, type);
        put(out, sh + 16, 8, strtabEntry ? 0 : BASE + offset);
        put(out, sh + 24, 8, offset);
        put(out, sh + 32, 8, size);
      } else {
        put(out, sh, 4, nameOffsets[i]);
        put(out, sh + 4, 4, type);
        put(out, sh + 12, 4, strtabEntry ? 0 : BASE + offset);
        put(out, sh + 16, 4, offset);
        put(out, sh + 20, 4, size);
      }
    }
    return out;
  }

  /** Writes {@code value} in this file's byte order. */
  public void put(byte[] b, int at, int size, long value) {
    for (int i = 0; i < size; i++) {
      int shift = little ? 8 * i : 8 * (size - 1 - i);
      b[at + i] = (byte) (value >>> shift);
    }
  }

  private int headerSize() {
    return is64 ? 64 : 52;
  }

  private int phentsize() {
    return is64 ? 56 : 32;
  }

  private static long align(long at) {
    return (at + 15) & ~15L;
  }
}
