/* tie_rows' types (fingerprints/_tie.c): the pair objects' values, a row's candidate
 * records, each record's best row, and the work of one call; with what its two halves
 * share: _tie.c ties a row's values to candidate records, _tie_score.c scores them
 * and gives the result. */
#ifndef LEAKPRINT_TIE_H
#define LEAKPRINT_TIE_H

#include <Python.h>
#include <stdint.h>

#include "_keymap.h"

#define MAXBITS 64
#define WCOUNTS 64

typedef struct {
    PyObject *rec;     /* borrowed from the answer tuple the table holds; NULL for a
                        * Postings' row (an int is made for it only if it is kept) */
    long long id;
    uint64_t bits;
} RecBits;

typedef struct {
    int common;        /* a value too common to expand: data is its key */
    PyObject *data;    /* the probe answer, or the key (owned by Work.table) */
    RecBits *recs;     /* the answer's records, merged (owned by Work.table) */
    Py_ssize_t nrec;
    uint64_t pbits, pp, ps;  /* its kinds' bits; their primary and strong parts */
    int kind;          /* bit index of the kind its weight is for */
    double w;
    uint64_t ckey;     /* a common value's key as uint64 (0 and ckey_ok 0 if not one) */
    int ckey_ok;
} Value;

/* A row's values resolved ahead of its tie (_tie.c): those with bits, its found items
 * (owned: the candidates' records are keys of values found in it, so they are kept
 * until the row is tied), and the bits of its values' primary and strong kinds. */
typedef struct {
    Value *v;
    Py_ssize_t n, cap;
    PyObject *fseq;
    uint64_t prim, strong;
    int has_common;
} RowVals;

typedef struct {
    PyObject *rec;     /* borrowed: a key of some value's {record: bits}, or NULL */
    long long id;      /* its value */
    uint64_t mask;
    int nk;            /* kinds with a weight, in insertion order */
    unsigned char kinds[MAXBITS];
    double w[MAXBITS];
} Cand;

typedef struct {
    PyObject *rec;     /* owned */
    long long id;      /* its value */
    PyObject *fields;  /* owned */
    int rank;
    double lc;
    uint64_t mask;
    PyObject *line;    /* owned */
    Py_ssize_t ri;
} Best;

typedef struct {
    Value *table;      /* every pair object's value with bits, resolved once */
    Py_ssize_t ntable, captable;
    RowVals rows[3];   /* the row being tied, then the next two, resolved ahead */
    Cand *cands;
    Py_ssize_t ncands, capcands;
    KeyMap cmap;       /* a record's id + 1 -> its candidate in this row */
    Best *best;
    Py_ssize_t nbest, capbest;
    KeyMap bmap;       /* a record's id + 1 -> its entry in best */
    KeyMap smap;       /* a kind mask -> shape_of's 4-tuple (borrowed from ``shapes``) */
    long gids[MAXBITS]; /* the field group of each kind bit, as read from ``groups`` */
    Py_ssize_t ngids;
    /* pair object's address -> index into table, or -1 for a miss. Rows share one
     * pair object per distinct value (the extractor's caches hand out the same tuple),
     * so the object's address is the key: cheaper than the tuple, whose hash CPython
     * does not cache. Two equal pairs that are distinct objects are resolved twice, to
     * the same value. The pairs stay alive for the whole call (the rows hold them). */
    KeyMap pmap;
} Work;

/* What a candidate is scored with (evidencecore's, for the whole call). */
typedef struct {
    PyObject *shape_of; /* shape_of(mask) -> (fields, dropped kind bit, capped, floored) */
    PyObject *shapes;   /* mask -> its shape, filled as masks come (a dict) */
    PyObject *groups;   /* each kind bit's field group (a list, appended by bit_of) */
    double log_records, log_high, log_medium;
} Scoring;

/* Grow the array *p of *cap items of ``size`` bytes to hold ``need``; -1 out of
 * memory. */
static inline int grow(void **p, Py_ssize_t *cap, Py_ssize_t need, size_t size) {
    if (need <= *cap) return 0;
    Py_ssize_t n = *cap ? *cap : 16;
    while (n < need) n *= 2;
    void *q = PyMem_Realloc(*p, (size_t)n * size);
    if (q == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *p = q;
    *cap = n;
    return 0;
}

/* A record id's key in Work.cmap and Work.bmap (ids start at 0; key 0 is free). */
static inline uint64_t id_key(long long id) { return (uint64_t)id + 1; }

/* The index in best of record ``id``, or -1. */
static inline Py_ssize_t best_find(const Work *wk, long long id) {
    Py_ssize_t at;
    return keymap_get(&wk->bmap, id_key(id), &at) ? at : -1;
}

/* A candidate's record as an int (new reference): its answer's, or made from its id
 * (a Postings' row has none). */
static inline PyObject *cand_rec(const Cand *c) {
    return c->rec ? Py_NewRef(c->rec) : PyLong_FromLongLong(c->id);
}

/* _tie_score.c: score each candidate of one row (``row_strong``: the bits of the
 * row's strong kinds) and keep each record's best row; 0, or -1 on error. */
int tie_score_row(Work *wk, const Scoring *sc, uint64_t row_strong, PyObject *line,
                  Py_ssize_t ri);

/* _tie_score.c: the call's result, as columns (see there). */
PyObject *tie_columns(Work *wk);

/* _tie_score.c: free what the call's work holds. */
void tie_work_free(Work *wk);

#endif
