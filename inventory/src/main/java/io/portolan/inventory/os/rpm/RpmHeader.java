package io.portolan.inventory.os.rpm;

import io.portolan.inventory.analyzer.AnalysisException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The tags Portolan needs from one rpm header blob, as every rpmdb backend stores it: {@code il}
 * and {@code dl} (big-endian), {@code il} 16-byte index entries {tag, type, offset, count}, then
 * {@code dl} bytes of data. Every offset and count is checked against the blob before use, since a
 * database file is untrusted input. {@code files} are the installed paths (relative), from the
 * compressed file list: file {@code i} is {@code DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]}.
 */
record RpmHeader(String name, OptionalInt epoch, String version, String release, String arch, String sourceRpm,
    String license, String vendor, List<String> files) {

  static final int TAG_NAME = 1000;
  static final int TAG_VERSION = 1001;
  static final int TAG_RELEASE = 1002;
  static final int TAG_EPOCH = 1003;
  static final int TAG_VENDOR = 1011;
  static final int TAG_LICENSE = 1014;
  static final int TAG_ARCH = 1022;
  static final int TAG_SOURCERPM = 1044;
  static final int TAG_DIRINDEXES = 1116;
  static final int TAG_BASENAMES = 1117;
  static final int TAG_DIRNAMES = 1118;

  private static final int TYPE_INT32 = 4;
  private static final int TYPE_STRING = 6;
  private static final int TYPE_STRING_ARRAY = 8;
  private static final int TYPE_I18NSTRING = 9;
  /** rpm's own sanity limits (hdrchkTags / hdrchkData in header.c). */
  private static final int MAX_TAGS = 0xffff;
  private static final int MAX_DATA = 0x0fffffff;

  /** Parses {@code blob}; {@code where} names the file and the record, for error messages. */
  static RpmHeader parse(String where, byte[] blob) throws AnalysisException {
    if (blob.length < 8) {
      throw new AnalysisException(where + ": header blob of " + blob.length
          + " bytes is shorter than its 8-byte preamble");
    }
    long il = u32(blob, 0);
    long dl = u32(blob, 4);
    if (il < 1 || il > MAX_TAGS) {
      throw new AnalysisException(where + ": bogus index count " + il + " at blob offset 0");
    }
    if (dl > MAX_DATA) {
      throw new AnalysisException(where + ": bogus data length " + dl + " at blob offset 4");
    }
    long dataStart = 8 + 16 * il;
    if (dataStart + dl > blob.length) {
      throw new AnalysisException(where + ": header needs " + (dataStart + dl) + " bytes but the blob has "
          + blob.length + " (truncated)");
    }
    String[] strings = new String[8];
    Integer epoch = null;
    String[] baseNames = null;
    String[] dirNames = null;
    long[] dirIndexes = null;
    for (int i = 0; i < il; i++) {
      int e = 8 + 16 * i;
      int tag = (int) u32(blob, e);
      long type = u32(blob, e + 4);
      long offset = u32(blob, e + 8);
      long count = u32(blob, e + 12);
      int slot = slot(tag);
      boolean fileList = tag == TAG_BASENAMES || tag == TAG_DIRNAMES || tag == TAG_DIRINDEXES;
      if (slot < 0 && tag != TAG_EPOCH && !fileList) {
        continue;
      }
      String at = where + ": tag " + tag + " (index entry at blob offset " + e + ")";
      if (offset >= dl || count < 1 || count > dl) {
        throw new AnalysisException(at + " has bogus offset " + offset + " / count " + count
            + " for data length " + dl);
      }
      if (tag == TAG_DIRINDEXES) {
        if (type != TYPE_INT32 || offset + 4 * count > dl) {
          throw new AnalysisException(at + " has unexpected type " + type + " or size " + count);
        }
        dirIndexes = new long[(int) count];
        for (int k = 0; k < count; k++) {
          dirIndexes[k] = u32(blob, (int) (dataStart + offset + 4L * k));
        }
        continue;
      }
      if (tag == TAG_BASENAMES || tag == TAG_DIRNAMES) {
        if (type != TYPE_STRING_ARRAY) {
          throw new AnalysisException(at + " has type " + type + ", expected a string array");
        }
        String[] array = stringArray(at, blob, (int) (dataStart + offset), (int) (dataStart + dl), (int) count);
        if (tag == TAG_BASENAMES) {
          baseNames = array;
        } else {
          dirNames = array;
        }
        continue;
      }
      if (tag == TAG_EPOCH) {
        if (type != TYPE_INT32 || offset + 4 > dl) {
          throw new AnalysisException(at + " has unexpected type " + type + " or offset " + offset);
        }
        if (epoch == null) {
          epoch = (int) u32(blob, (int) (dataStart + offset));
        }
        continue;
      }
      if (type != TYPE_STRING && type != TYPE_I18NSTRING && type != TYPE_STRING_ARRAY) {
        throw new AnalysisException(at + " has type " + type + ", expected a string");
      }
      if (strings[slot] == null) {
        // For arrays (and translated strings) the first element is the untranslated value.
        strings[slot] = cString(at, blob, (int) (dataStart + offset), (int) (dataStart + dl));
      }
    }
    if (strings[slot(TAG_NAME)] == null || strings[slot(TAG_VERSION)] == null) {
      throw new AnalysisException(where + ": header has no NAME or VERSION tag");
    }
    return new RpmHeader(str(strings, TAG_NAME), epoch == null ? OptionalInt.empty() : OptionalInt.of(epoch),
        str(strings, TAG_VERSION), str(strings, TAG_RELEASE), str(strings, TAG_ARCH), str(strings, TAG_SOURCERPM),
        str(strings, TAG_LICENSE), str(strings, TAG_VENDOR), files(where, baseNames, dirNames, dirIndexes));
  }

  private static List<String> files(String where, String[] baseNames, String[] dirNames, long[] dirIndexes)
      throws AnalysisException {
    if (baseNames == null) {
      return List.of();
    }
    if (dirNames == null || dirIndexes == null || dirIndexes.length != baseNames.length) {
      throw new AnalysisException(where + ": BASENAMES without matching DIRNAMES and DIRINDEXES");
    }
    List<String> files = new ArrayList<>(baseNames.length);
    for (int i = 0; i < baseNames.length; i++) {
      if (dirIndexes[i] < 0 || dirIndexes[i] >= dirNames.length) {
        throw new AnalysisException(where + ": DIRINDEXES[" + i + "] = " + dirIndexes[i] + " outside "
            + dirNames.length + " DIRNAMES");
      }
      String path = dirNames[(int) dirIndexes[i]] + baseNames[i];
      files.add(path.startsWith("/") ? path.substring(1) : path);
    }
    return files;
  }

  private static String[] stringArray(String at, byte[] blob, int start, int limit, int count)
      throws AnalysisException {
    String[] out = new String[count];
    int p = start;
    for (int i = 0; i < count; i++) {
      out[i] = cString(at, blob, p, limit);
      p = next(blob, p, limit) + 1;
    }
    return out;
  }

  private static int next(byte[] blob, int start, int limit) {
    int i = start;
    while (i < limit && blob[i] != 0) {
      i++;
    }
    return i;
  }

  private static int slot(int tag) {
    return switch (tag) {
      case TAG_NAME -> 0;
      case TAG_VERSION -> 1;
      case TAG_RELEASE -> 2;
      case TAG_ARCH -> 3;
      case TAG_SOURCERPM -> 4;
      case TAG_LICENSE -> 5;
      case TAG_VENDOR -> 6;
      default -> -1;
    };
  }

  private static String str(String[] strings, int tag) {
    String s = strings[slot(tag)];
    return s == null ? "" : s;
  }

  private static String cString(String at, byte[] blob, int start, int limit) throws AnalysisException {
    for (int i = start; i < limit; i++) {
      if (blob[i] == 0) {
        return new String(blob, start, i - start, StandardCharsets.UTF_8);
      }
    }
    throw new AnalysisException(at + ": string at blob offset " + start + " is not terminated inside the data store");
  }

  static long u32(byte[] b, int off) {
    return ((b[off] & 0xffL) << 24) | ((b[off + 1] & 0xffL) << 16) | ((b[off + 2] & 0xffL) << 8) | (b[off + 3] & 0xffL);
  }
}
