/* text_columns: a delimited table's columns cut from a text's own lines (issue 15),
 * the entry of matchers.tables.table_columns; the cut itself is _columns.c's. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "_cut.h"

/* text_columns(text, delim, first_line, drop)
 *     -> (columns, distinct, repeats, lines, bounds) | None
 *
 * matchers.rows.table_columns of a delimited table without quoting, from the text
 * itself: its lines (split at "\n") that are not blank (str.strip() leaves something)
 * and whose index is not in ``drop`` (the header rows, among the first 64 lines) are
 * the rows, cut as split_columns(rows, delim, 0, True) cuts them. ``lines`` are the
 * rows' line numbers (first_line + index), ``bounds`` the rows' [start, end) in the
 * text as native-endian int64 pairs (a row's text is made only when it is asked for).
 * No str is made for a line: a chunk of a dump has a hundred thousand, each made,
 * stripped, filtered and freed only to be cut again. None where split_columns gives
 * None, or for a text of 2**32 code points or more. */
PyObject *native_text_columns(PyObject *self, PyObject *args) {
    PyObject *text, *delim, *drop_seq;
    Py_ssize_t first_line;
    if (!PyArg_ParseTuple(args, "UUnO", &text, &delim, &first_line, &drop_seq)) return NULL;
    if (PyUnicode_GET_LENGTH(delim) != 1) {
        PyErr_SetString(PyExc_ValueError, "text_columns: one delimiter");
        return NULL;
    }
    uint64_t drop = 0;
    PyObject *dseq = PySequence_Fast(drop_seq, "text_columns: drop is a sequence of ints");
    if (dseq == NULL) return NULL;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(dseq); i++) {
        Py_ssize_t at = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(dseq, i));
        if (at == -1 && PyErr_Occurred()) {
            Py_DECREF(dseq);
            return NULL;
        }
        if (at < 0 || at >= 64) {
            Py_DECREF(dseq);
            PyErr_SetString(PyExc_ValueError, "text_columns: drop holds line indices under 64");
            return NULL;
        }
        drop |= 1ULL << at;
    }
    Py_DECREF(dseq);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    if (len >= (Py_ssize_t)UINT32_MAX) Py_RETURN_NONE;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t cap = 1024, n = 0;
    /* the rows' [start, end) in the text: read by the cut, and returned as ``bounds`` */
    int64_t *se = PyMem_Malloc(sizeof(int64_t) * 2 * (size_t)cap);
    PyObject *lines = PyList_New(0), *out = NULL, *cut = NULL, *bounds = NULL;
    if (se == NULL || lines == NULL) {
        if (se == NULL) PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t start = 0, index = 0;
    while (start <= len) {
        Py_ssize_t end = PyUnicode_FindChar(text, '\n', start, len, 1);
        if (end == -2) goto done;
        if (end < 0) end = len;
        int blank = 1;
        for (Py_ssize_t k = start; k < end && blank; k++)
            blank = Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, k));
        if (!blank && !(index < 64 && (drop >> index) & 1)) {
            if (n == cap) {
                int64_t *grown = PyMem_Realloc(se, sizeof(int64_t) * 4 * (size_t)cap);
                if (grown == NULL) {
                    PyErr_NoMemory();
                    goto done;
                }
                se = grown;
                cap *= 2;
            }
            se[2 * n] = start;
            se[2 * n + 1] = end;
            n++;
            PyObject *num = PyLong_FromSsize_t(first_line + index);
            if (num == NULL || PyList_Append(lines, num) < 0) {
                Py_XDECREF(num);
                goto done;
            }
            Py_DECREF(num);
        }
        start = end + 1;
        index++;
    }
    Rows rows = {NULL, text, se, n};
    cut = n ? cut_columns(&rows, delim, 0, 1) : Py_BuildValue("([][][])");
    if (cut == NULL) goto done;
    if (cut == Py_None) {
        out = cut;
        cut = NULL;
        goto done;
    }
    bounds = PyBytes_FromStringAndSize((const char *)se, (Py_ssize_t)sizeof(int64_t) * 2 * n);
    if (bounds == NULL) goto done;
    out = Py_BuildValue("(OOOOO)", PyTuple_GET_ITEM(cut, 0), PyTuple_GET_ITEM(cut, 1),
                        PyTuple_GET_ITEM(cut, 2), lines, bounds);
done:
    PyMem_Free(se);
    Py_XDECREF(lines);
    Py_XDECREF(cut);
    Py_XDECREF(bounds);
    return out;
}
