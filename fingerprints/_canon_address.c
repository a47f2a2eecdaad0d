/* AddressNormalizer._key in C (issue 15; fingerprints/normalizers/address.py).
 *
 *   address_key(s) -> (key, town_had_white_space) | None | NotImplemented
 *
 * The steps of the reference, each over the previous step's whole output, as the
 * regex substitutions see it (their look-behinds and look-aheads read the step's
 * input, not what the step already replaced):
 *   1. _POSTAL_PREFIX  \s*(?:(?:〒|〶|〠|郵便番号)[:\s]*)?[0-9]{3}-?[0-9]{4}(?![0-9-])\s*
 *   2. _FOLD           ヶヵが→ケ ノ之→の 條→条 藪→薮 巿→市 曾→曽
 *   3. _KANJI_RUN      a maximal run of 〇一…九十百千 after a dash, or before
 *                      丁目|番地|番(?!町)|号|dash|の[0-9 numerals]: kanji_number(run)
 *                      (a shorter run never matches: the look-ahead would see a numeral)
 *   4. fold_digit_dashes: a dash other than '-' between two ASCII digits → '-'
 *   5. _UNIT           丁目|番地|番(?!町)|号 after an ASCII digit → '-'
 *   6. _NO             の after a digit or '-', before a digit → '-'
 *   7. _DASHES         -{2,} → '-'
 *   8. the first _BLOCK [0-9]+(?:-[0-9]+)* that holds a '-' or ends the text or is
 *      followed by '-' or white space; the town before it without white space must
 *      hold a CJK character.
 * A run of numerals with 十百千 longer than 12 is left to Python (its integers are
 * unbounded); everything else is decided here.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdio.h>

#include "_dashes.h"

static int is_digit(Py_UCS4 c) { return c >= '0' && c <= '9'; }

/* fingerprints.text.DASH_CHARS, ASCII '-' included. */
static int is_dash_exact(Py_UCS4 c) { return c == '-' || is_wide_dash(c); }

/* The value of a kanji digit 〇一…九 (0-9), 10/100/1000 for 十百千, -1 otherwise. */
static int knum_exact(Py_UCS4 c) {
    switch (c) {
    case 0x3007: return 0; /* 〇 */
    case 0x4E00: return 1; /* 一 */
    case 0x4E8C: return 2; /* 二 */
    case 0x4E09: return 3; /* 三 */
    case 0x56DB: return 4; /* 四 */
    case 0x4E94: return 5; /* 五 */
    case 0x516D: return 6; /* 六 */
    case 0x4E03: return 7; /* 七 */
    case 0x516B: return 8; /* 八 */
    case 0x4E5D: return 9; /* 九 */
    case 0x5341: return 10; /* 十 */
    case 0x767E: return 100; /* 百 */
    case 0x5343: return 1000; /* 千 */
    default: return -1;
    }
}

static Py_UCS4 fold_exact(Py_UCS4 c) { /* address._FOLD */
    switch (c) {
    case 0x30F6: case 0x30F5: case 0x304C: return 0x30B1; /* ヶヵが → ケ */
    case 0x30CE: case 0x4E4B: return 0x306E;               /* ノ之 → の */
    case 0x689D: return 0x6761;                            /* 條 → 条 */
    case 0x85EA: return 0x85AE;                            /* 藪 → 薮 */
    case 0x5DFF: return 0x5E02;                            /* 巿 → 市 */
    case 0x66FE: return 0x66FD;                            /* 曾 → 曽 */
    default: return c;
    }
}

static int is_cjk_exact(Py_UCS4 cp) { /* normalizers.base.is_cjk */
    return (cp >= 0x3005 && cp <= 0x3007) || (cp >= 0x3041 && cp <= 0x30FF) ||
           (cp >= 0x31F0 && cp <= 0x31FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0x20000 && cp <= 0x3FFFF);
}

/* The classes above for the BMP, one byte per code point (filled once by
 * canon_address_init): most characters of an address are kanji none of the switches
 * names, and a table look-up is one load where a switch is a chain of compares. */
enum { C_DASH = 1, C_KNUM = 2, C_FOLD = 4, C_SPACE = 8, C_CJK = 16 };
static uint8_t CLASS[0x10000];

void canon_address_init(void) {
    for (Py_UCS4 c = 0; c < 0x10000; c++)
        CLASS[c] = (uint8_t)((is_dash_exact(c) ? C_DASH : 0) | (knum_exact(c) >= 0 ? C_KNUM : 0) |
                             (fold_exact(c) != c ? C_FOLD : 0) |
                             (Py_UNICODE_ISSPACE(c) ? C_SPACE : 0) |
                             (is_cjk_exact(c) ? C_CJK : 0));
}

static inline int has(Py_UCS4 c, int cls, int (*exact)(Py_UCS4)) {
    return c < 0x10000 ? (CLASS[c] & cls) != 0 : exact(c);
}

static int space_exact(Py_UCS4 c) { return Py_UNICODE_ISSPACE(c); }
static int knum_any(Py_UCS4 c) { return knum_exact(c) >= 0; }
static inline int is_dash(Py_UCS4 c) { return has(c, C_DASH, is_dash_exact); }
static inline int is_space(Py_UCS4 c) { return has(c, C_SPACE, space_exact); }
static inline int is_cjk(Py_UCS4 c) { return has(c, C_CJK, is_cjk_exact); }
static inline int knum(Py_UCS4 c) { return has(c, C_KNUM, knum_any) ? knum_exact(c) : -1; }
static inline Py_UCS4 fold(Py_UCS4 c) { return c < 0x10000 && !(CLASS[c] & C_FOLD) ? c : fold_exact(c); }

#define CHOME 0x4E01  /* 丁 */
#define ME 0x76EE     /* 目 */
#define BAN 0x756A    /* 番 */
#define CHI 0x5730    /* 地 */
#define MACHI 0x753A  /* 町 */
#define GOU 0x53F7    /* 号 */
#define NO 0x306E     /* の */

/* The look-ahead of _KANJI_RUN's second branch at p[i]. */
static int numbering_follows(const Py_UCS4 *p, Py_ssize_t i, Py_ssize_t n) {
    if (i >= n) return 0;
    Py_UCS4 c = p[i], d = i + 1 < n ? p[i + 1] : 0;
    if (c == CHOME) return d == ME;
    if (c == BAN) return d != MACHI || i + 1 >= n;
    if (c == GOU || is_dash(c)) return 1;
    if (c == NO) return i + 1 < n && (is_digit(d) || knum(d) >= 0);
    return 0;
}

/* kanji_number(p[a:b]) appended at out[*o]; -1 when the run is too long to be
 * computed in 64 bits (with a unit). */
static int kanji_number(const Py_UCS4 *p, Py_ssize_t a, Py_ssize_t b, Py_UCS4 *out,
                        Py_ssize_t *o) {
    int units = 0;
    for (Py_ssize_t i = a; i < b; i++) units |= knum(p[i]) >= 10;
    if (!units) {
        for (Py_ssize_t i = a; i < b; i++) out[(*o)++] = (Py_UCS4)('0' + knum(p[i]));
        return 0;
    }
    if (b - a > 12) return -1;
    long long total = 0, current = 0;
    for (Py_ssize_t i = a; i < b; i++) {
        int v = knum(p[i]);
        if (v < 10) current = current * 10 + v;
        else {
            total += (current ? current : 1) * v;
            current = 0;
        }
    }
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%lld", total + current);
    for (int k = 0; k < len; k++) out[(*o)++] = (Py_UCS4)digits[k];
    return 0;
}

/* The end of _POSTAL_PREFIX's match at the start of p, or 0. */
static Py_ssize_t postal_prefix(const Py_UCS4 *p, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n && is_space(p[i])) i++;
    if (i < n && (p[i] == 0x3012 || p[i] == 0x3036 || p[i] == 0x3020)) i++;
    else if (i + 3 < n && p[i] == 0x90F5 && p[i + 1] == 0x4FBF && p[i + 2] == BAN &&
             p[i + 3] == GOU)
        i += 4;
    else goto digits;
    while (i < n && (p[i] == ':' || is_space(p[i]))) i++;
digits:
    if (i + 7 > n || !is_digit(p[i]) || !is_digit(p[i + 1]) || !is_digit(p[i + 2])) return 0;
    i += 3;
    if (p[i] == '-') i++;
    if (i + 4 > n) return 0;
    for (int k = 0; k < 4; k++)
        if (!is_digit(p[i + k])) return 0;
    i += 4;
    if (i < n && (is_digit(p[i]) || p[i] == '-')) return 0;
    while (i < n && is_space(p[i])) i++;
    return i;
}

/* Steps 2-7 from a (n characters) into b; returns the new length or -1 (not mine).
 * Both buffers hold 6n + 32 characters: a run of r numerals gives at most r + 5
 * digits (千 → 1000), and runs are at least one character apart. */
static Py_ssize_t rewrite(Py_UCS4 *a, Py_ssize_t n, Py_UCS4 *b) {
    Py_ssize_t i, o = 0;
    for (i = 0; i < n; i++) a[i] = fold(a[i]);
    /* 3. kanji numerals in numbering positions: a → b */
    for (i = 0; i < n;) {
        if (knum(a[i]) < 0) {
            b[o++] = a[i++];
            continue;
        }
        Py_ssize_t r = i;
        while (r < n && knum(a[r]) >= 0) r++;
        if ((i > 0 && is_dash(a[i - 1])) || numbering_follows(a, r, n)) {
            if (kanji_number(a, i, r, b, &o)) return -1;
        } else {
            while (i < r) b[o++] = a[i++];
        }
        i = r;
    }
    n = o;
    /* 4. dashes between digits (in place: a folded dash is followed by a digit, so
     * the next character's look-behind is unchanged) */
    for (i = 1; i + 1 < n; i++)
        if (b[i] != '-' && is_dash(b[i]) && is_digit(b[i - 1]) && is_digit(b[i + 1]))
            b[i] = '-';
    /* 5. 丁目 番地 番 号 after a digit: b → a */
    o = 0;
    for (i = 0; i < n;) {
        Py_UCS4 c = b[i];
        int after_digit = i > 0 && is_digit(b[i - 1]);
        if (after_digit && i + 1 < n &&
            ((c == CHOME && b[i + 1] == ME) || (c == BAN && b[i + 1] == CHI))) {
            a[o++] = '-';
            i += 2;
        } else if (after_digit && ((c == BAN && !(i + 1 < n && b[i + 1] == MACHI)) ||
                                   c == GOU)) {
            a[o++] = '-';
            i++;
        } else {
            a[o++] = b[i++];
        }
    }
    n = o;
    /* 6. の between a digit or '-' and a digit (in place: a replaced の is followed
     * by a digit, never by another の) */
    for (i = 1; i + 1 < n; i++)
        if (a[i] == NO && (is_digit(a[i - 1]) || a[i - 1] == '-') && is_digit(a[i + 1]))
            a[i] = '-';
    /* 7. runs of '-' → one: a → b */
    o = 0;
    for (i = 0; i < n; i++)
        if (!(a[i] == '-' && o > 0 && b[o - 1] == '-')) b[o++] = a[i];
    return o;
}

PyObject *native_address_key(PyObject *self, PyObject *s) {
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "expected str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), size = 6 * n + 32;
    Py_UCS4 local[2 * 1024];
    Py_UCS4 *a = size <= 1024 ? local : PyMem_New(Py_UCS4, 2 * size);
    if (a == NULL) return PyErr_NoMemory();
    Py_UCS4 *b = a + size;
    PyObject *res = NULL;
    if (PyUnicode_AsUCS4(s, b, size, 0) == NULL) goto done;
    Py_ssize_t start = postal_prefix(b, n);
    memcpy(a, b + start, (size_t)(n - start) * sizeof(Py_UCS4));
    n = rewrite(a, n - start, b);
    if (n < 0) {
        Py_INCREF(Py_NotImplemented);
        res = Py_NotImplemented;
        goto done;
    }
    /* 8. the block: the text is now in b */
    for (Py_ssize_t i = 0; i < n;) {
        if (!is_digit(b[i])) {
            i++;
            continue;
        }
        Py_ssize_t bs = i, j = i;
        int dashed = 0;
        while (j < n && is_digit(b[j])) j++;
        while (j + 1 < n && b[j] == '-' && is_digit(b[j + 1])) {
            dashed = 1;
            j++;
            while (j < n && is_digit(b[j])) j++;
        }
        if (dashed || j == n || b[j] == '-' || is_space(b[j])) {
            Py_ssize_t o = 0, cjk = 0;
            for (Py_ssize_t k = 0; k < bs; k++) {
                if (is_space(b[k])) continue;
                cjk |= is_cjk(b[k]);
                a[o++] = b[k];
            }
            if (!cjk) {
                res = Py_None;
                Py_INCREF(res);
                goto done;
            }
            int spaced = o != bs;
            memcpy(a + o, b + bs, (size_t)(j - bs) * sizeof(Py_UCS4));
            PyObject *key = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, a, o + j - bs);
            if (key != NULL) {
                res = PyTuple_Pack(2, key, spaced ? Py_True : Py_False);
                Py_DECREF(key);
            }
            goto done;
        }
        i = j;
    }
    res = Py_None;
    Py_INCREF(res);
done:
    if (a != local) PyMem_Free(a);
    return res;
}
