/* A delimited table's columns, with equal cells as ONE str object (issue 15):
 * the native side of matchers.rows.table_columns.
 *
 *   split_columns(texts, delim, width[, distinct]) -> [column, ...]
 *                                     | ([column, ...], [values, ...], [repeats, ...])
 *   text_columns(text, delim, first_line, drop) -> the same from a text's lines (below)
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
#include <stdint.h>
#include <string.h>

#include "_fill.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct {
    uint64_t hash;
    PyObject *str; /* borrowed from the column */
} Slot;

typedef struct {
    Slot *slots;
    size_t n, used; /* n a power of two, more than twice used */
    size_t first;   /* the size of the first table (a power of two) */
} Table;

typedef struct {
    uint64_t hash;
    uint32_t a, b; /* the cell is line[a:b] (a chunk's line is far shorter than 2**32) */
} Span;

#define SAMPLE 512
#define HASH_BASIS 1469598103934665603ULL
/* A cell's hash keeps its class in its top two bits (cell_hash). */
#define CLASS_SHIFT 62
#define CLASS_MASK (3ULL << CLASS_SHIFT)

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

/* A cell's hash, of its code points four at a time (16 bits each, one mixing step per
 * four), the same whatever the str kind of its row: equal cells of a 1-, 2- or 4-byte
 * row hash equal (one table holds them all). A code point past U+FFFF (only a 4-byte
 * row has one) adds its high bits in a step of its own. The hash per code point of the
 * cut before (FNV-1a, a multiply per character in one dependent chain) cost more
 * than the rest of the cut. */
static inline uint64_t mix(uint64_t h, uint64_t w) {
    h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LP_LITTLE 1
#endif

/* ``h`` with its top two bits the cell's class: the str kind the cell's str is made in
 * (its widest code point: ASCII, Latin-1, 2 or 4 bytes), found as the code points are
 * hashed; equal cells have equal code points, so equal classes. */
static inline uint64_t with_class(uint64_t h, uint64_t cls) {
    return (h & ~CLASS_MASK) | cls << CLASS_SHIFT;
}

static uint64_t cell_hash(int kind, const void *data, Py_ssize_t a, Py_ssize_t b) {
    uint64_t h = HASH_BASIS ^ (uint64_t)(b - a), w, hi, seen = 0, cls;
    Py_ssize_t i = a;
    switch (kind) {
    case PyUnicode_1BYTE_KIND: {
        const Py_UCS1 *p = (const Py_UCS1 *)data;
#ifdef LP_LITTLE
        for (; i + 4 <= b; i += 4) {
            uint32_t u;
            memcpy(&u, p + i, 4);
            seen |= u;
            w = u; /* bytes 0..3 to 16-bit lanes 0..3 */
            w = (w | (w << 16)) & 0x0000FFFF0000FFFFULL;
            w = (w | (w << 8)) & 0x00FF00FF00FF00FFULL;
            h = mix(h, w);
        }
#endif
        for (; i + 4 <= b; i += 4) {
            seen |= (uint64_t)(p[i] | p[i + 1] | p[i + 2] | p[i + 3]);
            h = mix(h, (uint64_t)p[i] | (uint64_t)p[i + 1] << 16 | (uint64_t)p[i + 2] << 32 |
                           (uint64_t)p[i + 3] << 48);
        }
        for (w = 0; i < b; i++) {
            seen |= p[i];
            w = w << 16 | p[i];
        }
        cls = seen & 0x80808080ULL ? 1 : 0;
        break;
    }
    case PyUnicode_2BYTE_KIND: {
        const Py_UCS2 *p = (const Py_UCS2 *)data;
        for (; i + 4 <= b; i += 4) {
#ifdef LP_LITTLE
            memcpy(&w, p + i, 8);
#else
            w = (uint64_t)p[i] | (uint64_t)p[i + 1] << 16 | (uint64_t)p[i + 2] << 32 |
                (uint64_t)p[i + 3] << 48;
#endif
            seen |= w;
            h = mix(h, w);
        }
        for (w = 0; i < b; i++) {
            seen |= p[i];
            w = w << 16 | p[i];
        }
        /* (every 16-bit lane of ``seen`` is a code point's or an OR of some) */
        cls = seen & 0xFF00FF00FF00FF00ULL ? 2 : seen & 0x0080008000800080ULL ? 1 : 0;
        break;
    }
    default: {
        const Py_UCS4 *p = (const Py_UCS4 *)data;
        for (; i + 4 <= b; i += 4) {
            seen |= (uint64_t)(p[i] | p[i + 1] | p[i + 2] | p[i + 3]);
            h = mix(h, (uint64_t)(p[i] & 0xFFFF) | (uint64_t)(p[i + 1] & 0xFFFF) << 16 |
                           (uint64_t)(p[i + 2] & 0xFFFF) << 32 |
                           (uint64_t)(p[i + 3] & 0xFFFF) << 48);
            hi = (p[i] >> 16) | (p[i + 1] >> 16) << 8 | (p[i + 2] >> 16) << 16 |
                 (uint64_t)(p[i + 3] >> 16) << 24;
            if (hi) h = mix(h, hi | 1ULL << 63);
        }
        for (w = 0, hi = 0; i < b; i++) {
            seen |= p[i];
            w = w << 16 | (p[i] & 0xFFFF);
            hi = hi << 8 | p[i] >> 16;
        }
        if (hi) h = mix(h, hi | 1ULL << 63);
        cls = seen >= 0x10000 ? 3 : seen >= 0x100 ? 2 : seen >= 0x80 ? 1 : 0;
        break;
    }
    }
    /* (the last one to three code points; the length, mixed in first, tells a cell
     * that ends in U+0000 from one that is shorter) */
    return with_class((b - a) & 3 ? mix(h, w) : h, cls);
}

/* A row's cell bounds and hashes into sp[0..width): the row is the code points
 * data[s:e] of a str of ``kind`` (a line of its own, or a line of a chunk's text), and
 * the bounds are positions in that str. Short rows are padded with empty spans.
 * Returns 0 (its number of cells in *cells), or 1 when the row has more than width.
 * The delimiters of a 1- or 2-byte row are found sixteen bytes a step where SSE2 is
 * (every x86-64). */
static int cut_span(int kind, const void *data, Py_ssize_t s, Py_ssize_t e, Py_UCS4 d,
                    Py_ssize_t width, Span *sp, Py_ssize_t *cells) {
    Py_ssize_t start = s, j = 0, k = s;
    if (e >= (Py_ssize_t)UINT32_MAX) return 1; /* the caller runs the reference */
#define CUT_AT(AT)                                                                     \
    {                                                                                  \
        if (j == width) return 1;                                                      \
        sp[j].a = (uint32_t)start;                                                     \
        sp[j].b = (uint32_t)(AT);                                                      \
        sp[j++].hash = cell_hash(kind, data, start, (AT));                             \
        start = (AT) + 1;                                                              \
    }
#ifdef __SSE2__
    if ((kind == PyUnicode_1BYTE_KIND && d <= 0xFF) ||
        (kind == PyUnicode_2BYTE_KIND && d <= 0xFFFF)) {
        int wide = kind == PyUnicode_2BYTE_KIND;
        Py_ssize_t step = wide ? 8 : 16;
        const char *base = (const char *)data;
        const __m128i dv = wide ? _mm_set1_epi16((short)d) : _mm_set1_epi8((char)d);
        for (; k + step <= e; k += step) {
            __m128i v = _mm_loadu_si128((const __m128i *)(base + k * (wide ? 2 : 1)));
            unsigned bits = (unsigned)_mm_movemask_epi8(wide ? _mm_cmpeq_epi16(v, dv)
                                                             : _mm_cmpeq_epi8(v, dv));
            while (bits) {
                Py_ssize_t at = k + __builtin_ctz(bits) / (wide ? 2 : 1);
                bits &= bits - 1;
                if (wide) bits &= bits - 1; /* (a unit's second bit) */
                CUT_AT(at);
            }
        }
    }
#endif
    for (; k < e; k++)
        if (PyUnicode_READ(kind, data, k) == d) CUT_AT(k);
    CUT_AT(e);
#undef CUT_AT
    *cells = j;
    for (; j < width; j++) sp[j].a = sp[j].b = 0;
    return 0;
}

/* The rows of a cut: each a line of its own (``texts``, a list of str), or the spans
 * [bounds[2i], bounds[2i + 1]) of one text (``text``). */
typedef struct {
    PyObject *texts, *text;
    const int64_t *bounds;
    Py_ssize_t n;
} Rows;

static inline PyObject *row_source(const Rows *r, Py_ssize_t i) {
    return r->text != NULL ? r->text : PyList_GET_ITEM(r->texts, i);
}

static inline Py_ssize_t row_start(const Rows *r, Py_ssize_t i) {
    return r->text != NULL ? (Py_ssize_t)r->bounds[2 * i] : 0;
}

static inline Py_ssize_t row_end(const Rows *r, Py_ssize_t i) {
    return r->text != NULL ? (Py_ssize_t)r->bounds[2 * i + 1]
                           : PyUnicode_GET_LENGTH(PyList_GET_ITEM(r->texts, i));
}

static int cut_row(const Rows *r, Py_ssize_t i, Py_UCS4 d, Py_ssize_t width, Span *sp,
                   Py_ssize_t *cells) {
    PyObject *src = row_source(r, i);
    return cut_span(PyUnicode_KIND(src), PyUnicode_DATA(src), row_start(r, i), row_end(r, i),
                    d, width, sp, cells);
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
static PyObject *cut_columns(const Rows *rows, PyObject *delim, Py_ssize_t width,
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
