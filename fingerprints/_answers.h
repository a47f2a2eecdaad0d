/* Postings: the answer for a value held by a few records (fingerprints/_answers.c). */
#ifndef LEAKPRINT_ANSWERS_H
#define LEAKPRINT_ANSWERS_H

#include <Python.h>
#include <stdint.h>

typedef struct {
    PyObject_VAR_HEAD  /* ob_size: the records */
    PyObject *kind;    /* every record's field here is of this kind */
    uint32_t rows[1];  /* the records' rows, in the index's order */
} PostingsObject;

extern PyTypeObject PostingsType;

/* A new Postings of ``n`` rows, their values unset (new reference; NULL on error). */
PyObject *postings_new(PyObject *kind, Py_ssize_t n);

/* Ready the type and add it to the module as ``Postings``; -1 on error. */
int postings_register(PyObject *module);

#endif
