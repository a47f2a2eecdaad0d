/* The exact index's ranges for a batch of query keys (issue 12 at scale, issue 15):
 * fingerprints.index.ExactIndex.ranges in C.
 *
 *   index_ranges(keys, buckets, shift, queries) -> (hit, left, right)
 *
 * ``keys`` are the index's sorted uint64 keys, ``queries`` uint64 query keys,
 * ``buckets`` (int64, 2**bits + 1 entries) the position of the first key whose top
 * ``64 - shift`` bits are at least each bucket's number (``ExactIndex.buckets``): a
 * query's keys lie in its bucket, so the binary search starts from a handful of keys
 * instead of the whole index (at a million records, seven million keys: the two
 * numpy searchsorted calls were ~12 % of a hit-dense scan, mostly cache misses).
 * Returns, as lists of int, the queries that hit and each one's [left, right) range,
 * exactly what the two searchsorted calls give.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* The first position in [lo, hi) whose key is >= q (or > q when ``after``). */
static Py_ssize_t bound(const uint64_t *k, Py_ssize_t lo, Py_ssize_t hi, uint64_t q, int after) {
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (k[mid] < q || (after && k[mid] == q)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

#define RANGES_AHEAD 16

static int append_n(PyObject *list, Py_ssize_t v) {
    PyObject *o = PyLong_FromSsize_t(v);
    if (o == NULL) return -1;
    int e = PyList_Append(list, o);
    Py_DECREF(o);
    return e;
}

PyObject *native_index_ranges(PyObject *self, PyObject *args) {
    Py_buffer keys, buckets, queries;
    int shift;
    if (!PyArg_ParseTuple(args, "y*y*iy*", &keys, &buckets, &shift, &queries)) return NULL;
    PyObject *hit = NULL, *left = NULL, *right = NULL, *result = NULL;
    Py_ssize_t n = keys.len / 8, nq = queries.len / 8, nb = buckets.len / 8;
    const uint64_t *k = keys.buf, *q = queries.buf;
    const int64_t *b = buckets.buf;
    if (keys.len % 8 || queries.len % 8 || buckets.len % 8 || shift < 1 || shift > 64 ||
        (shift == 64 ? nb != 2 : nb != ((Py_ssize_t)1 << (64 - shift)) + 1) || b[nb - 1] != n) {
        PyErr_SetString(PyExc_ValueError, "index_ranges: inconsistent arrays");
        goto done;
    }
    if ((hit = PyList_New(0)) == NULL || (left = PyList_New(0)) == NULL ||
        (right = PyList_New(0)) == NULL)
        goto done;
    /* At millions of records the buckets and the keys are far larger than the caches:
     * a query's bucket is asked for RANGES_AHEAD queries ahead, its first keys half
     * as far ahead (its bucket has come by then), so the misses overlap. */
    for (Py_ssize_t i = 0; i < nq; i++) {
        if (shift < 64) {
            if (i + RANGES_AHEAD < nq) __builtin_prefetch(&b[q[i + RANGES_AHEAD] >> shift]);
            if (i + RANGES_AHEAD / 2 < nq) {
                int64_t at = b[q[i + RANGES_AHEAD / 2] >> shift];
                if (at >= 0 && at < n) __builtin_prefetch(&k[at]);
            }
        }
        uint64_t v = q[i];
        Py_ssize_t bucket = shift == 64 ? 0 : (Py_ssize_t)(v >> shift);
        Py_ssize_t lo = (Py_ssize_t)b[bucket], hi = (Py_ssize_t)b[bucket + 1];
        if (lo < 0 || hi > n || lo > hi) {
            PyErr_SetString(PyExc_ValueError, "index_ranges: damaged buckets");
            goto done;
        }
        Py_ssize_t l = bound(k, lo, hi, v, 0);
        if (l == hi || k[l] != v) continue;
        /* most values are one record's: look at the next few keys before searching */
        Py_ssize_t r = l + 1;
        while (r < hi && r < l + 8 && k[r] == v) r++;
        if (r < hi && k[r] == v) r = bound(k, r, hi, v, 1);
        if (append_n(hit, i) < 0 || append_n(left, l) < 0 || append_n(right, r) < 0) goto done;
    }
    result = PyTuple_Pack(3, hit, left, right);
done:
    Py_XDECREF(hit);
    Py_XDECREF(left);
    Py_XDECREF(right);
    PyBuffer_Release(&keys);
    PyBuffer_Release(&buckets);
    PyBuffer_Release(&queries);
    return result;
}
