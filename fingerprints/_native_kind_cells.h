/* kind_cells(values, kind, max_cell, canon, fold, folded_kind) -> (found, rest): the
 * cells of a column read as a name, kana, birth date or postal code that
 * matchers.candidates.Extractor._hinted decides through the kind's canonical form
 * alone, in one call (included by _native.c, after _native_address_cells.h, whose
 * loop, decided_cells, it shares).
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

/* ``canon`` (the ctx) of the cell; None and NotImplemented send it to rest. */
static PyObject *canon_decider(PyObject *cell, PyObject *canon, Py_UCS4 **buf,
                               Py_ssize_t *cap) {
    PyObject *got = PyObject_CallOneArg(canon, cell);
    if (got == NULL) return NULL;
    if (got == Py_None || got == Py_NotImplemented) {
        Py_DECREF(got);
        return NULL;
    }
    if (!PyUnicode_Check(got)) {
        Py_DECREF(got);
        PyErr_SetString(PyExc_TypeError, "canon must return a str, None or NotImplemented");
        return NULL;
    }
    return got;
}

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
    return decided_cells(values, kind, max_cell, canon_decider, canon, fold, folded_kind,
                         "kind_cells() needs a sequence of str");
}
