package io.portolan.vuln.version;

/**
 * Alpine versions ({@code digits{.digits}[letter]{_suffix[n]}[-rN]}), a port of the tokenizer and
 * comparison in apk-tools src/version.c: pre-release suffixes _alpha, _beta, _pre, _rc sort below
 * no suffix, and _cvs, _svn, _git, _hg, _p above; a number with leading zeros after a dot sorts
 * below any number without them.
 *
 * <p>Strings the grammar rejects are compared the way apk compares them: token by token until the
 * first invalid token, which then decides. Numbers of 18 digits or more are invalid tokens in apk,
 * so no number overflows. apk reads bytes; characters outside ASCII are neither digits nor letters
 * here, as in apk's C locale.
 */
final class ApkVersion implements VersionScheme {
  private static final int INVALID = -1;
  private static final int DIGIT_OR_ZERO = 0;
  private static final int DIGIT = 1;
  private static final int LETTER = 2;
  private static final int SUFFIX = 3;
  private static final int SUFFIX_NO = 4;
  private static final int REVISION_NO = 5;
  private static final int END = 6;

  private static final String[] PRE_SUFFIXES = {"alpha", "beta", "pre", "rc"};
  private static final String[] POST_SUFFIXES = {"cvs", "svn", "git", "hg", "p"};

  @Override
  public String name() {
    return "apk";
  }

  @Override
  public int compare(String a, String b) {
    Tokenizer x = new Tokenizer(a == null ? "" : a);
    Tokenizer y = new Tokenizer(b == null ? "" : b);
    long av = 0;
    long bv = 0;
    while (x.type == y.type && x.type != END && x.type != INVALID && av == bv) {
      av = x.next();
      bv = y.next();
    }
    if (av != bv) {
      return av < bv ? -1 : 1;
    }
    if (x.type == y.type) {
      return 0;
    }
    // Equal so far: the longer one is newer, unless what follows is a pre-release suffix.
    if (x.type == SUFFIX && x.copy().next() < 0) {
      return -1;
    }
    if (y.type == SUFFIX && y.copy().next() < 0) {
      return 1;
    }
    if (x.type != y.type) {
      return x.type > y.type ? -1 : 1;
    }
    return 0;
  }

  @Override
  public boolean isValid(String version) {
    if (version == null) {
      return false;
    }
    Tokenizer t = new Tokenizer(version);
    while (t.type != END && t.type != INVALID) {
      t.next();
    }
    return t.type == END;
  }

  private static final class Tokenizer {
    private final String s;
    private int pos;
    // How many characters the last number or suffix read spans.
    private int digits;
    int type = DIGIT;

    Tokenizer(String s) {
      this.s = s;
    }

    Tokenizer copy() {
      Tokenizer t = new Tokenizer(s);
      t.pos = pos;
      t.type = type;
      return t;
    }

    private int len() {
      return s.length() - pos;
    }

    private char at(int i) {
      return s.charAt(pos + i);
    }

    private static boolean isDigit(char c) {
      return c >= '0' && c <= '9';
    }

    /** apk's get_token: the value of the current token, then advances to the next one. */
    long next() {
      int i = 0;
      int nextType = INVALID;
      long v = 0;
      if (len() <= 0) {
        type = END;
        return 0;
      }
      switch (type) {
        case DIGIT_OR_ZERO:
          if (at(0) == '0') {
            while (i < len() && at(i) == '0') {
              i++;
            }
            nextType = DIGIT;
            v = -i;
            break;
          }
          // A dot followed by a non-zero digit reads as a plain number.
          v = readNumber();
          i = digits;
          if (v == Long.MIN_VALUE) {
            return invalid();
          }
          break;
        case DIGIT:
        case SUFFIX_NO:
        case REVISION_NO:
          v = readNumber();
          i = digits;
          if (v == Long.MIN_VALUE) {
            return invalid();
          }
          break;
        case LETTER:
          v = at(i++);
          break;
        case SUFFIX:
          v = suffixValue();
          if (v == Long.MIN_VALUE) {
            return invalid();
          }
          i = digits;
          break;
        default:
          return invalid();
      }
      pos += i;
      if (len() == 0) {
        type = END;
      } else if (nextType != INVALID) {
        type = nextType;
      } else {
        nextToken();
      }
      return v;
    }

    private long readNumber() {
      int i = 0;
      long v = 0;
      while (i < len() && isDigit(at(i))) {
        if (i < 18) {
          v = v * 10 + (at(i) - '0');
        }
        i++;
      }
      digits = i;
      return i >= 18 ? Long.MIN_VALUE : v;
    }

    private long suffixValue() {
      for (int k = 0; k < PRE_SUFFIXES.length; k++) {
        if (s.startsWith(PRE_SUFFIXES[k], pos)) {
          digits = PRE_SUFFIXES[k].length();
          return k - PRE_SUFFIXES.length;
        }
      }
      for (int k = 0; k < POST_SUFFIXES.length; k++) {
        if (s.startsWith(POST_SUFFIXES[k], pos)) {
          digits = POST_SUFFIXES[k].length();
          return k;
        }
      }
      return Long.MIN_VALUE;
    }

    private long invalid() {
      type = INVALID;
      return -1;
    }

    /** apk's next_token: classifies what follows and steps over a separator. */
    private void nextToken() {
      int n = INVALID;
      char c = len() == 0 ? 0 : at(0);
      if (len() == 0 || c == 0) {
        n = END;
      } else if ((type == DIGIT || type == DIGIT_OR_ZERO) && c >= 'a' && c <= 'z') {
        n = LETTER;
      } else if (type == LETTER && isDigit(c)) {
        n = DIGIT;
      } else if (type == SUFFIX && isDigit(c)) {
        n = SUFFIX_NO;
      } else {
        switch (c) {
          case '.' -> n = DIGIT_OR_ZERO;
          case '_' -> n = SUFFIX;
          case '-' -> {
            if (len() > 1 && at(1) == 'r') {
              n = REVISION_NO;
              pos++;
            }
          }
          default -> { }
        }
        pos++;
      }
      if (n < type) {
        if (!((n == DIGIT_OR_ZERO && type == DIGIT)
            || (n == SUFFIX && type == SUFFIX_NO)
            || (n == DIGIT && type == LETTER))) {
          n = INVALID;
        }
      }
      type = n;
    }
  }
}
