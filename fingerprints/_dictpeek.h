/* Asking ahead for a dict's memory, for loops that look up many keys in a large dict
 * (issue 15): dict_ahead(), three stages a few keys apart.
 *
 * A lookup in a dict far larger than the caches waits on three reads in a row: the
 * slot of the hash's index, the entry it names, then the key object the entry holds
 * (CPython 3.11 keeps no hash in a str-keyed dict's entries: the key is read for its
 * hash, then its text). The loops that look up a column's values one after the other
 * (memo_split) waited on each in turn. Each stage reads what the one before asked for
 * and asks for the next, so the reads of several keys overlap.
 *
 * The stages read the dict's keys object as CPython 3.11 lays it out
 * (Include/internal/pycore_dict.h), which is not public API. Only for hints: what is
 * read is only ever used as an address to prefetch (a prefetch never faults, and a
 * wrong guess costs a fetch), every position read is checked against the sizes the
 * keys object states, and the dict must not change while a loop runs. On any other
 * version the stages do nothing. */
#ifndef LEAKPRINT_DICTPEEK_H
#define LEAKPRINT_DICTPEEK_H

#include <Python.h>
#include <stdint.h>

#include "_hint.h"

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
#define DICTPEEK 1

typedef struct {
    Py_ssize_t dk_refcnt;
    uint8_t dk_log2_size;
    uint8_t dk_log2_index_bytes;
    uint8_t dk_kind; /* DICT_KEYS_GENERAL 0: entries hold (hash, key, value) */
    uint32_t dk_version;
    Py_ssize_t dk_usable;
    Py_ssize_t dk_nentries;
    char dk_indices[];
} PeekKeys;

static inline const PeekKeys *peek_keys(PyObject *dict) {
    return (const PeekKeys *)((PyDictObject *)dict)->ma_keys;
}

/* The entry index in the first slot ``hash`` probes, or -1 (an empty or deleted
 * slot); the caller checked dk_log2_size. */
static inline Py_ssize_t peek_index(const PeekKeys *k, Py_hash_t hash) {
    size_t i = (size_t)hash & (((size_t)1 << k->dk_log2_size) - 1);
    if (k->dk_log2_size < 8) return ((const int8_t *)k->dk_indices)[i];
    if (k->dk_log2_size < 16) return ((const int16_t *)k->dk_indices)[i];
#if SIZEOF_VOID_P > 4
    if (k->dk_log2_size >= 32) return (Py_ssize_t)((const int64_t *)k->dk_indices)[i];
#endif
    return ((const int32_t *)k->dk_indices)[i];
}

/* The address of entry ``ix`` and of its key (a str-keyed dict's entries are (key,
 * value), a general one's (hash, key, value)). */
static inline const PyObject *const *peek_entry(const PeekKeys *k, Py_ssize_t ix) {
    const char *entries = k->dk_indices + ((size_t)1 << k->dk_log2_index_bytes);
    return k->dk_kind ? (const PyObject *const *)(entries + (size_t)ix * 2 * sizeof(void *))
                      : (const PyObject *const *)(entries + (size_t)ix * 3 * sizeof(void *)) + 1;
}
#endif

/* Stage ``stage`` (0, 1, 2, 3) of the lookup of a key of hash ``hash`` in ``dict``: its
 * index slot; its entry (the slot read); the key object (the entry read); or, instead
 * of the key (one the caller holds), the value object. */
PREFETCH_HELPER void dict_ahead(PyObject *dict, Py_hash_t hash, int stage) {
#ifdef DICTPEEK
    const PeekKeys *k = peek_keys(dict);
    if (k->dk_log2_size >= 8 * sizeof(size_t) || k->dk_log2_index_bytes >= 8 * sizeof(size_t))
        return;
    if (stage == 0) {
        size_t i = (size_t)hash & (((size_t)1 << k->dk_log2_size) - 1);
        size_t width = (size_t)1 << k->dk_log2_index_bytes >> k->dk_log2_size;
        __builtin_prefetch(k->dk_indices + i * width);
        return;
    }
    Py_ssize_t ix = peek_index(k, hash);
    if (ix < 0 || ix >= k->dk_nentries) return;
    const PyObject *const *key = peek_entry(k, ix);
    if (stage == 1) {
        __builtin_prefetch(key);
    } else if (stage == 3) {
        if (key[1] != NULL) __builtin_prefetch(key[1]);
    } else if (*key != NULL) {
        __builtin_prefetch(*key);
        __builtin_prefetch((const char *)*key + 64);
    }
#else
    (void)dict;
    (void)hash;
    (void)stage;
#endif
}

/* Step ``i`` of a loop that looks ``items[0..n)`` up in ``dict`` one after the other,
 * ``stages`` (1 to 3) stages of dict_ahead ``ahead`` keys apart: the key
 * ``stages * ahead`` on is hashed into ``hashes`` and its index slot asked for, the
 * later stages for the keys nearer. The loop runs ``i`` from ``-stages * ahead``, and
 * looks up key ``i`` (when ``i >= 0``) with ``hashes[i]``. -1 when a hash fails. */
static inline int dict_lookahead(PyObject *dict, PyObject *const *items, Py_hash_t *hashes,
                                 Py_ssize_t n, Py_ssize_t i, Py_ssize_t ahead, int stages) {
    Py_ssize_t first = i + stages * ahead;
    if (first >= 0 && first < n) {
        if ((hashes[first] = PyObject_Hash(items[first])) == -1) return -1;
        dict_ahead(dict, hashes[first], 0);
    }
    for (int s = 1; s < stages; s++) {
        Py_ssize_t k = i + (stages - s) * ahead;
        if (k >= 0 && k < n) dict_ahead(dict, hashes[k], s);
    }
    return 0;
}

/* A loop's hashes: on the stack for a few keys (a page's column), else on the heap. */
#define FEW_HASHES 64
typedef struct {
    Py_hash_t few[FEW_HASHES];
    Py_hash_t *at;
} Hashes;

/* hs->at for ``n`` keys, or NULL with MemoryError. */
static inline Py_hash_t *hashes_for(Hashes *hs, Py_ssize_t n) {
    hs->at = n <= FEW_HASHES ? hs->few : PyMem_Malloc(sizeof(Py_hash_t) * (size_t)n);
    if (hs->at == NULL) PyErr_NoMemory();
    return hs->at;
}

static inline void hashes_free(Hashes *hs) {
    if (hs->at != hs->few) PyMem_Free(hs->at);
}

#endif
