/* Pair: a (kind, canonical) tuple that keeps its hash (fingerprints/_pair.c). */
#ifndef LEAKPRINT_PAIR_H
#define LEAKPRINT_PAIR_H

#include <Python.h>

extern PyTypeObject PairType;

/* A new Pair of two objects (new reference; NULL on error). */
PyObject *pair_new(PyObject *kind, PyObject *canonical);

/* Ready the type and add it to the module as ``Pair``; -1 on error. */
int pair_register(PyObject *module);

#endif
