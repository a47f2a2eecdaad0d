/* The prose guards in one pass (issue 15): matchers.prose's _DATE_GUARDS,
 * _POSTAL_GUARDS and _ADDRESS_GUARDS in C.
 *
 *   prose_guards(window) -> bits: 1 a date guard matches, 2 a postal code guard,
 *                                 4 an address guard
 *
 * Each bit is set exactly when ``any(g.search(window) for g in guards)`` holds for
 * that pattern's guards (tests/matchers/test_prose_guards.py holds them together).
 * Every window around a phone number of a forum post asks all three: through ``re``
 * that was seven searches of a few hundred code points each, 6.6 % of a 0.5 KB
 * post's instructions; here it is one loop over the window.
 *
 * The guards, as matched here ("digit" is ASCII 0-9, as [0-9] is in ``re``):
 *   date    月 then a digit; a separator (. / -), one or two digits, a separator, a
 *           digit; 19 or 20 not after a digit, six more digits, then no digit.
 *   postal  〒, 〶 or 郵便番号 (then : or ： if there is one), one white space
 *           character if there is one, three digits, - or a space if there is one,
 *           four digits, then no digit; or a - after three digits that follow no
 *           digit and no -, then four digits, then neither a digit nor a -.
 *   address 県, 北海道, 東京都, 京都府 or 大阪府.
 * (Where a guard's part is optional, taking it when it is there is the only way
 * the rest can match: what follows it never matches the part itself.)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t n;
} Text;

static inline Py_UCS4 at(const Text *t, Py_ssize_t i) {
    return i >= 0 && i < t->n ? PyUnicode_READ(t->kind, t->data, i) : 0;
}

static inline int is_digit(Py_UCS4 c) { return c >= '0' && c <= '9'; }
static inline int sep(Py_UCS4 c) { return c == '.' || c == '/' || c == '-'; }

/* Whether digits fill t[i:i+k]. */
static int run_of_digits(const Text *t, Py_ssize_t i, Py_ssize_t k) {
    for (Py_ssize_t j = i; j < i + k; j++)
        if (!is_digit(at(t, j))) return 0;
    return i >= 0 && i + k <= t->n;
}

/* The date guards at i. */
static int date_at(const Text *t, Py_ssize_t i, Py_UCS4 c) {
    if (c == 0x6708 /* 月 */) return is_digit(at(t, i + 1));
    if (sep(c))
        return is_digit(at(t, i + 1)) &&
               ((sep(at(t, i + 2)) && is_digit(at(t, i + 3))) ||
                (is_digit(at(t, i + 2)) && sep(at(t, i + 3)) && is_digit(at(t, i + 4))));
    if ((c == '1' && at(t, i + 1) == '9') || (c == '2' && at(t, i + 1) == '0'))
        return !is_digit(at(t, i - 1)) && run_of_digits(t, i + 2, 6) && !is_digit(at(t, i + 8));
    return 0;
}

/* The first postal guard from i, just after its mark. */
static int postal_rest(const Text *t, Py_ssize_t i) {
    if (i < t->n && Py_UNICODE_ISSPACE(at(t, i))) i++;
    if (!run_of_digits(t, i, 3)) return 0;
    i += 3;
    Py_UCS4 c = at(t, i);
    if (c == '-' || c == ' ') i++;
    return run_of_digits(t, i, 4) && !is_digit(at(t, i + 4));
}

/* The postal guards at i. */
static int postal_at(const Text *t, Py_ssize_t i, Py_UCS4 c) {
    if (c == 0x3012 /* 〒 */ || c == 0x3036 /* 〶 */) return postal_rest(t, i + 1);
    if (c == 0x90f5 /* 郵 */) {
        if (at(t, i + 1) != 0x4fbf /* 便 */ || at(t, i + 2) != 0x756a /* 番 */ ||
            at(t, i + 3) != 0x53f7 /* 号 */)
            return 0;
        Py_ssize_t j = i + 4;
        Py_UCS4 d = at(t, j);
        if (d == ':' || d == 0xff1a /* ： */) j++;
        return postal_rest(t, j);
    }
    if (c == '-') {
        Py_UCS4 before = at(t, i - 4);
        return run_of_digits(t, i - 3, 3) && !(i - 4 >= 0 && (is_digit(before) || before == '-')) &&
               run_of_digits(t, i + 1, 4) && !is_digit(at(t, i + 5)) && at(t, i + 5) != '-';
    }
    return 0;
}

/* The address guard at i. */
static int address_at(const Text *t, Py_ssize_t i, Py_UCS4 c) {
    Py_UCS4 b = at(t, i + 1), d = at(t, i + 2);
    return c == 0x770c /* 県 */ ||
           (c == 0x5317 /* 北 */ && b == 0x6d77 /* 海 */ && d == 0x9053 /* 道 */) ||
           (c == 0x6771 /* 東 */ && b == 0x4eac /* 京 */ && d == 0x90fd /* 都 */) ||
           (c == 0x4eac /* 京 */ && b == 0x90fd /* 都 */ && d == 0x5e9c /* 府 */) ||
           (c == 0x5927 /* 大 */ && b == 0x962a /* 阪 */ && d == 0x5e9c /* 府 */);
}

PyObject *native_prose_guards(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "prose_guards: a str");
        return NULL;
    }
    Text t = {PyUnicode_KIND(arg), PyUnicode_DATA(arg), PyUnicode_GET_LENGTH(arg)};
    long bits = 0;
    for (Py_ssize_t i = 0; i < t.n && bits != 7; i++) {
        Py_UCS4 c = PyUnicode_READ(t.kind, t.data, i);
        /* (the guards' first code points: ASCII . / - 1 2 or a few CJK ones) */
        if (c < 0x3000 && !(c == '.' || c == '/' || c == '-' || c == '1' || c == '2'))
            continue;
        if (!(bits & 1) && date_at(&t, i, c)) bits |= 1;
        if (!(bits & 2) && postal_at(&t, i, c)) bits |= 2;
        if (!(bits & 4) && address_at(&t, i, c)) bits |= 4;
    }
    return PyLong_FromLong(bits);
}
