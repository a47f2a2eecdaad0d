/* Canonical forms of the supporting kinds (issue 15): the part of each normalizer's
 * ``canonical`` that follows ``prepare``, for text that is already prepared.
 *
 *   canon_postal(s)          PostalCodeNormalizer.canonical after prepare
 *   canon_birthdate(s)       BirthdateNormalizer.canonical after prepare
 *   canon_kana, canon_name, fold_variants (kana readings and names: _canon_names.c)
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

#include "_ascii.h"
#include "_canon_chars.h"

static int is_digit(Py_UCS4 c) { return c >= '0' && c <= '9'; }

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
    return ascii_str(out, 7);
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

/* "YYYY-MM-DD" of a date valid_date accepts (a four-digit year), written directly:
 * PyUnicode_FromFormat parsed its format for every date (about 4,500 instructions a
 * call, a hit-dense dump's dates by the ten thousand). */
static PyObject *iso(long y, long m, long d) {
    char out[10] = {(char)('0' + y / 1000), (char)('0' + y / 100 % 10),
                    (char)('0' + y / 10 % 10), (char)('0' + y % 10), '-',
                    (char)('0' + m / 10), (char)('0' + m % 10), '-',
                    (char)('0' + d / 10), (char)('0' + d % 10)};
    return ascii_str(out, 10);
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


PyObject *native_address_key(PyObject *self, PyObject *s); /* _canon_address.c */

static PyMethodDef canon_methods[] = {
    {"canon_postal", canon_postal, METH_O,
     "canon_postal(s) -> str | NotImplemented | None (PostalCodeNormalizer after prepare)."},
    {"canon_birthdate", canon_birthdate, METH_O,
     "canon_birthdate(s) -> str | None (BirthdateNormalizer after prepare)."},
    {"address_key", native_address_key, METH_O,
     "address_key(s) -> (str, bool) | None | NotImplemented (AddressNormalizer._key)."},
    {NULL, NULL, 0, NULL},
};

/* Adds the functions above to the module (called from _native.c's init). */
void canon_address_init(void); /* _canon_address.c */
int canon_names_register(PyObject *module); /* _canon_names.c */

int canon_register(PyObject *module) {
    canon_address_init();
    if (canon_names_register(module) < 0) return -1;
    return PyModule_AddFunctions(module, canon_methods);
}
