/* The resolution of a pair's probe answer into a value of tie_rows' C table
 * (fingerprints/_tie.c; included there only), and the Python side's tables and
 * callbacks it reads them with. */
#ifndef LEAKPRINT_TIE_VALUES_H
#define LEAKPRINT_TIE_VALUES_H

#include "_answers.h"
#include "_common.h"
#include "_tie.h"

static int as_u64(PyObject *o, uint64_t *out) {
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
            PyErr_Clear();
            return 1; /* more than 64 kinds: the caller falls back */
        }
        return -1;
    }
    *out = v;
    return 0;
}

/* The Python side's tables and callbacks (matchers/evidencecore.py). */
typedef struct {
    PyObject *hits;      /* pair -> probe answer */
    PyObject *resolve;   /* resolve(pair, answer) -> 7-tuple, for a Common answer */
    PyObject *bits;      /* kind -> bit index */
    PyObject *bit_of;    /* bit_of(kind) -> bit index, for a kind not seen yet */
    PyObject *masks;     /* [bits of primary kinds, bits of kinds outside WEAK_KINDS] */
    PyObject *weights;   /* (kind, count) -> weight */
    PyObject *weight;    /* weight(kind, count) -> weight, for a pair not seen yet */
    PyObject *common;    /* matchers.probe.Common: its answers are resolved here too */
    PyObject *s_kind, *s_records, *s_key;  /* its attribute names */
    /* weights of (kind bit, count) for counts under WCOUNTS, as read from ``weights``
     * in this call (bit ``count`` of wknown[bit]: read): most values' counts are small */
    double wsmall[MAXBITS][WCOUNTS];
    uint64_t wknown[MAXBITS];
    /* The kind object last read from an answer, and its bit: the answers of a call
     * share a few kind objects (the index's interned names). Alive for the call: an
     * answer the table holds owns it. */
    PyObject *last_kind;
    long last_k;
} Ctx;

static int table_add(Work *wk, const Value *v) {
    if (grow((void **)&wk->table, &wk->captable, wk->ntable + 1, sizeof(Value)) < 0)
        return -1;
    wk->table[wk->ntable] = *v;
    Py_INCREF(v->data);
    wk->ntable++;
    return 0;
}

/* A kind's bit index (asking Python for a new kind); -1 on error, -2 beyond 64. */
static long kind_bit(PyObject *kind, Ctx *cx) {
    PyObject *i = PyDict_GetItemWithError(cx->bits, kind);
    long b;
    if (i == NULL) {
        if (PyErr_Occurred()) return -1;
        PyObject *got = PyObject_CallOneArg(cx->bit_of, kind);
        if (got == NULL) return -1;
        b = PyLong_AsLong(got);
        Py_DECREF(got);
    } else {
        b = PyLong_AsLong(i);
    }
    if (b == -1 && PyErr_Occurred()) return -1;
    return (b < 0 || b >= MAXBITS) ? -2 : b;
}

/* ``weights[(kind, count)]``, or ``weight(kind, count)`` when not there (which fills
 * it), as evidencecore's ``weight``; kept per (bit, count) for the rest of the call. */
static int kind_weight(Ctx *cx, PyObject *kind, long bit, PyObject *count, Py_ssize_t n,
                       double *out) {
    int small = n >= 0 && n < WCOUNTS;
    if (small && (cx->wknown[bit] >> n & 1)) {
        *out = cx->wsmall[bit][n];
        return 0;
    }
    PyObject *key = PyTuple_Pack(2, kind, count);
    if (key == NULL) return -1;
    PyObject *w = PyDict_GetItemWithError(cx->weights, key);
    Py_DECREF(key);
    if (w == NULL) {
        if (PyErr_Occurred() ||
            (w = PyObject_CallFunctionObjArgs(cx->weight, kind, count, NULL)) == NULL)
            return -1;
        *out = PyFloat_AsDouble(w);
        Py_DECREF(w);
    } else {
        *out = PyFloat_AsDouble(w);
    }
    if (*out == -1.0 && PyErr_Occurred()) return -1;
    if (small) {
        cx->wsmall[bit][n] = *out;
        cx->wknown[bit] |= (uint64_t)1 << n;
    }
    return 0;
}

/* Add ``b`` to record ``id``'s bits in recs[0:nrec] (a record may come twice), or the
 * record after them; returns the new count. */
static inline Py_ssize_t recs_merge(RecBits *recs, Py_ssize_t nrec, PyObject *rec,
                                    long long id, uint64_t b) {
    Py_ssize_t j = 0;
    while (j < nrec && recs[j].id != id) j++;
    if (j < nrec) {
        recs[j].bits |= b;
        return nrec;
    }
    recs[nrec].rec = rec;
    recs[nrec].id = id;
    recs[nrec].bits = b;
    return nrec + 1;
}

/* Resolve an exact tuple of (record, kind) answers: ``resolve`` of evidencecore in C
 * (its {record: bits} as an array, in first-seen order). Returns 0, 2 to fall back,
 * -1 on error; on 0, v->recs is the caller's to keep or free. */
static int resolve_records(PyObject *h, Value *v, Ctx *cx) {
    Py_ssize_t n = PyTuple_GET_SIZE(h);
    RecBits *recs = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(RecBits));
    if (recs == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t nrec = 0;
    uint64_t pbits = 0;
    long first = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyTuple_GET_ITEM(h, i);
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 2) {
            PyErr_SetString(PyExc_TypeError, "an answer holds (record, kind) pairs");
            goto fail;
        }
        /* an answer's pairs share one kind object, nearly always */
        PyObject *kobj = PyTuple_GET_ITEM(t, 1);
        long k = kobj == cx->last_kind ? cx->last_k : kind_bit(kobj, cx);
        if (k < 0) {
            PyMem_Free(recs);
            return k == -2 ? 2 : -1;
        }
        cx->last_kind = kobj;
        cx->last_k = k;
        if (i == 0) first = k;
        uint64_t b = (uint64_t)1 << k;
        PyObject *rec = PyTuple_GET_ITEM(t, 0);
        long long id = PyLong_AsLongLong(rec);
        if (id == -1 && PyErr_Occurred()) goto fail;
        nrec = recs_merge(recs, nrec, rec, id, b);
        pbits |= b;
    }
    uint64_t m[2];
    for (int j = 0; j < 2; j++) {
        if (as_u64(PyList_GET_ITEM(cx->masks, j), &m[j]) != 0) {
            if (!PyErr_Occurred()) {
                PyMem_Free(recs);
                return 2;
            }
            goto fail;
        }
    }
    PyObject *count = PyLong_FromSsize_t(n);
    if (count == NULL) goto fail;
    int e = kind_weight(cx, PyTuple_GET_ITEM(PyTuple_GET_ITEM(h, 0), 1), first, count, n,
                        &v->w);
    Py_DECREF(count);
    if (e < 0) goto fail;
    v->common = 0;
    Py_INCREF(h);
    v->data = h; /* the caller's reference: table_add takes its own */
    v->recs = recs;
    v->nrec = nrec;
    v->pbits = pbits;
    v->pp = pbits & m[0];
    v->ps = pbits & m[1];
    v->kind = (int)first;
    return 0;
fail:
    PyMem_Free(recs);
    return -1;
}

/* Resolve a Postings (_answers.c): resolve_records for the tuple it reads as, from its
 * array of rows (one kind for all of them). Returns as resolve_records does. */
static int resolve_postings(PyObject *h, Value *v, Ctx *cx) {
    PostingsObject *p = (PostingsObject *)h;
    Py_ssize_t n = Py_SIZE(p);
    long k = p->kind == cx->last_kind ? cx->last_k : kind_bit(p->kind, cx);
    if (k < 0) return k == -2 ? 2 : -1;
    cx->last_kind = p->kind;
    cx->last_k = k;
    uint64_t b = (uint64_t)1 << k, m[2];
    for (int j = 0; j < 2; j++) {
        if (as_u64(PyList_GET_ITEM(cx->masks, j), &m[j]) != 0)
            return PyErr_Occurred() ? -1 : 2;
    }
    /* (a true answer: n >= 1) */
    RecBits *recs = PyMem_Malloc((size_t)n * sizeof(RecBits));
    if (recs == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t nrec = 0;
    for (Py_ssize_t i = 0; i < n; i++) nrec = recs_merge(recs, nrec, NULL, p->rows[i], b);
    PyObject *count = PyLong_FromSsize_t(n);
    int e = count == NULL ? -1 : kind_weight(cx, p->kind, k, count, n, &v->w);
    Py_XDECREF(count);
    if (e < 0) {
        PyMem_Free(recs);
        return -1;
    }
    v->common = 0;
    v->data = Py_NewRef(h); /* the caller's reference: table_add takes its own */
    v->recs = recs;
    v->nrec = nrec;
    v->pbits = b;
    v->pp = b & m[0];
    v->ps = b & m[1];
    v->kind = (int)k;
    return 0;
}

/* A Common answer, as evidencecore's resolve() reads it: its kind's bit, its key, the
 * weight of (kind, records). Returns 0, 2 to fall back, -1 on error. */
static int resolve_common_native(PyObject *h, Value *v, Ctx *cx) {
    PyObject *kind, *records, *key;
    if (Py_IS_TYPE(h, &CommonType)) { /* its fields, without three attribute lookups */
        kind = Py_NewRef(common_kind(h));
        records = Py_NewRef(common_records(h));
        key = Py_NewRef(common_key(h));
    } else {
        kind = PyObject_GetAttr(h, cx->s_kind);
        records = kind ? PyObject_GetAttr(h, cx->s_records) : NULL;
        key = records ? PyObject_GetAttr(h, cx->s_key) : NULL;
    }
    int r = -1;
    if (key == NULL) goto done;
    long b = kind_bit(kind, cx);
    if (b < 0) {
        r = b == -2 ? 2 : -1;
        goto done;
    }
    uint64_t m[2];
    for (int j = 0; j < 2; j++) {
        if ((r = as_u64(PyList_GET_ITEM(cx->masks, j), &m[j])) != 0) {
            r = PyErr_Occurred() ? -1 : 2;
            goto done;
        }
    }
    Py_ssize_t n = PyLong_AsSsize_t(records);
    if (n == -1 && PyErr_Occurred()) {
        /* a count no Py_ssize_t holds: not kept per (bit, count), still weighed */
        PyErr_Clear();
        n = -1;
    }
    if (kind_weight(cx, kind, b, records, n, &v->w) < 0) {
        r = -1;
        goto done;
    }
    uint64_t bit = (uint64_t)1 << b;
    v->common = 1;
    v->recs = NULL;
    v->nrec = 0;
    v->pbits = bit;
    v->pp = bit & m[0];
    v->ps = bit & m[1];
    v->kind = (int)b;
    v->data = Py_NewRef(key); /* the caller's reference, as resolve_records gives it */
    v->ckey = PyLong_Check(key) ? PyLong_AsUnsignedLongLong(key) : 0;
    v->ckey_ok = !PyErr_Occurred() && PyLong_Check(key);
    PyErr_Clear(); /* a key that is no uint64 is in no record's keys */
    r = 0;
done:
    Py_XDECREF(kind);
    Py_XDECREF(records);
    Py_XDECREF(key);
    return r;
}

/* Any other answer's 7-tuple from Python's resolve(). Returns 0, 2, -1. */
static int resolve_common(PyObject *pair, PyObject *h, Value *v, Ctx *cx) {
    PyObject *t = PyObject_CallFunctionObjArgs(cx->resolve, pair, h, NULL);
    if (t == NULL) return -1;
    int r = -1;
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 7) {
        PyErr_SetString(PyExc_TypeError, "resolve() must return a 7-tuple");
        goto done;
    }
    v->common = 1;
    v->recs = NULL;
    v->nrec = 0;
    v->data = PyTuple_GET_ITEM(t, 1);
    if ((r = as_u64(PyTuple_GET_ITEM(t, 2), &v->pbits)) != 0) goto out;
    if ((r = as_u64(PyTuple_GET_ITEM(t, 3), &v->pp)) != 0) goto out;
    if ((r = as_u64(PyTuple_GET_ITEM(t, 4), &v->ps)) != 0) goto out;
    long kind = PyLong_AsLong(PyTuple_GET_ITEM(t, 5));
    if (kind == -1 && PyErr_Occurred()) goto done;
    if (kind < 0 || kind >= MAXBITS) {
        r = 2;
        goto done;
    }
    v->kind = (int)kind;
    v->w = PyFloat_AsDouble(PyTuple_GET_ITEM(t, 6));
    if (v->w == -1.0 && PyErr_Occurred()) goto done;
    v->ckey = PyLong_Check(v->data) ? PyLong_AsUnsignedLongLong(v->data) : 0;
    v->ckey_ok = !PyErr_Occurred() && PyLong_Check(v->data);
    PyErr_Clear(); /* a key that is no uint64 is in no record's keys */
    Py_INCREF(v->data); /* the caller's reference, as resolve_records gives it */
    r = 0;
    goto done;
out:
    if (r < 0) r = -1; else r = 2;
done:
    Py_DECREF(t);
    return r;
}

/* A pair object's key in Work.pmap. */
static inline uint64_t pair_key(PyObject *pair) { return (uint64_t)(uintptr_t)pair; }

static int value_resolve(Work *wk, PyObject *pair, Ctx *cx, Value *v);

/* The value of a pair: 1 with bits (copied to *v), 0 a miss, 2 to fall back, -1 error. */
static int value_of(Work *wk, PyObject *pair, Ctx *cx, Value *v) {
    Py_ssize_t idx;
    if (keymap_get(&wk->pmap, pair_key(pair), &idx)) {
        if (idx < 0) return 0;
        *v = wk->table[idx];
        return 1;
    }
    int r = value_resolve(wk, pair, cx, v);
    /* a hit is the table's last value */
    if ((r == 0 || r == 1) &&
        keymap_add(&wk->pmap, pair_key(pair), r ? wk->ntable - 1 : -1) < 0)
        return -1;
    return r;
}

/* value_of for a pair object not seen yet: its probe answer, resolved. */
static int value_resolve(Work *wk, PyObject *pair, Ctx *cx, Value *v) {
    PyObject *h = PyObject_GetItem(cx->hits, pair);
    if (h == NULL) return -1;
    int truth = PyObject_IsTrue(h);
    int r;
    if (truth < 0) {
        r = -1;
    } else if (!truth) {
        r = 0;
    } else {
        r = Py_IS_TYPE(h, &PostingsType) ? resolve_postings(h, v, cx)
            : PyTuple_CheckExact(h) ? resolve_records(h, v, cx)
            : cx->common != NULL && PyObject_TypeCheck(h, (PyTypeObject *)cx->common)
            ? resolve_common_native(h, v, cx)
            : resolve_common(pair, h, v, cx);
        if (r == 0) {
            int e = v->pbits ? table_add(wk, v) : 0;
            Py_DECREF(v->data); /* the table holds its own reference */
            if (e < 0 || !v->pbits) PyMem_Free(v->recs); /* else the table owns them */
            r = e < 0 ? -1 : v->pbits ? 1 : 0;
        }
    }
    Py_DECREF(h);
    return r;
}


#endif
