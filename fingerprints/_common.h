/* Common: the answer for a value too common to expand (fingerprints/_common.c). */
#ifndef LEAKPRINT_COMMON_H
#define LEAKPRINT_COMMON_H

#include <Python.h>

extern PyTypeObject CommonType;

/* A new Common(kind, records, key) (new reference; NULL on error). */
PyObject *common_new(PyObject *kind, PyObject *records, PyObject *key);

/* A Common's fields (borrowed references; the object must be a CommonType). */
PyObject *common_kind(PyObject *op);
PyObject *common_records(PyObject *op);
PyObject *common_key(PyObject *op);

/* Ready the type and add it to the module as ``Common``; -1 on error. */
int common_register(PyObject *module);

#endif
