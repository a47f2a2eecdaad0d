/* The rows a column scan scores (issue 15): matchers.columnrefs.first_rows in C.
 *
 *   first_rows(columns, cells, strong[, rows]) -> (rows, founds)
 *
 * ``columns`` are the hit columns' cell values (lists of str, all of one length),
 * ``cells`` per hit column the dict value -> list of its (pair, column) hits, and
 * ``strong`` per hit column the set of its values with a hit of a strong kind, or
 * None. A row is scored when one of its cells is strong, and only when the hit cells
 * of no earlier row are the same (same records, same kinds, a later line: nothing
 * new). ``rows`` are those rows' indices, ascending; ``founds`` each one's hits, the
 * hit columns' lists concatenated in column order. Given ``rows`` (ascending; the
 * rows with a strong cell, as rows_with finds them from the same sets), only those are
 * looked at, and their strong cells not looked for again.
 *
 * A row's signature is, per hit column, the list object its cell maps to (NULL for a
 * miss): one list per distinct value, so equal signatures are equal pointers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_fill.h"
#include "_ptrset.h"

static uint64_t sig_hash(PyObject *const *sig, Py_ssize_t nc) {
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (Py_ssize_t c = 0; c < nc; c++) {
        h ^= (uint64_t)(uintptr_t)sig[c] >> 4;
        h *= 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
    }
    return h;
}

#define FIRST_AHEAD 8 /* rows ahead whose cells are asked for */
#define LOOK_AHEAD 4  /* rows ahead whose cells are looked up, their hit lists asked for */
#define RING 8        /* a power of two above LOOK_AHEAD */

/* Row i's keep flag (-1 on error) and signature into sig[0..nc): whether one of its
 * cells is strong (``strong`` NULL: known to be), and per hit column the list its
 * cell maps to (NULL for a miss). */
static int look_up(PyObject *columns, PyObject *cells, PyObject *strong, Py_ssize_t nc,
                   Py_ssize_t i, PyObject **sig) {
    int keep = strong == NULL;
    for (Py_ssize_t c = 0; c < nc && !keep; c++) {
        PyObject *s = PyList_GET_ITEM(strong, c);
        if (s == Py_None) continue;
        keep = PySet_Contains(s, PyList_GET_ITEM(PyList_GET_ITEM(columns, c), i));
        if (keep < 0) return -1;
    }
    if (!keep) return 0;
    for (Py_ssize_t c = 0; c < nc; c++) {
        PyObject *v = PyList_GET_ITEM(PyList_GET_ITEM(columns, c), i);
        PyObject *hit = PyDict_GetItemWithError(PyList_GET_ITEM(cells, c), v);
        if (hit == NULL && PyErr_Occurred()) return -1;
        sig[c] = hit;
        /* (Its type and size are read LOOK_AHEAD rows later: ask for it now.) */
        if (hit != NULL) __builtin_prefetch(hit);
    }
    return 1;
}

PyObject *native_first_rows(PyObject *self, PyObject *args) {
    PyObject *columns, *cells, *strong, *only = Py_None;
    if (!PyArg_ParseTuple(args, "O!O!O!|O", &PyList_Type, &columns, &PyList_Type, &cells,
                          &PyList_Type, &strong, &only))
        return NULL;
    if (only != Py_None && !PyList_Check(only)) {
        PyErr_SetString(PyExc_TypeError, "first_rows: rows is a list of ints or None");
        return NULL;
    }
    Py_ssize_t nc = PyList_GET_SIZE(columns);
    if (PyList_GET_SIZE(cells) != nc || PyList_GET_SIZE(strong) != nc) {
        PyErr_SetString(PyExc_ValueError, "columns, cells and strong differ in length");
        return NULL;
    }
    Py_ssize_t n = 0;
    for (Py_ssize_t c = 0; c < nc; c++) {
        PyObject *col = PyList_GET_ITEM(columns, c), *s = PyList_GET_ITEM(strong, c);
        if (!PyList_Check(col) || !PyDict_Check(PyList_GET_ITEM(cells, c)) ||
            !(s == Py_None || PyAnySet_Check(s))) {
            PyErr_SetString(PyExc_TypeError, "columns are lists, cells dicts, strong sets");
            return NULL;
        }
        if (c == 0) n = PyList_GET_SIZE(col);
        else if (PyList_GET_SIZE(col) != n) {
            PyErr_SetString(PyExc_ValueError, "the columns differ in length");
            return NULL;
        }
    }
    /* The rows looked at: every row, or those given (ascending, each with a strong
     * cell: the caller's rows_with over the same strong sets), whose strong cells are
     * then not looked for again. */
    Py_ssize_t nlook = only == Py_None ? n : PyList_GET_SIZE(only);
    Py_ssize_t *at_row = NULL;
    if (only != Py_None) {
        at_row = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(nlook ? nlook : 1));
        if (at_row == NULL) return PyErr_NoMemory();
        for (Py_ssize_t k = 0; k < nlook; k++) {
            Py_ssize_t r = PyLong_AsSsize_t(PyList_GET_ITEM(only, k));
            if (r == -1 && PyErr_Occurred()) {
                PyMem_Free(at_row);
                return NULL;
            }
            if (r < 0 || r >= n || (k && r <= at_row[k - 1])) {
                PyMem_Free(at_row);
                PyErr_SetString(PyExc_ValueError, "first_rows: rows ascend within the columns");
                return NULL;
            }
            at_row[k] = r;
        }
    }
#define ROW_AT(k) (at_row != NULL ? at_row[k] : (k))
    PyObject *strong_or = at_row != NULL ? NULL : strong;
    Fill rows = {NULL, 0}, founds = {NULL, 0};
    PyObject *result = NULL;
    PyObject **store = NULL; /* the signatures seen, nc pointers each */
    Py_ssize_t nstored = 0, capstored = 0;
    Py_ssize_t *slots = NULL; /* open addressing over store: index + 1, 0 free */
    size_t nslots = 16;
    while (nslots < (size_t)nlook * 2 + 2) nslots *= 2;
    /* The next rows' keep flags and signatures, LOOK_AHEAD rows ahead of the
     * row scored: a hit-dense chunk's hit lists and their items are spread over more
     * memory than the caches hold, and each was a wait where it was first read. */
    PyObject **ring = PyMem_Calloc((size_t)(RING * (nc ? nc : 1)), sizeof(PyObject *));
    int keeps[RING];
    slots = PyMem_Calloc(nslots, sizeof(Py_ssize_t));
    if (fill_new(&rows, nlook) < 0 || fill_new(&founds, nlook) < 0) goto done;
    if (ring == NULL || slots == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < nlook + LOOK_AHEAD; i++) {
        /* The cells of the row FIRST_AHEAD further on are asked for now (their hashes
         * are read first when they are looked up). */
        if (i + FIRST_AHEAD < nlook)
            for (Py_ssize_t c = 0; c < nc; c++)
                __builtin_prefetch(PyList_GET_ITEM(PyList_GET_ITEM(columns, c),
                                                   ROW_AT(i + FIRST_AHEAD)));
        if (i < nlook) {
            Py_ssize_t r = i & (RING - 1);
            keeps[r] = look_up(columns, cells, strong_or, nc, ROW_AT(i), ring + r * nc);
            if (keeps[r] < 0) goto done;
        }
        Py_ssize_t k = i - LOOK_AHEAD;
        if (k < 0) continue;
        Py_ssize_t row = ROW_AT(k);
        Py_ssize_t r = k & (RING - 1);
        if (!keeps[r]) continue;
        PyObject **sig = ring + r * nc;
        Py_ssize_t total = 0;
        for (Py_ssize_t c = 0; c < nc; c++) {
            PyObject *hit = sig[c];
            if (hit == NULL) continue;
            if (!PyList_Check(hit)) {
                PyErr_SetString(PyExc_TypeError, "a cell's hits are a list");
                goto done;
            }
            total += PyList_GET_SIZE(hit);
        }
        size_t mask = nslots - 1, at = (size_t)sig_hash(sig, nc) & mask;
        int seen = 0;
        for (; slots[at]; at = (at + 1) & mask) {
            if (memcmp(store + (slots[at] - 1) * nc, sig, sizeof(PyObject *) * (size_t)nc) == 0) {
                seen = 1;
                break;
            }
        }
        if (seen) continue;
        if (nstored == capstored) {
            Py_ssize_t cap = capstored ? capstored * 2 : 256;
            PyObject **grown = PyMem_Realloc(store, sizeof(PyObject *) * (size_t)(cap * nc));
            if (grown == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            store = grown;
            capstored = cap;
        }
        memcpy(store + nstored * nc, sig, sizeof(PyObject *) * (size_t)nc);
        slots[at] = ++nstored;
        PyObject *found = PyList_New(total);
        if (found == NULL) goto done;
        Py_ssize_t put = 0;
        for (Py_ssize_t c = 0; c < nc; c++) {
            if (sig[c] == NULL) continue;
            for (Py_ssize_t m = 0; m < PyList_GET_SIZE(sig[c]); m++)
                PyList_SET_ITEM(found, put++, Py_NewRef(PyList_GET_ITEM(sig[c], m)));
        }
        PyObject *index = PyLong_FromSsize_t(row);
        if (index == NULL) {
            Py_DECREF(found);
            goto done;
        }
        fill_steal(&rows, index);
        fill_steal(&founds, found);
    }
    if (fill_done(&rows) != NULL && fill_done(&founds) != NULL)
        result = PyTuple_Pack(2, rows.list, founds.list);
done:
#undef ROW_AT
    Py_XDECREF(rows.list);
    Py_XDECREF(founds.list);
    PyMem_Free(store);
    PyMem_Free(slots);
    PyMem_Free(ring);
    PyMem_Free(at_row);
    return result;
}

/* Whether every value of ``set`` is one of the objects of ``distinct`` (a column's
 * distinct values as the native cut made them): then *out holds their addresses, and a
 * cell of that column is in the set exactly when its address is (its value's one
 * object). Else *out is left empty (no slots). -1 on error. */
static int same_objects(PyObject *set, PyObject *distinct, PtrSet *out) {
    Py_ssize_t size = PySet_GET_SIZE(set), pos = 0, met = 0;
    PyObject *key;
    Py_hash_t hash;
    if (ptrset_new(out, size) < 0) return -1;
    while (_PySet_NextEntry(set, &pos, &key, &hash)) ptrset_add(out, key);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(distinct) && met < size; i++)
        met += ptrset_take(out, PyList_GET_ITEM(distinct, i));
    if (met != size) ptrset_free(out);
    return 0;
}

/* rows_with(columns, sets[, distinct]) -> the indices, ascending, of the rows in which
 * the cell of some column is in that column's set (None: no set):
 * matchers.columnrefs.rows_with. ``distinct``, per column, its distinct values where
 * the native cut made the table (text_columns, split_columns: equal cells one object),
 * or None: a column whose set holds only those objects is tested by address
 * (_ptrset.h), the others by value. */
PyObject *native_rows_with(PyObject *self, PyObject *args) {
    PyObject *columns, *sets, *distinct = Py_None;
    if (!PyArg_ParseTuple(args, "O!O!|O", &PyList_Type, &columns, &PyList_Type, &sets,
                          &distinct))
        return NULL;
    Py_ssize_t nc = PyList_GET_SIZE(columns);
    if (PyList_GET_SIZE(sets) != nc ||
        (distinct != Py_None && (!PyList_Check(distinct) || PyList_GET_SIZE(distinct) != nc))) {
        PyErr_SetString(PyExc_ValueError, "columns, sets and distinct differ in length");
        return NULL;
    }
    Fill out = {NULL, 0};
    PyObject **cols = PyMem_Calloc((size_t)nc + 1, sizeof(PyObject *));
    PyObject **wanted = PyMem_Calloc((size_t)nc + 1, sizeof(PyObject *));
    PtrSet *same = PyMem_Calloc((size_t)nc + 1, sizeof(PtrSet)); /* no slots: by value */
    Py_ssize_t n = 0, nw = 0;
    if (cols == NULL || wanted == NULL || same == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t c = 0; c < nc; c++) {
        PyObject *s = PyList_GET_ITEM(sets, c);
        if (s == Py_None) continue;
        if (!PyAnySet_Check(s)) {
            PyErr_SetString(PyExc_TypeError, "rows_with: a set or None per column");
            goto fail;
        }
        PyObject *col = PySequence_Fast(PyList_GET_ITEM(columns, c), "a column is a sequence");
        if (col == NULL) goto fail;
        cols[nw] = col;
        wanted[nw] = s;
        PyObject *d = distinct == Py_None ? Py_None : PyList_GET_ITEM(distinct, c);
        if (PyList_Check(d) && same_objects(s, d, &same[nw]) < 0) {
            nw++;
            goto fail;
        }
        nw++;
        Py_ssize_t len = PySequence_Fast_GET_SIZE(col);
        if (len > n) n = len;
    }
    if (fill_new(&out, n) < 0) goto fail;
    for (Py_ssize_t i = 0; i < n; i++) {
        for (Py_ssize_t w = 0; w < nw; w++) {
            if (i >= PySequence_Fast_GET_SIZE(cols[w])) continue;
            PyObject *cell = PySequence_Fast_GET_ITEM(cols[w], i);
            int in = same[w].slots != NULL ? ptrset_has(&same[w], cell)
                                           : PySet_Contains(wanted[w], cell);
            if (in < 0) goto fail;
            if (!in) continue;
            PyObject *row = PyLong_FromSsize_t(i);
            if (row == NULL) goto fail;
            fill_steal(&out, row);
            break;
        }
    }
    if (fill_done(&out) != NULL) goto done;
fail:
    Py_CLEAR(out.list);
done:
    for (Py_ssize_t w = 0; w < nw; w++) {
        Py_DECREF(cols[w]);
        ptrset_free(&same[w]);
    }
    PyMem_Free(cols);
    PyMem_Free(wanted);
    PyMem_Free(same);
    return out.list;
}

/* in_rows(values, column, rows, distinct) -> those of ``values`` (some of the column's
 * distinct values) that are the cell of one of ``rows`` (indices into the column), in
 * their order: matchers.columns._in_rows, by address (_ptrset.h) in a column the
 * native cut made (``distinct`` its distinct values: equal cells one object). None
 * when a value is not one of those objects (the caller then looks them up by value). */
PyObject *native_in_rows(PyObject *self, PyObject *args) {
    PyObject *values, *column, *rows, *distinct;
    if (!PyArg_ParseTuple(args, "O!O!O!O!", &PyList_Type, &values, &PyList_Type, &column,
                          &PyList_Type, &rows, &PyList_Type, &distinct))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(column), nv = PyList_GET_SIZE(values);
    if (PyList_GET_SIZE(rows) == n) return Py_NewRef(values); /* every row */
    PtrSet known = {NULL}, there = {NULL};
    Fill out = {NULL, 0};
    PyObject *result = NULL;
    if (ptrset_new(&known, PyList_GET_SIZE(distinct)) < 0 ||
        ptrset_new(&there, PyList_GET_SIZE(rows)) < 0 || fill_new(&out, nv) < 0)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(distinct); i++)
        ptrset_add(&known, PyList_GET_ITEM(distinct, i));
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(rows); k++) {
        Py_ssize_t r = PyLong_AsSsize_t(PyList_GET_ITEM(rows, k));
        if (r == -1 && PyErr_Occurred()) goto done;
        if (r < 0 || r >= n) {
            PyErr_SetString(PyExc_IndexError, "in_rows: a row outside the column");
            goto done;
        }
        ptrset_add(&there, PyList_GET_ITEM(column, r));
    }
    for (Py_ssize_t i = 0; i < nv; i++) {
        PyObject *v = PyList_GET_ITEM(values, i);
        if (!ptrset_has(&known, v)) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        if (ptrset_has(&there, v)) fill_put(&out, v);
    }
    result = fill_done(&out);
    if (result != NULL) out.list = NULL; /* (the reference is the result's) */
done:
    Py_XDECREF(out.list);
    ptrset_free(&known);
    ptrset_free(&there);
    return result;
}
