/* shaped_column(...): matchers.candidates.Extractor._shaped_cells, the column fast path
 * for bare phone numbers and e-mail addresses. Included by _native.c (after prepare).
 *
 *   shaped_column(values, phone, email, fixed, prepare, sample, max_cell)
 *     -> None                              where the reference returns None
 *      | (is_phone, shaped, blob, ends, rest)
 *
 * ``shaped`` are the values whose trimmed, prepared cell has the kind's shape
 * (PHONE_CELL_RE / EMAIL_CELL_RE fullmatch) and a canonical form (PhoneNormalizer /
 * EmailNormalizer .canonical_many, international phone forms included), in order;
 * their canonical forms are packed, not made into strs (fingerprints.packed: the UTF-8
 * forms end to end in ``blob``, each one's end an int64 in ``ends``): only the few
 * that hit are ever wanted as strs, and a column of phone numbers made, digested and
 * freed a str for each. ``rest`` are the other values.
 * ``fixed`` is 1,000 bytes: whether each
 * three-digit area prefix after the trunk 0 is one of the normalizer's fixed-line
 * prefixes (computed from its pattern, fingerprints.normalizers.phone). ``prepare``
 * is fingerprints.text.prepare, called for a cell with a character the native
 * preparation does not know.
 */

/* The trimmed value's bounds in [*a, *b); 0 when it holds a line break inside. */
static int strip_bounds(PyObject *v, Py_ssize_t *a, Py_ssize_t *b) {
    int kind = PyUnicode_KIND(v);
    const void *data = PyUnicode_DATA(v);
    Py_ssize_t i = 0, j = PyUnicode_GET_LENGTH(v);
    while (i < j && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) i++;
    while (j > i && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, j - 1))) j--;
    *a = i;
    *b = j;
    /* (A line break inside, per kind: most cells are 1-byte strs, searched by memchr.) */
    switch (kind) {
    case PyUnicode_1BYTE_KIND:
        return j <= i || memchr((const Py_UCS1 *)data + i, '\n', (size_t)(j - i)) == NULL;
    case PyUnicode_2BYTE_KIND:
        for (Py_ssize_t k = i; k < j; k++)
            if (((const Py_UCS2 *)data)[k] == '\n') return 0;
        return 1;
    default:
        for (Py_ssize_t k = i; k < j; k++)
            if (((const Py_UCS4 *)data)[k] == '\n') return 0;
        return 1;
    }
}

/* prepare(v.strip()) as a new reference: the native preparation, or the Python one
 * for a cell with a character it does not know (with prepare_py NULL: NULL and no
 * error set). */
static PyObject *prepared_cell(PyObject *v, Py_ssize_t a, Py_ssize_t b, PyObject *prepare_py,
                               Py_UCS4 **buf, Py_ssize_t *cap) {
    if (b - a > *cap) {
        Py_UCS4 *nb = PyMem_Realloc(*buf, sizeof(Py_UCS4) * (size_t)(b - a));
        if (nb == NULL) return PyErr_NoMemory();
        *buf = nb;
        *cap = b - a;
    }
    int unknown;
    PyObject *cell = prepare_span(v, PyUnicode_KIND(v), PyUnicode_DATA(v), a, b, *buf, &unknown);
    if (cell != NULL || !unknown) return cell;
    if (prepare_py == NULL) return NULL; /* no error set: the caller's Python decides */
    PyObject *stripped = PyUnicode_Substring(v, a, b);
    if (stripped == NULL) return NULL;
    cell = PyObject_CallOneArg(prepare_py, stripped);
    Py_DECREF(stripped);
    if (cell != NULL && !PyUnicode_Check(cell)) {
        Py_DECREF(cell);
        PyErr_SetString(PyExc_TypeError, "prepare must return a str");
        return NULL;
    }
    return cell;
}

/* PHONE_CELL_RE = \+?\(?[0-9][0-9()\-. ]{8,18}[0-9] (fullmatch): '+' and '(' are
 * neither digits nor (for '+') in the middle class, so the optional marks are taken
 * exactly when present; then a digit, 8-18 middle characters, a digit. */
static int phone_shape(PyObject *s) {
    int kind = PyUnicode_KIND(s);
    const void *d = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), i = 0;
    if (i < n && PyUnicode_READ(kind, d, i) == '+') i++;
    if (i < n && PyUnicode_READ(kind, d, i) == '(') i++;
    if (n - i < 10 || n - i > 20) return 0;
    if (!is_digit(PyUnicode_READ(kind, d, i)) || !is_digit(PyUnicode_READ(kind, d, n - 1)))
        return 0;
    for (Py_ssize_t k = i + 1; k < n - 1; k++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, k);
        if (!(is_digit(c) || c == '(' || c == ')' || c == '-' || c == '.' || c == ' ')) return 0;
    }
    return 1;
}

static int is_alnum_ascii(Py_UCS4 c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* EMAIL_CELL_RE = [^@\s]{1,64}@[A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z0-9\-]+ (fullmatch):
 * the local part runs to the only possible '@'; the domain is made of the ASCII class,
 * starts alphanumeric, and its last '.' has one character or more after it and is not
 * its first. Returns the position of '@', or -1. */
static Py_ssize_t email_shape(PyObject *s) {
    int kind = PyUnicode_KIND(s);
    const void *d = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), at = 0;
    while (at < n) {
        Py_UCS4 c = PyUnicode_READ(kind, d, at);
        if (c == '@') break;
        if (Py_UNICODE_ISSPACE(c)) return -1;
        at++;
    }
    if (at < 1 || at > 64 || at >= n) return -1;
    Py_ssize_t dot = -1;
    for (Py_ssize_t k = at + 1; k < n; k++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, k);
        if (c == '.') dot = k;
        else if (!(is_alnum_ascii(c) || c == '-')) return -1;
    }
    if (at + 1 >= n || !is_alnum_ascii(PyUnicode_READ(kind, d, at + 1))) return -1;
    if (dot <= at + 1 || dot == n - 1) return -1;
    return at;
}

/* EmailNormalizer.canonical of a shaped cell: local part as written, the (ASCII)
 * domain lower-cased (its other steps change nothing on a prepared shaped cell). */
static PyObject *email_canonical(PyObject *s, Py_ssize_t at) {
    int kind = PyUnicode_KIND(s);
    const void *d = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), k;
    for (k = at + 1; k < n; k++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, k);
        if (c >= 'A' && c <= 'Z') break;
    }
    if (k == n) {
        Py_INCREF(s);
        return s;
    }
    Py_UCS4 *buf = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)n);
    if (buf == NULL) return PyErr_NoMemory();
    for (k = 0; k < n; k++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, k);
        buf[k] = (k > at && c >= 'A' && c <= 'Z') ? c + 32 : c;
    }
    PyObject *out = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, n);
    PyMem_Free(buf);
    return out;
}

/* PhoneNormalizer.canonical for one shaped (ASCII) cell, international forms included:
 * the separators dropped (a '+' anywhere too; one at the start marks the number
 * international), +81/0081/01081/81… made domestic as phone.py's _domestic does, then
 * a mobile/IP or fixed-line domestic number gives +81…, any other None (also a cell
 * with a character neither shape allows, which no caller hands it: a None leaves the
 * cell to the Python rules). Returns its length, its characters in e (0: None). */
static Py_ssize_t phone_chars(PyObject *s, const uint8_t *fixed, char e[16]) {
    int kind = PyUnicode_KIND(s);
    const void *d = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), m = 0, first = 0;
    char c[32] = {0};
    while (first < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, first))) first++;
    int plus = first < n && PyUnicode_READ(kind, d, first) == '+';
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_UCS4 ch = PyUnicode_READ(kind, d, k);
        if (ch == '-' || ch == ' ' || ch == '(' || ch == ')' || ch == '.' || ch == '\t' ||
            ch == '+')
            continue;
        if (ch < '0' || ch > '9' || m == (Py_ssize_t)sizeof c) return 0;
        c[m++] = (char)ch;
    }
    /* _domestic: the international forms as a domestic 0… number */
    const char *dom = c;
    Py_ssize_t dn = m;
    char buf[32];
    int mapped = 0;
    if (m > 12 || c[0] == '8') {
        Py_ssize_t skip = 0;
        if (m >= 4 && memcmp(c, "0081", 4) == 0 && (m == 13 || m == 14)) skip = 4;
        else if (m >= 5 && memcmp(c, "01081", 5) == 0 && (m == 14 || m == 15)) skip = 5;
        else if (m >= 2 && memcmp(c, "81", 2) == 0 && (m == 11 || m == 12)) skip = 2;
        if (skip) {
            buf[0] = '0';
            memcpy(buf + 1, c + skip, (size_t)(m - skip));
            dom = buf;
            dn = m - skip + 1;
            mapped = 1;
        }
    }
    int valid = 0;
    if ((mapped || !plus) && dn > 0 && dom[0] == '0') {
        if (dn == 11) { /* 0[5-9]0[1-9][0-9]{7} */
            valid = dom[1] >= '5' && dom[1] <= '9' && dom[2] == '0' && dom[3] >= '1' &&
                    dom[3] <= '9';
        } else if (dn == 10) {
            valid = fixed[(dom[1] - '0') * 100 + (dom[2] - '0') * 10 + (dom[3] - '0')] != 0;
        }
    }
    if (!valid) return 0;
    memcpy(e, "+81", 3);
    memcpy(e + 3, dom + 1, (size_t)(dn - 1));
    return dn + 2;
}

/* The same as a str, or None (phone_runs): 0, or -1 with an error set. */
static int phone_canonical(PyObject *s, const uint8_t *fixed, PyObject **out) {
    char e[16];
    Py_ssize_t len = phone_chars(s, fixed, e);
    *out = len ? ascii_str(e, len) : Py_NewRef(Py_None);
    return *out == NULL ? -1 : 0;
}

/* A growing bytes object of UTF-8 forms end to end (shaped_column's canonical forms). */
typedef struct {
    PyObject *bytes;
    Py_ssize_t used;
} Packed;

static int packed_new(Packed *p, Py_ssize_t cap) {
    p->used = 0;
    p->bytes = PyBytes_FromStringAndSize(NULL, cap > 64 ? cap : 64);
    return p->bytes == NULL ? -1 : 0;
}

/* Appends s[0:len]: 1, or -1 with MemoryError set. */
static int packed_put(Packed *p, const char *s, Py_ssize_t len) {
    Py_ssize_t cap = PyBytes_GET_SIZE(p->bytes);
    if (p->used + len > cap) {
        while (p->used + len > cap) cap *= 2;
        if (_PyBytes_Resize(&p->bytes, cap) < 0) return -1;
    }
    memcpy(PyBytes_AS_STRING(p->bytes) + p->used, s, (size_t)len);
    p->used += len;
    return 1;
}

/* Appends the UTF-8 form of str s (an ASCII str's is its data, nothing made). */
static int packed_put_str(Packed *p, PyObject *s) {
    Py_ssize_t len;
    const char *utf8 = PyUnicode_AsUTF8AndSize(s, &len);
    return utf8 == NULL ? -1 : packed_put(p, utf8, len);
}

static int packed_done(Packed *p) { return _PyBytes_Resize(&p->bytes, p->used); }

static PyObject *native_shaped_column(PyObject *self, PyObject *args) {
    PyObject *values, *prepare_py;
    int want_phone, want_email;
    Py_buffer fixed;
    Py_ssize_t sample, max_cell;
    if (!PyArg_ParseTuple(args, "Oppy*Onn", &values, &want_phone, &want_email, &fixed,
                          &prepare_py, &sample, &max_cell))
        return NULL;
    PyObject *seq = NULL, *result = NULL, *cell = NULL;
    Fill shaped = {NULL, 0}, rest = {NULL, 0};
    Packed blob = {NULL, 0};
    PyObject *ends = NULL;
    Py_ssize_t *bounds = NULL;
    Py_ssize_t cap = 64;
    Py_UCS4 *buf = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)cap);
    if (buf == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (fixed.len != 1000) {
        PyErr_SetString(PyExc_ValueError, "fixed must be 1000 bytes");
        goto done;
    }
    seq = PySequence_Fast(values, "values must be iterable");
    if (seq == NULL) goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyUnicode_Check(items[i])) {
            PyErr_SetString(PyExc_TypeError, "values must be str");
            goto done;
        }
    }
    /* The sampling decision: does the start of the column look like phones or e-mails? */
    Py_ssize_t ns = n < sample ? n : sample, phones = 0, emails = 0, a, b;
    for (Py_ssize_t i = 0; i < ns; i++) {
        if (want_phone) {
            strip_bounds(items[i], &a, &b);
            cell = prepared_cell(items[i], a, b, prepare_py, &buf, &cap);
            if (cell == NULL) goto done;
            phones += phone_shape(cell);
            Py_CLEAR(cell);
        }
        if (want_email && PyUnicode_FindChar(items[i], '@', 0, PY_SSIZE_T_MAX, 1) >= 0) emails++;
    }
    int phone = want_phone && phones * 2 > ns;
    if (!phone && !(want_email && emails * 2 > ns)) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    /* A column with an over-long cell or a line break in a cell is the reference's to
     * leave to the per-cell path. (Each cell's bounds are kept for the pass below.) */
    bounds = PyMem_Malloc(sizeof(Py_ssize_t) * 2 * (size_t)(n ? n : 1));
    if (bounds == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!strip_bounds(items[i], &bounds[2 * i], &bounds[2 * i + 1]) ||
            bounds[2 * i + 1] - bounds[2 * i] > max_cell) {
            result = Py_None;
            Py_INCREF(result);
            goto done;
        }
    }
    if (fill_new(&shaped, n) < 0 || fill_new(&rest, n) < 0) goto done;
    ends = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizeof(int64_t) * n);
    if (ends == NULL || packed_new(&blob, n * 16) < 0) goto done;
    int64_t *endp = (int64_t *)PyBytes_AS_STRING(ends);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = items[i];
        cell = prepared_cell(v, bounds[2 * i], bounds[2 * i + 1], prepare_py, &buf, &cap);
        if (cell == NULL) goto done;
        /* (An ASCII value is prepared as it stands: its trimmed span, already known to
         * hold no line break.) */
        if (!PyUnicode_IS_ASCII(v) && PyUnicode_FindChar(cell, '\n', 0, PY_SSIZE_T_MAX, 1) >= 0) {
            /* Preparing made a line break: the reference's line count differs. */
            result = Py_None;
            Py_INCREF(result);
            goto done;
        }
        int put;
        if (phone) {
            char e[16];
            Py_ssize_t len = phone_shape(cell) ? phone_chars(cell, (const uint8_t *)fixed.buf, e)
                                               : 0;
            put = len ? packed_put(&blob, e, len) : 0;
        } else {
            Py_ssize_t at = email_shape(cell);
            PyObject *canon = at < 0 ? NULL : email_canonical(cell, at);
            if (at >= 0 && canon == NULL) goto done;
            put = canon != NULL ? packed_put_str(&blob, canon) : 0;
            Py_XDECREF(canon);
        }
        Py_CLEAR(cell);
        if (put < 0) goto done;
        if (put) {
            endp[shaped.used] = (int64_t)blob.used;
            fill_put(&shaped, v);
        } else {
            fill_put(&rest, v);
        }
    }
    if (fill_done(&shaped) != NULL && fill_done(&rest) != NULL &&
        packed_done(&blob) == 0 &&
        _PyBytes_Resize(&ends, (Py_ssize_t)sizeof(int64_t) * shaped.used) == 0)
        result = Py_BuildValue("(OOOOO)", phone ? Py_True : Py_False, shaped.list, blob.bytes,
                               ends, rest.list);
done:
    Py_XDECREF(cell);
    Py_XDECREF(seq);
    Py_XDECREF(shaped.list);
    Py_XDECREF(rest.list);
    Py_XDECREF(blob.bytes);
    Py_XDECREF(ends);
    PyMem_Free(buf);
    PyMem_Free(bounds);
    PyBuffer_Release(&fixed);
    return result;
}

/* weak_cells(values, max_cell) -> (weak, others): matchers.candidates
 * Extractor.weak_only, the cells of a column read as a weak kind whose candidates can
 * only be weak (no '@', fewer than ten digits, and no address: either ASCII only, or
 * without a digit and, from four characters on, without an address mark), told
 * apart from the others without preparing them into strings. A cell with a character
 * the native preparation does not know, a line break inside, or more than max_cell
 * characters once trimmed goes to the others (the Python rules decide it there). A
 * dash between digits is not turned into '-' here: a non-ASCII one keeps the cell
 * non-ASCII, which can only send it to the others. */
static int address_mark(Py_UCS4 c) {
    switch (c) {
    case 0x90FD: case 0x9053: case 0x5E9C: case 0x770C: /* 都道府県 */
    case 0x5E02: case 0x533A: case 0x753A: case 0x6751: case 0x90E1: /* 市区町村郡 */
        return 1;
    default:
        return 0;
    }
}

static int weak_cell(PyObject *v, Py_ssize_t max_cell) {
    Py_ssize_t a, b;
    if (!strip_bounds(v, &a, &b) || b - a > max_cell) return 0;
    int kind = PyUnicode_KIND(v);
    const void *data = PyUnicode_DATA(v);
    Py_ssize_t kept = 0, spaces = 0, digits = 0;
    int wide = 0, mark = 0;
    for (Py_ssize_t i = a; i < b; i++) {
        Py_UCS4 f = fold_char(PyUnicode_READ(kind, data, i));
        if (f == (Py_UCS4)-1 || f == '@') return 0;
        if (!f) continue;
        kept++;
        if (is_digit(f)) digits++;
        else if (f == ' ') spaces++;
        else if (f >= 0x80) {
            wide = 1;
            mark |= address_mark(f);
        }
    }
    if (!kept || digits >= 10) return 0;
    return !(wide && (digits || (kept - spaces >= 4 && mark)));
}

static PyObject *native_weak_cells(PyObject *self, PyObject *args) {
    PyObject *values;
    Py_ssize_t max_cell;
    if (!PyArg_ParseTuple(args, "On", &values, &max_cell)) return NULL;
    PyObject *seq = PySequence_Fast(values, "weak_cells() needs a sequence of str");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Fill weak = {NULL, 0}, others = {NULL, 0};
    PyObject *out = NULL;
    if (fill_new(&weak, n) < 0 || fill_new(&others, n) < 0) goto done;
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = items[i];
        if (!PyUnicode_Check(v)) {
            PyErr_SetString(PyExc_TypeError, "weak_cells() needs a sequence of str");
            goto done;
        }
        fill_put(weak_cell(v, max_cell) ? &weak : &others, v);
    }
    if (fill_done(&weak) != NULL && fill_done(&others) != NULL)
        out = PyTuple_Pack(2, weak.list, others.list);
done:
    Py_XDECREF(weak.list);
    Py_XDECREF(others.list);
    Py_DECREF(seq);
    return out;
}
