/* kind_cells(values, kind, max_cell, canon, fold, folded_kind) -> (found, rest): the
 * cells of a column read as a name, kana, birth date or postal code that
 * matchers.candidates.Extractor._hinted decides through the kind's canonical form
 * alone, in one call (included by _native.c, after _native_address_cells.h:
 * strip_bounds, prepared_cell, may_hold_primary).
 *
 * For each value, the tests of ``_hinted``: trimmed (a line break inside, or more than
 * max_cell characters, sends it to rest), prepared (a character the native preparation
 * does not know sends it to rest), not empty, no '@' and fewer than ten digits; then
 * ``canon`` of the prepared cell (the native core's canon_name, canon_kana,
 * canon_birthdate or canon_postal: what the built-in normalizer's ``canonical``
 * returns for a prepared value). None or NotImplemented sends the value to rest:
 * ``_hinted`` decides every cell of rest as before. ``found`` maps each other value
 * to (pairs, 0, kind): ((kind, canonical),), or with ``fold`` (a name)
 * ((kind, canonical), (folded_kind, fold(canonical))), as KindRegistry.fields_for
 * expands a name. */

static PyObject *native_kind_cells(PyObject *self, PyObject *args) {
    PyObject *values, *kind, *canon, *fold, *folded_kind;
    Py_ssize_t max_cell;
    if (!PyArg_ParseTuple(args, "OUnOOO", &values, &kind, &max_cell, &canon, &fold,
                          &folded_kind))
        return NULL;
    if (!PyCallable_Check(canon) || (fold != Py_None && !PyCallable_Check(fold))) {
        PyErr_SetString(PyExc_TypeError, "kind_cells() needs callables canon and fold");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(values, "kind_cells() needs a sequence of str");
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
        PyObject *v = items[i], *got = NULL;
        if (!PyUnicode_Check(v)) {
            PyErr_SetString(PyExc_TypeError, "kind_cells() needs a sequence of str");
            goto done;
        }
        Py_ssize_t a, b;
        if (strip_bounds(v, &a, &b) && b - a <= max_cell && b > a) {
            PyObject *cell = prepared_cell(v, a, b, NULL, &buf, &cap);
            if (cell == NULL) {
                if (PyErr_Occurred()) goto done;
            } else {
                if (PyUnicode_GET_LENGTH(cell) && !may_hold_primary(cell))
                    got = PyObject_CallOneArg(canon, cell);
                Py_DECREF(cell);
                if (got == NULL && PyErr_Occurred()) goto done;
            }
        }
        if (got == NULL || got == Py_None || got == Py_NotImplemented) {
            Py_XDECREF(got);
            if (PyList_Append(rest, v) < 0) goto done;
            continue;
        }
        if (!PyUnicode_Check(got)) {
            Py_DECREF(got);
            PyErr_SetString(PyExc_TypeError, "canon must return a str, None or NotImplemented");
            goto done;
        }
        PyObject *pairs;
        PyObject *pair = PyTuple_Pack(2, kind, got);
        if (fold == Py_None) {
            pairs = pair ? PyTuple_Pack(1, pair) : NULL;
        } else {
            PyObject *folded = pair ? PyObject_CallOneArg(fold, got) : NULL;
            PyObject *second = folded ? PyTuple_Pack(2, folded_kind, folded) : NULL;
            pairs = second ? PyTuple_Pack(2, pair, second) : NULL;
            Py_XDECREF(folded);
            Py_XDECREF(second);
        }
        Py_DECREF(got);
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
