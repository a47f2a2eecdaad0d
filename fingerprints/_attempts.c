/* Prose attempts answered from the matcher's cache (issue 15).
 *
 *   memo_attempts(windows, memo, out, starts, answers) -> misses
 *
 * For each (value, position) of ``windows``: when ``memo`` (one kind's cache: value
 * -> pairs) holds the value, what
 * matchers.prose ``_Support.add`` does with its pairs is done here (the position to
 * ``starts`` when there are pairs; each pair to ``out`` as (position, pair) unless
 * ``answers``, when not None, holds the empty tuple for it: a known miss);
 * otherwise (value, position) goes to the returned list, in order, for the caller
 * to canonicalize. The order of ``out`` differs from the reference's; the caller
 * sorts what it keeps. Substrings of prose repeat across windows and posts, so most
 * attempts end here without a Python call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

PyObject *native_memo_attempts(PyObject *self, PyObject *args) {
    PyObject *windows, *memo, *out, *starts, *answers;
    if (!PyArg_ParseTuple(args, "OO!O!O!O", &windows, &PyDict_Type, &memo, &PyList_Type, &out,
                          &PyList_Type, &starts, &answers))
        return NULL;
    if (answers != Py_None && !PyDict_Check(answers)) {
        PyErr_SetString(PyExc_TypeError, "answers must be a dict or None");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(windows, "windows must be a sequence");
    if (seq == NULL) return NULL;
    PyObject *misses = PyList_New(0);
    if (misses == NULL) goto fail;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(w) || PyTuple_GET_SIZE(w) != 2) {
            PyErr_SetString(PyExc_TypeError, "windows holds (value, position) tuples");
            goto fail;
        }
        PyObject *got = PyDict_GetItemWithError(memo, PyTuple_GET_ITEM(w, 0));
        if (got == NULL) {
            if (PyErr_Occurred() || PyList_Append(misses, w) < 0) goto fail;
            continue;
        }
        PyObject *pairs = PySequence_Fast(got, "a cached answer must be a sequence");
        if (pairs == NULL) goto fail;
        PyObject *pos = PyTuple_GET_ITEM(w, 1);
        if (PySequence_Fast_GET_SIZE(pairs) && PyList_Append(starts, pos) < 0) {
            Py_DECREF(pairs);
            goto fail;
        }
        for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(pairs); j++) {
            PyObject *pair = PySequence_Fast_GET_ITEM(pairs, j);
            if (answers != Py_None) {
                PyObject *known = PyDict_GetItemWithError(answers, pair);
                if (known == NULL && PyErr_Occurred()) {
                    Py_DECREF(pairs);
                    goto fail;
                }
                if (known != NULL && PyTuple_CheckExact(known) && PyTuple_GET_SIZE(known) == 0)
                    continue; /* a known miss */
            }
            PyObject *item = PyTuple_Pack(2, pos, pair);
            if (item == NULL || PyList_Append(out, item) < 0) {
                Py_XDECREF(item);
                Py_DECREF(pairs);
                goto fail;
            }
            Py_DECREF(item);
        }
        Py_DECREF(pairs);
    }
    Py_DECREF(seq);
    return misses;
fail:
    Py_DECREF(seq);
    Py_XDECREF(misses);
    return NULL;
}
