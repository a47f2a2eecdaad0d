/* Canonical forms of kana readings and names in C (issue 15; see _canon.c):
 *
 *   canon_kana(s)            NameKanaNormalizer.canonical after prepare
 *   canon_name(s)            NameNormalizer.canonical after prepare
 *   fold_variants(table, s)  name.fold_name: ``table`` is the variant table as sorted
 *                            native-order uint32 (variant, standard) pairs
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_canon_chars.h"

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

static PyMethodDef names_methods[] = {
    {"canon_kana", canon_kana, METH_O,
     "canon_kana(s) -> str | None (NameKanaNormalizer after prepare)."},
    {"canon_name", canon_name, METH_O,
     "canon_name(s) -> str | None (NameNormalizer after prepare)."},
    {"fold_variants", (PyCFunction)(void (*)(void))fold_variants, METH_FASTCALL,
     "fold_variants(table, s) -> str (name.fold_name; table: sorted native uint32 pairs)."},
    {NULL, NULL, 0, NULL},
};

/* Adds the functions above to the module (called from _canon.c's canon_register). */
int canon_names_register(PyObject *module) {
    return PyModule_AddFunctions(module, names_methods);
}
