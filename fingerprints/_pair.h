/* Pair: a (kind, canonical) tuple that keeps its hash (fingerprints/_pair.c). */
#ifndef LEAKPRINT_PAIR_H
#define LEAKPRINT_PAIR_H

#include <Python.h>
#include <string.h>

extern PyTypeObject PairType;

/* A new Pair of two objects (new reference; NULL on error). */
PyObject *pair_new(PyObject *kind, PyObject *canonical);

/* A Pair's kept hash, -1 while not computed (the slot after its two items, _pair.c). */
static inline Py_hash_t pair_kept_hash(PyObject *op) {
    Py_hash_t h;
    memcpy(&h, &((PyTupleObject *)op)->ob_item[2], sizeof h);
    return h;
}

/* Ready the type and add it to the module as ``Pair``; -1 on error. */
int pair_register(PyObject *module);

#endif
