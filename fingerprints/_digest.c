/* Keyed digests and the Bloom probe of the native scanning core (issue 15, SPEC 13):
 *
 *   digest_many(key, person, vs)    keyed BLAKE2b-128 of each str's UTF-8 form
 *                                   (hashlib.blake2b(v, key=, person=, digest_size=16)),
 *                                   concatenated: one call per kind and batch.
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

PyObject *native_digest_many(PyObject *self, PyObject *args) {
    Py_buffer key, person;
    PyObject *values;
    int lanes = 4; /* 1: one value at a time (the tests compare both forms) */
    if (!PyArg_ParseTuple(args, "y*y*O|i", &key, &person, &values, &lanes)) return NULL;
    PyObject *result = NULL, *seq = NULL;
    uint64_t param[8], keyed[8];
    uint8_t keyblock[128], pers[16] = {0};
    if (key.len < 1 || key.len > 64 || person.len > 16) {
        PyErr_SetString(PyExc_ValueError, "key must be 1-64 bytes, person at most 16");
        goto done;
    }
    seq = PySequence_Fast(values, "values must be a sequence of str");
    if (seq == NULL) goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    memcpy(pers, person.buf, (size_t)person.len);
    for (int i = 0; i < 8; i++) param[i] = IV[i];
    param[0] ^= 0x01010000ULL ^ ((uint64_t)key.len << 8) ^ 16ULL;
    param[6] ^= load64(pers);
    param[7] ^= load64(pers + 8);
    memset(keyblock, 0, sizeof keyblock);
    memcpy(keyblock, key.buf, (size_t)key.len);
    memcpy(keyed, param, sizeof keyed);
    compress(keyed, keyblock, 128, 0);
    result = PyBytes_FromStringAndSize(NULL, 16 * n);
    if (result == NULL) goto done;
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
    PyObject **items = PySequence_Fast_ITEMS(seq);
#if LP_X4
    /* Values of one block (1-128 bytes) wait in fours for compress_x4_last. */
    int x4 = lanes == 4 && lp_x4_available();
    uint8_t blocks[4][128];
    const uint8_t *bp[4] = {blocks[0], blocks[1], blocks[2], blocks[3]};
    uint64_t tt[4];
    uint8_t *outs[4];
    int waiting = 0;
#endif
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
#if LP_X4
        if (x4 && len >= 1 && len <= 128) {
            memcpy(blocks[waiting], utf8, (size_t)len);
            memset(blocks[waiting] + len, 0, (size_t)(128 - len));
            tt[waiting] = 128 + (uint64_t)len;
            outs[waiting] = out + 16 * i;
            if (++waiting == 4) {
                compress_x4_last(keyed, bp, tt, outs);
                waiting = 0;
            }
            continue;
        }
#endif
        digest16(param, keyed, keyblock, (const uint8_t *)utf8, len, out + 16 * i);
    }
#if LP_X4
    for (int k = 0; k < waiting; k++)
        digest16(param, keyed, keyblock, blocks[k], (Py_ssize_t)(tt[k] - 128), outs[k]);
#endif
done:
    /* The key block and the keyed state are key material: wipe the stack copies. */
    wipe(keyblock, sizeof keyblock);
    wipe(keyed, sizeof keyed);
    wipe(param, sizeof param);
    Py_XDECREF(seq);
    PyBuffer_Release(&key);
    PyBuffer_Release(&person);
    return result;
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
