/* tie_rows' scoring (issue 12 and 15): each candidate of a row scored as
 * matchers.evidence.collect scores it, each record's best row kept, and the call's
 * result given as columns (fingerprints/_tie.c ties the rows' values to candidates). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_tie.h"

/* A candidate's log10 chance of a coincidental tie: the number of records less the
 * best weight of each field group among its kinds (``drop`` left out), at most 0. */
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

/* Score each candidate of one row and keep each record's best (evidence.collect; see
 * _tie.h). */
int tie_score_row(Work *wk, const Scoring *sc, uint64_t row_strong, PyObject *line,
                  Py_ssize_t ri) {
    for (Py_ssize_t i = 0; i < wk->ncands; i++) {
        Cand *c = &wk->cands[i];
        if (!(c->mask & row_strong)) continue;
        PyObject *shape = shape_for(wk, c->mask, sc->shape_of, sc->shapes);
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
        double lc = log_chance(wk, c, (int)drop, sc->groups, sc->log_records, &err);
        if (err) return -1;
        int rank = capped ? 1 : lc <= sc->log_high ? 3 : (lc <= sc->log_medium || floored) ? 2 : 1;
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
PyObject *tie_columns(Work *wk) {
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

/* (see _tie.h) */
void tie_work_free(Work *wk) {
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
    for (int i = 0; i < 3; i++) {
        PyMem_Free(wk->rows[i].v);
        Py_XDECREF(wk->rows[i].fseq);
    }
    PyMem_Free(wk->cands);
    PyMem_Free(wk->best);
    keymap_free(&wk->cmap);
    keymap_free(&wk->bmap);
    keymap_free(&wk->smap);
    keymap_free(&wk->pmap);
}

