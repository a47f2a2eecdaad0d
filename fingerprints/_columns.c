/* One column's cells with a hit, after the column scan's probe (issue 15).
 *
 *   column_hits(found, hit_set, hits, j, weak) -> (cell_hits, strong_values, matched)
 *
 * The exact counterpart of matchers.columns.column_hits (its reference and its
 * docstring say what each part is): ``found`` maps a distinct cell value to its
 * (pairs, primary count, label); a cell with any pair in ``hit_set`` gets its pairs
 * that hit (``hits[pair]`` true) as (pair, j), in order; it is strong when one of
 * them is of a kind outside ``weak``; and it counts its primary pairs that hit. A
 * hit-dense dump has tens of thousands of such cells per chunk.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static int truth_of(PyObject *hits, PyObject *pair) {
    PyObject *h = PyObject_GetItem(hits, pair);
    if (h == NULL) return -1;
    int t = PyObject_IsTrue(h);
    Py_DECREF(h);
    return t;
}

/* Whether pair's kind (pair[0]) is outside ``weak``: 1, 0, or -1 on error. */
static int strong_kind(PyObject *pair, PyObject *weak) {
    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) < 1) {
        PyErr_SetString(PyExc_TypeError, "a pair is a (kind, canonical) tuple");
        return -1;
    }
    int in = PySequence_Contains(weak, PyTuple_GET_ITEM(pair, 0));
    return in < 0 ? -1 : !in;
}

/* cell_hits[value], strong_values and matched for one cell with a hit. */
static int one_cell(PyObject *value, PyObject *pairs, Py_ssize_t nprim, PyObject *hits,
                    PyObject *jobj, PyObject *weak, PyObject *cell_hits,
                    PyObject *strong_values, PyObject *matched_values) {
    Py_ssize_t n = PyTuple_GET_SIZE(pairs);
    PyObject *got = PyList_New(0);
    if (got == NULL) return -1;
    int strong = 0;
    Py_ssize_t matched = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *pair = PyTuple_GET_ITEM(pairs, i);
        /* one pair: it is the one that hit (the reference reads no answer) */
        int t = n == 1 ? 1 : truth_of(hits, pair);
        if (t < 0) goto fail;
        if (!t) continue;
        PyObject *item = PyTuple_Pack(2, pair, jobj);
        if (item == NULL) goto fail;
        int e = PyList_Append(got, item);
        Py_DECREF(item);
        if (e < 0) goto fail;
        if (!strong) {
            int s = strong_kind(pair, weak);
            if (s < 0) goto fail;
            strong = s;
        }
        if (n > 1 && i < nprim) matched++;
    }
    if (n == 1) matched = nprim;
    if (PyDict_SetItem(cell_hits, value, got) < 0) goto fail;
    Py_DECREF(got);
    if (strong && PySet_Add(strong_values, value) < 0) return -1;
    if (matched) {
        PyObject *m = PyLong_FromSsize_t(matched);
        if (m == NULL) return -1;
        int e = PyDict_SetItem(matched_values, value, m);
        Py_DECREF(m);
        if (e < 0) return -1;
    }
    return 0;
fail:
    Py_DECREF(got);
    return -1;
}

PyObject *native_column_hits(PyObject *self, PyObject *args) {
    PyObject *found, *hit_set, *hits, *jobj, *weak;
    if (!PyArg_ParseTuple(args, "O!OOO!O", &PyDict_Type, &found, &hit_set, &hits,
                          &PyLong_Type, &jobj, &weak))
        return NULL;
    PyObject *cell_hits = PyDict_New(), *strong_values = PySet_New(NULL);
    PyObject *matched_values = PyDict_New();
    if (cell_hits == NULL || strong_values == NULL || matched_values == NULL) goto fail;
    Py_ssize_t pos = 0;
    PyObject *value, *res;
    while (PyDict_Next(found, &pos, &value, &res)) {
        if (!PyTuple_Check(res) || PyTuple_GET_SIZE(res) != 3 ||
            !PyTuple_Check(PyTuple_GET_ITEM(res, 0))) {
            PyErr_SetString(PyExc_TypeError, "a cell's result is (pairs, nprim, label)");
            goto fail;
        }
        PyObject *pairs = PyTuple_GET_ITEM(res, 0);
        Py_ssize_t n = PyTuple_GET_SIZE(pairs), i = 0;
        for (; i < n; i++) {
            int in = PySet_Contains(hit_set, PyTuple_GET_ITEM(pairs, i));
            if (in < 0) goto fail;
            if (in) break;
        }
        if (i == n) continue; /* no candidate of this cell hit */
        Py_ssize_t nprim = PyLong_AsSsize_t(PyTuple_GET_ITEM(res, 1));
        if (nprim == -1 && PyErr_Occurred()) goto fail;
        Py_INCREF(value); /* ``found`` may not be changed meanwhile, but hold it anyway */
        int e = one_cell(value, pairs, nprim, hits, jobj, weak, cell_hits, strong_values,
                         matched_values);
        Py_DECREF(value);
        if (e < 0) goto fail;
    }
    return Py_BuildValue("(NNN)", cell_hits, strong_values, matched_values);
fail:
    Py_XDECREF(cell_hits);
    Py_XDECREF(strong_values);
    Py_XDECREF(matched_values);
    return NULL;
}
