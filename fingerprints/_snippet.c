/* The shapes of a prose snippet (matchers.snippet._prose_shapes, SPEC 4 step 6).
 *
 * prose_shapes(piece, is_known_word) tokenizes ``piece`` exactly as
 * matchers.snippet._PROSE_TOKEN.finditer does (leftmost match, alternatives in
 * order, greedy with the regex's backtracking worked out per alternative), replaces
 * every token by its shape as the Python loop does, and collapses white space as
 * " ".join(text.split()). The digit rule and the length cut (_finish) stay in Python.
 *
 * The alternatives and their shapes (the reference's branches, worked out):
 *   1 [A-Za-z0-9._%+-]*@[A-Za-z0-9.-]*   holds '@'             -> ⟨email⟩
 *   2 \+?\(?[0-9][0-9()-. ]*[0-9]|[0-9]  shape_unknown: ⟨phone⟩, ⟨digits:n⟩, ⟨text:n⟩
 *   3 a run of CJK / kana                                      -> ⟨text:n⟩
 *   4 [A-Za-z][A-Za-z0-9_]*              is_known_word(tok) ? tok : ⟨text:n⟩
 *   5 [^\x00-\x7f\s]+                    either branch          -> ⟨text:n⟩
 * (n: the length without white space, at most 999.) \s, str.split and str.strip
 * all mean Py_UNICODE_ISSPACE.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define LANGLE 0x27E8
#define RANGLE 0x27E9

static int is_digit(Py_UCS4 c) { return c >= '0' && c <= '9'; }
static int is_alpha(Py_UCS4 c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static int in_local(Py_UCS4 c) {
    return is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
static int in_domain(Py_UCS4 c) { return is_alpha(c) || is_digit(c) || c == '.' || c == '-'; }
static int in_number(Py_UCS4 c) {
    return is_digit(c) || c == '(' || c == ')' || c == '-' || c == '.' || c == ' ';
}
static int is_cjk(Py_UCS4 c) {
    return (c >= 0x3005 && c <= 0x3007) || (c >= 0x3041 && c <= 0x30FF) ||
           (c >= 0x31F0 && c <= 0x31FF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF);
}

/* The token starting at p: its alternative (0: none) and end in *end. */
static int token_at(int kind, const void *d, Py_ssize_t n, Py_ssize_t p, Py_ssize_t *end) {
    Py_UCS4 c = PyUnicode_READ(kind, d, p);
    Py_ssize_t q = p;
    /* 1: the greedy local part can only be followed by '@' at its maximal end. */
    while (q < n && in_local(PyUnicode_READ(kind, d, q))) q++;
    if (q < n && PyUnicode_READ(kind, d, q) == '@') {
        q++;
        while (q < n && in_domain(PyUnicode_READ(kind, d, q))) q++;
        *end = q;
        return 1;
    }
    /* 2: optional '+' and '(' (backing off them never helps), a digit, then up to
       the last digit of the run of [0-9()-. ]; else a lone digit. */
    q = p;
    if (q < n && PyUnicode_READ(kind, d, q) == '+') q++;
    if (q < n && PyUnicode_READ(kind, d, q) == '(') q++;
    if (q < n && is_digit(PyUnicode_READ(kind, d, q))) {
        Py_ssize_t last = -1;
        for (Py_ssize_t r = q + 1; r < n; r++) {
            Py_UCS4 x = PyUnicode_READ(kind, d, r);
            if (!in_number(x)) break;
            if (is_digit(x)) last = r;
        }
        if (last >= 0) {
            *end = last + 1;
            return 2;
        }
    }
    if (is_digit(c)) {
        *end = p + 1;
        return 2;
    }
    q = p;
    if (is_cjk(c)) {
        while (q < n && is_cjk(PyUnicode_READ(kind, d, q))) q++;
        *end = q;
        return 3;
    }
    if (is_alpha(c)) {
        q++;
        while (q < n) {
            Py_UCS4 x = PyUnicode_READ(kind, d, q);
            if (!(is_alpha(x) || is_digit(x) || x == '_')) break;
            q++;
        }
        *end = q;
        return 4;
    }
    if (c >= 0x80 && !Py_UNICODE_ISSPACE(c)) {
        while (q < n) {
            Py_UCS4 x = PyUnicode_READ(kind, d, q);
            if (x < 0x80 || Py_UNICODE_ISSPACE(x)) break;
            q++;
        }
        *end = q;
        return 5;
    }
    return 0;
}

static Py_ssize_t put_ascii(Py_UCS4 *out, Py_ssize_t o, const char *s) {
    while (*s) out[o++] = (Py_UCS4)(unsigned char)*s++;
    return o;
}

/* ⟨name⟩ or ⟨name:n⟩ (n < 0: no length). */
static Py_ssize_t put_shape(Py_UCS4 *out, Py_ssize_t o, const char *name, Py_ssize_t n) {
    char num[32];
    out[o++] = LANGLE;
    o = put_ascii(out, o, name);
    if (n >= 0) {
        snprintf(num, sizeof num, ":%d", (int)(n > 999 ? 999 : n));
        o = put_ascii(out, o, num);
    }
    out[o++] = RANGLE;
    return o;
}

/* matchers.snippet.shape_unknown of a number token (alternative 2). */
static Py_ssize_t put_number(Py_UCS4 *out, Py_ssize_t o, int kind, const void *d, Py_ssize_t a,
                             Py_ssize_t b) {
    Py_ssize_t digits = 0, seps = 0, spaces = 0, len = b - a;
    for (Py_ssize_t i = a; i < b; i++) {
        Py_UCS4 x = PyUnicode_READ(kind, d, i);
        if (is_digit(x)) digits++;
        else if (x == '-' || x == '.') seps++;
        else if (x == ' ') spaces++;
    }
    if (digits >= 10 && (double)digits >= (double)len * 0.6) return put_shape(out, o, "phone", -1);
    if (digits == len - seps) return put_shape(out, o, "digits", len);
    return put_shape(out, o, "text", len - spaces);
}

PyObject *native_prose_shapes(PyObject *self, PyObject *args) {
    PyObject *piece, *known;
    if (!PyArg_ParseTuple(args, "UO:prose_shapes", &piece, &known)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(piece);
    int kind = PyUnicode_KIND(piece);
    const void *d = PyUnicode_DATA(piece);
    /* A shape is at most 12 characters and replaces a token of one or more. */
    Py_UCS4 *out = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(12 * n + 16));
    if (out == NULL) return PyErr_NoMemory();
    Py_ssize_t o = 0, p = 0;
    while (p < n) {
        Py_ssize_t end;
        int alt = token_at(kind, d, n, p, &end);
        if (alt == 0) {
            out[o++] = PyUnicode_READ(kind, d, p++);
            continue;
        }
        if (alt == 1) {
            o = put_shape(out, o, "email", -1);
        } else if (alt == 2) {
            o = put_number(out, o, kind, d, p, end);
        } else if (alt == 4) {
            PyObject *tok = PyUnicode_Substring(piece, p, end);
            PyObject *yes = tok == NULL ? NULL : PyObject_CallOneArg(known, tok);
            Py_XDECREF(tok);
            int keep = yes == NULL ? -1 : PyObject_IsTrue(yes);
            Py_XDECREF(yes);
            if (keep < 0) {
                PyMem_Free(out);
                return NULL;
            }
            if (keep) {
                for (Py_ssize_t i = p; i < end; i++) out[o++] = PyUnicode_READ(kind, d, i);
            } else {
                o = put_shape(out, o, "text", end - p);
            }
        } else {
            o = put_shape(out, o, "text", end - p); /* 3, 5: no white space inside */
        }
        p = end;
    }
    /* " ".join(text.split()) */
    Py_ssize_t w = 0;
    int gap = 0;
    for (Py_ssize_t i = 0; i < o; i++) {
        if (Py_UNICODE_ISSPACE(out[i])) {
            gap = 1;
            continue;
        }
        if (gap && w > 0) out[w++] = ' ';
        gap = 0;
        out[w++] = out[i];
    }
    PyObject *result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, w);
    PyMem_Free(out);
    return result;
}
