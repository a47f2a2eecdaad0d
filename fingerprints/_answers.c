/* Postings: the answer for a value held by a few records (issue 12): what the exact
 * index says of it, kept as the records' row numbers.
 *
 * The probe's answer for such a value was a tuple of ``(record row, kind)`` tuples. At a
 * million records a hit-dense dump's probes make ~110,000 of them a scan, with ~570,000
 * inner tuples and as many ints: ~300 instructions and ~100 bytes a record to make,
 * as much again to free, and ``tie_rows`` read each record back out of a tuple and an
 * int. A Postings is one object: the kind and the rows in an array. It reads as that
 * tuple wherever an answer is read in Python — its length, its items (made as they
 * are read), iteration, truth, ``==`` and hash against the tuple, ``+`` a tuple, its
 * repr, and it pickles as the tuple — while ``tie_rows`` reads the array.
 *
 * Only the native ``index_answers`` makes them (``Postings(kind, rows)`` is for tests);
 * the Python reference makes the tuple (``tests/matchers/test_native_answers.py`` holds
 * the two to each other).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>

#include "_answers.h"

PyObject *postings_new(PyObject *kind, Py_ssize_t n) {
    PostingsObject *op = PyObject_NewVar(PostingsObject, &PostingsType, n);
    if (op == NULL) return NULL;
    op->kind = Py_NewRef(kind);
    return (PyObject *)op;
}

/* Postings(kind, rows): the index makes them; this is for tests and copies. */
static PyObject *postings_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *names[] = {"kind", "rows", NULL};
    PyObject *kind, *rows;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO:Postings", names, &kind, &rows))
        return NULL;
    PyObject *seq = PySequence_Fast(rows, "Postings rows must be a sequence of ints");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = postings_new(kind, n);
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        unsigned long v = PyLong_AsUnsignedLong(PySequence_Fast_GET_ITEM(seq, i));
        if ((v == (unsigned long)-1 && PyErr_Occurred()) || v > UINT32_MAX) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_OverflowError, "a Postings row is a uint32");
            Py_CLEAR(out);
            break;
        }
        ((PostingsObject *)out)->rows[i] = (uint32_t)v;
    }
    Py_DECREF(seq);
    return out;
}

static void postings_dealloc(PyObject *self) {
    Py_DECREF(((PostingsObject *)self)->kind);
    Py_TYPE(self)->tp_free(self);
}

static Py_ssize_t postings_length(PyObject *self) { return Py_SIZE(self); }

/* Record ``i``'s (row, kind), made as it is read. */
static PyObject *postings_item(PyObject *self, Py_ssize_t i) {
    PostingsObject *p = (PostingsObject *)self;
    if (i < 0 || i >= Py_SIZE(p)) {
        PyErr_SetString(PyExc_IndexError, "Postings index out of range");
        return NULL;
    }
    PyObject *row = PyLong_FromUnsignedLong(p->rows[i]);
    if (row == NULL) return NULL;
    PyObject *item = PyTuple_Pack(2, row, p->kind);
    Py_DECREF(row);
    return item;
}

/* The equal tuple of (row, kind) tuples (new reference). */
static PyObject *as_tuple(PyObject *self) {
    Py_ssize_t n = Py_SIZE(self);
    PyObject *out = PyTuple_New(n);
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        PyObject *item = postings_item(self, i);
        if (item == NULL) Py_CLEAR(out);
        else PyTuple_SET_ITEM(out, i, item);
    }
    return out;
}

/* f of the equal tuple (and ``arg``, for a binary f). Everything but the length, an
 * item and the truth goes through it: rare, never on the scan's path. */
static PyObject *via_tuple(PyObject *self, PyObject *(*f)(PyObject *)) {
    PyObject *t = as_tuple(self);
    PyObject *out = t == NULL ? NULL : f(t);
    Py_XDECREF(t);
    return out;
}

static PyObject *via_tuple2(PyObject *self, PyObject *(*f)(PyObject *, PyObject *),
                            PyObject *arg) {
    PyObject *t = as_tuple(self);
    PyObject *out = t == NULL ? NULL : f(t, arg);
    Py_XDECREF(t);
    return out;
}

static PyObject *postings_subscript(PyObject *self, PyObject *key) {
    if (!PyIndex_Check(key)) return via_tuple2(self, PyObject_GetItem, key); /* a slice */
    Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
    if (i == -1 && PyErr_Occurred()) return NULL;
    return postings_item(self, i < 0 ? i + Py_SIZE(self) : i);
}

static PyObject *postings_concat(PyObject *self, PyObject *other) {
    return via_tuple2(self, PySequence_Concat, other);
}

static PyObject *postings_richcompare(PyObject *self, PyObject *other, int op) {
    PyObject *a = Py_IS_TYPE(self, &PostingsType) ? as_tuple(self) : Py_NewRef(self);
    PyObject *b = a == NULL ? NULL
                  : Py_IS_TYPE(other, &PostingsType) ? as_tuple(other) : Py_NewRef(other);
    PyObject *out = b == NULL ? NULL : PyObject_RichCompare(a, b, op);
    Py_XDECREF(a);
    Py_XDECREF(b);
    return out;
}

static Py_hash_t postings_hash(PyObject *self) {
    PyObject *t = as_tuple(self);
    if (t == NULL) return -1;
    Py_hash_t h = PyObject_Hash(t);
    Py_DECREF(t);
    return h;
}

static PyObject *postings_repr(PyObject *self) { return via_tuple(self, PyObject_Repr); }

static PyObject *postings_iter(PyObject *self) { return via_tuple(self, PyObject_GetIter); }

static PyObject *postings_reduce(PyObject *self, PyObject *unused) {
    PyObject *t = as_tuple(self);
    return t == NULL ? NULL : Py_BuildValue("(O(N))", (PyObject *)&PyTuple_Type, t);
}

static PyObject *postings_kind(PyObject *self, void *unused) {
    return Py_NewRef(((PostingsObject *)self)->kind);
}

static PyMethodDef postings_methods[] = {
    {"__reduce__", postings_reduce, METH_NOARGS, "Pickles as the equal tuple."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef postings_getset[] = {
    {"kind", postings_kind, NULL, "the kind of every record's field here", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PySequenceMethods postings_sequence = {
    .sq_length = postings_length,
    .sq_concat = postings_concat,
    .sq_item = postings_item,
};

static PyMappingMethods postings_mapping = {
    .mp_length = postings_length,
    .mp_subscript = postings_subscript,
};

PyTypeObject PostingsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fingerprints._native.Postings",
    .tp_basicsize = offsetof(PostingsObject, rows),
    .tp_itemsize = sizeof(uint32_t),
    /* (holds a str and numbers: no cycle can run through it) */
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The answer for a value held by a few records: reads as the tuple of "
              "(record row, kind) tuples, kept as an array of rows.",
    .tp_dealloc = postings_dealloc,
    .tp_repr = postings_repr,
    .tp_as_sequence = &postings_sequence,
    .tp_as_mapping = &postings_mapping,
    .tp_hash = postings_hash,
    .tp_richcompare = postings_richcompare,
    .tp_iter = postings_iter,
    .tp_methods = postings_methods,
    .tp_getset = postings_getset,
    .tp_new = postings_tp_new,
};

int postings_register(PyObject *module) { return PyModule_AddType(module, &PostingsType); }
