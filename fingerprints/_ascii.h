/* An ASCII str made from bytes known to be ASCII (included by _canon.c and _native.c).
 * PyUnicode_FromStringAndSize decodes its bytes as UTF-8 first: a canonical phone
 * number, postal code or date is made by the ten thousand per chunk. */
#ifndef LEAKPRINT_ASCII_H
#define LEAKPRINT_ASCII_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static inline PyObject *ascii_str(const char *s, Py_ssize_t n) {
    PyObject *out = PyUnicode_New(n, 127);
    if (out != NULL) memcpy(PyUnicode_1BYTE_DATA(out), s, (size_t)n);
    return out;
}

#endif
