/* A chunk's regions from its line shapes (issue 15): the native side of
 * matchers.regions._spans_by_run, _absorb_interruptions and the holes of a region.
 *
 *   region_spans(shapes, names, join, not_content, interruption) -> (spans, sort)
 *
 * ``shapes`` is one shape per line, each one of ``names`` (the str objects
 * line_shapes hands back; names[0] is the blank line's, names[2] the gutter's),
 * with no rule line among them. ``join`` holds the shapes joined across blank
 * lines, ``not_content`` those that are no region's content, ``interruption`` the
 * fewest lines of another shape that never cut a table. Returns what
 * _absorb_interruptions(_spans_by_run(shapes), shapes) builds before its sort: the
 * spans (first line, end line, shape, holes) and whether lines were taken out of
 * tables (then the caller sorts them, as the reference does). None when a shape is
 * not one of ``names`` (the caller then runs the reference).
 *
 *   blank_holes(lines, a, b, holes) -> lines[a:b] with every hole's lines ""
 *
 * A dump's chunk with a line of forum noise every twenty rows is thirty thousand
 * spans and holes, each a few Python statements in the reference (~5 % of a clean
 * dump's scan).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define MAX_NAMES 32
#define BLANK 0
#define GUTTER 2

typedef struct {
    Py_ssize_t a, b;
    int shape;
} Run;

typedef struct {
    Run *items;
    Py_ssize_t n, cap;
} Runs;

static int push(Runs *r, Py_ssize_t a, Py_ssize_t b, int shape) {
    if (r->n == r->cap) {
        Py_ssize_t cap = r->cap ? r->cap * 2 : 64;
        Run *items = PyMem_Realloc(r->items, (size_t)cap * sizeof(Run));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        r->items = items;
        r->cap = cap;
    }
    r->items[r->n].a = a;
    r->items[r->n].b = b;
    r->items[r->n++].shape = shape;
    return 0;
}

/* The code of each line's shape (its index in names), or -1 when one is not a name. */
static int codes_of(PyObject *shapes, PyObject *names, unsigned char *codes) {
    Py_ssize_t n = PyList_GET_SIZE(shapes), k = PyTuple_GET_SIZE(names);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = PyList_GET_ITEM(shapes, i);
        Py_ssize_t c = 0;
        while (c < k && PyTuple_GET_ITEM(names, c) != s) c++;
        if (c == k) { /* not the very object: compare the text */
            for (c = 0; c < k; c++) {
                int eq = PyUnicode_Check(s) ? PyUnicode_Compare(s, PyTuple_GET_ITEM(names, c)) : -1;
                if (eq == 0) break;
                if (PyErr_Occurred()) return -1;
            }
            if (c == k) return 1;
        }
        codes[i] = (unsigned char)c;
    }
    return 0;
}

/* _spans_by_run: runs of one shape; blank lines and gutters join a run, blank lines
 * only where the shape joins across them. */
static int spans_by_run(const unsigned char *codes, Py_ssize_t n, const char *join, Runs *out) {
    int cur = -1, blank_run = 0;
    Py_ssize_t start = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int s = codes[i];
        if (s == BLANK || s == GUTTER) {
            blank_run |= s == BLANK;
            continue;
        }
        if (s != cur || (blank_run && !join[s])) {
            if (cur >= 0 && push(out, start, i, cur) < 0) return -1;
            cur = s;
            start = i;
        }
        blank_run = 0;
    }
    if (cur >= 0 && push(out, start, n, cur) < 0) return -1;
    return 0;
}

/* A tuple of (x, y) pairs. */
static PyObject *pairs(const Py_ssize_t *xy, Py_ssize_t count) {
    PyObject *t = PyTuple_New(count);
    if (t == NULL) return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *p = Py_BuildValue("(nn)", xy[2 * i], xy[2 * i + 1]);
        if (p == NULL) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, p);
    }
    return t;
}

static PyObject *span(Py_ssize_t a, Py_ssize_t b, PyObject *shape, PyObject *holes) {
    if (holes == NULL) return NULL;
    return Py_BuildValue("(nnON)", a, b, shape, holes);
}

PyObject *native_region_spans(PyObject *self, PyObject *args) {
    PyObject *shapes, *names, *join_set, *not_content_set;
    Py_ssize_t interruption;
    if (!PyArg_ParseTuple(args, "O!O!OOn", &PyList_Type, &shapes, &PyTuple_Type, &names,
                          &join_set, &not_content_set, &interruption))
        return NULL;
    Py_ssize_t k = PyTuple_GET_SIZE(names), n = PyList_GET_SIZE(shapes);
    if (k > MAX_NAMES || k <= GUTTER) {
        PyErr_SetString(PyExc_ValueError, "names: the shapes of line_shapes");
        return NULL;
    }
    char join[MAX_NAMES], not_content[MAX_NAMES];
    for (Py_ssize_t c = 0; c < k; c++) {
        int j = PySequence_Contains(join_set, PyTuple_GET_ITEM(names, c));
        int nc = PySequence_Contains(not_content_set, PyTuple_GET_ITEM(names, c));
        if (j < 0 || nc < 0) return NULL;
        join[c] = (char)j;
        not_content[c] = (char)nc;
    }
    unsigned char *codes = PyMem_Malloc(n ? (size_t)n : 1);
    /* noncontent[i]: how many lines before line i are no content (a prefix sum) */
    Py_ssize_t *noncontent = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_ssize_t));
    Py_ssize_t *blanks = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_ssize_t));
    Runs spans = {0}, out = {0}, extra = {0};
    Py_ssize_t *hole_of = NULL; /* per hole (extra run): its span of out */
    PyObject *result = NULL, *merged = NULL;
    if (codes == NULL || noncontent == NULL || blanks == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int bad = codes_of(shapes, names, codes);
    if (bad < 0) goto done;
    if (bad > 0) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    noncontent[0] = blanks[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        noncontent[i + 1] = noncontent[i] + not_content[codes[i]];
        blanks[i + 1] = blanks[i] + (codes[i] == BLANK);
    }
    if (spans_by_run(codes, n, join, &spans) < 0) goto done;

    /* _absorb_interruptions: a few lines of another shape inside a table, with the same
     * shape before and after and no blank line in between, are a hole in it. */
    hole_of = PyMem_Malloc((spans.n ? (size_t)spans.n : 1) * sizeof(Py_ssize_t));
    if (hole_of == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < spans.n;) {
        Run *s = &spans.items[i];
        if (out.n && i + 1 < spans.n) {
            Run *prev = &out.items[out.n - 1], *nxt = &spans.items[i + 1];
            Py_ssize_t content = s->b - s->a - (noncontent[s->b] - noncontent[s->a]);
            Py_ssize_t allowed = (prev->b - prev->a + nxt->b - nxt->a) / 20;
            if (allowed < interruption) allowed = interruption;
            /* (s->a >= 1: a span came before it) */
            if (prev->shape == nxt->shape && !join[prev->shape] && content <= allowed &&
                blanks[nxt->a] - blanks[s->a - 1] == 0) {
                prev->b = nxt->b;
                hole_of[extra.n] = out.n - 1;
                if (push(&extra, s->a, s->b, s->shape) < 0) goto done;
                i += 2;
                continue;
            }
        }
        if (push(&out, s->a, s->b, s->shape) < 0) goto done;
        i += 1;
    }

    merged = PyList_New(0);
    Py_ssize_t *xy = PyMem_Malloc(((size_t)extra.n + 1) * 2 * sizeof(Py_ssize_t));
    if (merged == NULL || xy == NULL) {
        PyMem_Free(xy);
        if (merged != NULL) PyErr_NoMemory();
        goto done;
    }
    /* Each table span with its holes (the extra runs are in the order of their spans). */
    Py_ssize_t h = 0;
    for (Py_ssize_t o = 0; o < out.n; o++) {
        Py_ssize_t count = 0;
        for (; h < extra.n && hole_of[h] == o; h++, count++) {
            xy[2 * count] = extra.items[h].a;
            xy[2 * count + 1] = extra.items[h].b;
        }
        Run *r = &out.items[o];
        PyObject *t = span(r->a, r->b, PyTuple_GET_ITEM(names, r->shape), pairs(xy, count));
        if (t == NULL || PyList_Append(merged, t) < 0) {
            Py_XDECREF(t);
            PyMem_Free(xy);
            goto done;
        }
        Py_DECREF(t);
    }
    /* The lines taken out of tables, one region per shape (in the order each shape was
     * first taken out), the lines between its runs as its holes. */
    char done_shape[MAX_NAMES] = {0};
    for (Py_ssize_t e = 0; e < extra.n; e++) {
        int shape = extra.items[e].shape;
        if (done_shape[shape]) continue;
        done_shape[shape] = 1;
        Py_ssize_t count = 0, first = extra.items[e].a, last = extra.items[e].b, prev_b = -1;
        for (Py_ssize_t f = e; f < extra.n; f++) {
            if (extra.items[f].shape != shape) continue;
            if (prev_b >= 0) {
                xy[2 * count] = prev_b;
                xy[2 * count + 1] = extra.items[f].a;
                count++;
            }
            prev_b = last = extra.items[f].b;
        }
        PyObject *t = span(first, last, PyTuple_GET_ITEM(names, shape), pairs(xy, count));
        if (t == NULL || PyList_Append(merged, t) < 0) {
            Py_XDECREF(t);
            PyMem_Free(xy);
            goto done;
        }
        Py_DECREF(t);
    }
    PyMem_Free(xy);
    result = Py_BuildValue("(OO)", merged, extra.n ? Py_True : Py_False);
done:
    Py_XDECREF(merged);
    PyMem_Free(codes);
    PyMem_Free(noncontent);
    PyMem_Free(blanks);
    PyMem_Free(hole_of);
    PyMem_Free(spans.items);
    PyMem_Free(out.items);
    PyMem_Free(extra.items);
    return result;
}

/* Hole i of ``holes`` (a tuple of (ha, hb)) into *ha, *hb: -1 with an error set when
 * it is no pair of ints or lies outside a:b (``who`` names the caller). */
static int read_hole(PyObject *holes, Py_ssize_t i, Py_ssize_t a, Py_ssize_t b,
                     const char *who, Py_ssize_t *ha, Py_ssize_t *hb) {
    if (!PyArg_ParseTuple(PyTuple_GET_ITEM(holes, i), "nn", ha, hb)) return -1;
    if (*ha < a || *hb > b || *hb < *ha) {
        PyErr_Format(PyExc_IndexError, "%s: a hole outside a:b", who);
        return -1;
    }
    return 0;
}

PyObject *native_blank_holes(PyObject *self, PyObject *args) {
    PyObject *lines, *holes;
    Py_ssize_t a, b;
    if (!PyArg_ParseTuple(args, "O!nnO!", &PyList_Type, &lines, &a, &b, &PyTuple_Type, &holes))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(lines);
    if (a < 0 || b < a || b > n) {
        PyErr_SetString(PyExc_IndexError, "blank_holes: lines a:b out of range");
        return NULL;
    }
    PyObject *body = PyList_GetSlice(lines, a, b);
    if (body == NULL) return NULL;
    PyObject *empty = PyUnicode_New(0, 0);
    if (empty == NULL) goto fail;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(holes); i++) {
        Py_ssize_t ha, hb;
        if (read_hole(holes, i, a, b, "blank_holes", &ha, &hb) < 0) goto fail;
        for (Py_ssize_t j = ha; j < hb; j++) {
            PyObject *old = PyList_GET_ITEM(body, j - a);
            PyList_SET_ITEM(body, j - a, Py_NewRef(empty));
            Py_DECREF(old);
        }
    }
    Py_DECREF(empty);
    return body;
fail:
    Py_XDECREF(empty);
    Py_DECREF(body);
    return NULL;
}

/* region_texts(text, spans) -> [str, ...]: for each span (a, b, shape, holes) of
 * text.split("\n"), "\n".join of its lines a:b with the lines of each hole (ha, hb)
 * made empty — the text of a region that cut_regions would join from the chunk's
 * lines (matchers.regions), made from the text itself: no str per line. Each result
 * is in the narrowest str kind, as a join makes it. */
PyObject *native_region_texts(PyObject *self, PyObject *args) {
    PyObject *text, *spans;
    if (!PyArg_ParseTuple(args, "UO!", &text, &PyList_Type, &spans)) return NULL;
    int kind = PyUnicode_KIND(text);
    const char *data = PyUnicode_DATA(text);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text), n = 0, cap = 1024;
    /* starts[i]: where line i begins; starts[n]: one past the end of the last line + 1 */
    Py_ssize_t *starts = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(cap + 1));
    char *hole = NULL, *buf = NULL;
    PyObject *out = NULL;
    if (starts == NULL) return PyErr_NoMemory();
    Py_ssize_t at = 0;
    for (;;) {
        if (n == cap) {
            Py_ssize_t *grown = PyMem_Realloc(starts, sizeof(Py_ssize_t) * (size_t)(2 * cap + 1));
            if (grown == NULL) {
                PyErr_NoMemory();
                goto fail;
            }
            starts = grown;
            cap *= 2;
        }
        starts[n++] = at;
        Py_ssize_t nl = PyUnicode_FindChar(text, '\n', at, len, 1);
        if (nl == -2) goto fail;
        if (nl < 0) break;
        at = nl + 1;
    }
    starts[n] = len + 1; /* (line i ends at starts[i + 1] - 1) */
    hole = PyMem_Calloc((size_t)n + 1, 1);
    out = PyList_New(PyList_GET_SIZE(spans));
    if (hole == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    if (out == NULL) goto fail;
    for (Py_ssize_t s = 0; s < PyList_GET_SIZE(spans); s++) {
        PyObject *span = PyList_GET_ITEM(spans, s), *shape, *holes;
        Py_ssize_t a, b;
        if (!PyTuple_Check(span) || PyTuple_GET_SIZE(span) != 4 ||
            !PyArg_ParseTuple(span, "nnOO!", &a, &b, &shape, &PyTuple_Type, &holes))
            goto bad;
        if (a < 0 || b < a || b > n) {
            PyErr_SetString(PyExc_IndexError, "region_texts: lines a:b out of range");
            goto fail;
        }
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(holes); i++) {
            Py_ssize_t ha, hb;
            if (read_hole(holes, i, a, b, "region_texts", &ha, &hb) < 0) goto fail;
            memset(hole + ha, 1, (size_t)(hb - ha));
        }
        /* The result's length, and whether one of its code points needs the text's
         * kind (a join's result is of the narrowest kind that holds it): then it is
         * made in that kind at once, its lines copied straight into it. */
        Py_ssize_t o = b > a ? b - a - 1 : 0;
        int wide = kind == PyUnicode_1BYTE_KIND && PyUnicode_IS_ASCII(text);
        for (Py_ssize_t j = a; j < b; j++) {
            if (hole[j]) continue;
            Py_ssize_t m = starts[j + 1] - 1 - starts[j];
            o += m;
            for (Py_ssize_t k = starts[j]; k < starts[j] + m && !wide; k++)
                wide = PyUnicode_READ(kind, data, k) >= (kind == PyUnicode_1BYTE_KIND ? 0x80
                                                         : kind == PyUnicode_2BYTE_KIND ? 0x100
                                                         : 0x10000);
        }
        PyObject *t = wide ? PyUnicode_New(o, PyUnicode_MAX_CHAR_VALUE(text)) : NULL;
        if (wide && t == NULL) goto fail;
        /* (else into a buffer of the text's kind, made once, and the str from it) */
        if (!wide && buf == NULL &&
            (buf = PyMem_Malloc((size_t)(len + 1) * (size_t)kind)) == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        char *dst = wide ? (char *)PyUnicode_DATA(t) : buf;
        Py_ssize_t w = 0;
        for (Py_ssize_t j = a; j < b; j++) {
            if (j > a) {
                PyUnicode_WRITE(kind, dst, w, '\n');
                w++;
            }
            if (hole[j]) continue;
            Py_ssize_t m = starts[j + 1] - 1 - starts[j];
            memcpy(dst + w * kind, data + starts[j] * kind, (size_t)(m * kind));
            w += m;
        }
        memset(hole + a, 0, (size_t)(b - a));
        if (!wide && (t = PyUnicode_FromKindAndData(kind, buf, w)) == NULL) goto fail;
        PyList_SET_ITEM(out, s, t);
    }
    PyMem_Free(starts);
    PyMem_Free(hole);
    PyMem_Free(buf);
    return out;
bad:
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_TypeError, "region_texts: a span is (a, b, shape, holes)");
fail:
    PyMem_Free(starts);
    PyMem_Free(hole);
    PyMem_Free(buf);
    Py_XDECREF(out);
    return NULL;
}
