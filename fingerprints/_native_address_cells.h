/* address_cells(values, kind, max_cell) -> (found, rest): the cells of a column read
 * as addresses that matchers.candidates.Extractor._hinted decides through the
 * address key alone, in one call (included by _native.c, after _native_cells.h).
 *
 * For each value: trimmed (a line break inside, or more than max_cell characters,
 * sends it to rest), prepared (a character the native preparation does not know sends
 * it to rest), no '@' and fewer than ten digits, then AddressNormalizer.canonical's
 * native steps: address_key of the prepared cell, and when white space was squeezed
 * out of the town part, address_key of the key prepared again. A cell whose key is
 * None or NotImplemented goes to rest as well: ``_hinted`` decides every cell of
 * rest as before. ``found`` maps each other value to ((kind, key),), 0, kind): what
 * ``_hinted`` gives it. */

PyObject *native_address_key(PyObject *self, PyObject *s); /* _canon_address.c */

/* The key of prepared ``cell`` as AddressNormalizer.canonical_steps gives it (a new
 * reference); NULL with no error set for "rest", NULL with an error on failure. */
static PyObject *address_cell_key(PyObject *cell, Py_UCS4 **buf, Py_ssize_t *cap) {
    PyObject *key = native_address_key(NULL, cell);
    if (key == NULL || key == Py_None || key == Py_NotImplemented) {
        Py_XDECREF(key);
        return NULL;
    }
    PyObject *text = PyTuple_GET_ITEM(key, 0);
    int squeezed = PyObject_IsTrue(PyTuple_GET_ITEM(key, 1));
    if (squeezed < 0) {
        Py_DECREF(key);
        return NULL;
    }
    if (!squeezed) {
        Py_INCREF(text);
        Py_DECREF(key);
        return text;
    }
    /* White space left the town part: one more pass over the prepared key. */
    PyObject *again = prepared_cell(text, 0, PyUnicode_GET_LENGTH(text), NULL, buf, cap);
    Py_DECREF(key);
    if (again == NULL) return NULL;
    key = native_address_key(NULL, again);
    Py_DECREF(again);
    if (key == NULL || key == Py_None || key == Py_NotImplemented) {
        Py_XDECREF(key);
        return NULL;
    }
    text = PyTuple_GET_ITEM(key, 0);
    Py_INCREF(text);
    Py_DECREF(key);
    return text;
}

/* Whether a prepared cell may hold a primary candidate: an '@' or ten digits. */
static int may_hold_primary(PyObject *cell) {
    int kind = PyUnicode_KIND(cell);
    const void *d = PyUnicode_DATA(cell);
    Py_ssize_t n = PyUnicode_GET_LENGTH(cell), digits = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        if (c == '@' || (is_digit(c) && ++digits >= 10)) return 1;
    }
    return 0;
}

/* What a column's decider gives one prepared cell: its canonical form (a new
 * reference), or NULL with no error set when the cell goes to rest, NULL with an
 * error set on failure. ``ctx`` is the decider's own argument. */
typedef PyObject *(*CellDecider)(PyObject *cell, PyObject *ctx, Py_UCS4 **buf, Py_ssize_t *cap);

/* The loop shared by address_cells and kind_cells (_native_kind_cells.h): each value
 * trimmed, prepared and tested as ``_hinted`` does, then ``decide``d; ``found`` maps
 * each decided value to (pairs, 0, kind), pairs ((kind, canonical),) or, with ``fold``
 * (a callable, else None), ((kind, canonical), (folded_kind, fold(canonical))). */
static PyObject *decided_cells(PyObject *values, PyObject *kind, Py_ssize_t max_cell,
                               CellDecider decide, PyObject *ctx, PyObject *fold,
                               PyObject *folded_kind, const char *needs) {
    PyObject *seq = PySequence_Fast(values, needs);
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Fill rest = {NULL, 0};
    PyObject *found = PyDict_New(), *zero = PyLong_FromLong(0);
    PyObject *out = NULL;
    Py_ssize_t cap = 64;
    Py_UCS4 *buf = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)cap);
    if (found == NULL || fill_new(&rest, n) < 0 || zero == NULL || buf == NULL) {
        if (buf == NULL) PyErr_NoMemory();
        goto done;
    }
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = items[i], *got = NULL;
        if (!PyUnicode_Check(v)) {
            PyErr_SetString(PyExc_TypeError, needs);
            goto done;
        }
        Py_ssize_t a, b;
        if (strip_bounds(v, &a, &b) && b - a <= max_cell && b > a) {
            PyObject *cell = prepared_cell(v, a, b, NULL, &buf, &cap);
            if (cell == NULL) {
                if (PyErr_Occurred()) goto done;
            } else {
                if (PyUnicode_GET_LENGTH(cell) && !may_hold_primary(cell))
                    got = decide(cell, ctx, &buf, &cap);
                Py_DECREF(cell);
                if (got == NULL && PyErr_Occurred()) goto done;
            }
        }
        if (got == NULL) {
            fill_put(&rest, v);
            continue;
        }
        /* (Pairs keep their hash: fingerprints/_pair.c) */
        PyObject *pairs = NULL, *pair = pair_new(kind, got);
        if (pair != NULL && fold == Py_None) {
            pairs = tuple1(pair);
        } else if (pair != NULL) {
            PyObject *folded = PyObject_CallOneArg(fold, got);
            PyObject *second = folded ? pair_new(folded_kind, folded) : NULL;
            pairs = second ? tuple2(pair, second) : NULL;
            Py_XDECREF(folded);
            Py_XDECREF(second);
        }
        Py_DECREF(got);
        Py_XDECREF(pair);
        PyObject *res = pairs ? tuple3(pairs, zero, kind) : NULL;
        Py_XDECREF(pairs);
        if (res == NULL) goto done;
        int bad = PyDict_SetItem(found, v, res);
        Py_DECREF(res);
        if (bad < 0) goto done;
    }
    if (fill_done(&rest) != NULL) out = PyTuple_Pack(2, found, rest.list);
done:
    PyMem_Free(buf);
    Py_XDECREF(found);
    Py_XDECREF(rest.list);
    Py_XDECREF(zero);
    Py_DECREF(seq);
    return out;
}

static PyObject *address_decider(PyObject *cell, PyObject *ctx, Py_UCS4 **buf,
                                 Py_ssize_t *cap) {
    return address_cell_key(cell, buf, cap);
}

static PyObject *native_address_cells(PyObject *self, PyObject *args) {
    PyObject *values, *kind;
    Py_ssize_t max_cell;
    if (!PyArg_ParseTuple(args, "OUn", &values, &kind, &max_cell)) return NULL;
    return decided_cells(values, kind, max_cell, address_decider, NULL, Py_None, Py_None,
                         "address_cells() needs a sequence of str");
}
