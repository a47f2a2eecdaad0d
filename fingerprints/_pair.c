/* Pair: a (kind, canonical) candidate that keeps its hash (issue 15).
 *
 * A chunk's candidate pairs are dict and set keys again and again: made distinct,
 * looked up in the probe's cache, made the keys of the chunk's answers and of its set
 * of hits, tested per cell value and per row. CPython computes a tuple's hash anew
 * each time (a call per item and the combining rounds). A Pair is a tuple of two
 * items, equal to and hashing as the plain tuple (so either finds the other in a
 * dict), whose hash is computed once and kept in the spare item slot that the
 * tuple's allocation holds past its items.
 *
 * Pairs hold two str and are never part of a reference cycle: they are untracked by
 * the cyclic collector when made, as CPython does for a plain tuple of str (the
 * column memo and the caches that hold them are then not walked at a collection).
 * A Pair pickles and copies as a Pair; its repr is the tuple's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "_pair.h"

/* Where the kept hash lives: the slot after the two items. The type's basic size
 * adds a hash's room to the tuple's (whose own struct already counts one item), so
 * the allocation of two items always reaches past it. */
static Py_hash_t *kept_hash(PyObject *op) {
    return (Py_hash_t *)&((PyTupleObject *)op)->ob_item[2];
}

PyObject *pair_new(PyObject *kind, PyObject *canonical) {
    PyObject *op = PairType.tp_alloc(&PairType, 2);
    if (op == NULL) return NULL;
    PyTuple_SET_ITEM(op, 0, Py_NewRef(kind));
    PyTuple_SET_ITEM(op, 1, Py_NewRef(canonical));
    *kept_hash(op) = -1;
    if (PyUnicode_CheckExact(kind) && PyUnicode_CheckExact(canonical))
        PyObject_GC_UnTrack(op);
    return op;
}

static Py_hash_t pair_hash(PyObject *op) {
    Py_hash_t *kept = kept_hash(op);
    if (*kept == -1) *kept = PyTuple_Type.tp_hash(op);
    return *kept;
}

static PyObject *pair_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    if (kwds != NULL && PyDict_GET_SIZE(kwds)) {
        PyErr_SetString(PyExc_TypeError, "Pair() takes no keyword arguments");
        return NULL;
    }
    /* Pair(kind, canonical), or Pair(iterable of two), as tuple() and copies do */
    PyObject *items = PyTuple_GET_SIZE(args) == 1 ? PySequence_Tuple(PyTuple_GET_ITEM(args, 0))
                                                  : Py_NewRef(args);
    if (items == NULL) return NULL;
    PyObject *out = NULL;
    if (PyTuple_GET_SIZE(items) != 2)
        PyErr_SetString(PyExc_TypeError, "a Pair holds two items: (kind, canonical)");
    else if (type != &PairType)
        PyErr_SetString(PyExc_TypeError, "Pair cannot be subclassed");
    else
        out = pair_new(PyTuple_GET_ITEM(items, 0), PyTuple_GET_ITEM(items, 1));
    Py_DECREF(items);
    return out;
}

static PyObject *pair_reduce(PyObject *op, PyObject *unused) {
    return Py_BuildValue("(O(OO))", (PyObject *)&PairType, PyTuple_GET_ITEM(op, 0),
                         PyTuple_GET_ITEM(op, 1));
}

static PyMethodDef pair_methods[] = {
    {"__reduce__", pair_reduce, METH_NOARGS, "Pickles as Pair(kind, canonical)."},
    {NULL, NULL, 0, NULL}};

PyTypeObject PairType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fingerprints._native.Pair",
    .tp_basicsize = sizeof(PyTupleObject) + sizeof(Py_hash_t),
    .tp_itemsize = sizeof(PyObject *),
    /* (the collector flag and traversal come with the tuple base) */
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_TUPLE_SUBCLASS,
    .tp_doc = "Pair(kind, canonical): a candidate pair that keeps its hash "
              "(equal to and hashing as the tuple).",
    .tp_hash = pair_hash,
    .tp_methods = pair_methods,
    .tp_new = pair_tp_new,
};

int pair_register(PyObject *module) {
    PairType.tp_base = &PyTuple_Type;
    /* A type that sets tp_hash inherits no tp_richcompare: the tuple's, or two equal
     * Pairs would compare by identity. */
    PairType.tp_richcompare = PyTuple_Type.tp_richcompare;
    return PyModule_AddType(module, &PairType);
}
