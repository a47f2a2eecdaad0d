/* The column memo's lookups in one pass (issue 15): the native side of
 * matchers.columns._read_values.
 *
 *   memo_split(entries, values) -> (fresh, known_values, known_res, unread)
 *
 * ``entries`` is one column of a matchers.columns.ColumnMemo (value -> a tuple of
 * length 0, 1 or 3), ``values`` an iterable of str. Each value, in order, goes to
 * ``fresh`` when it has no entry, to ``known_values`` (and its entry to
 * ``known_res``) when its entry has three items, to ``unread`` (value -> the entry's
 * one item) when it has one; a value whose entry is empty goes nowhere. ``unread``
 * is None when no value went there (the caller then keeps its dict of fresh values
 * as the result itself, as the reference does).
 *
 *   memo_settle(entries, fresh, found) -> how many entries were added
 *
 * Each value of ``fresh`` that is not a key of ``found`` gets the entry ``()``.
 *
 * The reference made eight C-level passes over the values (get, len, three
 * compresses, ...), each a list of the column's length; a page of a crawl has seven
 * such columns, a chunk of a dump file tens of thousands of values.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "_dictpeek.h"

/* Keys between the stages of dict_ahead (_dictpeek.h): the index slot of the value
 * 3 * MEMO_AHEAD on is asked for, the entry of the one 2 * MEMO_AHEAD on, and the key
 * object of the one MEMO_AHEAD on. A chunk's memo lookups were a third of
 * memo_split's time, each waiting on the one before (226 ns a lookup). */
#define MEMO_AHEAD 4

PyObject *native_memo_split(PyObject *self, PyObject *args) {
    PyObject *entries, *values;
    if (!PyArg_ParseTuple(args, "O!O", &PyDict_Type, &entries, &values)) return NULL;
    /* (a tuple: nothing a lookup runs can move its items, as it could a list's) */
    PyObject *seq = PySequence_Tuple(values);
    if (seq == NULL) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    PyObject **items = ((PyTupleObject *)seq)->ob_item;
    Hashes hs;
    Py_hash_t *hashes = hashes_for(&hs, n);
    PyObject *fresh = PyList_New(0), *kv = PyList_New(0), *kr = PyList_New(0);
    PyObject *unread = NULL;
    if (hashes == NULL || fresh == NULL || kv == NULL || kr == NULL) goto fail;
    for (Py_ssize_t i = -3 * MEMO_AHEAD; i < n; i++) {
        if (dict_lookahead(entries, items, hashes, n, i, MEMO_AHEAD, 3) < 0) goto fail;
        if (i < 0) continue;
        PyObject *v = items[i];
        PyObject *r = PyDict_GetItemWithError(entries, v); /* borrowed */
        if (r == NULL) {
            if (PyErr_Occurred() || PyList_Append(fresh, v) < 0) goto fail;
            continue;
        }
        if (!PyTuple_Check(r)) {
            PyErr_SetString(PyExc_TypeError, "a memo entry must be a tuple");
            goto fail;
        }
        Py_ssize_t len = PyTuple_GET_SIZE(r);
        if (len == 3) {
            if (PyList_Append(kv, v) < 0 || PyList_Append(kr, r) < 0) goto fail;
        } else if (len == 1) {
            if (unread == NULL && (unread = PyDict_New()) == NULL) goto fail;
            if (PyDict_SetItem(unread, v, PyTuple_GET_ITEM(r, 0)) < 0) goto fail;
        } else if (len != 0) {
            PyErr_SetString(PyExc_ValueError, "a memo entry has 0, 1 or 3 items");
            goto fail;
        }
    }
    hashes_free(&hs);
    Py_DECREF(seq);
    return Py_BuildValue("(NNNN)", fresh, kv, kr, unread != NULL ? unread : Py_NewRef(Py_None));
fail:
    hashes_free(&hs);
    Py_DECREF(seq);
    Py_XDECREF(fresh);
    Py_XDECREF(kv);
    Py_XDECREF(kr);
    Py_XDECREF(unread);
    return NULL;
}

PyObject *native_memo_settle(PyObject *self, PyObject *args) {
    PyObject *entries, *fresh, *found;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyDict_Type, &entries, &PyList_Type, &fresh,
                          &PyDict_Type, &found))
        return NULL;
    PyObject *empty = PyTuple_New(0);
    if (empty == NULL) return NULL;
    Py_ssize_t added = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(fresh); i++) {
        PyObject *v = PyList_GET_ITEM(fresh, i);
        int there = PyDict_Contains(found, v);
        if (there < 0 || (!there && PyDict_SetItem(entries, v, empty) < 0)) {
            Py_DECREF(empty);
            return NULL;
        }
        added += !there;
    }
    Py_DECREF(empty);
    return PyLong_FromSsize_t(added);
}

/* The prober's cache (issues 12 and 15): the first step of
 * matchers.probe.DigestProber.probe.
 *
 *   cache_split(cache, pairs) -> (known, missing)
 *
 * ``cache`` maps (kind, canonical) pairs to probe answers, ``pairs`` is a sequence of
 * such pairs. ``known`` is each pair's answer, None where the cache has none;
 * ``missing`` maps the kind of each of those to their positions in ``pairs``, in
 * order. A hit-dense chunk probes a quarter of a million pairs: the reference's
 * C-level passes (get, compress, a sort of the missing by kind) each hashed the pair
 * tuples again (CPython keeps no tuple's hash) and waited on the cache, far larger
 * than L2, one lookup after the other. Here each pair is hashed once and the index
 * slot and entry of the lookups a few pairs on are asked for ahead (dict_ahead). */
#define CACHE_AHEAD 4

/* positions[kind].append(i), with the last kind's list kept at hand. -1 on error. */
static int add_missing(PyObject *missing, PyObject *kind, Py_ssize_t i, PyObject **last_kind,
                       PyObject **last_list) {
    if (kind != *last_kind) {
        PyObject *lst = PyDict_GetItemWithError(missing, kind); /* borrowed */
        if (lst == NULL) {
            if (PyErr_Occurred() || (lst = PyList_New(0)) == NULL) return -1;
            int e = PyDict_SetItem(missing, kind, lst);
            Py_DECREF(lst); /* the dict holds it */
            if (e < 0) return -1;
        }
        *last_kind = kind;
        *last_list = lst;
    }
    PyObject *pos = PyLong_FromSsize_t(i);
    int e = pos == NULL ? -1 : PyList_Append(*last_list, pos);
    Py_XDECREF(pos);
    return e;
}

PyObject *native_cache_split(PyObject *self, PyObject *args) {
    PyObject *cache, *pairs;
    if (!PyArg_ParseTuple(args, "O!O", &PyDict_Type, &cache, &pairs)) return NULL;
    PyObject *seq = PySequence_Tuple(pairs);
    if (seq == NULL) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    PyObject **items = ((PyTupleObject *)seq)->ob_item;
    Hashes hs;
    Py_hash_t *hashes = hashes_for(&hs, n);
    PyObject *known = PyList_New(n), *missing = PyDict_New(), *out = NULL;
    PyObject *last_kind = NULL, *last_list = NULL;
    if (hashes == NULL || known == NULL || missing == NULL) goto done;
    for (Py_ssize_t i = -2 * CACHE_AHEAD; i < n; i++) {
        /* (a tuple key is compared by identity first: its object is not read) */
        if (dict_lookahead(cache, items, hashes, n, i, CACHE_AHEAD, 2) < 0) goto done;
        if (i < 0) continue;
        PyObject *p = items[i];
        PyObject *a = _PyDict_GetItem_KnownHash(cache, p, hashes[i]); /* borrowed */
        if (a != NULL) {
            PyList_SET_ITEM(known, i, Py_NewRef(a));
            continue;
        }
        if (PyErr_Occurred()) goto done;
        PyList_SET_ITEM(known, i, Py_NewRef(Py_None));
        if (!PyTuple_Check(p) || PyTuple_GET_SIZE(p) < 1) {
            PyErr_SetString(PyExc_TypeError, "cache_split: a pair is (kind, canonical)");
            goto done;
        }
        if (add_missing(missing, PyTuple_GET_ITEM(p, 0), i, &last_kind, &last_list) < 0)
            goto done;
    }
    out = PyTuple_Pack(2, known, missing);
done:
    hashes_free(&hs);
    Py_XDECREF(known);
    Py_XDECREF(missing);
    Py_DECREF(seq);
    return out;
}
