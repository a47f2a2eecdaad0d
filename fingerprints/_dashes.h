/* fingerprints.text.DASH_CHARS in C: one list for every native file that needs it
 * (the preparation folds them between digits; the address key reads them as block
 * separators). The tests hold it to DASH_CHARS. */
#ifndef LEAKPRINT_DASHES_H
#define LEAKPRINT_DASHES_H

#include <Python.h>

/* The dash-like characters of DASH_CHARS other than ASCII '-'. */
static inline int is_wide_dash(Py_UCS4 c) {
    switch (c) {
    case 0xFF0D: case 0xFE63: case 0x2212: case 0x2010: case 0x2043: case 0x2011:
    case 0x2012: case 0x2013: case 0x2014: case 0xFE58: case 0x2015: case 0x23AF:
    case 0x23E4: case 0x30FC: case 0xFF70: case 0x2500: case 0x2501:
        return 1;
    default:
        return 0;
    }
}

#endif
