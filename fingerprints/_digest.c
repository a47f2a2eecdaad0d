/* Keyed digests and the Bloom probe of the native scanning core (issue 15, SPEC 13):
 *
 *   digest_many(key, person, vs)    keyed BLAKE2b-128 of each str's UTF-8 form
 *                                   (hashlib.blake2b(v, key=, person=, digest_size=16)),
 *                                   concatenated: one call per kind and batch.
 *   digest_packed(key, person, blob, ends)  the same of packed values
 *                                   (fingerprints.packed), and packed_strs(blob, ends,
 *                                   positions) some of them as strs.
 *   bloom_survivors(d, words, m, k) positions of the 16-byte digests whose k probes
 *                                   all hit (fingerprints.bloom.BloomFilter.contains).
 *
 * BLAKE2b is the RFC 7693 reference algorithm, vendored in _blake2b.h (no OpenSSL
 * dependency): hashlib's keyed state cannot be handed to C. digest_many and
 * layer_many (_layer.c) run four one-block values side by side on a CPU with AVX2
 * (_blake2b_x4.h: the same arithmetic per lane); ``lanes=1`` asks for one at a time.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_blake2b.h"
#include "_blake2b_x4.h"

/* Keyed BLAKE2b-128 of msg: ``keyed`` is the state after the key block (not last),
 * ``param`` the state before it (an empty message makes the key block the last). */
static void digest16(const uint64_t param[8], const uint64_t keyed[8],
                     const uint8_t keyblock[128], const uint8_t *msg, Py_ssize_t len,
                     uint8_t out[16]) {
    uint64_t h[8];
    uint8_t block[128];
    if (len == 0) {
        memcpy(h, param, sizeof h);
        compress(h, keyblock, 128, 1);
    } else {
        uint64_t t = 128;
        memcpy(h, keyed, sizeof h);
        while (len > 128) {
            t += 128;
            compress(h, msg, t, 0);
            msg += 128;
            len -= 128;
        }
        memset(block, 0, sizeof block);
        memcpy(block, msg, (size_t)len);
        t += (uint64_t)len;
        compress(h, block, t, 1);
    }
    memcpy(out, h, 16); /* little-endian: the first two words' bytes */
}

/* A wipe the compiler may not drop as a dead store. */
static void wipe(void *p, size_t n) {
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n--) *v++ = 0;
}

/* The keyed states of one (key, person) and the values waiting in fours for
 * compress_x4_last: digest_many's and digest_packed's loop. */
typedef struct {
    uint64_t param[8], keyed[8];
    uint8_t keyblock[128];
#if LP_X4
    int x4;
    uint8_t blocks[4][128];
    uint64_t tt[4];
    uint8_t *outs[4];
    int waiting;
#endif
} Batch;

/* -1 with ValueError set for a bad key or person. */
static int batch_start(Batch *b, const Py_buffer *key, const Py_buffer *person, int lanes) {
    uint8_t pers[16] = {0};
    if (key->len < 1 || key->len > 64 || person->len > 16) {
        PyErr_SetString(PyExc_ValueError, "key must be 1-64 bytes, person at most 16");
        return -1;
    }
    memcpy(pers, person->buf, (size_t)person->len);
    for (int i = 0; i < 8; i++) b->param[i] = IV[i];
    b->param[0] ^= 0x01010000ULL ^ ((uint64_t)key->len << 8) ^ 16ULL;
    b->param[6] ^= load64(pers);
    b->param[7] ^= load64(pers + 8);
    memset(b->keyblock, 0, sizeof b->keyblock);
    memcpy(b->keyblock, key->buf, (size_t)key->len);
    memcpy(b->keyed, b->param, sizeof b->keyed);
    compress(b->keyed, b->keyblock, 128, 0);
#if LP_X4
    b->x4 = lanes == 4 && lp_x4_available();
    b->waiting = 0;
#endif
    return 0;
}

/* The digest of msg[0:len] into out: now, or once four values of one block wait. */
static void batch_put(Batch *b, const uint8_t *msg, Py_ssize_t len, uint8_t *out) {
#if LP_X4
    if (b->x4 && len >= 1 && len <= 128) {
        memcpy(b->blocks[b->waiting], msg, (size_t)len);
        memset(b->blocks[b->waiting] + len, 0, (size_t)(128 - len));
        b->tt[b->waiting] = 128 + (uint64_t)len;
        b->outs[b->waiting] = out;
        if (++b->waiting == 4) {
            const uint8_t *bp[4] = {b->blocks[0], b->blocks[1], b->blocks[2], b->blocks[3]};
            compress_x4_last(b->keyed, bp, b->tt, b->outs);
            b->waiting = 0;
        }
        return;
    }
#endif
    digest16(b->param, b->keyed, b->keyblock, msg, len, out);
}

/* The values still waiting digested (only when every value was put: on an error the
 * output they would go to is gone). */
static void batch_flush(Batch *b) {
#if LP_X4
    for (int k = 0; k < b->waiting; k++)
        digest16(b->param, b->keyed, b->keyblock, b->blocks[k], (Py_ssize_t)(b->tt[k] - 128),
                 b->outs[k]);
    b->waiting = 0;
#endif
}

/* The key material (and the values waiting) wiped. */
static void batch_end(Batch *b) {
#if LP_X4
    b->waiting = 0;
    wipe(b->blocks, sizeof b->blocks);
#endif
    /* The key block and the keyed state are key material: wipe the stack copies. */
    wipe(b->keyblock, sizeof b->keyblock);
    wipe(b->keyed, sizeof b->keyed);
    wipe(b->param, sizeof b->param);
}

PyObject *native_digest_many(PyObject *self, PyObject *args) {
    Py_buffer key, person;
    PyObject *values;
    int lanes = 4; /* 1: one value at a time (the tests compare both forms) */
    if (!PyArg_ParseTuple(args, "y*y*O|i", &key, &person, &values, &lanes)) return NULL;
    PyObject *result = NULL, *seq = NULL;
    Batch b;
    int started = 0;
    seq = PySequence_Fast(values, "values must be a sequence of str");
    if (seq == NULL || batch_start(&b, &key, &person, lanes) < 0) goto done;
    started = 1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    result = PyBytes_FromStringAndSize(NULL, 16 * n);
    if (result == NULL) goto done;
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t len;
        if (!PyUnicode_Check(items[i])) {
            PyErr_SetString(PyExc_TypeError, "values must be str");
            Py_CLEAR(result);
            goto done;
        }
        const char *utf8 = PyUnicode_AsUTF8AndSize(items[i], &len);
        if (utf8 == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        batch_put(&b, (const uint8_t *)utf8, len, out + 16 * i);
    }
    batch_flush(&b);
done:
    if (started) batch_end(&b);
    Py_XDECREF(seq);
    PyBuffer_Release(&key);
    PyBuffer_Release(&person);
    return result;
}

/* The bounds of packed value i: blob[ends[i - 1]:ends[i]] (fingerprints.packed). 0, or
 * -1 with ValueError set when they are not within the blob, in order. */
static int packed_bounds(const int64_t *ends, Py_ssize_t i, Py_ssize_t size, Py_ssize_t *a,
                         Py_ssize_t *b) {
    int64_t lo = i ? ends[i - 1] : 0, hi = ends[i];
    if (lo < 0 || hi < lo || hi > size) {
        PyErr_SetString(PyExc_ValueError, "packed ends outside the blob or out of order");
        return -1;
    }
    *a = (Py_ssize_t)lo;
    *b = (Py_ssize_t)hi;
    return 0;
}

/* digest_packed(key, person, blob, ends[, lanes]) -> digest_many of the packed values
 * (fingerprints.packed.PackedStrs): their UTF-8 forms read where they lie. */
PyObject *native_digest_packed(PyObject *self, PyObject *args) {
    Py_buffer key, person, blob, ends;
    int lanes = 4;
    if (!PyArg_ParseTuple(args, "y*y*y*y*|i", &key, &person, &blob, &ends, &lanes)) return NULL;
    PyObject *result = NULL;
    Batch b;
    int started = 0;
    if (ends.len % (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError, "ends must be int64s");
        goto done;
    }
    if (batch_start(&b, &key, &person, lanes) < 0) goto done;
    started = 1;
    Py_ssize_t n = ends.len / (Py_ssize_t)sizeof(int64_t), lo, hi;
    const int64_t *endp = (const int64_t *)ends.buf;
    result = PyBytes_FromStringAndSize(NULL, 16 * n);
    if (result == NULL) goto done;
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (packed_bounds(endp, i, blob.len, &lo, &hi) < 0) {
            Py_CLEAR(result);
            goto done;
        }
        batch_put(&b, (const uint8_t *)blob.buf + lo, hi - lo, out + 16 * i);
    }
    batch_flush(&b);
done:
    if (started) batch_end(&b);
    PyBuffer_Release(&key);
    PyBuffer_Release(&person);
    PyBuffer_Release(&blob);
    PyBuffer_Release(&ends);
    return result;
}

/* packed_strs(blob, ends, positions) -> [the str of packed value i for i in positions]. */
PyObject *native_packed_strs(PyObject *self, PyObject *args) {
    Py_buffer blob, ends;
    PyObject *positions, *out = NULL;
    if (!PyArg_ParseTuple(args, "y*y*O!", &blob, &ends, &PyList_Type, &positions)) return NULL;
    Py_ssize_t n = ends.len / (Py_ssize_t)sizeof(int64_t), lo, hi;
    if (ends.len % (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError, "ends must be int64s");
        goto done;
    }
    out = PyList_New(PyList_GET_SIZE(positions));
    if (out == NULL) goto done;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(positions); k++) {
        Py_ssize_t i = PyLong_AsSsize_t(PyList_GET_ITEM(positions, k));
        if (i == -1 && PyErr_Occurred()) goto fail;
        if (i < 0 || i >= n) {
            PyErr_SetString(PyExc_IndexError, "packed_strs: a position outside the values");
            goto fail;
        }
        if (packed_bounds((const int64_t *)ends.buf, i, blob.len, &lo, &hi) < 0) goto fail;
        PyObject *str = PyUnicode_DecodeUTF8((const char *)blob.buf + lo, hi - lo, "strict");
        if (str == NULL) goto fail;
        PyList_SET_ITEM(out, k, str);
    }
    goto done;
fail:
    Py_CLEAR(out); /* (its unset items are NULL, which list_dealloc skips) */
done:
    PyBuffer_Release(&blob);
    PyBuffer_Release(&ends);
    return out;
}

/* ---------------------------------------------------------------- Bloom probe */

PyObject *native_bloom_survivors(PyObject *self, PyObject *args) {
    Py_buffer dig, words;
    unsigned long long m;
    int k;
    if (!PyArg_ParseTuple(args, "y*y*Ki", &dig, &words, &m, &k)) return NULL;
    PyObject *out = NULL;
    Py_ssize_t n = dig.len / 16;
    if (dig.len % 16 || m < 64 || k < 1 || (unsigned long long)words.len < 8 * ((m + 63) / 64)) {
        PyErr_SetString(PyExc_ValueError, "bad digests or filter words");
        goto done;
    }
    out = PyList_New(0);
    if (out == NULL) goto done;
    const uint8_t *d = (const uint8_t *)dig.buf;
    const uint64_t *w = (const uint64_t *)words.buf;
    int fast = m < (1ULL << 32);
    for (Py_ssize_t j = 0; j < n; j++) {
        const uint8_t *p = d + 16 * j;
        int hit = 1;
        if (fast) {
            /* Same arithmetic as bloom._state/_positions/_advance in uint32. */
            uint32_t x, y;
            memcpy(&x, p, 4);
            memcpy(&y, p + 4, 4);
            y |= 1u;
            for (int i = 0; i < k; i++) {
                uint64_t pos = ((uint64_t)x * m) >> 32;
                if (!((w[pos >> 6] >> (pos & 63)) & 1)) {
                    hit = 0;
                    break;
                }
                x += y;
                y += (uint32_t)i;
            }
        } else {
            uint64_t x = load64(p), y = load64(p + 8) | 1u;
            for (int i = 0; i < k; i++) {
                uint64_t pos = x % m;
                if (!((w[pos >> 6] >> (pos & 63)) & 1)) {
                    hit = 0;
                    break;
                }
                x += y;
                y += (uint64_t)i;
            }
        }
        if (hit) {
            PyObject *v = PyLong_FromSsize_t(j);
            if (v == NULL || PyList_Append(out, v) < 0) {
                Py_XDECREF(v);
                Py_CLEAR(out);
                goto done;
            }
            Py_DECREF(v);
        }
    }
done:
    PyBuffer_Release(&dig);
    PyBuffer_Release(&words);
    return out;
}
