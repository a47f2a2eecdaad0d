/* A delimited table's columns, with equal cells as ONE str object (issue 15):
 * the native side of matchers.rows.table_columns.
 *
 *   split_columns(texts, delim, width) -> [column, ...]
 *
 * ``texts`` are the table's rows (one line each, no quoting), ``delim`` one code
 * point and ``width`` the number of columns (one more than the most delimiters of a
 * row). Row i's cells are ``texts[i].split(delim)`` padded with "" to ``width``;
 * column j is the list of every row's cell j. Equal to the Python reference (the
 * rows joined by the delimiter and split once, then sliced by column), except that
 * a value that occurs many times is one object: a dump's names, dates and postal
 * codes repeat thousands of times per chunk, and each repeat was a new str to make,
 * hash (dict.fromkeys of its column), compare and free.
 * Returns None when the rows hold more cells than ``width`` (the caller then runs
 * the reference).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint64_t hash;
    PyObject *str; /* borrowed from the columns */
} Slot;

typedef struct {
    Slot *slots;
    size_t n, used; /* n a power of two, more than twice used */
} Table;

static uint64_t hash_span(int kind, const void *data, Py_ssize_t a, Py_ssize_t b) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over code points */
    for (Py_ssize_t k = a; k < b; k++) {
        h ^= (uint64_t)PyUnicode_READ(kind, data, k);
        h *= 1099511628211ULL;
    }
    return h ^ (uint64_t)(b - a);
}

/* Whether str s holds exactly the code points data[a:b]. */
static int same(PyObject *s, int kind, const void *data, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t len = b - a;
    if (PyUnicode_GET_LENGTH(s) != len) return 0;
    int sk = PyUnicode_KIND(s);
    const void *sd = PyUnicode_DATA(s);
    if (sk == kind) return memcmp(sd, (const char *)data + a * kind, (size_t)(len * kind)) == 0;
    for (Py_ssize_t k = 0; k < len; k++)
        if (PyUnicode_READ(sk, sd, k) != PyUnicode_READ(kind, data, a + k)) return 0;
    return 1;
}

static int grow(Table *t) {
    size_t n = t->n ? t->n * 2 : 4096;
    Slot *slots = PyMem_Calloc(n, sizeof(Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (t->slots[i].str == NULL) continue;
        size_t s = (size_t)t->slots[i].hash & (n - 1);
        while (slots[s].str != NULL) s = (s + 1) & (n - 1);
        slots[s] = t->slots[i];
    }
    PyMem_Free(t->slots);
    t->slots = slots;
    t->n = n;
    return 0;
}

/* A new reference to the one str of line[a:b]. */
static PyObject *cell(Table *t, PyObject *line, int kind, const void *data, Py_ssize_t a,
                      Py_ssize_t b) {
    if ((t->used + 1) * 2 > t->n && grow(t) < 0) return NULL;
    uint64_t h = hash_span(kind, data, a, b);
    size_t s = (size_t)h & (t->n - 1);
    for (; t->slots[s].str != NULL; s = (s + 1) & (t->n - 1)) {
        if (t->slots[s].hash == h && same(t->slots[s].str, kind, data, a, b)) {
            Py_INCREF(t->slots[s].str);
            return t->slots[s].str;
        }
    }
    PyObject *str = PyUnicode_Substring(line, a, b);
    if (str == NULL) return NULL;
    t->slots[s].hash = h;
    t->slots[s].str = str; /* the column's reference keeps it alive */
    t->used++;
    Py_INCREF(str);
    return str;
}

PyObject *native_split_columns(PyObject *self, PyObject *args) {
    PyObject *texts, *delim;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "O!Un", &PyList_Type, &texts, &delim, &width)) return NULL;
    if (PyUnicode_GET_LENGTH(delim) != 1 || width < 1) {
        PyErr_SetString(PyExc_ValueError, "split_columns: one delimiter, width >= 1");
        return NULL;
    }
    Py_UCS4 d = PyUnicode_READ_CHAR(delim, 0);
    Py_ssize_t nrows = PyList_GET_SIZE(texts);
    PyObject *empty = PyUnicode_New(0, 0);
    PyObject *columns = PyList_New(width);
    Table t = {0};
    if (empty == NULL || columns == NULL) goto fail;
    for (Py_ssize_t j = 0; j < width; j++) {
        PyObject *col = PyList_New(nrows);
        if (col == NULL) goto fail;
        PyList_SET_ITEM(columns, j, col);
    }
    for (Py_ssize_t i = 0; i < nrows; i++) {
        PyObject *line = PyList_GET_ITEM(texts, i);
        if (!PyUnicode_Check(line)) {
            PyErr_SetString(PyExc_TypeError, "split_columns: rows must be str");
            goto fail;
        }
        int kind = PyUnicode_KIND(line);
        const void *data = PyUnicode_DATA(line);
        Py_ssize_t len = PyUnicode_GET_LENGTH(line), start = 0, j = 0;
        for (Py_ssize_t k = 0; k <= len; k++) {
            if (k < len && PyUnicode_READ(kind, data, k) != d) continue;
            if (j == width) {
                /* more cells than width: not the table the caller measured */
                Py_DECREF(columns);
                PyMem_Free(t.slots);
                Py_DECREF(empty);
                Py_RETURN_NONE;
            }
            PyObject *c = cell(&t, line, kind, data, start, k);
            if (c == NULL) goto fail;
            PyList_SET_ITEM(PyList_GET_ITEM(columns, j), i, c);
            j++;
            start = k + 1;
        }
        for (; j < width; j++) {
            Py_INCREF(empty);
            PyList_SET_ITEM(PyList_GET_ITEM(columns, j), i, empty);
        }
    }
    PyMem_Free(t.slots);
    Py_DECREF(empty);
    return columns;
fail:
    /* (the columns' unset items are NULL, which list_dealloc skips) */
    Py_XDECREF(columns);
    PyMem_Free(t.slots);
    Py_XDECREF(empty);
    return NULL;
}
