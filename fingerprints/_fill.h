/* Lists filled from the front to a known bound, and small tuples (issue 15).
 * PyList_Append grew a list of a chunk's tens of thousands of cells step by step, and
 * each step past the allocator's small blocks was a realloc that copied it (hit-dense
 * 20k: 3 % of a scan's instructions in list growth). Here the bound's slots are made
 * at once (NULL until set: a list's dealloc skips those), and the unused ones dropped. */
#ifndef LEAKPRINT_FILL_H
#define LEAKPRINT_FILL_H

#include <Python.h>
#include <string.h>

typedef struct {
    PyObject *list;
    Py_ssize_t used;
} Fill;

/* -1 with MemoryError set, else 0. */
static inline int fill_new(Fill *f, Py_ssize_t bound) {
    f->used = 0;
    f->list = PyList_New(bound);
    return f->list == NULL ? -1 : 0;
}

/* Append a new reference to ``o`` (never past the bound: the caller counts). */
static inline void fill_put(Fill *f, PyObject *o) {
    PyList_SET_ITEM(f->list, f->used++, Py_NewRef(o));
}

/* Append ``o``, stealing the reference. */
static inline void fill_steal(Fill *f, PyObject *o) { PyList_SET_ITEM(f->list, f->used++, o); }

/* The list, its unused slots dropped. When most of them are unused (a column of a
 * few distinct values among many rows), the items move to a list of their own size
 * and the large one is freed: a cost of the items used, not of the slots left over.
 * Else only the size is set. On NULL (MemoryError), f->list is still the caller's. */
static inline PyObject *fill_done(Fill *f) {
    if (f->used >= PyList_GET_SIZE(f->list) / 2) {
        Py_SET_SIZE(f->list, f->used);
        return f->list;
    }
    PyObject *exact = PyList_New(f->used);
    if (exact == NULL) return NULL;
    if (f->used)
        memcpy(&PyList_GET_ITEM(exact, 0), &PyList_GET_ITEM(f->list, 0),
               sizeof(PyObject *) * (size_t)f->used);
    Py_SET_SIZE(f->list, 0); /* (its references moved to ``exact``) */
    Py_DECREF(f->list);
    f->list = exact;
    return exact;
}

/* Small tuples of new references to their items: PyTuple_Pack's variadic loop cost a
 * third as much again as the tuple itself, and a hit-dense chunk makes half a million
 * of these (a hit's (pair, column), a cell's pairs, a posting's (record, kind)). */
static inline PyObject *tuple1(PyObject *a) {
    PyObject *t = PyTuple_New(1);
    if (t != NULL) PyTuple_SET_ITEM(t, 0, Py_NewRef(a));
    return t;
}

static inline PyObject *tuple2(PyObject *a, PyObject *b) {
    PyObject *t = PyTuple_New(2);
    if (t != NULL) {
        PyTuple_SET_ITEM(t, 0, Py_NewRef(a));
        PyTuple_SET_ITEM(t, 1, Py_NewRef(b));
    }
    return t;
}

static inline PyObject *tuple3(PyObject *a, PyObject *b, PyObject *c) {
    PyObject *t = PyTuple_New(3);
    if (t != NULL) {
        PyTuple_SET_ITEM(t, 0, Py_NewRef(a));
        PyTuple_SET_ITEM(t, 1, Py_NewRef(b));
        PyTuple_SET_ITEM(t, 2, Py_NewRef(c));
    }
    return t;
}

#endif
