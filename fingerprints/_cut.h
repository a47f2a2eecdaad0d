/* A delimited table's rows cut into cells (issue 15): each cell's bounds and a hash of
 * its code points, the same whatever the str kind of its row. Shared by the cut of
 * columns (_columns.c) and its entry from a text's lines (_text_columns.c). */
#ifndef LEAKPRINT_CUT_H
#define LEAKPRINT_CUT_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct {
    uint64_t hash;
    uint32_t a, b; /* the cell is line[a:b] (a chunk's line is far shorter than 2**32) */
} Span;

#define HASH_BASIS 1469598103934665603ULL
/* A cell's hash keeps its class in its top two bits (cell_hash). */
#define CLASS_SHIFT 62
#define CLASS_MASK (3ULL << CLASS_SHIFT)

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

static inline uint64_t cell_hash(int kind, const void *data, Py_ssize_t a, Py_ssize_t b) {
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
static inline int cut_span(int kind, const void *data, Py_ssize_t s, Py_ssize_t e,
                           Py_UCS4 d, Py_ssize_t width, Span *sp, Py_ssize_t *cells) {
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

static inline int cut_row(const Rows *r, Py_ssize_t i, Py_UCS4 d, Py_ssize_t width,
                          Span *sp, Py_ssize_t *cells) {
    PyObject *src = row_source(r, i);
    return cut_span(PyUnicode_KIND(src), PyUnicode_DATA(src), row_start(r, i), row_end(r, i),
                    d, width, sp, cells);
}

/* The columns of ``rows`` (_columns.c: split_columns's cut; ``width`` 0: counted by
 * the cut). */
PyObject *cut_columns(const Rows *rows, PyObject *delim, Py_ssize_t width,
                      int want_distinct);

#endif
