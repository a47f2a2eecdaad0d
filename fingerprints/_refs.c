/* A batch of record references from a set's refs.txt (issue 12 at scale):
 * fingerprints.index.RefStore.refs in C.
 *
 *   record_refs(blob, offsets, rows) -> [str]
 *
 * ``blob`` is refs.txt (memory-mapped), ``offsets`` its uint64 line offsets (one more
 * than the records), ``rows`` a list of record rows. Row ``r``'s reference is
 * ``blob[offsets[r]:offsets[r + 1] - 1]`` decoded as UTF-8, as the reference reads it.
 * A row outside the set raises IndexError naming the first such row, before anything
 * is read, as the reference does.
 *
 * A hit-dense scan against ten million records names hundreds of thousands of them
 * per chunk, spread over a 110 MB file and an 80 MB offset array: each reference is a
 * cache miss or two, and the reference's slicing and joining cost more than the
 * reading. Here each offset is asked for REFS_AHEAD rows ahead and each line half as
 * far ahead, so the misses overlap.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define REFS_AHEAD 16

PyObject *native_record_refs(PyObject *self, PyObject *args) {
    Py_buffer blob, offsets;
    PyObject *rows;
    if (!PyArg_ParseTuple(args, "y*y*O!", &blob, &offsets, &PyList_Type, &rows)) return NULL;
    PyObject *out = NULL;
    Py_ssize_t *at = NULL;
    Py_ssize_t n = PyList_GET_SIZE(rows), noff = offsets.len / 8;
    const uint64_t *off = offsets.buf;
    const char *b = blob.buf;
    if (offsets.len % 8 || noff < 1) {
        PyErr_SetString(PyExc_ValueError, "record_refs: offsets are uint64, one per record and one");
        goto done;
    }
    if ((at = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n ? n : 1))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *r = PyList_GET_ITEM(rows, i);
        PyObject *ix = PyNumber_Index(r);
        if (ix == NULL) goto done;
        Py_ssize_t row = PyLong_AsSsize_t(ix);
        Py_DECREF(ix);
        if (row == -1 && PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_OverflowError)) goto done;
            PyErr_Clear(); /* too large for any set: outside it */
        }
        if (row < 0 || row >= noff - 1) {
            PyErr_Format(PyExc_IndexError, "row %R is outside the set", r);
            goto done;
        }
        at[i] = row;
    }
    if ((out = PyList_New(n)) == NULL) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i + REFS_AHEAD < n) __builtin_prefetch(&off[at[i + REFS_AHEAD]]);
        if (i + REFS_AHEAD / 2 < n) {
            uint64_t a = off[at[i + REFS_AHEAD / 2]];
            if (a < (uint64_t)blob.len) __builtin_prefetch(b + a);
        }
        /* blob[a:e] as Python slices it: clamped to the blob, empty when e <= a */
        uint64_t a = off[at[i]], e = off[at[i] + 1] - 1; /* wraps as numpy's uint64 */
        if (a > (uint64_t)blob.len) a = (uint64_t)blob.len;
        if (e > (uint64_t)blob.len) e = (uint64_t)blob.len;
        PyObject *s = PyUnicode_DecodeUTF8(b + a, e > a ? (Py_ssize_t)(e - a) : 0, "strict");
        if (s == NULL) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, i, s);
    }
done:
    PyMem_Free(at);
    PyBuffer_Release(&blob);
    PyBuffer_Release(&offsets);
    return out;
}
