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

static PyObject *native_address_cells(PyObject *self, PyObject *args) {
    PyObject *values, *kind;
    Py_ssize_t max_cell;
    if (!PyArg_ParseTuple(args, "OUn", &values, &kind, &max_cell)) return NULL;
    PyObject *seq = PySequence_Fast(values, "address_cells() needs a sequence of str");
    if (seq == NULL) return NULL;
    PyObject *found = PyDict_New(), *rest = PyList_New(0), *zero = PyLong_FromLong(0);
    PyObject *out = NULL;
    Py_ssize_t cap = 64;
    Py_UCS4 *buf = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)cap);
    if (found == NULL || rest == NULL || zero == NULL || buf == NULL) {
        if (buf == NULL) PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = items[i], *key = NULL;
        if (!PyUnicode_Check(v)) {
            PyErr_SetString(PyExc_TypeError, "address_cells() needs a sequence of str");
            goto done;
        }
        Py_ssize_t a, b;
        if (strip_bounds(v, &a, &b) && b - a <= max_cell && b > a) {
            PyObject *cell = prepared_cell(v, a, b, NULL, &buf, &cap);
            if (cell == NULL) {
                if (PyErr_Occurred()) goto done;
            } else {
                if (PyUnicode_GET_LENGTH(cell) && !may_hold_primary(cell))
                    key = address_cell_key(cell, &buf, &cap);
                Py_DECREF(cell);
                if (key == NULL && PyErr_Occurred()) goto done;
            }
        }
        if (key == NULL) {
            if (PyList_Append(rest, v) < 0) goto done;
            continue;
        }
        PyObject *pair = PyTuple_Pack(2, kind, key);
        Py_DECREF(key);
        PyObject *pairs = pair ? PyTuple_Pack(1, pair) : NULL;
        Py_XDECREF(pair);
        PyObject *res = pairs ? PyTuple_Pack(3, pairs, zero, kind) : NULL;
        Py_XDECREF(pairs);
        if (res == NULL) goto done;
        int bad = PyDict_SetItem(found, v, res);
        Py_DECREF(res);
        if (bad < 0) goto done;
    }
    out = PyTuple_Pack(2, found, rest);
done:
    PyMem_Free(buf);
    Py_XDECREF(found);
    Py_XDECREF(rest);
    Py_XDECREF(zero);
    Py_DECREF(seq);
    return out;
}
