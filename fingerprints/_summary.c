/* A result's record hits in report order, and what the summary counts of them
 * (issue 12): matchers.result.summarize's sort and counts in C.
 *
 *   sorted_counts(cls, items, keys, counted) -> (sorted items, [dict per counted name])
 *                                              | None
 *
 * ``items`` is a list of instances of the slots class ``cls``; ``keys`` names two of
 * its slots, an int and a str (RecordHit's row and ref), and ``counted`` more of them
 * (confidence, fields). Returns the items sorted by (int, str) as ``sorted(items,
 * key=attrgetter(*keys))`` sorts them (stable: items of equal keys keep their order),
 * and per counted name what ``Counter(map(attrgetter(name), sorted items))`` holds:
 * the same keys (the first of equal values met), in the same order, with the same
 * counts. Returns None, for the caller to run the reference, when an item is of
 * another class, a slot is unset, or a key is not an int within 64 bits or not an
 * exact str.
 *
 * At ten million customers a hit-dense dump's result holds 278,000 record hits. The
 * reference read four attributes of each through ``attrgetter``, made a key tuple
 * each, and counted two columns through a Counter: 12.8 % of the scan's instructions.
 * Here each record's slots are read once, into an array that is sorted and then
 * counted; the counts are made per distinct object
 * (a dump's records share a handful of level and field tuple objects) and only the
 * distinct ones go through a dict.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "_keymap.h"
#include "_slots.h"

#define MAX_COUNTED 4

typedef struct {
    long long row;
    PyObject *ref;  /* borrowed from the item */
    Py_ssize_t at;  /* the item's position in ``items`` */
    PyObject *counted[MAX_COUNTED]; /* its counted slots' values, borrowed */
} Key;

/* a before b: -1, 0 (equal keys) or 1. The refs are exact str (never an error). */
static int key_cmp(const Key *a, const Key *b) {
    if (a->row != b->row) return a->row < b->row ? -1 : 1;
    if (a->ref == b->ref) return 0;
    return PyUnicode_Compare(a->ref, b->ref);
}

/* Stable sort of ``k`` (n items) with ``tmp`` of n: insertion sort of runs of RUN,
 * then bottom-up merges (a run's left item first on equal keys). */
#define RUN 32
static void sort_keys(Key *k, Key *tmp, Py_ssize_t n) {
    for (Py_ssize_t lo = 0; lo < n; lo += RUN) {
        Py_ssize_t hi = lo + RUN < n ? lo + RUN : n;
        for (Py_ssize_t i = lo + 1; i < hi; i++) {
            Key x = k[i];
            Py_ssize_t j = i;
            while (j > lo && key_cmp(&k[j - 1], &x) > 0) {
                k[j] = k[j - 1];
                j--;
            }
            k[j] = x;
        }
    }
    for (Py_ssize_t width = RUN; width < n; width *= 2) {
        for (Py_ssize_t lo = 0; lo < n; lo += 2 * width) {
            Py_ssize_t mid = lo + width < n ? lo + width : n;
            Py_ssize_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            if (mid >= hi || key_cmp(&k[mid - 1], &k[mid]) <= 0) continue; /* in order */
            Py_ssize_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi) tmp[o++] = key_cmp(&k[b], &k[a]) < 0 ? k[b++] : k[a++];
            while (a < mid) tmp[o++] = k[a++];
            while (b < hi) tmp[o++] = k[b++];
            memcpy(k + lo, tmp + lo, (size_t)(hi - lo) * sizeof(Key));
        }
    }
}

static inline PyObject *slot(PyObject *o, Py_ssize_t off) {
    return *(PyObject **)((char *)o + off);
}

/* Counter(the c-th counted value of each key, in the keys' order): the counts per
 * distinct object first, then one dict operation per distinct object. The distinct
 * objects are held while the dict compares them (an __eq__ could reassign a slot). */
static PyObject *count_slot(const Key *k, Py_ssize_t n, Py_ssize_t c) {
    KeyMap seen = {0};
    PyObject **objs = NULL;
    Py_ssize_t *counts = NULL, nd = 0, cap = 0;
    PyObject *out = PyDict_New();
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = k[i].counted[c];
        Py_ssize_t at;
        if (keymap_get(&seen, (uint64_t)(uintptr_t)v, &at)) {
            counts[at]++;
            continue;
        }
        if (nd == cap) {
            Py_ssize_t c = cap ? cap * 2 : 16;
            PyObject **o2 = PyMem_Realloc(objs, (size_t)c * sizeof(PyObject *));
            if (o2 != NULL) objs = o2;
            Py_ssize_t *c2 = o2 ? PyMem_Realloc(counts, (size_t)c * sizeof(Py_ssize_t)) : NULL;
            if (c2 == NULL) {
                PyErr_NoMemory();
                goto fail;
            }
            counts = c2;
            cap = c;
        }
        if (keymap_add(&seen, (uint64_t)(uintptr_t)v, nd) < 0) goto fail;
        objs[nd] = Py_NewRef(v);
        counts[nd++] = 1;
    }
    for (Py_ssize_t d = 0; d < nd; d++) {
        /* equal values that are distinct objects add up under the first one, as in a
         * Counter */
        PyObject *had = PyDict_GetItemWithError(out, objs[d]);
        if (had == NULL && PyErr_Occurred()) goto fail;
        Py_ssize_t c = counts[d];
        if (had != NULL) {
            c += PyLong_AsSsize_t(had);
            if (c == -1 && PyErr_Occurred()) goto fail;
        }
        PyObject *cnt = PyLong_FromSsize_t(c);
        if (cnt == NULL || PyDict_SetItem(out, objs[d], cnt) < 0) {
            Py_XDECREF(cnt);
            goto fail;
        }
        Py_DECREF(cnt);
    }
    keymap_free(&seen);
    for (Py_ssize_t d = 0; d < nd; d++) Py_DECREF(objs[d]);
    PyMem_Free(objs);
    PyMem_Free(counts);
    return out;
fail:
    keymap_free(&seen);
    for (Py_ssize_t d = 0; d < nd; d++) Py_DECREF(objs[d]);
    PyMem_Free(objs);
    PyMem_Free(counts);
    Py_DECREF(out);
    return NULL;
}

PyObject *native_sorted_counts(PyObject *self, PyObject *args) {
    PyTypeObject *cls;
    PyObject *items, *keys, *counted;
    if (!PyArg_ParseTuple(args, "O!O!O!O!", &PyType_Type, &cls, &PyList_Type, &items,
                          &PyTuple_Type, &keys, &PyTuple_Type, &counted))
        return NULL;
    if (PyTuple_GET_SIZE(keys) != 2) {
        PyErr_SetString(PyExc_ValueError, "sorted_counts: two key names, an int and a str");
        return NULL;
    }
    Py_ssize_t nc = PyTuple_GET_SIZE(counted);
    if (nc > MAX_COUNTED) {
        PyErr_SetString(PyExc_ValueError, "sorted_counts: at most four counted names");
        return NULL;
    }
    const char *who = "sorted_counts";
    Py_ssize_t row_off = own_slot_offset(cls, PyTuple_GET_ITEM(keys, 0), 0, who);
    if (row_off < 0) return NULL;
    Py_ssize_t ref_off = own_slot_offset(cls, PyTuple_GET_ITEM(keys, 1), 0, who);
    if (ref_off < 0) return NULL;
    Py_ssize_t offs[MAX_COUNTED];
    for (Py_ssize_t c = 0; c < nc; c++)
        if ((offs[c] = own_slot_offset(cls, PyTuple_GET_ITEM(counted, c), 0, who)) < 0)
            return NULL;
    Py_ssize_t n = PyList_GET_SIZE(items);
    Key *k = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Key));
    Key *tmp = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Key));
    PyObject *sorted = NULL, *dicts = NULL, *out = NULL;
    if (k == NULL || tmp == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = PyList_GET_ITEM(items, i);
        if (Py_TYPE(o) != cls) goto fall_back;
        PyObject *row = slot(o, row_off), *ref = slot(o, ref_off);
        if (row == NULL || ref == NULL || !PyLong_CheckExact(row) ||
            !PyUnicode_CheckExact(ref))
            goto fall_back;
        for (Py_ssize_t c = 0; c < nc; c++)
            if ((k[i].counted[c] = slot(o, offs[c])) == NULL) goto fall_back;
        int overflow;
        k[i].row = PyLong_AsLongLongAndOverflow(row, &overflow);
        if (overflow) goto fall_back;
        k[i].ref = ref;
        k[i].at = i;
    }
    sort_keys(k, tmp, n);
    if ((sorted = PyList_New(n)) == NULL || (dicts = PyList_New(nc)) == NULL) goto done;
    for (Py_ssize_t i = 0; i < n; i++)
        PyList_SET_ITEM(sorted, i, Py_NewRef(PyList_GET_ITEM(items, k[i].at)));
    for (Py_ssize_t c = 0; c < nc; c++) {
        PyObject *d = count_slot(k, n, c);
        if (d == NULL) goto done;
        PyList_SET_ITEM(dicts, c, d);
    }
    out = PyTuple_Pack(2, sorted, dicts);
    goto done;
fall_back:
    out = Py_NewRef(Py_None);
done:
    Py_XDECREF(sorted);
    Py_XDECREF(dicts);
    PyMem_Free(k);
    PyMem_Free(tmp);
    return out;
}
