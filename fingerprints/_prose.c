/* Prose name and kana attempts in one pass (issue 15): matchers.prose ``_supporting``'s
 * loops over a window's name substrings (``name_windows`` + ``attempt``) and its kana
 * runs (_HIRA_RUN / _KATA_RUN + ``attempt``), with the canonicalization cache kept
 * here as code points.
 *
 *   ProseTable()                   one kind's cache per matcher: substring -> its
 *                                  pairs (``fields(kind, substring)``), looked up by
 *                                  code points, so a substring seen before costs no
 *                                  Python str, no dict lookup of the value.
 *   prose_attempts(table, fields, kind, mode, window, lo, lengths, budget, cap,
 *                  out, starts, answers, epoch) -> budget left
 *
 * ``mode`` 0: the name substrings of matchers.prose.name_windows; 1: each hiragana
 * run whole when its length (spaces dropped) is one of ``lengths``; 2: every substring
 * of each of ``lengths`` of each katakana run. Each substring, in the reference's
 * order, costs one of ``budget``; its pairs come from the table or, unknown, from
 * ``fields(kind, substring)`` (stored, the oldest half of the table dropped first when
 * it holds ``cap``: memory stays bounded as with the reference's memo dict); then
 * ``_Support.add``'s rules: with pairs, the position to ``starts`` and each pair to
 * ``out`` as (position, pair) unless ``answers`` (None or a dict) holds the empty tuple
 * itself for it (a known miss). ``out`` and ``starts`` get exactly what the reference
 * appends, in its order. The table lives in process memory only, like the memo dict.
 *
 * Nearly every substring of prose is a known miss, and looking its pairs up in the
 * prober's large answers dict cost more than the rest of an attempt: an entry whose
 * pairs were all known misses is marked so, and skips those lookups for as long as
 * ``answers`` is the same dict and ``epoch`` (how often the prober dropped answers,
 * matchers.probe.DigestProber.epoch) is unchanged: answers are only ever added then,
 * and a known miss stays one. The caller must change ``epoch`` whenever an answer
 * leaves ``answers``.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    Py_ssize_t off, len; /* the key's code points in ``keys`` */
    uint64_t hash;
    PyObject *pairs; /* a tuple (strong reference) */
    uint64_t settled; /* == the table's ``gen``: every pair a known miss */
} Entry;

typedef struct {
    PyObject_HEAD
    Entry *entries; /* in insertion order */
    Py_ssize_t count, alloc;
    Py_UCS4 *keys;
    Py_ssize_t keys_len, keys_alloc;
    uint32_t *slots; /* open addressing: entry index + 1, 0 = empty */
    Py_ssize_t nslots; /* a power of two, more than twice ``count`` */
    /* The answers (and their epoch) the entries' ``settled`` marks refer to: a known
     * miss stays one while the prober has dropped no answer (its epoch is unchanged);
     * another dict or epoch starts a new ``gen``, and each mark is checked again. */
    PyObject *owner;
    Py_ssize_t epoch;
    uint64_t gen;
} Table;

static uint64_t key_hash(const Py_UCS4 *s, Py_ssize_t n) {
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a over code points */
    for (Py_ssize_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h ^ (h >> 29);
}

static int rebuild_slots(Table *t, Py_ssize_t nslots) {
    uint32_t *slots = PyMem_Calloc((size_t)nslots, sizeof(uint32_t));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t e = 0; e < t->count; e++) {
        size_t i = (size_t)t->entries[e].hash & (size_t)(nslots - 1);
        while (slots[i]) i = (i + 1) & (size_t)(nslots - 1);
        slots[i] = (uint32_t)(e + 1);
    }
    PyMem_Free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return 0;
}

static Entry *table_find(Table *t, const Py_UCS4 *s, Py_ssize_t n, uint64_t h) {
    if (t->nslots == 0) return NULL;
    size_t mask = (size_t)(t->nslots - 1), i = (size_t)h & mask;
    uint32_t e;
    while ((e = t->slots[i]) != 0) {
        Entry *en = &t->entries[e - 1];
        if (en->hash == h && en->len == n &&
            memcmp(t->keys + en->off, s, sizeof(Py_UCS4) * (size_t)n) == 0)
            return en;
        i = (i + 1) & mask;
    }
    return NULL;
}

/* matchers.shapes.evict_oldest_half: the first-inserted half goes. */
static int table_evict_half(Table *t) {
    Py_ssize_t drop = t->count / 2, kept = 0;
    for (Py_ssize_t e = 0; e < drop; e++) Py_DECREF(t->entries[e].pairs);
    for (Py_ssize_t e = drop; e < t->count; e++) {
        Entry en = t->entries[e];
        memmove(t->keys + kept, t->keys + en.off, sizeof(Py_UCS4) * (size_t)en.len);
        en.off = kept;
        kept += en.len;
        t->entries[e - drop] = en;
    }
    t->count -= drop;
    t->keys_len = kept;
    return rebuild_slots(t, t->nslots);
}

/* Stores (s, n) -> pairs (a new reference is taken), evicting first at ``cap``;
 * the new entry (NULL: an error, or not stored past 2**32 entries). */
static Entry *table_add(Table *t, const Py_UCS4 *s, Py_ssize_t n, uint64_t h, PyObject *pairs,
                        Py_ssize_t cap) {
    if (t->count >= cap && t->count > 0 && table_evict_half(t) < 0) return NULL;
    if (t->count >= UINT32_MAX - 1) return NULL; /* never reached with a sane cap */
    if (t->count == t->alloc) {
        Py_ssize_t alloc = t->alloc ? 2 * t->alloc : 64;
        Entry *entries = PyMem_Realloc(t->entries, sizeof(Entry) * (size_t)alloc);
        if (entries == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        t->entries = entries;
        t->alloc = alloc;
    }
    if (t->keys_len + n > t->keys_alloc) {
        Py_ssize_t alloc = t->keys_alloc ? 2 * t->keys_alloc : 1024;
        while (alloc < t->keys_len + n) alloc *= 2;
        Py_UCS4 *keys = PyMem_Realloc(t->keys, sizeof(Py_UCS4) * (size_t)alloc);
        if (keys == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        t->keys = keys;
        t->keys_alloc = alloc;
    }
    if (2 * (t->count + 1) >= t->nslots &&
        rebuild_slots(t, t->nslots ? 2 * t->nslots : 256) < 0)
        return NULL;
    memcpy(t->keys + t->keys_len, s, sizeof(Py_UCS4) * (size_t)n);
    Entry *en = &t->entries[t->count];
    en->off = t->keys_len;
    en->len = n;
    en->hash = h;
    en->settled = 0;
    Py_INCREF(pairs);
    en->pairs = pairs;
    t->keys_len += n;
    size_t mask = (size_t)(t->nslots - 1), i = (size_t)h & mask;
    while (t->slots[i]) i = (i + 1) & mask;
    t->slots[i] = (uint32_t)(++t->count);
    return en;
}

static void table_dealloc(Table *t) {
    for (Py_ssize_t e = 0; e < t->count; e++) Py_DECREF(t->entries[e].pairs);
    PyMem_Free(t->entries);
    PyMem_Free(t->keys);
    PyMem_Free(t->slots);
    Py_XDECREF(t->owner);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static Py_ssize_t table_length(Table *t) { return t->count; }

static PySequenceMethods table_as_sequence = {.sq_length = (lenfunc)table_length};

PyTypeObject ProseTableType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "fingerprints._native.ProseTable",
    .tp_basicsize = sizeof(Table),
    .tp_dealloc = (destructor)table_dealloc,
    .tp_as_sequence = &table_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "ProseTable() -> one kind's prose canonicalization cache (_prose.c).",
    .tp_new = PyType_GenericNew,
};

/* ------------------------------------------------------------------ attempts */

typedef struct {
    Table *table;
    PyObject *fields, *kind, *out, *starts, *answers;
    Py_ssize_t budget, cap;
} Ctx;

/* One ``attempt(kind, s[:n], pos)`` of the reference; the budget is checked by the caller. */
static int attempt(Ctx *c, const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t pos) {
    c->budget--;
    uint64_t h = key_hash(s, n);
    Entry *en = table_find(c->table, s, n, h);
    PyObject *pairs;
    if (en != NULL) {
        if (en->settled != 0 && en->settled == c->table->gen && c->answers != Py_None) {
            /* Pairs, every one a known miss: only the position, as _Support.add. */
            PyObject *where = PyLong_FromSsize_t(pos);
            int rc = where == NULL ? -1 : PyList_Append(c->starts, where);
            Py_XDECREF(where);
            return rc;
        }
        pairs = en->pairs;
        Py_INCREF(pairs);
    } else {
        PyObject *v = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, s, n);
        if (v == NULL) return -1;
        PyObject *got = PyObject_CallFunctionObjArgs(c->fields, c->kind, v, NULL);
        Py_DECREF(v);
        if (got == NULL) return -1;
        pairs = PySequence_Tuple(got);
        Py_DECREF(got);
        if (pairs == NULL) return -1;
        en = table_add(c->table, s, n, h, pairs, c->cap);
        if (en == NULL && PyErr_Occurred()) {
            Py_DECREF(pairs);
            return -1;
        }
    }
    /* Nothing below changes the table: ``en`` stays valid. */
    Py_ssize_t kept = 0;
    Py_ssize_t np = PyTuple_GET_SIZE(pairs);
    if (np == 0) {
        Py_DECREF(pairs);
        return 0;
    }
    PyObject *where = PyLong_FromSsize_t(pos);
    if (where == NULL || PyList_Append(c->starts, where) < 0) goto fail;
    for (Py_ssize_t j = 0; j < np; j++) {
        PyObject *pair = PyTuple_GET_ITEM(pairs, j);
        if (c->answers != Py_None) {
            PyObject *known = PyDict_GetItemWithError(c->answers, pair);
            if (known == NULL && PyErr_Occurred()) goto fail;
            if (known != NULL && PyTuple_CheckExact(known) && PyTuple_GET_SIZE(known) == 0)
                continue; /* a known miss */
        }
        PyObject *item = PyTuple_Pack(2, where, pair);
        if (item == NULL) goto fail;
        int rc = PyList_Append(c->out, item);
        Py_DECREF(item);
        if (rc < 0) goto fail;
        kept++;
    }
    if (kept == 0 && c->answers != Py_None && en != NULL) en->settled = c->table->gen;
    Py_DECREF(where);
    Py_DECREF(pairs);
    return 0;
fail:
    Py_XDECREF(where);
    Py_DECREF(pairs);
    return -1;
}

/* fingerprints.normalizers.base.KANJI_CLASS and CJK_CLASS. */
static int is_kanji(Py_UCS4 c) {
    return (c >= 0x3005 && c <= 0x3007) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0x20000 && c <= 0x3FFFF);
}

static int is_cjk(Py_UCS4 c) {
    return (c >= 0x3041 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) || is_kanji(c);
}

/* _HIRA_RUN's class; _KATA_RUN's first class and the one after a space. */
static int is_hira(Py_UCS4 c) { return (c >= 0x3041 && c <= 0x309F) || c == 0x30FC; }
static int is_kata2(Py_UCS4 c) { return c >= 0x30A1 && c <= 0x30FA ? 1 : c == 0x30FC; }
static int is_kata1(Py_UCS4 c) { return is_kata2(c) || (c >= 0x31F0 && c <= 0x31FF); }

/* The next match at or after ``*i`` of ``first``{min,}(?: ``next``+)*: its start and,
 * spaces dropped, its characters in ``buf`` (their count returned; -1: no match). */
static Py_ssize_t next_run(int kind, const void *data, Py_ssize_t n, Py_ssize_t *i,
                           int (*first)(Py_UCS4), int (*next)(Py_UCS4), Py_ssize_t min,
                           Py_UCS4 *buf, Py_ssize_t *start) {
    while (*i < n) {
        Py_ssize_t j = *i, m = 0;
        if (!first(PyUnicode_READ(kind, data, j))) {
            (*i)++;
            continue;
        }
        while (j < n && first(PyUnicode_READ(kind, data, j))) buf[m++] = PyUnicode_READ(kind, data, j++);
        if (m < min) { /* no match starts inside a shorter run */
            *i = j;
            continue;
        }
        while (j + 1 < n && PyUnicode_READ(kind, data, j) == ' ' &&
               next(PyUnicode_READ(kind, data, j + 1))) {
            j++;
            while (j < n && next(PyUnicode_READ(kind, data, j))) buf[m++] = PyUnicode_READ(kind, data, j++);
        }
        *start = *i;
        *i = j;
        return m;
    }
    return -1;
}

PyObject *native_prose_attempts(PyObject *self, PyObject *args) {
    Ctx c;
    PyObject *window, *lengths_obj;
    int mode;
    Py_ssize_t lo;
    Py_ssize_t epoch;
    if (!PyArg_ParseTuple(args, "O!OOiUnOnnO!O!On", &ProseTableType, &c.table, &c.fields,
                          &c.kind, &mode, &window, &lo, &lengths_obj, &c.budget, &c.cap,
                          &PyList_Type, &c.out, &PyList_Type, &c.starts, &c.answers, &epoch))
        return NULL;
    if (c.answers != Py_None && !PyDict_Check(c.answers)) {
        PyErr_SetString(PyExc_TypeError, "answers must be a dict or None");
        return NULL;
    }
    Table *t = c.table;
    if (c.answers != Py_None && (c.answers != t->owner || epoch != t->epoch)) {
        Py_INCREF(c.answers);
        Py_XSETREF(t->owner, c.answers);
        t->epoch = epoch;
        t->gen++; /* every ``settled`` mark is stale */
    }
    if (mode < 0 || mode > 2) {
        PyErr_SetString(PyExc_ValueError, "mode must be 0 (names), 1 (hiragana) or 2 (katakana)");
        return NULL;
    }
    PyObject *lengths = PySequence_Fast(lengths_obj, "lengths must be a sequence");
    if (lengths == NULL) return NULL;
    Py_ssize_t nl = PySequence_Fast_GET_SIZE(lengths);
    Py_ssize_t n = PyUnicode_GET_LENGTH(window);
    int kind = PyUnicode_KIND(window);
    const void *data = PyUnicode_DATA(window);
    Py_ssize_t *sizes = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(nl ? nl : 1));
    Py_UCS4 *buf = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(n ? n : 1));
    if (sizes == NULL || buf == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t k = 0; k < nl; k++) {
        sizes[k] = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(lengths, k));
        if (sizes[k] == -1 && PyErr_Occurred()) goto fail;
        if (sizes[k] < 1 || (k && sizes[k] < sizes[k - 1])) {
            PyErr_SetString(PyExc_ValueError, "lengths must be positive and ascending");
            goto fail;
        }
    }
    Py_ssize_t i = 0, m, start;
    if (mode == 0) {
        while (c.budget > 0 && nl > 0 &&
               (m = next_run(kind, data, n, &i, is_cjk, is_cjk, 1, buf, &start)) >= 0) {
            if (m < sizes[0]) continue;
            /* Family names start with a kanji (matchers.prose.name_windows). */
            for (Py_ssize_t p = 0; p < m && c.budget > 0; p++) {
                if (!is_kanji(buf[p])) continue;
                for (Py_ssize_t k = 0; k < nl && c.budget > 0; k++) {
                    if (p + sizes[k] > m) break;
                    if (attempt(&c, buf + p, sizes[k], lo + start + p) < 0) goto fail;
                }
            }
        }
    } else if (mode == 1) {
        while (c.budget > 0 &&
               (m = next_run(kind, data, n, &i, is_hira, is_hira, 2, buf, &start)) >= 0) {
            for (Py_ssize_t k = 0; k < nl; k++) {
                if (sizes[k] == m) {
                    if (attempt(&c, buf, m, lo + start) < 0) goto fail;
                    break;
                }
            }
        }
    } else {
        while (c.budget > 0 &&
               (m = next_run(kind, data, n, &i, is_kata1, is_kata2, 2, buf, &start)) >= 0) {
            for (Py_ssize_t p = 0; p < m && c.budget > 0; p++) {
                for (Py_ssize_t k = 0; k < nl && c.budget > 0; k++) {
                    if (p + sizes[k] > m) break;
                    if (attempt(&c, buf + p, sizes[k], lo + start + p) < 0) goto fail;
                }
            }
        }
    }
    PyMem_Free(sizes);
    PyMem_Free(buf);
    Py_DECREF(lengths);
    return PyLong_FromSsize_t(c.budget);
fail:
    PyMem_Free(sizes);
    PyMem_Free(buf);
    Py_DECREF(lengths);
    return NULL;
}
