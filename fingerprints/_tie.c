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
 * tied_columns): the record, its rank and log10 chance and fields (as an index into
 * the distinct levels), the mask of all kinds seen (an index into the distinct
 * masks), its line and row index; or None when a kind's bit does not fit in 64 (the
 * caller then runs the reference).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include <structmember.h>

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

/* A record id's key in Work.cmap and Work.bmap (ids start at 0; key 0 is free). */
static inline uint64_t id_key(long long id) { return (uint64_t)id + 1; }

/* The candidate of a record in this row, or -1. */
static Py_ssize_t find_cand(const Work *wk, long long id) {
    Py_ssize_t at;
    return keymap_get(&wk->cmap, id_key(id), &at) ? at : -1;
}

/* A candidate's record as an int (new reference): its answer's, or made from its id
 * (a Postings' row has none). */
static PyObject *cand_rec(const Cand *c) {
    return c->rec ? Py_NewRef(c->rec) : PyLong_FromLongLong(c->id);
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

static double log_chance(Work *wk, const Cand *c, int drop, PyObject *groups,
                         double log_records, int *err) {
    /* best weight per group, groups in first-seen order (log_chance's dict) */
    long gid[MAXBITS];
    double gw[MAXBITS];
    int ng = 0;
    for (int i = 0; i < c->nk; i++) {
        int k = c->kinds[i];
        if (k == drop) continue;
        if (k >= wk->ngids) {
            /* kinds seen since: their groups read once (bit_of appends them) */
            if (k >= PyList_GET_SIZE(groups)) {
                PyErr_SetString(PyExc_IndexError, "a kind bit without a group");
                *err = 1;
                return 0.0;
            }
            for (Py_ssize_t j = wk->ngids; j < PyList_GET_SIZE(groups) && j < MAXBITS; j++) {
                long gj = PyLong_AsLong(PyList_GET_ITEM(groups, j));
                if (gj == -1 && PyErr_Occurred()) {
                    *err = 1;
                    return 0.0;
                }
                wk->gids[j] = gj;
                wk->ngids = j + 1;
            }
        }
        long g = wk->gids[k];
        int j = 0;
        while (j < ng && gid[j] != g) j++;
        if (j == ng) {
            gid[ng] = g;
            gw[ng++] = c->w[i];
        } else if (c->w[i] > gw[j]) {
            gw[j] = c->w[i];
        }
    }
    double sum = 0.0;
    for (int j = 0; j < ng; j++) sum += gw[j];
    double lc = log_records - sum;
    return lc < 0.0 ? lc : 0.0;
}

static void work_free(Work *wk) {
    for (Py_ssize_t i = 0; i < wk->ntable; i++) {
        Py_DECREF(wk->table[i].data);
        PyMem_Free(wk->table[i].recs);
    }
    PyMem_Free(wk->table);
    for (Py_ssize_t i = 0; i < wk->nbest; i++) {
        Py_DECREF(wk->best[i].rec);
        Py_DECREF(wk->best[i].fields);
        Py_DECREF(wk->best[i].line);
    }
    PyMem_Free(wk->vals);
    PyMem_Free(wk->cands);
    PyMem_Free(wk->best);
    keymap_free(&wk->cmap);
    keymap_free(&wk->bmap);
    keymap_free(&wk->smap);
    keymap_free(&wk->pmap);
}

/* shape_of(mask), from the call's C table, else from ``shapes`` or shape_of (then
 * kept in both); borrowed (``shapes`` holds it). */
static PyObject *shape_for(Work *wk, uint64_t mask, PyObject *shape_of, PyObject *shapes) {
    Py_ssize_t known;
    if (keymap_get(&wk->smap, mask, &known)) return (PyObject *)known;
    PyObject *key = PyLong_FromUnsignedLongLong(mask);
    if (key == NULL) return NULL;
    PyObject *shape = PyDict_GetItemWithError(shapes, key);
    if (shape == NULL) {
        if (PyErr_Occurred() || (shape = PyObject_CallOneArg(shape_of, key)) == NULL) {
            Py_DECREF(key);
            return NULL;
        }
        int e = PyDict_SetItem(shapes, key, shape);
        Py_DECREF(shape);
        if (e < 0) {
            Py_DECREF(key);
            return NULL;
        }
    }
    Py_DECREF(key);
    if (keymap_add(&wk->smap, mask, (Py_ssize_t)shape) < 0) return NULL;
    return shape;
}

/* The index in best of record ``id``, or -1. */
static Py_ssize_t best_find(const Work *wk, long long id) {
    Py_ssize_t at;
    return keymap_get(&wk->bmap, id_key(id), &at) ? at : -1;
}

/* Ask for what a new candidate will be read with, so that the misses of a row's
 * candidates overlap instead of coming one after the other (at ten million records
 * the index's key arrays and the call's table of records are far larger than the
 * caches): its record's first slot in the table of bests, and, when ``roff`` is
 * given, its offset into the index's record keys. Only hints: nothing is read. */
static inline void prefetch_cand(const Work *wk, long long id, const Py_buffer *roff) {
    keymap_prefetch(&wk->bmap, id_key(id));
    if (roff != NULL && id >= 0 && (id + 1) * 8 < roff->len)
        __builtin_prefetch((const uint64_t *)roff->buf + id);
}

/* The same for the record's entry in the table of bests, once its slot has come. */
static inline void prefetch_best(const Work *wk, long long id) {
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
 * this row's work (a hit-dense chunk's hundred thousand values are spread over far
 * more memory than the caches hold): the found items of the row after next are asked
 * for, and for the next row, whose items have come, the slots of their pairs in the
 * table of pair objects. Only hints: nothing is read that the loop would not read. */
static void prefetch_rows(const Work *wk, PyObject *seq, Py_ssize_t ri, Py_ssize_t nrows,
                          PyTypeObject *tp, Py_ssize_t off) {
    if (ri + 2 < nrows) {
        PyObject *f = found_ahead(PySequence_Fast_GET_ITEM(seq, ri + 2), tp, off);
        for (Py_ssize_t i = 0; f != NULL && i < PyList_GET_SIZE(f); i++)
            __builtin_prefetch(PyList_GET_ITEM(f, i));
    }
    if (ri + 1 < nrows) {
        PyObject *f = found_ahead(PySequence_Fast_GET_ITEM(seq, ri + 1), tp, off);
        for (Py_ssize_t i = 0; f != NULL && i < PyList_GET_SIZE(f); i++) {
            PyObject *item = PyList_GET_ITEM(f, i);
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) < 1) continue;
            keymap_prefetch(&wk->pmap, pair_key(PyTuple_GET_ITEM(item, 0)));
        }
    }
}

/* Score each candidate of one row and keep each record's best (evidence.collect). */
static int score_row(Work *wk, uint64_t row_strong, PyObject *shape_of, PyObject *shapes,
                     PyObject *groups, double log_records, double log_high,
                     double log_medium, PyObject *line, Py_ssize_t ri) {
    for (Py_ssize_t i = 0; i < wk->ncands; i++) {
        Cand *c = &wk->cands[i];
        if (!(c->mask & row_strong)) continue;
        PyObject *shape = shape_for(wk, c->mask, shape_of, shapes);
        if (shape == NULL) return -1;
        if (!PyTuple_Check(shape) || PyTuple_GET_SIZE(shape) != 4) {
            PyErr_SetString(PyExc_TypeError, "shape_of() must return a 4-tuple");
            return -1;
        }
        PyObject *fields = PyTuple_GET_ITEM(shape, 0);
        long drop = PyLong_AsLong(PyTuple_GET_ITEM(shape, 1));
        if (drop == -1 && PyErr_Occurred()) return -1;
        int capped = PyObject_IsTrue(PyTuple_GET_ITEM(shape, 2));
        int floored = PyObject_IsTrue(PyTuple_GET_ITEM(shape, 3));
        if (capped < 0 || floored < 0) return -1;
        int err = 0;
        double lc = log_chance(wk, c, (int)drop, groups, log_records, &err);
        if (err) return -1;
        int rank = capped ? 1 : lc <= log_high ? 3 : (lc <= log_medium || floored) ? 2 : 1;
        Py_ssize_t at = best_find(wk, c->id);
        if (at < 0) {
            if (grow((void **)&wk->best, &wk->capbest, wk->nbest + 1, sizeof(Best)) < 0)
                return -1;
            Best *b = &wk->best[wk->nbest++];
            b->rec = cand_rec(c);
            if (b->rec == NULL) {
                wk->nbest--;
                return -1;
            }
            b->id = c->id;
            b->fields = Py_NewRef(fields);
            b->rank = rank;
            b->lc = lc;
            b->mask = c->mask;
            b->line = Py_NewRef(line);
            b->ri = ri;
            if (keymap_add(&wk->bmap, id_key(c->id), wk->nbest - 1) < 0) return -1;
        } else {
            Best *b = &wk->best[at];
            b->mask |= c->mask;
            /* score = (rank, -lc): a later row wins only when strictly better */
            if (rank > b->rank || (rank == b->rank && -lc > -b->lc)) {
                b->rank = rank;
                b->lc = lc;
                Py_SETREF(b->fields, Py_NewRef(fields));
                Py_SETREF(b->line, Py_NewRef(line));
                b->ri = ri;
            }
        }
    }
    return 0;
}

/* Index of (rank, lc, fields) among the distinct ones so far, added when new: the
 * open-addressed table ``slots`` (index + 1, 0 free) over ``levels``. */
typedef struct {
    int rank;
    double lc;
    PyObject *fields;  /* borrowed from a Best */
} Level;

static uint64_t level_hash(const Level *l) {
    uint64_t bits;
    memcpy(&bits, &l->lc, sizeof bits);
    uint64_t h = (bits ^ ((uint64_t)(uintptr_t)l->fields >> 4)) * 0x9E3779B97F4A7C15ULL;
    return (h ^ (uint64_t)l->rank) * 0xBF58476D1CE4E5B9ULL;
}

static int same_level(const Level *a, const Level *b) {
    return a->rank == b->rank && a->fields == b->fields &&
           memcmp(&a->lc, &b->lc, sizeof a->lc) == 0;
}

/* The result, as columns: (records, level ids, levels as (rank, lc, fields), mask ids,
 * masks, lines, row indices), one item per record in the order records were first
 * scored; a record's level and kind mask by their index into the distinct ones (a
 * dump's hundred thousand records share a few dozen: evidencecore works each out
 * once, and makes no tuple per record). */
static PyObject *tied_columns(Work *wk) {
    Py_ssize_t n = wk->nbest;
    size_t nslots = 16;
    while (nslots < (size_t)n * 2 + 2) nslots *= 2;
    Py_ssize_t *lslots = PyMem_Calloc(nslots, sizeof(Py_ssize_t));
    Level *levels = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Level));
    KeyMap mids = {0}; /* a kind mask (never 0: it holds a strong kind) -> its index */
    Py_ssize_t nlevels = 0;
    PyObject *cols[7] = {PyList_New(n), PyList_New(n), PyList_New(0), PyList_New(n),
                         PyList_New(0), PyList_New(n), PyList_New(n)};
    PyObject *out = NULL;
    int bad = lslots == NULL || levels == NULL;
    for (int k = 0; k < 7; k++) bad |= cols[k] == NULL;
    if (bad) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Best *b = &wk->best[i];
        Level l = {b->rank, b->lc, b->fields};
        size_t s = (size_t)level_hash(&l) & (nslots - 1);
        while (lslots[s] && !same_level(&levels[lslots[s] - 1], &l)) s = (s + 1) & (nslots - 1);
        if (!lslots[s]) {
            levels[nlevels++] = l;
            lslots[s] = nlevels;
            PyObject *t = Py_BuildValue("(idO)", l.rank, l.lc, l.fields);
            if (t == NULL || PyList_Append(cols[2], t) < 0) {
                Py_XDECREF(t);
                goto done;
            }
            Py_DECREF(t);
        }
        Py_ssize_t level = lslots[s] - 1;
        Py_ssize_t mask_at;
        if (!keymap_get(&mids, b->mask, &mask_at)) {
            mask_at = PyList_GET_SIZE(cols[4]);
            PyObject *v = PyLong_FromUnsignedLongLong(b->mask);
            if (v == NULL || PyList_Append(cols[4], v) < 0) {
                Py_XDECREF(v);
                goto done;
            }
            Py_DECREF(v);
            if (keymap_add(&mids, b->mask, mask_at) < 0) goto done;
        }
        PyObject *lid = PyLong_FromSsize_t(level), *mid = PyLong_FromSsize_t(mask_at);
        PyObject *ri = PyLong_FromSsize_t(b->ri);
        /* (the list takes the items even when one is NULL: its dealloc skips those) */
        PyList_SET_ITEM(cols[0], i, Py_NewRef(b->rec));
        PyList_SET_ITEM(cols[1], i, lid);
        PyList_SET_ITEM(cols[3], i, mid);
        PyList_SET_ITEM(cols[5], i, Py_NewRef(b->line));
        PyList_SET_ITEM(cols[6], i, ri);
        if (lid == NULL || mid == NULL || ri == NULL) goto done;
    }
    out = PyTuple_New(7);
    if (out != NULL)
        for (int k = 0; k < 7; k++) PyTuple_SET_ITEM(out, k, Py_NewRef(cols[k]));
done:
    for (int k = 0; k < 7; k++) Py_XDECREF(cols[k]);
    PyMem_Free(lslots);
    PyMem_Free(levels);
    keymap_free(&mids);
    return out;
}

PyObject *native_tie_rows(PyObject *self, PyObject *args) {
    PyObject *rows, *shape_of, *groups, *record_keys;
    double log_records, log_high, log_medium;
    Ctx cx = {0};
    if (!PyArg_ParseTuple(args, "OOOO!OO!O!OOO!dddOO!", &rows, &cx.hits, &cx.resolve,
                          &PyDict_Type, &cx.bits, &cx.bit_of, &PyList_Type, &cx.masks,
                          &PyDict_Type, &cx.weights, &cx.weight, &shape_of, &PyList_Type,
                          &groups, &log_records, &log_high, &log_medium, &record_keys,
                          &PyType_Type, &cx.common))
        return NULL;
    /* (interned once, for the life of the module) */
    static PyObject *s_kind, *s_records, *s_key;
    if (s_kind == NULL && (s_kind = PyUnicode_InternFromString("kind")) == NULL) return NULL;
    if (s_records == NULL && (s_records = PyUnicode_InternFromString("records")) == NULL)
        return NULL;
    if (s_key == NULL && (s_key = PyUnicode_InternFromString("key")) == NULL) return NULL;
    cx.s_kind = s_kind;
    cx.s_records = s_records;
    cx.s_key = s_key;
    if (PyList_GET_SIZE(cx.masks) != 2) {
        PyErr_SetString(PyExc_ValueError, "masks must hold two ints");
        return NULL;
    }
    /* record_keys: a callable, or the index's (record offsets, record keys) uint64 arrays */
    Py_buffer roff = {0}, rkeys = {0};
    int native_keys = PyTuple_Check(record_keys);
    if (native_keys) {
        if (PyTuple_GET_SIZE(record_keys) != 2) {
            PyErr_SetString(PyExc_TypeError, "record_keys: a callable or two arrays");
            return NULL;
        }
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(record_keys, 0), &roff, PyBUF_SIMPLE) < 0)
            return NULL;
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(record_keys, 1), &rkeys, PyBUF_SIMPLE) < 0) {
            PyBuffer_Release(&roff);
            return NULL;
        }
    }
    Work wk = {0};
    /* (a row has a few candidates, and the map is emptied for each row) */
    wk.cmap.first = 16;
    PyObject *seq = NULL, *shapes = NULL, *out = NULL;
    PyObject *s_found = PyUnicode_InternFromString("found");
    PyObject *s_line = PyUnicode_InternFromString("line");
    if (s_found == NULL || s_line == NULL)
        goto fail;
    if ((seq = PySequence_Fast(rows, "rows must be a sequence")) == NULL) goto fail;
    if ((shapes = PyDict_New()) == NULL) goto fail;
    Py_ssize_t nrows = PySequence_Fast_GET_SIZE(seq);
    PyTypeObject *row_type = nrows ? Py_TYPE(PySequence_Fast_GET_ITEM(seq, 0)) : NULL;
    Py_ssize_t found_off = row_type != NULL ? slot_offset(row_type, s_found) : -1;
    Py_ssize_t line_off = row_type != NULL ? slot_offset(row_type, s_line) : -1;
    for (Py_ssize_t ri = 0; ri < nrows; ri++) {
        PyObject *rc = PySequence_Fast_GET_ITEM(seq, ri);
        prefetch_rows(&wk, seq, ri, nrows, row_type, found_off);
        PyObject *found = row_attr(rc, row_type, found_off, s_found);
        if (found == NULL) goto fail;
        PyObject *fseq = PySequence_Fast(found, "found must be a sequence");
        Py_DECREF(found);
        if (fseq == NULL) goto fail;
        Py_ssize_t nf = PySequence_Fast_GET_SIZE(fseq);
        if (grow((void **)&wk.vals, &wk.capvals, nf, sizeof(Value)) < 0) {
            Py_DECREF(fseq);
            goto fail;
        }
        wk.nvals = 0;
        uint64_t row_prim = 0, row_strong = 0;
        int has_common = 0;
        for (Py_ssize_t f = 0; f < nf; f++) {
            PyObject *item = PySequence_Fast_GET_ITEM(fseq, f);
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) < 1) {
                PyErr_SetString(PyExc_TypeError, "found holds (pair, where) tuples");
                Py_DECREF(fseq);
                goto fail;
            }
            Value *v = &wk.vals[wk.nvals];
            int got = value_of(&wk, PyTuple_GET_ITEM(item, 0), &cx, v);
            if (got < 0 || got == 2) {
                Py_DECREF(fseq);
                if (got == 2) {
                    work_free(&wk);
                    Py_XDECREF(seq);
                    Py_XDECREF(shapes);
                    Py_XDECREF(s_found);
                    Py_XDECREF(s_line);
                    if (native_keys) {
                        PyBuffer_Release(&roff);
                        PyBuffer_Release(&rkeys);
                    }
                    Py_RETURN_NONE;
                }
                goto fail;
            }
            if (got == 0) continue;
            row_prim |= v->pp;
            row_strong |= v->ps;
            has_common |= v->common;
            wk.nvals++;
        }
        if (!row_strong) {
            /* nothing but names, birth dates, postal codes: no evidence of anyone */
            Py_DECREF(fseq);
            continue;
        }
        /* Candidate records: those the rare values of a wanted kind name. */
        int has_primary = row_prim != 0;
        wk.ncands = 0;
        keymap_clear(&wk.cmap);
        for (Py_ssize_t i = 0; i < wk.nvals; i++) {
            Value *v = &wk.vals[i];
            uint64_t wanted = has_primary ? v->pp : v->ps;
            if (v->common || !wanted) continue;
            for (Py_ssize_t r = 0; r < v->nrec; r++) {
                const RecBits *rb = &v->recs[r];
                if (!(rb->bits & wanted) || find_cand(&wk, rb->id) >= 0) continue;
                if (cand_add(&wk, rb->rec, rb->id) == NULL) {
                    Py_DECREF(fseq);
                    goto fail;
                }
                prefetch_cand(&wk, rb->id, has_common && native_keys ? &roff : NULL);
            }
        }
        if (wk.ncands == 0) {
            Py_DECREF(fseq);
            continue;
        }
        /* Each rare value's bits and weight to the candidates it names. */
        for (Py_ssize_t i = 0; i < wk.nvals; i++) {
            Value *v = &wk.vals[i];
            if (v->common) continue;
            /* A record is in a value's answer once: the order of the updates of one
             * candidate is the order of the values, as in the reference. */
            if (wk.ncands <= FEW_CANDS) {
                /* A row has a candidate or two, and a name or a birth date names up to
                 * POSTINGS_CAP records: each candidate is looked for in the value's
                 * records (one short array, read in order), not each record in the
                 * map of candidates (a hashed probe per record). */
                for (Py_ssize_t j = 0; j < wk.ncands; j++) {
                    Cand *c = &wk.cands[j];
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
                Py_ssize_t j = find_cand(&wk, rb->id);
                if (j < 0 || !rb->bits) continue;
                Cand *c = &wk.cands[j];
                c->mask |= rb->bits;
                weigh(c, v->kind, v->w);
            }
        }
        /* Common values: checked against each candidate's own field keys, in the
         * index's arrays when given them (no call, no set per record). */
        if (has_common && native_keys) {
            const uint64_t *off = roff.buf, *rk = rkeys.buf;
            Py_ssize_t noff = roff.len / 8, nrk = rkeys.len / 8;
            /* At millions of records each candidate's keys are a cache miss or two:
             * all of them are asked for before any is read, so they overlap (their
             * offsets were asked for as the candidates were added). */
            for (Py_ssize_t j = 0; j < wk.ncands; j++) {
                long long id = wk.cands[j].id;
                if (id >= 0 && id + 1 < noff && off[id] < (uint64_t)nrk)
                    __builtin_prefetch(&rk[off[id]]);
                prefetch_best(&wk, id);
            }
            for (Py_ssize_t j = 0; j < wk.ncands; j++) {
                Cand *c = &wk.cands[j];
                if (c->id < 0 || c->id + 1 >= noff || off[c->id] > off[c->id + 1] ||
                    off[c->id + 1] > (uint64_t)nrk) {
                    PyErr_SetString(PyExc_IndexError, "a record outside the index's keys");
                    Py_DECREF(fseq);
                    goto fail;
                }
                for (Py_ssize_t i = 0; i < wk.nvals; i++) {
                    Value *v = &wk.vals[i];
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
        } else if (has_common) {
            for (Py_ssize_t j = 0; j < wk.ncands; j++) {
                Cand *c = &wk.cands[j];
                PyObject *rec = cand_rec(c);
                PyObject *keys = rec == NULL ? NULL : PyObject_CallOneArg(record_keys, rec);
                Py_XDECREF(rec);
                if (keys == NULL) {
                    Py_DECREF(fseq);
                    goto fail;
                }
                for (Py_ssize_t i = 0; i < wk.nvals; i++) {
                    Value *v = &wk.vals[i];
                    if (!v->common) continue;
                    int in = PySequence_Contains(keys, v->data);
                    if (in < 0) {
                        Py_DECREF(keys);
                        Py_DECREF(fseq);
                        goto fail;
                    }
                    if (in) {
                        c->mask |= v->pbits;
                        weigh(c, v->kind, v->w);
                    }
                }
                Py_DECREF(keys);
            }
        }
        PyObject *line = row_attr(rc, row_type, line_off, s_line);
        if (line == NULL) {
            Py_DECREF(fseq);
            goto fail;
        }
        int e = score_row(&wk, row_strong, shape_of, shapes, groups, log_records, log_high,
                          log_medium, line, ri);
        Py_DECREF(line);
        /* the candidates' records are keys of values found in this row: done with them */
        Py_DECREF(fseq);
        if (e < 0) goto fail;
    }
    if ((out = tied_columns(&wk)) == NULL) goto fail;
    work_free(&wk);
    Py_DECREF(seq);
    Py_DECREF(shapes);
    Py_DECREF(s_found);
    Py_DECREF(s_line);
    if (native_keys) {
        PyBuffer_Release(&roff);
        PyBuffer_Release(&rkeys);
    }
    return out;
fail:
    work_free(&wk);
    Py_XDECREF(seq);
    Py_XDECREF(shapes);
    Py_XDECREF(out);
    Py_XDECREF(s_found);
    Py_XDECREF(s_line);
    if (native_keys) {
        PyBuffer_Release(&roff);
        PyBuffer_Release(&rkeys);
    }
    return NULL;
}
