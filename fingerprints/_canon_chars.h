/* A str's code points as a UCS4 array, for the canonical forms in C (_canon.c,
 * _canon_names.c; included there only). */
#ifndef LEAKPRINT_CANON_CHARS_H
#define LEAKPRINT_CANON_CHARS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define NOT_MINE Py_RETURN_NOTIMPLEMENTED

/* A str's code points, copied (the cells are short; long ones use the heap). */
typedef struct {
    Py_UCS4 local[256];
    Py_UCS4 *p;
    Py_ssize_t n;
} Chars;

static inline int chars_get(Chars *c, PyObject *s, Py_ssize_t extra) {
    c->n = PyUnicode_GET_LENGTH(s);
    Py_ssize_t size = c->n + extra + 1;
    c->p = size <= 256 ? c->local : PyMem_New(Py_UCS4, size);
    if (c->p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (PyUnicode_AsUCS4(s, c->p, size, 0) == NULL) {
        if (c->p != c->local) PyMem_Free(c->p);
        c->p = NULL;
        return -1;
    }
    return 0;
}

static inline void chars_free(Chars *c) {
    if (c->p != NULL && c->p != c->local) PyMem_Free(c->p);
    c->p = NULL;
}

static inline int check_str(PyObject *s) {
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "expected str");
        return -1;
    }
    return 0;
}

#endif
