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

#include "_bound.h"

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
    if (keys.len % 8 || queries.len % 8 || buckets.len % 8 || nb < 2) {
        PyErr_SetString(PyExc_ValueError, "index_ranges: inconsistent arrays");
        goto done;
    }
    if (!buckets_ok(n, b, nb, shift)) goto done;
    if ((hit = PyList_New(0)) == NULL || (left = PyList_New(0)) == NULL ||
        (right = PyList_New(0)) == NULL)
        goto done;
    /* At millions of records the buckets and the keys are far larger than the caches:
     * a query's bucket is asked for RANGES_AHEAD queries ahead, its first keys half
     * as far ahead (its bucket has come by then), so the misses overlap. */
    for (Py_ssize_t i = 0; i < nq; i++) {
        prefetch_search(k, n, b, shift, q, nq, i + RANGES_AHEAD, i + RANGES_AHEAD / 2);
        Py_ssize_t l, r;
        int got = key_range(k, n, b, shift, q[i], &l, &r);
        if (got < 0) goto done;
        if (!got) continue;
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
