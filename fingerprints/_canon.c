/* Canonical forms of the supporting kinds (issue 15): the part of each normalizer's
 * ``canonical`` that follows ``prepare``, for text that is already prepared.
 *
 *   canon_postal(s)          PostalCodeNormalizer.canonical after prepare
 *   canon_birthdate(s)       BirthdateNormalizer.canonical after prepare
 *   canon_kana(s)            NameKanaNormalizer.canonical after prepare
 *   canon_name(s)            NameNormalizer.canonical after prepare
 *   fold_variants(table, s)  name.fold_name: ``table`` is the variant table as sorted
 *                            native-order uint32 (variant, standard) pairs
 *   address_key(s)           AddressNormalizer._key: (key, town_had_white_space) or None
 *
 * Each returns what the Python reference returns for ANY str, or NotImplemented
 * where it cannot decide exactly (characters that match a case-insensitive ASCII
 * letter of a postal marker, kanji numerals too long for 64-bit arithmetic); the
 * caller then runs the reference. White space is Python's (Py_UNICODE_ISSPACE, what
 * str.split() and the regex ``\s`` use), letters str.isalpha's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define NOT_MINE Py_RETURN_NOTIMPLEMENTED

static int is_digit(Py_UCS4 c) { return c >= '0' && c <= '9'; }

/* A str's code points, copied (the cells are short; long ones use the heap). */
typedef struct {
    Py_UCS4 local[256];
    Py_UCS4 *p;
    Py_ssize_t n;
} Chars;

static int chars_get(Chars *c, PyObject *s, Py_ssize_t extra) {
    c->n = PyUnicode_GET_LENGTH(s);
    Py_ssize_t size = c->n + extra + 1;
    c->p = size <= 256 ? c->local : PyMem_New(Py_UCS4, size);
    if (c->p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (PyUnicode_AsUCS4(s, c->p, size, 0) == NULL) {
        if (c->p != c->local) PyMem_Free(c->p);
        c->p = NULL;
        return -1;
    }
    return 0;
}

static void chars_free(Chars *c) {
    if (c->p != NULL && c->p != c->local) PyMem_Free(c->p);
    c->p = NULL;
}

static int check_str(PyObject *s) {
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "expected str");
        return -1;
    }
    return 0;
}

/* ---- postal codes ---------------------------------------------------------- */

/* 1 if c matches ASCII letter ``l`` under re.I, 0 if not, -1 if re.I would match a
 * non-ASCII look-alike (İ ı ſ): not decided here. */
static int letter_is(Py_UCS4 c, char l) {
    if (c == 0x130 || c == 0x131 || c == 0x17F) return -1;
    if (c >= 'A' && c <= 'Z') c += 32;
    return c == (Py_UCS4)l;
}

/* Length of the ASCII word at p[i:n] under re.I; 0 if absent, -1 undecided. */
static Py_ssize_t word_at(const Py_UCS4 *p, Py_ssize_t i, Py_ssize_t n, const char *w) {
    Py_ssize_t k = (Py_ssize_t)strlen(w);
    if (i + k > n) {
        /* A shorter tail may still hold an undecidable character. */
        for (Py_ssize_t j = 0; i + j < n; j++) {
            int r = letter_is(p[i + j], w[j]);
            if (r <= 0) return r;
        }
        return 0;
    }
    for (Py_ssize_t j = 0; j < k; j++) {
        int r = letter_is(p[i + j], w[j]);
        if (r <= 0) return r;
    }
    return k;
}

static PyObject *canon_postal(PyObject *self, PyObject *s) {
    if (check_str(s)) return NULL;
    Chars c;
    if (chars_get(&c, s, 0)) return NULL;
    const Py_UCS4 *p = c.p;
    Py_ssize_t a = 0, b = c.n;
    while (a < b && Py_UNICODE_ISSPACE(p[a])) a++;
    while (b > a && Py_UNICODE_ISSPACE(p[b - 1])) b--;
    /* _MARKER: 〒|〶|〠|郵便番号|郵便|zip(?:code)?|postal(?:code)?, then [:\s]* */
    Py_ssize_t i = a, m = 0;
    int marker = 0;
    if (i < b && (p[i] == 0x3012 || p[i] == 0x3036 || p[i] == 0x3020)) m = 1;
    else if (i + 1 < b && p[i] == 0x90F5 && p[i + 1] == 0x4FBF)
        m = (i + 3 < b && p[i + 2] == 0x756A && p[i + 3] == 0x53F7) ? 4 : 2;
    else {
        Py_ssize_t w = word_at(p, i, b, "zip");
        if (w == 0) w = word_at(p, i, b, "postal");
        if (w > 0) {
            Py_ssize_t w2 = word_at(p, i + w, b, "code");
            if (w2 < 0) w = -1;
            else w += w2;
        }
        if (w < 0) {
            chars_free(&c);
            NOT_MINE;
        }
        m = w;
    }
    if (m > 0) {
        marker = 1;
        i += m;
        while (i < b && (p[i] == ':' || Py_UNICODE_ISSPACE(p[i]))) i++;
    }
    /* [0-9]{3}(-|\s)?[0-9]{4}, to the end ([-\s] only after a marker). */
    char out[8];
    int ok = 0;
    if (b - i >= 7 && is_digit(p[i]) && is_digit(p[i + 1]) && is_digit(p[i + 2])) {
        Py_ssize_t j = i + 3;
        if (b - j == 5 && (p[j] == '-' || (marker && Py_UNICODE_ISSPACE(p[j])))) j++;
        if (b - j == 4) {
            ok = 1;
            for (int k = 0; k < 4; k++) ok &= is_digit(p[j + k]);
            for (int k = 0; k < 3; k++) out[k] = (char)p[i + k];
            for (int k = 0; k < 4; k++) out[3 + k] = (char)p[j + k];
        }
    }
    chars_free(&c);
    if (!ok) Py_RETURN_NONE;
    return PyUnicode_FromStringAndSize(out, 7);
}

/* ---- birth dates ----------------------------------------------------------- */

#define MIN_YEAR 1890
#define MAX_YEAR 2100

static int valid_date(long y, long m, long d) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < MIN_YEAR || y > MAX_YEAR || m < 1 || m > 12 || d < 1) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

/* A run of 1 or 2 ASCII digits at p[*i] that is not followed by a digit. */
static int small_number(const Py_UCS4 *p, Py_ssize_t n, Py_ssize_t *i, long *v) {
    Py_ssize_t j = *i;
    while (j < n && is_digit(p[j])) j++;
    if (j - *i < 1 || j - *i > 2) return 0;
    long x = 0;
    for (Py_ssize_t k = *i; k < j; k++) x = x * 10 + (long)(p[k] - '0');
    *v = x;
    *i = j;
    return 1;
}

static int is_sep(Py_UCS4 c) { return c == '/' || c == '-' || c == '.'; }

/* The month and day part of _WESTERN and _ERA, from p[i] to the end. */
static int month_day(const Py_UCS4 *p, Py_ssize_t n, Py_ssize_t i, long *m, long *d) {
    if (i >= n) return 0;
    if (is_sep(p[i])) {
        i++;
        if (!small_number(p, n, &i, m) || i >= n || !is_sep(p[i])) return 0;
        i++;
        return small_number(p, n, &i, d) && i == n;
    }
    if (p[i] == 0x5E74) { /* 年 */
        i++;
        if (!small_number(p, n, &i, m) || i >= n || p[i] != 0x6708) return 0; /* 月 */
        i++;
        if (!small_number(p, n, &i, d)) return 0;
        if (i < n && p[i] == 0x65E5) i++; /* 日 */
        return i == n;
    }
    return 0;
}

/* First and last day (y*10000 + m*100 + d) of each era. */
static const struct {
    Py_UCS4 a, b;
    char letter;
    long first, last;
} ERAS[] = {
    {0x660E, 0x6CBB, 'M', 18680125, 19120729}, /* 明治 */
    {0x5927, 0x6B63, 'T', 19120730, 19261224}, /* 大正 */
    {0x662D, 0x548C, 'S', 19261225, 19890107}, /* 昭和 */
    {0x5E73, 0x6210, 'H', 19890108, 20190430}, /* 平成 */
    {0x4EE4, 0x548C, 'R', 20190501, 21001231}, /* 令和 */
};

static PyObject *iso(long y, long m, long d) {
    return PyUnicode_FromFormat("%04ld-%02ld-%02ld", y, m, d);
}

static PyObject *canon_birthdate(PyObject *self, PyObject *s) {
    if (check_str(s)) return NULL;
    /* White space removed; no pattern matches more than 13 characters. */
    Py_UCS4 p[16];
    Py_ssize_t n = 0, len = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    for (Py_ssize_t k = 0; k < len; k++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, k);
        if (Py_UNICODE_ISSPACE(ch)) continue;
        if (n == 16) Py_RETURN_NONE;
        p[n++] = ch;
    }
    long y, m, d;
    if (n >= 4 && is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) && is_digit(p[3])) {
        y = (long)((p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0'));
        if (month_day(p, n, 4, &m, &d)) { /* _WESTERN */
            if (valid_date(y, m, d)) return iso(y, m, d);
            Py_RETURN_NONE;
        }
        if (n == 8) { /* _COMPACT */
            for (int k = 4; k < 8; k++)
                if (!is_digit(p[k])) Py_RETURN_NONE;
            m = (long)((p[4] - '0') * 10 + (p[5] - '0'));
            d = (long)((p[6] - '0') * 10 + (p[7] - '0'));
            if (valid_date(y, m, d)) return iso(y, m, d);
        }
        Py_RETURN_NONE;
    }
    /* _ERA */
    int era = -1;
    Py_ssize_t i = 0;
    for (int e = 0; e < 5 && n > 0; e++) {
        if (n >= 2 && p[0] == ERAS[e].a && p[1] == ERAS[e].b) {
            era = e;
            i = 2;
            break;
        }
        if (p[0] == (Py_UCS4)ERAS[e].letter || p[0] == (Py_UCS4)ERAS[e].letter + 32) {
            era = e;
            i = 1;
            break;
        }
    }
    if (era < 0) Py_RETURN_NONE;
    if (i < n && p[i] == '.') i++;
    long nth;
    if (i < n && p[i] == 0x5143) { /* 元 */
        nth = 1;
        i++;
    } else if (!small_number(p, n, &i, &nth)) {
        Py_RETURN_NONE;
    }
    if (!month_day(p, n, i, &m, &d) || nth < 1) Py_RETURN_NONE;
    y = ERAS[era].first / 10000 + nth - 1;
    if (!valid_date(y, m, d)) Py_RETURN_NONE;
    long ymd = y * 10000 + m * 100 + d;
    if (ymd < ERAS[era].first || ymd > ERAS[era].last) Py_RETURN_NONE;
    return iso(y, m, d);
}

/* ---- kana readings --------------------------------------------------------- */

/* kana._ENLARGE (small → large katakana), after hiragana became katakana. */
static Py_UCS4 enlarge(Py_UCS4 c) {
    switch (c) {
    case 0x30A1: case 0x30A3: case 0x30A5: case 0x30A7: case 0x30A9:
    case 0x30C3: case 0x30E3: case 0x30E5: case 0x30E7: case 0x30EE:
        return c + 1;
    case 0x30F5: return 0x30AB;
    case 0x30F6: return 0x30B1;
    default: break;
    }
    if (c >= 0x31F0 && c <= 0x31FF) {
        static const uint16_t ext[16] = {0x30AF, 0x30B7, 0x30B9, 0x30C8, 0x30CC, 0x30CF,
                                         0x30D2, 0x30D5, 0x30D8, 0x30DB, 0x30E0, 0x30E9,
                                         0x30EA, 0x30EB, 0x30EC, 0x30ED};
        return ext[c - 0x31F0];
    }
    return c;
}

static PyObject *canon_kana(PyObject *self, PyObject *s) {
    if (check_str(s)) return NULL;
    Py_ssize_t len = PyUnicode_GET_LENGTH(s), n = 0;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    uint16_t local[128];
    uint16_t *out = len <= 128 ? local : PyMem_New(uint16_t, len);
    if (out == NULL) return PyErr_NoMemory();
    int only_marks = 1;
    PyObject *res = NULL;
    for (Py_ssize_t k = 0; k < len; k++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, k);
        if (Py_UNICODE_ISSPACE(c) || c == 0x30FB || c == '=' || c == 0x30A0) continue;
        if (c >= 0x3041 && c <= 0x3096) c += 0x60;
        else if (c == 0x309D || c == 0x309E) c += 0x60;
        c = enlarge(c);
        /* Anything but katakana: the reference answers None whatever follows. */
        if (!((c >= 0x30A1 && c <= 0x30FA) || (c >= 0x30FC && c <= 0x30FE))) goto none;
        if (c != 0x30FC && c != 0x30FD && c != 0x30FE) only_marks = 0;
        out[n++] = (uint16_t)c;
    }
    if (n < 2 || only_marks) goto none;
    res = PyUnicode_FromKindAndData(PyUnicode_2BYTE_KIND, out, n);
    goto done;
none:
    res = Py_None;
    Py_INCREF(res);
done:
    if (out != local) PyMem_Free(out);
    return res;
}

/* ---- names ----------------------------------------------------------------- */

static int is_mark(Py_UCS4 c) { /* name._MARKS: ー々ゝゞヽヾ〻 */
    return c == 0x30FC || c == 0x3005 || c == 0x309D || c == 0x309E || c == 0x30FD ||
           c == 0x30FE || c == 0x303B;
}

static int is_name_punct(Py_UCS4 c) { /* name._NAME_PUNCT: ・ー-'. */
    return c == 0x30FB || c == 0x30FC || c == '-' || c == '\'' || c == '.';
}

static PyObject *canon_name(PyObject *self, PyObject *s) {
    if (check_str(s)) return NULL;
    Py_ssize_t len = PyUnicode_GET_LENGTH(s), n = 0, letters = 0;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    for (Py_ssize_t k = 0; k < len; k++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, k);
        if (Py_UNICODE_ISSPACE(c)) continue;
        n++;
        if (Py_UNICODE_ISALPHA(c)) {
            if (!is_mark(c)) letters++;
        } else if (!is_name_punct(c)) {
            Py_RETURN_NONE;
        }
    }
    if (n < 2 || letters == 0) Py_RETURN_NONE;
    if (n == len) {
        Py_INCREF(s);
        return s;
    }
    Chars c;
    if (chars_get(&c, s, 0)) return NULL;
    Py_ssize_t j = 0;
    for (Py_ssize_t k = 0; k < len; k++)
        if (!Py_UNICODE_ISSPACE(c.p[k])) c.p[j++] = c.p[k];
    PyObject *res = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, c.p, j);
    chars_free(&c);
    return res;
}

/* The standard form of c from the sorted (variant, standard) table, or c. */
static Py_UCS4 variant_of(const uint32_t *t, Py_ssize_t pairs, Py_UCS4 c) {
    Py_ssize_t lo = 0, hi = pairs;
    if (pairs == 0 || c < t[0]) return c;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (t[2 * mid] < c) lo = mid + 1;
        else hi = mid;
    }
    return lo < pairs && t[2 * lo] == c ? t[2 * lo + 1] : c;
}

static PyObject *fold_variants(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyBytes_Check(args[0]) || PyBytes_GET_SIZE(args[0]) % 8 ||
        !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "fold_variants(table: bytes, s: str)");
        return NULL;
    }
    /* Native byte order (array('I') in Python); bytes objects are 8-byte aligned. */
    const uint32_t *t = (const uint32_t *)PyBytes_AS_STRING(args[0]);
    Py_ssize_t pairs = PyBytes_GET_SIZE(args[0]) / 8;
    PyObject *s = args[1];
    Py_ssize_t len = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    if (kind == PyUnicode_1BYTE_KIND || pairs == 0) {
        Py_INCREF(s);
        return s;
    }
    const void *data = PyUnicode_DATA(s);
    PyObject *res = NULL;
    Py_ssize_t first = -1;
    for (Py_ssize_t k = 0; k < len && first < 0; k++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, k);
        if (variant_of(t, pairs, c) != c) first = k;
    }
    if (first < 0) {
        Py_INCREF(s);
        res = s;
    } else {
        Chars c;
        if (chars_get(&c, s, 0) == 0) {
            for (Py_ssize_t k = first; k < len; k++) c.p[k] = variant_of(t, pairs, c.p[k]);
            res = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, c.p, len);
            chars_free(&c);
        }
    }
    return res;
}

PyObject *native_address_key(PyObject *self, PyObject *s); /* _canon_address.c */

static PyMethodDef canon_methods[] = {
    {"canon_postal", canon_postal, METH_O,
     "canon_postal(s) -> str | NotImplemented | None (PostalCodeNormalizer after prepare)."},
    {"canon_birthdate", canon_birthdate, METH_O,
     "canon_birthdate(s) -> str | None (BirthdateNormalizer after prepare)."},
    {"canon_kana", canon_kana, METH_O,
     "canon_kana(s) -> str | None (NameKanaNormalizer after prepare)."},
    {"canon_name", canon_name, METH_O,
     "canon_name(s) -> str | None (NameNormalizer after prepare)."},
    {"fold_variants", (PyCFunction)(void (*)(void))fold_variants, METH_FASTCALL,
     "fold_variants(table, s) -> str (name.fold_name; table: sorted native uint32 pairs)."},
    {"address_key", native_address_key, METH_O,
     "address_key(s) -> (str, bool) | None | NotImplemented (AddressNormalizer._key)."},
    {NULL, NULL, 0, NULL},
};

/* Adds the functions above to the module (called from _native.c's init). */
void canon_address_init(void); /* _canon_address.c */

int canon_register(PyObject *module) {
    canon_address_init();
    return PyModule_AddFunctions(module, canon_methods);
}
