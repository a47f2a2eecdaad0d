/* The exact index's bucketed search (fingerprints/_ranges.c, fingerprints/_postings.c;
 * included there only): ExactIndex.buckets' table gives a query key's bucket, and its
 * range of equal keys lies there, a handful of keys to search. */
#ifndef LEAKPRINT_BOUND_H
#define LEAKPRINT_BOUND_H

#include <stdint.h>

/* The first position in [lo, hi) whose key is >= q (or > q when ``after``). */
static inline Py_ssize_t bound(const uint64_t *k, Py_ssize_t lo, Py_ssize_t hi, uint64_t q,
                               int after) {
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (k[mid] < q || (after && k[mid] == q)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Whether the arrays are those of ExactIndex.buckets for ``n`` keys (else ValueError). */
static inline int buckets_ok(Py_ssize_t n, const int64_t *b, Py_ssize_t nb, int shift) {
    if (shift < 1 || shift > 64 || (shift == 64 ? nb != 2 : nb != ((Py_ssize_t)1 << (64 - shift)) + 1) ||
        b[nb - 1] != n) {
        PyErr_SetString(PyExc_ValueError, "index search: inconsistent buckets");
        return 0;
    }
    return 1;
}

/* The range [*l, *r) of key v (1), or 0 when the index lacks it, -1 on damaged buckets. */
static inline int key_range(const uint64_t *k, Py_ssize_t n, const int64_t *b, int shift,
                            uint64_t v, Py_ssize_t *l, Py_ssize_t *r) {
    Py_ssize_t bucket = shift == 64 ? 0 : (Py_ssize_t)(v >> shift);
    Py_ssize_t lo = (Py_ssize_t)b[bucket], hi = (Py_ssize_t)b[bucket + 1];
    if (lo < 0 || hi > n || lo > hi) {
        PyErr_SetString(PyExc_ValueError, "index search: damaged buckets");
        return -1;
    }
    Py_ssize_t a = bound(k, lo, hi, v, 0);
    if (a == hi || k[a] != v) return 0;
    /* most values are one record's: look at the next few keys before searching */
    Py_ssize_t e = a + 1;
    while (e < hi && e < a + 8 && k[e] == v) e++;
    if (e < hi && k[e] == v) e = bound(k, e, hi, v, 1);
    *l = a;
    *r = e;
    return 1;
}

/* Ask for query ``ahead``'s bucket, and for the first keys of query ``half``'s (whose
 * bucket was asked for before): the misses of a batch's searches overlap. */
static inline void prefetch_search(const uint64_t *k, Py_ssize_t n, const int64_t *b,
                                   int shift, const uint64_t *q, Py_ssize_t nq,
                                   Py_ssize_t ahead, Py_ssize_t half) {
    if (shift >= 64) return;
    if (ahead < nq) __builtin_prefetch(&b[q[ahead] >> shift]);
    if (half < nq) {
        int64_t at = b[q[half] >> shift];
        if (at >= 0 && at < n) __builtin_prefetch(&k[at]);
    }
}

#endif
