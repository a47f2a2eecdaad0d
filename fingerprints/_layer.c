/* The per-set layer over digests in C (issue 15, SPEC 16).
 *
 *   layer_many(secret, person, digests, width[, lanes]) -> bytes
 *
 * fingerprints.shred.SetLayer.blob: for each ``width``-byte digest of ``digests``,
 * keyed BLAKE2b-128 (key = the set's secret, ``person``) of its first 8 bytes (what a
 * set stores of a digest), concatenated. The message is always one short block, so
 * each digest costs one compression after the key block's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_blake2b.h"
#include "_blake2b_x4.h"

#define STORED 8

static void wipe_layer(void *p, size_t n) {
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n--) *v++ = 0;
}

PyObject *native_layer_many(PyObject *self, PyObject *args) {
    Py_buffer key, person, digests;
    Py_ssize_t width;
    int lanes = 4; /* 1: one digest at a time (the tests compare both forms) */
    if (!PyArg_ParseTuple(args, "y*y*y*n|i", &key, &person, &digests, &width, &lanes))
        return NULL;
    PyObject *result = NULL;
    uint64_t keyed[8], h[8];
    uint8_t keyblock[128], block[128], pers[16] = {0};
    memset(keyblock, 0, sizeof keyblock);
    if (key.len < 1 || key.len > 64 || person.len > 16) {
        PyErr_SetString(PyExc_ValueError, "key must be 1-64 bytes, person at most 16");
        goto done;
    }
    if (width < STORED || digests.len % width) {
        PyErr_Format(PyExc_ValueError, "digests must be %zd bytes each", width);
        goto done;
    }
    Py_ssize_t n = digests.len / width;
    memcpy(pers, person.buf, (size_t)person.len);
    for (int i = 0; i < 8; i++) keyed[i] = IV[i];
    keyed[0] ^= 0x01010000ULL ^ ((uint64_t)key.len << 8) ^ 16ULL;
    keyed[6] ^= load64(pers);
    keyed[7] ^= load64(pers + 8);
    memcpy(keyblock, key.buf, (size_t)key.len);
    compress(keyed, keyblock, 128, 0);
    result = PyBytes_FromStringAndSize(NULL, 16 * n);
    if (result == NULL) goto done;
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
    const uint8_t *in = (const uint8_t *)digests.buf;
    memset(block, 0, sizeof block);
    Py_ssize_t i = 0;
#if LP_X4
    if (lanes == 4 && lp_x4_available()) {
        uint8_t blocks[4][128];
        memset(blocks, 0, sizeof blocks);
        const uint8_t *bp[4] = {blocks[0], blocks[1], blocks[2], blocks[3]};
        const uint64_t tt[4] = {128 + STORED, 128 + STORED, 128 + STORED, 128 + STORED};
        for (; i + 4 <= n; i += 4) {
            uint8_t *outs[4] = {out + 16 * i, out + 16 * (i + 1), out + 16 * (i + 2),
                                out + 16 * (i + 3)};
            for (int k = 0; k < 4; k++) memcpy(blocks[k], in + (i + k) * width, STORED);
            compress_x4_last(keyed, bp, tt, outs);
        }
    }
#endif
    for (; i < n; i++) {
        memcpy(h, keyed, sizeof h);
        memcpy(block, in + i * width, STORED);
        compress(h, block, 128 + STORED, 1);
        memcpy(out + 16 * i, h, 16); /* little-endian: the first two words' bytes */
    }
done:
    /* The key block and the keyed states are key material: wipe the stack copies. */
    wipe_layer(keyblock, sizeof keyblock);
    wipe_layer(keyed, sizeof keyed);
    wipe_layer(h, sizeof h);
    PyBuffer_Release(&key);
    PyBuffer_Release(&person);
    PyBuffer_Release(&digests);
    return result;
}
