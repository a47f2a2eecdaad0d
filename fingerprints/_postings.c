/* The exact index's answers for the digests that hit (issue 15):
 * the loop of matchers.probe.DigestProber._found in C.
 *
 *   postings(where, left, right, keys, kinds, codes, rows, kcodes, cap, common)
 *     -> ([position], [answer])
 *
 * Per hit ``h``: ``where[h]`` is the batch position, ``[left[h], right[h])`` its range
 * in the index, ``keys[h]`` its index key (lists of int); ``kinds`` the batch's kind
 * per position, ``codes`` kind -> the index's kind code; ``rows`` (uint32) and
 * ``kcodes`` (uint8) the index's postings. A range longer than ``cap`` gives
 * ``common(kind, records, key)`` when its first posting is of the kind (a value too
 * common to expand), nothing otherwise; a shorter one gives the tuple of
 * ``(record, kind)`` of its postings of the kind, when there are any.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define POSTINGS_AHEAD 8

PyObject *native_postings(PyObject *self, PyObject *args) {
    PyObject *where, *left, *right, *keys, *kinds, *codes, *common;
    Py_buffer rows, kcodes;
    Py_ssize_t cap;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!y*y*nO", &PyList_Type, &where, &PyList_Type,
                          &left, &PyList_Type, &right, &PyList_Type, &keys, &PyList_Type,
                          &kinds, &PyDict_Type, &codes, &rows, &kcodes, &cap, &common))
        return NULL;
    PyObject *out = NULL, *at = NULL, *answers = NULL, *last_kind = NULL;
    long last_code = -1;
    Py_ssize_t n = PyList_GET_SIZE(where), nrows = rows.len / 4, nk = PyList_GET_SIZE(kinds);
    const uint32_t *rv = (const uint32_t *)rows.buf;
    const uint8_t *kv = (const uint8_t *)kcodes.buf;
    if (PyList_GET_SIZE(left) != n || PyList_GET_SIZE(right) != n ||
        PyList_GET_SIZE(keys) != n || kcodes.len != nrows || rows.len % 4) {
        PyErr_SetString(PyExc_ValueError, "postings: arrays of different lengths");
        goto done;
    }
    if ((at = PyList_New(0)) == NULL || (answers = PyList_New(0)) == NULL) goto fail;
    for (Py_ssize_t h = 0; h < n; h++) {
        /* The postings of the hit POSTINGS_AHEAD further on are asked for now: at
         * millions of records each hit's are a miss or two in arrays far larger than
         * the caches, and so they overlap. */
        if (h + POSTINGS_AHEAD < n) {
            Py_ssize_t ahead = PyLong_AsSsize_t(PyList_GET_ITEM(left, h + POSTINGS_AHEAD));
            if (ahead >= 0 && ahead < nrows) {
                __builtin_prefetch(&kv[ahead]);
                __builtin_prefetch(&rv[ahead]);
            } else if (ahead == -1 && PyErr_Occurred()) {
                goto fail;
            }
        }
        Py_ssize_t j = PyLong_AsSsize_t(PyList_GET_ITEM(where, h));
        Py_ssize_t lo = PyLong_AsSsize_t(PyList_GET_ITEM(left, h));
        Py_ssize_t hi = PyLong_AsSsize_t(PyList_GET_ITEM(right, h));
        if (PyErr_Occurred()) goto fail;
        if (j < 0 || j >= nk || lo < 0 || hi > nrows || lo >= hi) {
            PyErr_SetString(PyExc_IndexError, "postings: a position or range out of bounds");
            goto fail;
        }
        PyObject *kind = PyList_GET_ITEM(kinds, j);
        if (kind != last_kind) {
            PyObject *c = PyDict_GetItemWithError(codes, kind);
            if (c == NULL && PyErr_Occurred()) goto fail;
            last_code = c == NULL ? -1 : PyLong_AsLong(c);
            if (last_code == -1 && PyErr_Occurred()) goto fail;
            last_kind = kind;
        }
        long code = last_code;
        PyObject *answer = NULL;
        if (hi - lo > cap) {
            if ((long)kv[lo] != code) continue;
            PyObject *count = PyLong_FromSsize_t(hi - lo);
            if (count == NULL) goto fail;
            PyObject *cargs[3] = {kind, count, PyList_GET_ITEM(keys, h)};
            answer = PyObject_Vectorcall(common, cargs, 3, NULL);
            Py_DECREF(count);
            if (answer == NULL) goto fail;
        } else {
            Py_ssize_t m = 0;
            for (Py_ssize_t p = lo; p < hi; p++) m += (long)kv[p] == code;
            if (m == 0) continue;
            if ((answer = PyTuple_New(m)) == NULL) goto fail;
            Py_ssize_t k = 0;
            for (Py_ssize_t p = lo; p < hi; p++) {
                if ((long)kv[p] != code) continue;
                PyObject *rec = PyLong_FromUnsignedLong(rv[p]);
                PyObject *t = rec == NULL ? NULL : PyTuple_Pack(2, rec, kind);
                Py_XDECREF(rec);
                if (t == NULL) {
                    Py_DECREF(answer);
                    goto fail;
                }
                PyTuple_SET_ITEM(answer, k++, t);
            }
        }
        int e = PyList_Append(answers, answer);
        Py_DECREF(answer);
        if (e < 0) goto fail;
        /* (the positions are the list ``where``'s own int objects) */
        if (PyList_Append(at, PyList_GET_ITEM(where, h)) < 0) goto fail;
    }
    out = PyTuple_Pack(2, at, answers);
fail:
    Py_XDECREF(at);
    Py_XDECREF(answers);
done:
    PyBuffer_Release(&rows);
    PyBuffer_Release(&kcodes);
    return out;
}
