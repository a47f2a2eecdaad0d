/* Same-record evidence, the per-row loop of matchers.evidence.collect (issue 15).
 *
 *   tie_rows(rows, hits, resolve, bits, bit_of, masks, weights, weight, shape_of,
 *            groups, log_records, log_high, log_medium, record_keys, common)
 *
 * ``record_keys`` is the prober's (record -> its field keys), or, for the exact index,
 * the pair of its uint64 arrays (record offsets, record keys), read directly.
 *
 * The exact counterpart of the reference loop in matchers/evidence.py. What is
 * decided once per kind, per (kind, count) or per kind mask stays in Python
 * (matchers/evidencecore.py: ``bit_of``, ``weight``, ``shape_of``, and ``resolve``
 * for an answer that is neither a plain tuple nor a ``common`` (matchers.probe.Common),
 * which are read here as ``resolve`` reads them), so this file holds no fact about kinds,
 * field groups or levels. Each pair object is resolved once into a C table.
 * Results are bit-identical to the reference: the per-record weights are summed
 * in the order Python's dicts would hold them (first seen first), since a float
 * sum depends on its order (CPython 3.11's ``sum`` adds floats one after another).
 *
 * Returns, per record in the order records were first scored, as columns (see
 * tie_columns in _tie_score.c): the record, its rank and log10 chance and fields (as
 * an index into the distinct levels), the mask of all kinds seen (an index into the
 * distinct masks), its line and row index; or None when a kind's bit does not fit in
 * 64 (the caller then runs the reference).
 *
 * This file ties a row's values to candidate records (_tie_values.h resolves each
 * pair's answer once); _tie_score.c scores the candidates and keeps each record's best.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include <structmember.h>

#include "_dictpeek.h"
#include "_pair.h"
#include "_tie_values.h"

/* d[kind] = w where w beats what the candidate has (insertion order kept). */
static void weigh(Cand *c, int kind, double w) {
    for (int i = 0; i < c->nk; i++) {
        if (c->kinds[i] == kind) {
            if (w > c->w[i]) c->w[i] = w;
            return;
        }
    }
    if (w > -1.0) {
        c->kinds[c->nk] = (unsigned char)kind;
        c->w[c->nk++] = w;
    }
}

/* Up to this many candidates in a row, a value's records are searched for each one
 * (see the row loop). */
#define FEW_CANDS 4

/* The candidate of a record in this row, or -1. */
static Py_ssize_t find_cand(const Work *wk, long long id) {
    Py_ssize_t at;
    return keymap_get(&wk->cmap, id_key(id), &at) ? at : -1;
}

/* A new candidate (not in the row yet), indexed by its id. */
static Cand *cand_add(Work *wk, PyObject *rec, long long id) {
    if (grow((void **)&wk->cands, &wk->capcands, wk->ncands + 1, sizeof(Cand)) < 0 ||
        keymap_add(&wk->cmap, id_key(id), wk->ncands) < 0)
        return NULL;
    Cand *c = &wk->cands[wk->ncands++];
    c->rec = rec;
    c->id = id;
    c->mask = 0;
    c->nk = 0;
    return c;
}

/* Ask for a new candidate's first slot in the table of bests, so that the misses of a
 * row's candidates overlap instead of coming one after the other (at ten million
 * records the call's table of records is far larger than the caches; the candidate's
 * keys in the index were asked for rows ahead: prefetch_offsets, prefetch_keys). */
PREFETCH_HELPER void prefetch_cand(const Work *wk, long long id) {
    keymap_prefetch(&wk->bmap, id_key(id));
}

/* The same for the record's entry in the table of bests, once its slot has come. */
PREFETCH_HELPER void prefetch_best(const Work *wk, long long id) {
    Py_ssize_t at = best_find(wk, id);
    if (at >= 0) __builtin_prefetch(&wk->best[at]);
}

/* A row's slot at ``off`` (the member's offset in type ``tp``, see slot_offset), when
 * the row is of that type and the slot is set; else NULL. Borrowed. */
static PyObject *row_slot(PyObject *rc, PyTypeObject *tp, Py_ssize_t off) {
    return off >= 0 && Py_TYPE(rc) == tp ? *(PyObject **)((char *)rc + off) : NULL;
}

/* A row object's ``found`` list at its slot, else NULL; borrowed. Only for looking
 * ahead: the row loop reads it with row_attr. */
static PyObject *found_ahead(PyObject *rc, PyTypeObject *tp, Py_ssize_t off) {
    PyObject *f = row_slot(rc, tp, off);
    return f != NULL && PyList_CheckExact(f) ? f : NULL;
}

/* A row's attribute: at its slot (row_slot), else through PyObject_GetAttr (which
 * also raises for an unset one). A new reference. */
static PyObject *row_attr(PyObject *rc, PyTypeObject *tp, Py_ssize_t off, PyObject *name) {
    PyObject *v = row_slot(rc, tp, off);
    return v != NULL ? Py_NewRef(v) : PyObject_GetAttr(rc, name);
}

/* The offset of the slot ``name`` of type ``tp`` (-1 when it is no object slot). */
static Py_ssize_t slot_offset(PyTypeObject *tp, PyObject *name) {
    /* (a class of its own attribute lookup is read through it) */
    if (tp->tp_getattro != PyObject_GenericGetAttr) return -1;
    PyObject *d = _PyType_Lookup(tp, name);
    if (d == NULL || !Py_IS_TYPE(d, &PyMemberDescr_Type)) return -1;
    PyMemberDef *m = ((PyMemberDescrObject *)d)->d_member;
    return m->type == T_OBJECT_EX && !(m->flags & READONLY) ? m->offset : -1;
}

/* Look ahead over the rows, so that the misses of the next rows' values overlap with
 * this row's work (a chunk's tens of thousands of new values are spread over more
 * memory than the caches hold, and each was looked up in the chunk's answers as its
 * row was resolved: a third of tie_rows on the clean dump, waiting on the answers'
 * index slot, entry and value one after the other). Each row goes through stages
 * one row apart, each reading what the one before asked for: its found items; their
 * pairs and the pairs' slots in the table of pair objects; the slot of each pair's
 * kept hash (a Pair's, _pair.c) in the answers' index, then its entry, then the answer
 * (_dictpeek.h). Only hints: nothing is read that the loop would not read, but the
 * answers' layout, which dict_ahead reads only to prefetch. */
#define STAGES 5

PREFETCH_HELPER void prefetch_stage(const Work *wk, PyObject *hits, PyObject *row,
                                    PyTypeObject *tp, Py_ssize_t off, int stage) {
    PyObject *f = found_ahead(row, tp, off);
    for (Py_ssize_t i = 0; f != NULL && i < PyList_GET_SIZE(f); i++) {
        PyObject *item = PyList_GET_ITEM(f, i);
        if (stage == 0) {
            __builtin_prefetch(item);
            continue;
        }
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) < 1) continue;
        PyObject *pair = PyTuple_GET_ITEM(item, 0);
        if (stage == 1) {
            __builtin_prefetch(pair);
            keymap_prefetch(&wk->pmap, pair_key(pair));
            continue;
        }
        /* (stages 2, 3, 4: dict_ahead's index slot, entry, value) */
        Py_hash_t h = Py_IS_TYPE(pair, &PairType) ? pair_kept_hash(pair) : -1;
        if (h != -1 && PyDict_CheckExact(hits))
            dict_ahead(hits, h, stage == 2 ? 0 : stage == 3 ? 1 : 3);
    }
}

/* The stages of the rows after row ``ri`` (the row resolved next): row ri + 1 + s at
 * stage STAGES - 1 - s. */
PREFETCH_HELPER void prefetch_rows(const Work *wk, PyObject *hits, PyObject *seq, Py_ssize_t ri,
                                   Py_ssize_t nrows, PyTypeObject *tp, Py_ssize_t off) {
    for (int s = 0; s < STAGES; s++) {
        Py_ssize_t r = ri + 1 + s;
        if (r < nrows)
            prefetch_stage(wk, hits, PySequence_Fast_GET_ITEM(seq, r), tp, off, STAGES - 1 - s);
    }
}

/* Where the common values' check reads a candidate's own field keys: the exact
 * index's (record offsets, record keys) uint64 arrays, read directly, or else the
 * prober's callable (record -> its keys). */
typedef struct {
    PyObject *call;      /* the callable, or NULL with the arrays */
    Py_buffer off, keys; /* the arrays (unset with the callable) */
} RecordKeys;

/* -1 on error (nothing then to release). */
static int keys_open(RecordKeys *k, PyObject *record_keys) {
    memset(k, 0, sizeof *k);
    if (!PyTuple_Check(record_keys)) {
        k->call = record_keys;
        return 0;
    }
    if (PyTuple_GET_SIZE(record_keys) != 2) {
        PyErr_SetString(PyExc_TypeError, "record_keys: a callable or two arrays");
        return -1;
    }
    if (PyObject_GetBuffer(PyTuple_GET_ITEM(record_keys, 0), &k->off, PyBUF_SIMPLE) < 0)
        return -1;
    if (PyObject_GetBuffer(PyTuple_GET_ITEM(record_keys, 1), &k->keys, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&k->off);
        return -1;
    }
    return 0;
}

static void keys_close(RecordKeys *k) {
    if (k->call != NULL) return;
    PyBuffer_Release(&k->off);
    PyBuffer_Release(&k->keys);
}

/* The rows' type and where its ``found`` and ``line`` slots are (-1: read as
 * attributes). */
typedef struct {
    PyTypeObject *tp;
    Py_ssize_t found_off, line_off;
    PyObject *s_found, *s_line;
} RowType;

/* A row's values with bits, its items and their bits into ``a`` (the row loop resolves
 * each row two rows ahead of tying it). Returns 0, 2 to fall back (a kind past 64
 * bits), or -1 on error; ``a->fseq`` is set only on 0. */
static int row_values(Work *wk, Ctx *cx, const RowType *rt, PyObject *rc, RowVals *a) {
    Py_CLEAR(a->fseq);
    a->n = 0;
    a->prim = a->strong = 0;
    a->has_common = 0;
    PyObject *found = row_attr(rc, rt->tp, rt->found_off, rt->s_found);
    if (found == NULL) return -1;
    PyObject *fseq = PySequence_Fast(found, "found must be a sequence");
    Py_DECREF(found);
    if (fseq == NULL) return -1;
    Py_ssize_t nf = PySequence_Fast_GET_SIZE(fseq);
    if (grow((void **)&a->v, &a->cap, nf, sizeof(Value)) < 0) goto fail;
    for (Py_ssize_t f = 0; f < nf; f++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fseq, f);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) < 1) {
            PyErr_SetString(PyExc_TypeError, "found holds (pair, where) tuples");
            goto fail;
        }
        Value *v = &a->v[a->n];
        int got = value_of(wk, PyTuple_GET_ITEM(item, 0), cx, v);
        if (got == 2) {
            Py_DECREF(fseq);
            return 2;
        }
        if (got < 0) goto fail;
        if (got == 0) continue;
        a->prim |= v->pp;
        a->strong |= v->ps;
        a->has_common |= v->common;
        a->n++;
    }
    a->fseq = fseq;
    return 0;
fail:
    Py_DECREF(fseq);
    return -1;
}

/* The next row becomes the one tied (rows[0]); the row just tied lets its items go,
 * and its array is reused for the row after next. */
static void take_next(Work *wk) {
    RowVals done = wk->rows[0];
    Py_CLEAR(done.fseq);
    done.n = 0;
    wk->rows[0] = wk->rows[1];
    wk->rows[1] = wk->rows[2];
    wk->rows[2] = done;
}

/* Each record id of a row resolved ahead (``a``) that row_cands will make a
 * candidate: the records of its wanted rare values. */
#define EACH_CAND_ID(a, id, body)                                                      \
    for (Py_ssize_t i_ = 0; i_ < (a)->n; i_++) {                                       \
        const Value *v_ = &(a)->v[i_];                                                 \
        uint64_t wanted_ = (a)->prim ? v_->pp : v_->ps;                                \
        if (v_->common || !wanted_) continue;                                          \
        for (Py_ssize_t r_ = 0; r_ < v_->nrec; r_++) {                                 \
            long long id = v_->recs[r_].id;                                            \
            if (v_->recs[r_].bits & wanted_) body                                      \
        }                                                                              \
    }

/* At ten million records a candidate's keys, read when the row's common values are
 * checked, are two misses in a row: its offset into the index's record keys, then the
 * keys. Asked for as the row's candidates were gathered, they had not come when they
 * were read (perf: a third of tie_rows' time at 10M). The row after next asks for
 * its candidates' offsets, the next row (whose offsets have come) for their keys.
 * Only hints. */
PREFETCH_HELPER void prefetch_offsets(const RowVals *a, const RecordKeys *k) {
    if (!a->has_common || !a->strong || k->call != NULL) return;
    const uint64_t *off = k->off.buf;
    long long noff = (long long)(k->off.len / 8);
    EACH_CAND_ID(a, id, {
        if (id >= 0 && id + 1 < noff) __builtin_prefetch(&off[id]);
    })
}

PREFETCH_HELPER void prefetch_keys(const RowVals *a, const RecordKeys *k) {
    if (!a->has_common || !a->strong || k->call != NULL) return;
    const uint64_t *off = k->off.buf, *rk = k->keys.buf;
    long long noff = (long long)(k->off.len / 8);
    uint64_t nrk = (uint64_t)(k->keys.len / 8);
    EACH_CAND_ID(a, id, {
        if (id >= 0 && id + 1 < noff && off[id] < nrk) __builtin_prefetch(&rk[off[id]]);
    })
}

/* The row's candidate records: those its rare values of a wanted kind name (of a
 * primary kind when the row has one, else of a strong kind). */
static int row_cands(Work *wk, int has_primary) {
    wk->ncands = 0;
    keymap_clear(&wk->cmap);
    for (Py_ssize_t i = 0; i < wk->rows[0].n; i++) {
        const Value *v = &wk->rows[0].v[i];
        uint64_t wanted = has_primary ? v->pp : v->ps;
        if (v->common || !wanted) continue;
        for (Py_ssize_t r = 0; r < v->nrec; r++) {
            const RecBits *rb = &v->recs[r];
            if (!(rb->bits & wanted) || find_cand(wk, rb->id) >= 0) continue;
            if (cand_add(wk, rb->rec, rb->id) == NULL) return -1;
            prefetch_cand(wk, rb->id);
        }
    }
    return 0;
}

/* Each rare value's bits and weight to the candidates it names. A record is in a
 * value's answer once: the order of the updates of one candidate is the order of the
 * values, as in the reference. */
static void weigh_rare(Work *wk) {
    for (Py_ssize_t i = 0; i < wk->rows[0].n; i++) {
        const Value *v = &wk->rows[0].v[i];
        if (v->common) continue;
        if (wk->ncands <= FEW_CANDS) {
            /* A row has a candidate or two, and a name or a birth date names up to
             * POSTINGS_CAP records: each candidate is looked for in the value's
             * records (one short array, read in order), not each record in the
             * map of candidates (a hashed probe per record). */
            for (Py_ssize_t j = 0; j < wk->ncands; j++) {
                Cand *c = &wk->cands[j];
                for (Py_ssize_t r = 0; r < v->nrec; r++) {
                    const RecBits *rb = &v->recs[r];
                    if (rb->id != c->id) continue;
                    if (rb->bits) {
                        c->mask |= rb->bits;
                        weigh(c, v->kind, v->w);
                    }
                    break;
                }
            }
            continue;
        }
        for (Py_ssize_t r = 0; r < v->nrec; r++) {
            const RecBits *rb = &v->recs[r];
            Py_ssize_t j = find_cand(wk, rb->id);
            if (j < 0 || !rb->bits) continue;
            Cand *c = &wk->cands[j];
            c->mask |= rb->bits;
            weigh(c, v->kind, v->w);
        }
    }
}

/* The row's common values, checked against each candidate's own field keys in the
 * index's arrays (no call, no set per record). -1 on error. */
static int weigh_common_arrays(Work *wk, const RecordKeys *k) {
    const uint64_t *off = k->off.buf, *rk = k->keys.buf;
    Py_ssize_t noff = k->off.len / 8, nrk = k->keys.len / 8;
    /* (each candidate's keys were asked for a row ahead, by prefetch_keys; its entry in
     * the table of bests is asked for now, its slot having come) */
    for (Py_ssize_t j = 0; j < wk->ncands; j++) prefetch_best(wk, wk->cands[j].id);
    for (Py_ssize_t j = 0; j < wk->ncands; j++) {
        Cand *c = &wk->cands[j];
        if (c->id < 0 || c->id + 1 >= noff || off[c->id] > off[c->id + 1] ||
            off[c->id + 1] > (uint64_t)nrk) {
            PyErr_SetString(PyExc_IndexError, "a record outside the index's keys");
            return -1;
        }
        for (Py_ssize_t i = 0; i < wk->rows[0].n; i++) {
            const Value *v = &wk->rows[0].v[i];
            if (!v->common || !v->ckey_ok) continue;
            int in = 0;
            for (uint64_t p = off[c->id]; p < off[c->id + 1] && !in; p++)
                in = rk[p] == v->ckey;
            if (in) {
                c->mask |= v->pbits;
                weigh(c, v->kind, v->w);
            }
        }
    }
    return 0;
}

/* The same through the prober's callable (record -> its keys). -1 on error. */
static int weigh_common_call(Work *wk, PyObject *call) {
    for (Py_ssize_t j = 0; j < wk->ncands; j++) {
        Cand *c = &wk->cands[j];
        PyObject *rec = cand_rec(c);
        PyObject *keys = rec == NULL ? NULL : PyObject_CallOneArg(call, rec);
        Py_XDECREF(rec);
        if (keys == NULL) return -1;
        for (Py_ssize_t i = 0; i < wk->rows[0].n; i++) {
            const Value *v = &wk->rows[0].v[i];
            if (!v->common) continue;
            int in = PySequence_Contains(keys, v->data);
            if (in < 0) {
                Py_DECREF(keys);
                return -1;
            }
            if (in) {
                c->mask |= v->pbits;
                weigh(c, v->kind, v->w);
            }
        }
        Py_DECREF(keys);
    }
    return 0;
}

/* The row in wk->rows[0], its values resolved: tied to candidate records and these
 * scored. Returns 0, or -1 on error. */
static int tie_row(Work *wk, const RecordKeys *k, const Scoring *sc, const RowType *rt,
                   PyObject *rc, Py_ssize_t ri) {
    const RowVals *a = &wk->rows[0];
    /* (no strong value: nothing but names, birth dates, postal codes, no evidence of
     * anyone) */
    if (!a->strong) return 0;
    if (row_cands(wk, a->prim != 0) < 0) return -1;
    if (wk->ncands == 0) return 0;
    weigh_rare(wk);
    if (a->has_common &&
        (k->call == NULL ? weigh_common_arrays(wk, k) : weigh_common_call(wk, k->call)) < 0)
        return -1;
    PyObject *line = row_attr(rc, rt->tp, rt->line_off, rt->s_line);
    if (line == NULL) return -1;
    int r = tie_score_row(wk, sc, a->strong, line, ri);
    Py_DECREF(line);
    return r;
}

/* A name interned once, for the life of the module, into *at; -1 on error. */
static int interned(PyObject **at, const char *name) {
    if (*at == NULL) *at = PyUnicode_InternFromString(name);
    return *at == NULL ? -1 : 0;
}

PyObject *native_tie_rows(PyObject *self, PyObject *args) {
    PyObject *rows, *record_keys;
    Ctx cx = {0};
    Scoring sc = {0};
    if (!PyArg_ParseTuple(args, "OOOO!OO!O!OOO!dddOO!", &rows, &cx.hits, &cx.resolve,
                          &PyDict_Type, &cx.bits, &cx.bit_of, &PyList_Type, &cx.masks,
                          &PyDict_Type, &cx.weights, &cx.weight, &sc.shape_of, &PyList_Type,
                          &sc.groups, &sc.log_records, &sc.log_high, &sc.log_medium,
                          &record_keys, &PyType_Type, &cx.common))
        return NULL;
    static PyObject *s_kind, *s_records, *s_key, *s_found, *s_line;
    if (interned(&s_kind, "kind") < 0 || interned(&s_records, "records") < 0 ||
        interned(&s_key, "key") < 0 || interned(&s_found, "found") < 0 ||
        interned(&s_line, "line") < 0)
        return NULL;
    cx.s_kind = s_kind;
    cx.s_records = s_records;
    cx.s_key = s_key;
    if (PyList_GET_SIZE(cx.masks) != 2) {
        PyErr_SetString(PyExc_ValueError, "masks must hold two ints");
        return NULL;
    }
    RecordKeys keys;
    if (keys_open(&keys, record_keys) < 0) return NULL;
    Work wk = {0};
    /* (a row has a few candidates, and the map is emptied for each row) */
    wk.cmap.first = 16;
    PyObject *seq = NULL, *out = NULL;
    int r = -1;
    if ((seq = PySequence_Fast(rows, "rows must be a sequence")) == NULL) goto done;
    if ((sc.shapes = PyDict_New()) == NULL) goto done;
    Py_ssize_t nrows = PySequence_Fast_GET_SIZE(seq);
    RowType rt = {nrows ? Py_TYPE(PySequence_Fast_GET_ITEM(seq, 0)) : NULL, -1, -1, s_found,
                  s_line};
    if (rt.tp != NULL) {
        rt.found_off = slot_offset(rt.tp, s_found);
        rt.line_off = slot_offset(rt.tp, s_line);
    }
    /* Each row's values are resolved two rows ahead of its tie (prefetch_offsets,
     * prefetch_keys); the table of values fills in the same order as row by row. */
    for (Py_ssize_t i = 0; i < 2 && i < nrows; i++) {
        r = row_values(&wk, &cx, &rt, PySequence_Fast_GET_ITEM(seq, i), &wk.rows[i + 1]);
        if (r != 0) goto done;
        prefetch_offsets(&wk.rows[i + 1], &keys);
    }
    for (Py_ssize_t ri = 0; ri < nrows; ri++) {
        take_next(&wk);
        prefetch_rows(&wk, cx.hits, seq, ri + 2, nrows, rt.tp, rt.found_off);
        if (ri + 2 < nrows) {
            r = row_values(&wk, &cx, &rt, PySequence_Fast_GET_ITEM(seq, ri + 2), &wk.rows[2]);
            if (r != 0) goto done;
            prefetch_offsets(&wk.rows[2], &keys);
        }
        prefetch_keys(&wk.rows[1], &keys);
        r = tie_row(&wk, &keys, &sc, &rt, PySequence_Fast_GET_ITEM(seq, ri), ri);
        if (r != 0) goto done;
    }
    r = 0;
    out = tie_columns(&wk);
done:
    tie_work_free(&wk);
    Py_XDECREF(seq);
    Py_XDECREF(sc.shapes);
    keys_close(&keys);
    /* 2: a kind's bit does not fit in 64, and the caller runs the reference */
    return r == 2 ? Py_NewRef(Py_None) : out;
}
