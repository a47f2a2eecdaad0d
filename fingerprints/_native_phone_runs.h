/* phone_runs(text, fixed): the runs of matchers.primaries.PrimarySearch._phones in
 * prepared prose, with the canonical form of the domestic ones. Included by _native.c
 * (after _native_cells.h: phone_canonical).
 *
 *   phone_runs(text, fixed) -> [(start, end, canonical or None)]
 *
 * One entry per match of matchers.shapes.DIGIT_RUN_RE (``finditer`` order) that is not
 * followed by '@'. ``canonical`` is the str ``fields(PHONE, run)`` gives for a run of at
 * most 15 digits that phone_canonical settles (a mobile, IP or fixed-line number, in a
 * domestic or an international form); None leaves the whole run to the Python rules
 * (an invalid form, too many digits, the space/dot split). ``fixed`` is FIXED_PREFIXES.
 *
 * DIGIT_RUN_RE is
 *   [+(0-9](?<![A-Za-z0-9_@\-].)(?:(?<=\+)\(?[0-9]|(?<=\()[0-9]|(?<=[0-9]))
 *   (?:[-. ]?\)?[-. ]?\(?[0-9]){9,}
 * At a start s (not after an ASCII letter, digit, '_', '@' or '-'), its first digit is
 * at s (a digit), s+1 ('(' or '+' then a digit) or s+2 ('+(' then a digit). Each
 * repetition ends at the next digit, and takes the characters between the two digits
 * when they read as [-. ]?\)?[-. ]?\(? (greedy reading decides it: where it fails no
 * other reading succeeds). The greedy loop stops at the first digit it cannot reach;
 * nine repetitions or more are a match, which ends after its last digit, and the
 * search goes on from there; otherwise from s+1.
 */

static int run_sep(Py_UCS4 c) { return c == '-' || c == '.' || c == ' '; }

static int run_lookbehind_blocks(Py_UCS4 c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '@' || c == '-';
}

/* From the digit at p: the position of the next digit the repetition reaches, or -1. */
static Py_ssize_t run_next_digit(int kind, const void *d, Py_ssize_t n, Py_ssize_t p) {
    Py_ssize_t i = p + 1;
    if (i < n && run_sep(PyUnicode_READ(kind, d, i))) i++;
    if (i < n && PyUnicode_READ(kind, d, i) == ')') i++;
    if (i < n && run_sep(PyUnicode_READ(kind, d, i))) i++;
    if (i < n && PyUnicode_READ(kind, d, i) == '(') i++;
    return (i < n && is_digit(PyUnicode_READ(kind, d, i))) ? i : -1;
}

static PyObject *native_phone_runs(PyObject *self, PyObject *args) {
    PyObject *text;
    Py_buffer fixed;
    if (!PyArg_ParseTuple(args, "Uy*", &text, &fixed)) return NULL;
    if (fixed.len != 1000) {
        PyBuffer_Release(&fixed);
        PyErr_SetString(PyExc_ValueError, "fixed must be 1000 bytes");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), s = 0;
    PyObject *out = PyList_New(0);
    if (out == NULL) goto fail;
    while (s < n) {
        Py_UCS4 c = PyUnicode_READ(kind, d, s);
        if (!(is_digit(c) || c == '+' || c == '(')) {
            s++;
            continue;
        }
        if (s > 0 && run_lookbehind_blocks(PyUnicode_READ(kind, d, s - 1))) {
            s++;
            continue;
        }
        Py_ssize_t f = -1;
        if (is_digit(c)) {
            f = s;
        } else if (c == '(') {
            if (s + 1 < n && is_digit(PyUnicode_READ(kind, d, s + 1))) f = s + 1;
        } else { /* '+' */
            Py_ssize_t i = s + 1;
            if (i < n && PyUnicode_READ(kind, d, i) == '(') i++;
            if (i < n && is_digit(PyUnicode_READ(kind, d, i))) f = i;
        }
        if (f < 0) {
            s++;
            continue;
        }
        Py_ssize_t last = f, digits = 1, q;
        while ((q = run_next_digit(kind, d, n, last)) >= 0) {
            last = q;
            digits++;
        }
        if (digits < 10) {
            s++;
            continue;
        }
        Py_ssize_t e = last + 1;
        if (!(e < n && PyUnicode_READ(kind, d, e) == '@')) {
            PyObject *canon = NULL;
            if (digits <= 15) {
                PyObject *run = PyUnicode_Substring(text, s, e);
                if (run == NULL) goto fail;
                int bad = phone_canonical(run, (const uint8_t *)fixed.buf, &canon);
                Py_DECREF(run);
                if (bad < 0) goto fail;
                if (canon == Py_None) Py_CLEAR(canon);
            }
            PyObject *item = Py_BuildValue("(nnO)", s, e, canon != NULL ? canon : Py_None);
            Py_XDECREF(canon);
            if (item == NULL) goto fail;
            int bad = PyList_Append(out, item);
            Py_DECREF(item);
            if (bad) goto fail;
        }
        s = e;
    }
    PyBuffer_Release(&fixed);
    return out;
fail:
    PyBuffer_Release(&fixed);
    Py_XDECREF(out);
    return NULL;
}
