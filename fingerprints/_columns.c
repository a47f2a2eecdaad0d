/* A delimited table's columns, with equal cells as ONE str object (issue 15):
 * the native side of matchers.rows.table_columns.
 *
 *   split_columns(texts, delim, width[, distinct]) -> [column, ...]
 *                                     | ([column, ...], [values, ...], [repeats, ...])
 *   text_columns(text, delim, first_line, drop) -> the same from a text's lines
 *                                     (_text_columns.c)
 *
 * ``texts`` are the table's rows (one line each, no quoting), ``delim`` one code
 * point and ``width`` the number of columns (one more than the most delimiters of a
 * row; 0: the cut counts them as it goes). Row i's cells are ``texts[i].split(delim)``
 * padded with "" to ``width``; column j is the list of every row's cell j. Equal to
 * the Python reference (the rows joined by the delimiter and split once, then sliced
 * by column), except that a value that occurs many times is one object: a dump's
 * names, dates and postal codes repeat thousands of times per chunk, and each repeat
 * was a new str to make, hash (dict.fromkeys of its column), compare and free.
 * Returns None when the rows hold more cells than ``width``, or a row of 2**32 code
 * points or more (the caller then runs the reference).
 *
 * Two passes: every row's cell bounds and hashes first, then one column at a time
 * with its own table, so that the table being probed is one column's (the probes
 * were cache misses with one table for the whole chunk). A column whose first
 * SAMPLE cells are nearly all distinct (phone numbers, e-mail addresses) is not
 * deduplicated at all, unless ``distinct`` is asked for.
 *
 * With ``distinct`` true, also each column's distinct values in the order they first
 * occur (the keys dict.fromkeys(column) would hold: the table has them already).
 * Every column keeps its table then: the caller would otherwise make the distinct
 * values of a column of phone numbers itself, hashing every cell again with
 * SipHash (the table's hashes come with the cut; clean 5 MB dump: 3.5 %
 * fewer instructions, 3-6 % less CPU time).
 *
 * And then each column's repeats: the cells that are not their value's first
 * occurrence, in row order — or None for a column with many (more than a quarter of
 * its rows, or of its first SAMPLE). A column of phone numbers repeats a customer's
 * number now and then: a sum over its cells is then a sum over its distinct values
 * plus one over these few, with no dict of half a million values to sum it through.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "_cut.h"
#include "_fill.h"
#include "_hint.h"

typedef struct {
    uint64_t hash;
    PyObject *str; /* borrowed from the column */
} Slot;

typedef struct {
    Slot *slots;
    size_t n, used; /* n a power of two, more than twice used */
    size_t first;   /* the size of the first table (a power of two) */
} Table;

#define SAMPLE 512

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

/* A slot from the hash's high bits, mixed once more. */
static size_t slot_of(uint64_t h, size_t n) {
    return (size_t)((h * 0x9E3779B97F4A7C15ULL) >> 32) & (n - 1);
}

/* The first table has t->first slots (a column of few rows needs no 1,024: a page of a
 * crawl has a hundred rows, and zeroing the slots cost more than using them). */
static int grow_to(Table *t, size_t n) {
    Slot *slots = PyMem_Calloc(n, sizeof(Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (t->slots[i].str == NULL) continue;
        size_t s = slot_of(t->slots[i].hash, n);
        while (slots[s].str != NULL) s = (s + 1) & (n - 1);
        slots[s] = t->slots[i];
    }
    PyMem_Free(t->slots);
    t->slots = slots;
    t->n = n;
    return 0;
}

static int grow(Table *t) { return grow_to(t, t->n ? t->n * 2 : t->first); }

/* The str of line[sp->a:sp->b], made in the kind its hash's class names (what
 * PyUnicode_Substring makes, without its scan for the widest code point). */
static PyObject *make_cell(PyObject *line, const Span *sp) {
    static const Py_UCS4 widest[4] = {0x7F, 0xFF, 0xFFFF, 0x10FFFF};
    Py_ssize_t n = (Py_ssize_t)sp->b - (Py_ssize_t)sp->a;
    PyObject *s = PyUnicode_New(n, widest[sp->hash >> CLASS_SHIFT]);
    if (s == NULL) return NULL;
    int kind = PyUnicode_KIND(line), sk = PyUnicode_KIND(s);
    const char *src = (const char *)PyUnicode_DATA(line) + (size_t)sp->a * (size_t)kind;
    void *dst = PyUnicode_DATA(s);
    if (sk == kind) {
        memcpy(dst, src, (size_t)n * (size_t)kind);
    } else if (kind == PyUnicode_2BYTE_KIND) { /* (and sk 1: the common narrowing) */
        for (Py_ssize_t i = 0; i < n; i++) ((Py_UCS1 *)dst)[i] = (Py_UCS1)((const Py_UCS2 *)src)[i];
    } else {
        for (Py_ssize_t i = 0; i < n; i++) PyUnicode_WRITE(sk, dst, i, PyUnicode_READ(kind, src, i));
    }
    return s;
}

/* A new reference to the one str of line[sp->a:sp->b] (t NULL: a new str); *fresh set
 * when the table did not hold it yet. ``line`` is the row's str (its own line, or the
 * chunk's text). */
static PyObject *cell(Table *t, PyObject *line, const Span *sp, int *fresh) {
    *fresh = 0;
    if (sp->a == sp->b) return PyUnicode_New(0, 0);
    if (t == NULL) return make_cell(line, sp);
    if ((t->used + 1) * 2 > t->n && grow(t) < 0) return NULL;
    int kind = PyUnicode_KIND(line);
    const void *data = PyUnicode_DATA(line);
    size_t s = slot_of(sp->hash, t->n);
    for (; t->slots[s].str != NULL; s = (s + 1) & (t->n - 1)) {
        if (t->slots[s].hash == sp->hash && same(t->slots[s].str, kind, data, sp->a, sp->b)) {
            Py_INCREF(t->slots[s].str);
            return t->slots[s].str;
        }
    }
    PyObject *str = make_cell(line, sp);
    if (str == NULL) return NULL;
    t->slots[s].hash = sp->hash;
    /* (borrowed: the reference returned, which the column keeps, keeps it alive) */
    t->slots[s].str = str;
    t->used++;
    *fresh = 1;
    return str;
}

/* The table's slots of the cells CELL_AHEAD rows on, and the strs of those in the
 * slots of the cells half as far on: a column of phone numbers has a table of a few
 * MB, and each cell's probe of it, then the read of the str its slot holds, were two
 * cache misses in a row (half the cut's time on the clean dump). A slot or str
 * fetched for nothing (the table grows, or the cell's value sits in a later slot)
 * costs only the fetch. */
#define CELL_AHEAD 16
#define CELL_AHEAD_FROM 4096 /* slots of 16 bytes: a table of 64 KB */

PREFETCH_HELPER void prefetch_ahead(const Table *t, const Span *spans, Py_ssize_t nrows,
                                  Py_ssize_t stride, Py_ssize_t j, Py_ssize_t i) {
    /* (a page's table is in the caches: the hints would be instructions for nothing,
     * a crawl page's cut took half as many again) */
    if (t->n < CELL_AHEAD_FROM) return;
    if (i + CELL_AHEAD < nrows)
        __builtin_prefetch(&t->slots[slot_of(spans[(i + CELL_AHEAD) * stride + j].hash, t->n)]);
    if (i + CELL_AHEAD / 2 < nrows) {
        const Slot *s = &t->slots[slot_of(spans[(i + CELL_AHEAD / 2) * stride + j].hash, t->n)];
        if (s->str != NULL)
            __builtin_prefetch((const char *)s->str + offsetof(PyASCIIObject, state));
    }
}

/* Column j of every row; deduplicated unless its first SAMPLE cells nearly all differ
 * and ``distinct`` is NULL. With ``distinct`` (not NULL): *distinct is the column's
 * distinct values in the order they first occur (what dict.fromkeys(column) holds). */
static PyObject *column(const Rows *rows, const Span *spans, Py_ssize_t nrows, Py_ssize_t stride,
                        Py_ssize_t j, PyObject **distinct, PyObject **repeats) {
    PyObject *col = PyList_New(nrows);
    Fill seen = {NULL, 0}, again = {NULL, 0};
    /* (at most a quarter of the rows, or of the first SAMPLE, are kept as repeats) */
    Py_ssize_t most_again = (nrows < SAMPLE ? SAMPLE : nrows) / 4 + 1;
    Table t = {0};
    Table *tp = &t;
    int had_empty = 0, fresh;
    if (col == NULL) return NULL;
    if (distinct != NULL && (fill_new(&seen, nrows) < 0 || fill_new(&again, most_again) < 0))
        goto fail;
    t.first = 64;
    while (t.first < 1024 && t.first < (size_t)nrows * 2 + 2) t.first *= 2;
    for (Py_ssize_t i = 0; i < nrows; i++) {
        if (i == SAMPLE && t.used * 10 > SAMPLE * 9) {
            if (distinct == NULL) {
                tp = NULL;
            } else {
                /* Nearly every value distinct so far (phone numbers, e-mail addresses):
                 * the table of the whole column at once, not doubled a dozen times
                 * (each time zeroed and every value placed again). */
                size_t n = t.n;
                while (n < (size_t)nrows * 2 + 2) n *= 2;
                if (n > t.n && grow_to(&t, n) < 0) goto fail;
            }
        }
        const Span *sp = &spans[i * stride + j];
        if (tp != NULL) prefetch_ahead(tp, spans, nrows, stride, j, i);
        PyObject *c = cell(tp, row_source(rows, i), sp, &fresh);
        if (c == NULL) goto fail;
        PyList_SET_ITEM(col, i, c);
        if (seen.list == NULL) continue;
        if (fresh || (sp->a == sp->b && !had_empty)) {
            had_empty |= sp->a == sp->b;
            fill_put(&seen, c);
        } else if (again.list != NULL) {
            if ((again.used + 1) * 4 > (i < SAMPLE ? SAMPLE : nrows)) {
                Py_CLEAR(again.list); /* many repeats: None */
            } else {
                fill_put(&again, c);
            }
        }
    }
    PyMem_Free(t.slots);
    if (distinct != NULL) {
        if (fill_done(&seen) == NULL || (again.list != NULL && fill_done(&again) == NULL))
            goto fail_done;
        *distinct = seen.list;
        *repeats = again.list != NULL ? again.list : Py_NewRef(Py_None);
    }
    return col;
fail:
    PyMem_Free(t.slots);
fail_done:
    Py_DECREF(col); /* (its unset items are NULL, which list_dealloc skips) */
    Py_XDECREF(seen.list);
    Py_XDECREF(again.list);
    return NULL;
}

/* The columns of ``rows``: see split_columns above (``width`` 0: counted by the cut). */
PyObject *cut_columns(const Rows *rows, PyObject *delim, Py_ssize_t width,
                      int want_distinct) {
    Py_UCS4 d = PyUnicode_READ_CHAR(delim, 0);
    Py_ssize_t nrows = rows->n;
    /* Width 0: one more than the most delimiters of a row, found by the cut itself
     * (a count of every row first was a second pass over the text). The rows are cut
     * into ``stride`` spans each, from the first row's count; a row with more cells
     * widens the stride (at least doubled) and the rows before it are moved apart. */
    int counting = width == 0;
    Py_ssize_t stride = width, most = 0;
    if (counting) {
        Py_ssize_t n = nrows ? PyUnicode_Count(row_source(rows, 0), delim, row_start(rows, 0),
                                               row_end(rows, 0)) : 0;
        if (n < 0) return NULL;
        stride = n + 1;
    }
    if (nrows > PY_SSIZE_T_MAX / stride / (Py_ssize_t)sizeof(Span)) return PyErr_NoMemory();
    Span *spans = PyMem_Malloc((size_t)(nrows * stride) * sizeof(Span) + 1);
    if (spans == NULL) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < nrows; i++) {
        Py_ssize_t cells = 0;
        if (cut_row(rows, i, d, stride, &spans[i * stride], &cells)) {
            Py_ssize_t n = counting && row_end(rows, i) < (Py_ssize_t)UINT32_MAX
                           ? PyUnicode_Count(row_source(rows, i), delim, row_start(rows, i),
                                             row_end(rows, i)) : -1;
            Span *wider = NULL;
            Py_ssize_t grown = n + 1 > 2 * stride ? n + 1 : 2 * stride;
            if (n >= 0 && nrows <= PY_SSIZE_T_MAX / grown / (Py_ssize_t)sizeof(Span))
                wider = PyMem_Realloc(spans, (size_t)(nrows * grown) * sizeof(Span) + 1);
            if (wider == NULL) {
                PyMem_Free(spans);
                if (PyErr_Occurred()) return NULL;
                if (n >= 0) return PyErr_NoMemory();
                /* more cells than width (or a huge row): the reference cuts it */
                Py_RETURN_NONE;
            }
            spans = wider;
            /* (from the last row down: a row's new place is at or after its old one,
             * and after every earlier row's old place) */
            for (Py_ssize_t k = i - 1; k >= 0; k--) {
                memmove(&spans[k * grown], &spans[k * stride], sizeof(Span) * (size_t)stride);
                for (Py_ssize_t j = stride; j < grown; j++)
                    spans[k * grown + j].a = spans[k * grown + j].b = 0;
            }
            stride = grown;
            if (cut_row(rows, i, d, stride, &spans[i * stride], &cells)) {
                PyMem_Free(spans);
                Py_RETURN_NONE;
            }
        }
        if (cells > most) most = cells;
    }
    if (counting) width = most ? most : 1;
    PyObject *columns = PyList_New(width);
    PyObject *distincts = NULL, *repeats = NULL;
    if (want_distinct && ((distincts = PyList_New(width)) == NULL ||
                          (repeats = PyList_New(width)) == NULL))
        Py_CLEAR(columns);
    if (columns != NULL) {
        for (Py_ssize_t j = 0; j < width; j++) {
            PyObject *seen = NULL, *again = NULL;
            PyObject *col = column(rows, spans, nrows, stride, j,
                                   want_distinct ? &seen : NULL, &again);
            if (col == NULL) {
                Py_CLEAR(columns);
                break;
            }
            PyList_SET_ITEM(columns, j, col);
            if (distincts != NULL) {
                PyList_SET_ITEM(distincts, j, seen);
                PyList_SET_ITEM(repeats, j, again);
            }
        }
    }
    PyMem_Free(spans);
    if (!want_distinct) return columns;
    if (columns == NULL) {
        /* (unset items are NULL, which list_dealloc skips) */
        Py_XDECREF(distincts);
        Py_XDECREF(repeats);
        return NULL;
    }
    return Py_BuildValue("(NNN)", columns, distincts, repeats);
}

PyObject *native_split_columns(PyObject *self, PyObject *args) {
    PyObject *texts, *delim;
    Py_ssize_t width;
    int want_distinct = 0;
    if (!PyArg_ParseTuple(args, "O!Un|p", &PyList_Type, &texts, &delim, &width, &want_distinct))
        return NULL;
    if (PyUnicode_GET_LENGTH(delim) != 1 || width < 0) {
        PyErr_SetString(PyExc_ValueError, "split_columns: one delimiter, width >= 0");
        return NULL;
    }
    Py_ssize_t nrows = PyList_GET_SIZE(texts);
    for (Py_ssize_t i = 0; i < nrows; i++) {
        if (!PyUnicode_Check(PyList_GET_ITEM(texts, i))) {
            PyErr_SetString(PyExc_TypeError, "split_columns: rows must be str");
            return NULL;
        }
    }
    Rows rows = {texts, NULL, NULL, nrows};
    return cut_columns(&rows, delim, width, want_distinct);
}
