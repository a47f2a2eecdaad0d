/* A set of object addresses (issue 15): membership by identity, for a table cut by
 * text_columns or split_columns, whose equal cells of a column are ONE str object.
 *
 * There, "is this cell one of these values" is "is this pointer one of these
 * pointers" once the values are known to be the column's own objects: the cell's str
 * is never read (its hash, then a compare). Reading it was a cache miss per cell of a
 * column of phone numbers, and its first SipHash (clean dump: rows_with and _in_rows,
 * 7 % of a scan). The callers check that the values are the column's objects (each of
 * its distinct values in the set, or the set's values among them) before they trust a
 * pointer's absence; where they are not, they look the values up as before. */
#ifndef LEAKPRINT_PTRSET_H
#define LEAKPRINT_PTRSET_H

#include <Python.h>
#include <stdint.h>

typedef struct {
    PyObject **slots; /* NULL: free */
    int shift;        /* 64 - log2(number of slots) */
    size_t mask;
} PtrSet;

/* Room for n addresses (at most half the slots used). -1 with MemoryError set. */
static inline int ptrset_new(PtrSet *s, Py_ssize_t n) {
    size_t slots = 16;
    int bits = 4;
    while (slots < (size_t)n * 2 + 2) {
        slots *= 2;
        bits++;
    }
    s->slots = PyMem_Calloc(slots, sizeof(PyObject *));
    s->shift = 64 - bits;
    s->mask = slots - 1;
    if (s->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static inline void ptrset_free(PtrSet *s) {
    PyMem_Free(s->slots);
    s->slots = NULL;
}

/* (Fibonacci hashing of the address: its low bits are the allocator's alignment.) */
static inline size_t ptrset_slot(const PtrSet *s, const PyObject *p) {
    return (size_t)(((uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ULL) >> s->shift);
}

/* Adds p (at most the n of ptrset_new, counting repeats once); 1 if it was new. */
static inline int ptrset_add(PtrSet *s, PyObject *p) {
    size_t at = ptrset_slot(s, p);
    for (; s->slots[at] != NULL; at = (at + 1) & s->mask)
        if (s->slots[at] == p) return 0;
    s->slots[at] = p;
    return 1;
}

/* (A slot's address with its low bit set is one ptrset_take took: still a member.
 * Objects are aligned to 8 bytes or more.) */
#define PTR_UNTAKEN(p) ((PyObject *)((uintptr_t)(p) & ~(uintptr_t)1))

static inline int ptrset_has(const PtrSet *s, const PyObject *p) {
    size_t at = ptrset_slot(s, p);
    for (; s->slots[at] != NULL; at = (at + 1) & s->mask)
        if (PTR_UNTAKEN(s->slots[at]) == p) return 1;
    return 0;
}

/* 1 when p is a member not taken before (and takes it), else 0: counting the
 * members met in a list this way counts each once, however often the list holds it. */
static inline int ptrset_take(PtrSet *s, const PyObject *p) {
    size_t at = ptrset_slot(s, p);
    for (; s->slots[at] != NULL; at = (at + 1) & s->mask) {
        if (s->slots[at] == p) {
            s->slots[at] = (PyObject *)((uintptr_t)p | 1);
            return 1;
        }
        if (PTR_UNTAKEN(s->slots[at]) == p) return 0;
    }
    return 0;
}

#endif
