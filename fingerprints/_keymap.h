/* An open-addressed map from a nonzero uint64 key to a Py_ssize_t value: the tables of
 * tie_rows (fingerprints/_tie.h, for _tie.c and _tie_score.c) — a record id + 1
 * to its candidate or its best row, a kind mask to its shape, a pair object's address
 * to its value in the table. Key 0 marks a free slot; slots keep the key beside the
 * value, so a lookup reads the table alone. */
#ifndef LEAKPRINT_KEYMAP_H
#define LEAKPRINT_KEYMAP_H

#include <stdint.h>
#include <string.h>

#include "_hint.h"

typedef struct {
    uint64_t key;   /* 0: free */
    Py_ssize_t val;
} KeySlot;

typedef struct {
    KeySlot *slots;
    size_t n, used; /* n a power of two (or 0), more than twice used */
    size_t first;   /* the first table's slots (0: 64) */
} KeyMap;

static inline size_t keymap_slot(uint64_t key, size_t n) {
    return (size_t)(((key ^ (key >> 29)) * 0x9E3779B97F4A7C15ULL) >> 32) & (n - 1);
}

/* The value of ``key`` into *val: 1, or 0 when the map lacks it. */
static inline int keymap_get(const KeyMap *m, uint64_t key, Py_ssize_t *val) {
    if (!m->n) return 0;
    for (size_t s = keymap_slot(key, m->n);; s = (s + 1) & (m->n - 1)) {
        if (m->slots[s].key == key) {
            *val = m->slots[s].val;
            return 1;
        }
        if (m->slots[s].key == 0) return 0;
    }
}

/* Set ``key`` (not in the map yet) to ``val``, growing the map; -1 out of memory. */
static inline int keymap_add(KeyMap *m, uint64_t key, Py_ssize_t val) {
    if ((m->used + 1) * 2 > m->n) {
        size_t n = m->n ? m->n * 2 : m->first ? m->first : 64;
        KeySlot *slots = PyMem_Calloc(n, sizeof(KeySlot));
        if (slots == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (size_t i = 0; i < m->n; i++) {
            if (!m->slots[i].key) continue;
            size_t s = keymap_slot(m->slots[i].key, n);
            while (slots[s].key) s = (s + 1) & (n - 1);
            slots[s] = m->slots[i];
        }
        PyMem_Free(m->slots);
        m->slots = slots;
        m->n = n;
    }
    size_t s = keymap_slot(key, m->n);
    while (m->slots[s].key) s = (s + 1) & (m->n - 1);
    m->slots[s].key = key;
    m->slots[s].val = val;
    m->used++;
    return 0;
}

/* Empty the map, keeping its slots. */
static inline void keymap_clear(KeyMap *m) {
    if (m->n) memset(m->slots, 0, m->n * sizeof(KeySlot));
    m->used = 0;
}

/* Ask for ``key``'s first slot ahead of reading it (a hint only). */
PREFETCH_HELPER void keymap_prefetch(const KeyMap *m, uint64_t key) {
    if (m->n) __builtin_prefetch(&m->slots[keymap_slot(key, m->n)]);
}

static inline void keymap_free(KeyMap *m) {
    PyMem_Free(m->slots);
    m->slots = NULL;
    m->n = m->used = 0;
}

#endif
