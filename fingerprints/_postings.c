/* The exact index's answers for a batch of digests (issue 15, issue 12 at scale):
 * the search and the loop of matchers.probe.DigestProber._found in C.
 *
 *   index_answers(keys, buckets, shift, queries, where, kinds, codes, rows, kcodes,
 *                 cap, common) -> ([position], [answer])
 *
 * ``keys`` are the index's sorted uint64 keys and ``buckets``/``shift`` its bucket
 * table (ExactIndex.buckets: a query key's range lies in its bucket, a handful of
 * keys to search); ``queries`` the batch's Bloom survivors' uint64 keys and ``where``
 * (intp) each one's position in the batch; ``kinds`` the batch's kind per position, ``codes`` kind -> the index's kind
 * code; ``rows`` (uint32) and ``kcodes`` (uint8) the index's postings. Per query whose
 * key the index holds: a range longer than ``cap`` gives ``common(kind, records,
 * key)`` when its first posting is of the kind (a value too common to expand),
 * nothing otherwise; a shorter one gives the rows of its postings of the kind, when
 * there are any, as a Postings (_answers.c: it reads as the tuple of ``(record,
 * kind)`` the Python reference gives). Positions ascend as ``where`` does.
 *
 * One call from the survivors to the answers: a hit-dense batch at a million records
 * has a hundred thousand hits, and their ranges, positions and keys as Python lists
 * between two calls were half a million ints made and freed.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "_answers.h"
#include "_common.h"
#include "_hint.h"

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
PREFETCH_HELPER void prefetch_search(const uint64_t *k, Py_ssize_t n, const int64_t *b,
                                   int shift, const uint64_t *q, Py_ssize_t nq,
                                   Py_ssize_t ahead, Py_ssize_t half) {
    if (shift >= 64) return;
    if (ahead < nq) __builtin_prefetch(&b[q[ahead] >> shift]);
    if (half < nq) {
        int64_t at = b[q[half] >> shift];
        if (at >= 0 && at < n) __builtin_prefetch(&k[at]);
    }
}

#define SEARCH_AHEAD 16
#define POSTINGS_AHEAD 8

typedef struct {
    Py_ssize_t i, lo, hi;  /* the query, its range */
} Found;

PyObject *native_index_answers(PyObject *self, PyObject *args) {
    PyObject *kinds, *codes, *common;
    Py_buffer keys, buckets, queries, where, rows, kcodes;
    int shift;
    Py_ssize_t cap;
    if (!PyArg_ParseTuple(args, "y*y*iy*y*O!O!y*y*nO", &keys, &buckets, &shift, &queries,
                          &where, &PyList_Type, &kinds, &PyDict_Type, &codes, &rows, &kcodes,
                          &cap, &common))
        return NULL;
    PyObject *out = NULL, *at = NULL, *answers = NULL, *last_kind = NULL;
    Found *found = NULL;
    long last_code = -1;
    Py_ssize_t n = keys.len / 8, nq = queries.len / 8, nb = buckets.len / 8;
    Py_ssize_t nrows = rows.len / 4, nk = PyList_GET_SIZE(kinds), nf = 0;
    const uint64_t *k = keys.buf, *q = queries.buf;
    const int64_t *b = buckets.buf;
    const Py_ssize_t *wv = where.buf;
    const uint32_t *rv = (const uint32_t *)rows.buf;
    const uint8_t *kv = (const uint8_t *)kcodes.buf;
    if (keys.len % 8 || queries.len % 8 || buckets.len % 8 || nb < 2 ||
        where.len != nq * (Py_ssize_t)sizeof(Py_ssize_t) || rows.len % 4 ||
        kcodes.len != nrows || nrows != n) {
        PyErr_SetString(PyExc_ValueError, "index_answers: arrays of different lengths");
        goto done;
    }
    if (!buckets_ok(n, b, nb, shift)) goto done;
    if ((found = PyMem_Malloc(sizeof(Found) * (size_t)(nq ? nq : 1))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* The ranges first, each query's bucket and keys asked for ahead (at millions of
     * records they are far larger than the caches), then the answers, each hit's
     * postings asked for ahead. */
    for (Py_ssize_t i = 0; i < nq; i++) {
        prefetch_search(k, n, b, shift, q, nq, i + SEARCH_AHEAD, i + SEARCH_AHEAD / 2);
        Py_ssize_t l, r;
        int got = key_range(k, n, b, shift, q[i], &l, &r);
        if (got < 0) goto done;
        if (got) found[nf++] = (Found){i, l, r};
    }
    if ((at = PyList_New(0)) == NULL || (answers = PyList_New(0)) == NULL) goto fail;
    for (Py_ssize_t h = 0; h < nf; h++) {
        if (h + POSTINGS_AHEAD < nf) {
            __builtin_prefetch(&kv[found[h + POSTINGS_AHEAD].lo]);
            __builtin_prefetch(&rv[found[h + POSTINGS_AHEAD].lo]);
        }
        Py_ssize_t i = found[h].i, lo = found[h].lo, hi = found[h].hi, j = wv[i];
        if (j < 0 || j >= nk) {
            PyErr_SetString(PyExc_IndexError, "index_answers: a position out of bounds");
            goto fail;
        }
        PyObject *kind = PyList_GET_ITEM(kinds, j);
        if (kind != last_kind) {
            PyObject *c = PyDict_GetItemWithError(codes, kind);
            if (c == NULL && PyErr_Occurred()) goto fail;
            last_code = c == NULL ? -1 : PyLong_AsLong(c);
            if (last_code == -1 && PyErr_Occurred()) goto fail;
            last_kind = kind;
        }
        long code = last_code;
        PyObject *answer = NULL;
        if (hi - lo > cap) {
            if ((long)kv[lo] != code) continue;
            PyObject *count = PyLong_FromSsize_t(hi - lo);
            PyObject *key = count == NULL ? NULL : PyLong_FromUnsignedLongLong(q[i]);
            if (key == NULL) {
                Py_XDECREF(count);
                goto fail;
            }
            if (common == (PyObject *)&CommonType) {
                answer = common_new(kind, count, key);
            } else {
                PyObject *cargs[3] = {kind, count, key};
                answer = PyObject_Vectorcall(common, cargs, 3, NULL);
            }
            Py_DECREF(count);
            Py_DECREF(key);
            if (answer == NULL) goto fail;
        } else {
            Py_ssize_t m = 0;
            for (Py_ssize_t p = lo; p < hi; p++) m += (long)kv[p] == code;
            if (m == 0) continue;
            /* the records' rows in one object, read as the tuple of (row, kind) */
            if ((answer = postings_new(kind, m)) == NULL) goto fail;
            uint32_t *to = ((PostingsObject *)answer)->rows;
            for (Py_ssize_t p = lo; p < hi; p++)
                if ((long)kv[p] == code) *to++ = rv[p];
        }
        int e = PyList_Append(answers, answer);
        Py_DECREF(answer);
        if (e < 0) goto fail;
        PyObject *pos = PyLong_FromSsize_t(j);
        e = pos == NULL ? -1 : PyList_Append(at, pos);
        Py_XDECREF(pos);
        if (e < 0) goto fail;
    }
    out = PyTuple_Pack(2, at, answers);
fail:
    Py_XDECREF(at);
    Py_XDECREF(answers);
done:
    PyMem_Free(found);
    PyBuffer_Release(&keys);
    PyBuffer_Release(&buckets);
    PyBuffer_Release(&queries);
    PyBuffer_Release(&where);
    PyBuffer_Release(&rows);
    PyBuffer_Release(&kcodes);
    return out;
}
