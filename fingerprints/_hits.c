/* One column's cells with a hit (issue 12, 15): matchers.columnrefs.column_hits in C.
 *
 *   column_hits(found, hit_set, hits, j, weak, memo, known=None)
 *     -> (cell_hits, strong_values, matched_values)
 *
 * ``found`` maps each distinct cell value of column ``j`` to its CellResult
 * (pairs, number of primary pairs first, label); ``hit_set`` holds the pairs that
 * hit, ``hits`` each probed pair's answer, ``weak`` the weak kinds, ``memo`` the
 * column's ColumnMemo entries or None. The result and every entry given to ``memo``
 * are those of the reference, in the same order: ``cell_hits`` value -> its hit
 * pairs as (pair, j), ``strong_values`` the values with a hit of a kind outside
 * ``weak``, ``matched_values`` value -> its primary pairs that hit (when any); a
 * value without a primary pair gets its memo entry: () when nothing of it hit, else
 * (its cell_hits list, strong, ((pair, answer), ...)). ``known`` (values, entries), the
 * column's memoized values with hits, is merged in after (merge_known).
 *
 * Against a base of a million customers nearly every name, kana and birth date of a
 * dump hits someone, and the reference's loop ran once per such value in Python.
 *
 *   shaped_hits(values, at, kind, canons, answers, j, hits) -> {value: [(pair, j)]}
 *
 * The hit cells of a column of bare phone numbers or e-mail addresses
 * (matchers.columnrefs.shaped_hits): for each position ``at[k]`` into ``values``, the
 * pair (kind, canons[k]) (a Pair, _pair.c: its hash kept for the lookups to come) with
 * ``hits[pair] = answers[k]``, and the value's cell_hits list. A clean dump's chunk has
 * thousands such, and their zips and lists in Python cost more than the lookups.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "_fill.h"
#include "_hint.h"
#include "_pair.h"

static int bad_cell(void) {
    PyErr_SetString(PyExc_TypeError, "column_hits: a CellResult is (tuple of pairs, int, label)");
    return -1;
}

/* Whether any pair of ``pairs`` is in ``hit_set``: 1, 0, or -1 on error. */
static int any_hit(PyObject *pairs, PyObject *hit_set) {
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(pairs); k++) {
        int in = PySet_Contains(hit_set, PyTuple_GET_ITEM(pairs, k));
        if (in != 0) return in;
    }
    return 0;
}

/* The answer of ``pair`` in ``hits`` (borrowed); NULL with KeyError when absent. */
static PyObject *answer(PyObject *hits, PyObject *pair) {
    PyObject *a = PyDict_GetItemWithError(hits, pair);
    if (a == NULL && !PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, pair);
    return a;
}

/* Whether the pair's kind is outside ``weak``: 1, 0, or -1. */
static int strong_kind(PyObject *pair, PyObject *weak) {
    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) < 1) {
        PyErr_SetString(PyExc_TypeError, "column_hits: a pair is (kind, canonical)");
        return -1;
    }
    int in = PySequence_Contains(weak, PyTuple_GET_ITEM(pair, 0));
    return in < 0 ? -1 : !in;
}

/* matched_values[value] = n. */
static int set_matched(PyObject *matched_values, PyObject *value, Py_ssize_t n) {
    PyObject *m = PyLong_FromSsize_t(n);
    int e = m == NULL ? -1 : PyDict_SetItem(matched_values, value, m);
    Py_XDECREF(m);
    return e;
}

/* memo[value] = (got, strong, answers), ``answers`` a new reference (or NULL: an
 * error already set) that this takes. */
static int set_entry(PyObject *memo, PyObject *value, PyObject *got, int strong,
                     PyObject *answers) {
    PyObject *entry = answers ? tuple3(got, strong ? Py_True : Py_False, answers) : NULL;
    Py_XDECREF(answers);
    int e = entry == NULL ? -1 : PyDict_SetItem(memo, value, entry);
    Py_XDECREF(entry);
    return e;
}

/* A value with one pair, the one that hit: its cell_hits list [(pair, j)], and its
 * memo entry (when ``memo`` is given and it has no primary pair) with the answers as
 * a tuple of one (pair, answer); the same objects as one_value's, without the lists
 * grown item by item (most of a dump's values are one pair). */
static int one_pair(PyObject *value, PyObject *pair, Py_ssize_t nprim, PyObject *hits,
                    PyObject *jobj, PyObject *weak, PyObject *memo, PyObject *cell_hits,
                    PyObject *strong_values, PyObject *matched_values) {
    int rc = -1;
    PyObject *a = answer(hits, pair);
    if (a == NULL) return -1;
    PyObject *item = tuple2(pair, jobj), *got = PyList_New(1);
    if (item == NULL || got == NULL) {
        Py_XDECREF(item);
        Py_XDECREF(got);
        return -1;
    }
    PyList_SET_ITEM(got, 0, item);
    int strong = strong_kind(pair, weak);
    if (strong < 0 || PyDict_SetItem(cell_hits, value, got) < 0) goto done;
    if (strong && PySet_Add(strong_values, value) < 0) goto done;
    if (nprim) {
        if (set_matched(matched_values, value, nprim) < 0) goto done;
    } else if (memo != Py_None) {
        PyObject *pa = tuple2(pair, a);
        PyObject *t = pa ? tuple1(pa) : NULL;
        Py_XDECREF(pa);
        if (set_entry(memo, value, got, strong, t) < 0) goto done;
    }
    rc = 0;
done:
    Py_DECREF(got);
    return rc;
}

/* One value of several pairs with a hit (one_pair takes a value of one): its
 * cell_hits list, strong and matched, and its memo entry. */
static int one_value(PyObject *value, PyObject *pairs, Py_ssize_t nprim, PyObject *hits,
                     PyObject *jobj, PyObject *weak, PyObject *memo, PyObject *cell_hits,
                     PyObject *strong_values, PyObject *matched_values) {
    Py_ssize_t np = PyTuple_GET_SIZE(pairs), matched = 0;
    int strong = 0, rc = -1;
    PyObject *got = PyList_New(0), *answers = NULL;
    if (got == NULL) return -1;
    if (memo != Py_None && nprim == 0 && (answers = PyList_New(0)) == NULL) goto done;
    for (Py_ssize_t k = 0; k < np; k++) {
        PyObject *pair = PyTuple_GET_ITEM(pairs, k);
        PyObject *a = answer(hits, pair);
        if (a == NULL) goto done;
        int yes = PyObject_IsTrue(a);
        if (yes < 0) goto done;
        if (!yes) continue;
        PyObject *item = tuple2(pair, jobj);
        if (item == NULL || PyList_Append(got, item) < 0) {
            Py_XDECREF(item);
            goto done;
        }
        Py_DECREF(item);
        if (!strong) {
            int s = strong_kind(pair, weak);
            if (s < 0) goto done;
            strong = s;
        }
        if (answers != NULL) {
            PyObject *pa = tuple2(pair, a);
            if (pa == NULL || PyList_Append(answers, pa) < 0) {
                Py_XDECREF(pa);
                goto done;
            }
            Py_DECREF(pa);
        }
    }
    if (PyDict_SetItem(cell_hits, value, got) < 0) goto done;
    if (strong && PySet_Add(strong_values, value) < 0) goto done;
    for (Py_ssize_t k = 0; k < nprim && k < np; k++) {
        PyObject *a = answer(hits, PyTuple_GET_ITEM(pairs, k));
        if (a == NULL) goto done;
        int yes = PyObject_IsTrue(a);
        if (yes < 0) goto done;
        matched += yes;
    }
    if (matched && set_matched(matched_values, value, matched) < 0) goto done;
    if (answers != NULL && set_entry(memo, value, got, strong, PyList_AsTuple(answers)) < 0)
        goto done;
    rc = 0;
done:
    Py_DECREF(got);
    Py_XDECREF(answers);
    return rc;
}

/* What merge_known reads of known value ``i``, in stages a few values apart (a
 * chunk's known values and their entries lie all over the memo's memory, and each was
 * a run of misses one after the other: a quarter of column_hits on the clean dump).
 * Stage 0: the value and its entry; 1: the entry's list and answers; 2: each answer's
 * (pair, answer); 3: the pair and the answer. Only hints. */
#define KNOWN_AHEAD 3

PREFETCH_HELPER void known_ahead(PyObject *values, PyObject *entries, Py_ssize_t i, int stage) {
    if (i >= PyList_GET_SIZE(values)) return;
    PyObject *entry = PyList_GET_ITEM(entries, i);
    if (stage == 0) {
        __builtin_prefetch(PyList_GET_ITEM(values, i));
        __builtin_prefetch(entry);
        return;
    }
    if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 3) return;
    PyObject *answers = PyTuple_GET_ITEM(entry, 2);
    if (stage == 1) {
        __builtin_prefetch(PyTuple_GET_ITEM(entry, 0));
        __builtin_prefetch(answers);
        return;
    }
    if (!PyTuple_Check(answers)) return;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(answers); k++) {
        PyObject *pa = PyTuple_GET_ITEM(answers, k);
        if (stage == 2) {
            __builtin_prefetch(pa);
        } else if (PyTuple_Check(pa) && PyTuple_GET_SIZE(pa) == 2) {
            __builtin_prefetch(PyTuple_GET_ITEM(pa, 0));
            __builtin_prefetch(PyTuple_GET_ITEM(pa, 1));
        }
    }
}

/* The column's memoized values with hits, ``known`` = (values, entries), merged as the
 * reference merges them: cell_hits[value] = the entry's list, the value strong when the
 * entry says so, and the entry's (pair, answer)s into ``hits``. */
static int merge_known(PyObject *known, PyObject *cell_hits, PyObject *strong_values,
                       PyObject *hits) {
    if (!PyTuple_Check(known) || PyTuple_GET_SIZE(known) != 2 ||
        !PyList_Check(PyTuple_GET_ITEM(known, 0)) || !PyList_Check(PyTuple_GET_ITEM(known, 1)) ||
        PyList_GET_SIZE(PyTuple_GET_ITEM(known, 0)) != PyList_GET_SIZE(PyTuple_GET_ITEM(known, 1))) {
        PyErr_SetString(PyExc_TypeError, "column_hits: known is (values, entries), two lists "
                                         "of one length");
        return -1;
    }
    PyObject *values = PyTuple_GET_ITEM(known, 0), *entries = PyTuple_GET_ITEM(known, 1);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(values); i++) {
        for (int stage = 0; stage < 4; stage++)
            known_ahead(values, entries, i + (4 - stage) * KNOWN_AHEAD, stage);
        PyObject *value = PyList_GET_ITEM(values, i), *entry = PyList_GET_ITEM(entries, i);
        if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 3 ||
            !PyTuple_Check(PyTuple_GET_ITEM(entry, 2))) {
            PyErr_SetString(PyExc_TypeError, "column_hits: a known entry is (list, strong, "
                                             "((pair, answer), ...))");
            return -1;
        }
        if (PyDict_SetItem(cell_hits, value, PyTuple_GET_ITEM(entry, 0)) < 0) return -1;
        int strong = PyObject_IsTrue(PyTuple_GET_ITEM(entry, 1));
        if (strong < 0 || (strong && PySet_Add(strong_values, value) < 0)) return -1;
        PyObject *answers = PyTuple_GET_ITEM(entry, 2);
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(answers); k++) {
            PyObject *pa = PyTuple_GET_ITEM(answers, k);
            if (!PyTuple_Check(pa) || PyTuple_GET_SIZE(pa) != 2) {
                PyErr_SetString(PyExc_TypeError, "column_hits: an answer is (pair, answer)");
                return -1;
            }
            if (PyDict_SetItem(hits, PyTuple_GET_ITEM(pa, 0), PyTuple_GET_ITEM(pa, 1)) < 0)
                return -1;
        }
    }
    return 0;
}

PyObject *native_column_hits(PyObject *self, PyObject *args) {
    PyObject *found, *hit_set, *hits, *jobj, *weak, *memo, *known = Py_None;
    if (!PyArg_ParseTuple(args, "O!O!O!OOO|O", &PyDict_Type, &found, &PySet_Type, &hit_set,
                          &PyDict_Type, &hits, &jobj, &weak, &memo, &known))
        return NULL;
    if (memo != Py_None && !PyDict_Check(memo)) {
        PyErr_SetString(PyExc_TypeError, "column_hits: memo is a dict or None");
        return NULL;
    }
    PyObject *cell_hits = PyDict_New(), *strong_values = PySet_New(NULL);
    PyObject *matched_values = PyDict_New(), *empty = PyTuple_New(0), *out = NULL;
    if (cell_hits == NULL || strong_values == NULL || matched_values == NULL || empty == NULL)
        goto done;
    /* Two passes, as the reference: first every value without a primary pair and
     * without a hit gets () in the memo (in the values' order), then the values with
     * a hit are read (their entries after all of those). */
    Py_ssize_t pos = 0;
    PyObject *value, *res;
    Py_ssize_t nfound = PyDict_GET_SIZE(found);
    char *hit_at = PyMem_Malloc((size_t)nfound + 1);
    if (hit_at == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t i = 0;
    int any = 0;
    while (PyDict_Next(found, &pos, &value, &res)) {
        if (!PyTuple_Check(res) || PyTuple_GET_SIZE(res) < 2 ||
            !PyTuple_Check(PyTuple_GET_ITEM(res, 0))) {
            bad_cell();
            goto fail;
        }
        int h = any_hit(PyTuple_GET_ITEM(res, 0), hit_set);
        if (h < 0) goto fail;
        hit_at[i++] = (char)h;
        any |= h;
    }
    if (memo != Py_None) {
        pos = 0;
        i = 0;
        while (PyDict_Next(found, &pos, &value, &res)) {
            if (hit_at[i++]) continue;
            int prim = PyObject_IsTrue(PyTuple_GET_ITEM(res, 1));
            if (prim < 0) goto fail;
            if (!prim && PyDict_SetItem(memo, value, empty) < 0) goto fail;
        }
    }
    if (any) {
        pos = 0;
        i = 0;
        while (PyDict_Next(found, &pos, &value, &res)) {
            if (!hit_at[i++]) continue;
            Py_ssize_t nprim = PyLong_AsSsize_t(PyTuple_GET_ITEM(res, 1));
            if (nprim == -1 && PyErr_Occurred()) goto fail;
            PyObject *pairs = PyTuple_GET_ITEM(res, 0);
            if (PyTuple_GET_SIZE(pairs) == 1) {
                if (one_pair(value, PyTuple_GET_ITEM(pairs, 0), nprim, hits, jobj, weak, memo,
                             cell_hits, strong_values, matched_values) < 0)
                    goto fail;
                continue;
            }
            if (one_value(value, PyTuple_GET_ITEM(res, 0), nprim, hits, jobj, weak, memo,
                          cell_hits, strong_values, matched_values) < 0)
                goto fail;
        }
    }
    if (known != Py_None && merge_known(known, cell_hits, strong_values, hits) < 0) goto fail;
    out = PyTuple_Pack(3, cell_hits, strong_values, matched_values);
fail:
    PyMem_Free(hit_at);
done:
    Py_XDECREF(cell_hits);
    Py_XDECREF(strong_values);
    Py_XDECREF(matched_values);
    Py_XDECREF(empty);
    return out;
}

PyObject *native_shaped_hits(PyObject *self, PyObject *args) {
    PyObject *values, *at, *kind, *canons, *answers, *jobj, *hits;
    if (!PyArg_ParseTuple(args, "O!O!UO!O!OO!", &PyList_Type, &values, &PyList_Type, &at,
                          &kind, &PyList_Type, &canons, &PyList_Type, &answers, &jobj,
                          &PyDict_Type, &hits))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(at);
    if (PyList_GET_SIZE(canons) != n || PyList_GET_SIZE(answers) != n) {
        PyErr_SetString(PyExc_ValueError, "shaped_hits: at, canons and answers differ in length");
        return NULL;
    }
    PyObject *out = _PyDict_NewPresized(n);
    if (out == NULL) return NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_ssize_t i = PyLong_AsSsize_t(PyList_GET_ITEM(at, k));
        if (i == -1 && PyErr_Occurred()) goto fail;
        if (i < 0 || i >= PyList_GET_SIZE(values)) {
            PyErr_SetString(PyExc_IndexError, "shaped_hits: a position outside the values");
            goto fail;
        }
        PyObject *pair = pair_new(kind, PyList_GET_ITEM(canons, k));
        if (pair == NULL) goto fail;
        PyObject *item = PyDict_SetItem(hits, pair, PyList_GET_ITEM(answers, k)) < 0
                         ? NULL : tuple2(pair, jobj);
        Py_DECREF(pair);
        PyObject *got = item != NULL ? PyList_New(1) : NULL;
        if (got == NULL) {
            Py_XDECREF(item);
            goto fail;
        }
        PyList_SET_ITEM(got, 0, item);
        int e = PyDict_SetItem(out, PyList_GET_ITEM(values, i), got);
        Py_DECREF(got);
        if (e < 0) goto fail;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}
