/* The native scanning core (issue 15, SPEC 13).
 *
 * Per-character / per-value loops of the scan, each the exact counterpart of
 * a Python reference that stays in the package (LEAKPRINT_PURE_PYTHON=1 selects it;
 * tests/fingerprints/test_native.py holds both to the same results):
 *
 *   prepare(text)                  fingerprints.text.prepare_full, for text made only
 *                                  of characters whose SPEC 3.2 result is known here
 *                                  (ASCII, full-width ASCII, kana, CJK ideographs,
 *                                  common CJK punctuation, dashes); None otherwise,
 *                                  and the caller runs the Python steps.
 *   prepare_pieces(text)           the same, piece by piece between line breaks and 、。.
 *   digest_many(key, person, vs)   keyed BLAKE2b-128 of each str's UTF-8 form
 *                                  (hashlib.blake2b(v, key=, person=, digest_size=16)),
 *                                  concatenated: one call per kind and batch
 *                                  (_digest.c).
 *   digest_packed(key, person, blob, ends) the same of packed values
 *                                  (fingerprints.packed; _digest.c).
 *   packed_strs(blob, ends, positions) some packed values as strs (_digest.c).
 *   bloom_survivors(d, words, m, k) positions of the 16-byte digests whose k probes
 *                                  all hit (fingerprints.bloom.BloomFilter.contains;
 *                                  _digest.c).
 *   shaped_column(values, ...)     a column of bare phone numbers or e-mail addresses:
 *                                  trimmed, prepared, shape-tested and canonicalized
 *                                  (the canonical forms packed)
 *                                  (matchers.candidates.Extractor._shaped_cells;
 *                                  _native_cells.h).
 *   weak_cells(values, max_cell)   the cells of a weak column that can only give weak
 *                                  candidates (Extractor.weak_only; _native_cells.h).
 *   address_cells(values, k, max)  the cells of an address column that Extractor._hinted
 *                                  decides by the address key alone
 *                                  (_native_address_cells.h).
 *   line_shapes(text, names)       matchers.lineshapes.line_shape of every line
 *                                  (_native_lines.h).
 *   may_hold_insert(text)          the pre-test of matchers.regions.whole_document.
 *   utf8_length(text)              len(text.encode("utf-8", "replace")), no bytes made.
 *   first_rows(cols, cells, strong[, rows]) the rows a column scan scores (_rows.c).
 *   rows_with(columns, sets[, distinct]) the rows with a cell in its column's set (_rows.c).
 *   in_rows(values, column, rows, distinct) the values that are a cell of those rows
 *                                   (_rows.c).
 *   shaped_hits(values, at, ...)   a column of phone numbers' cells that hit (_hits.c).
 *   slots_objects(cls, names, cols) instances of a slots class made from columns
 *                                  (_objects.c).
 *   sorted_counts(cls, items, ...)  record hits in report order, and the summary's
 *                                  counts of them (_summary.c).
 *   index_answers(keys, ...)       the exact index's answers for a batch's Bloom
 *                                  survivors: search and postings (_postings.c).
 *   record_refs(blob, offsets, rows) the rows' record references (_refs.c).
 *   tie_rows(rows, hits, ...)      the row loop of matchers.evidence.collect (_tie.c).
 *   prose_attempts(table, ...)     a prose window's name and kana attempts, with a
 *                                  ProseTable cache of code points (_prose.c).
 *   layer_many(s, p, ds, width)    a set's per-set layer over digests (_layer.c).
 *   prose_shapes(piece, known)     the token shapes of a prose snippet (_snippet.c).
 *   prose_guards(window)           which of matchers.prose's guards match (_guards.c).
 *   canon_postal/_birthdate/_kana/_name(s), fold_variants(table, s), address_key(s)
 *                                  the supporting kinds' canonical forms after prepare
 *                                  (_canon.c, _canon_names.c, _canon_address.c).
 *   split_columns(texts, d, width) a delimited table's columns, equal cells one str
 *                                  (_columns.c); text_columns the same from a text's
 *                                  lines (_text_columns.c).
 *   region_spans(shapes, ...), blank_holes(lines, a, b, holes)
 *                                  a chunk's regions from its line shapes
 *                                  (matchers.regions; _regions.c).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_dashes.h"

/* ------------------------------------------------------------ text preparation */

/* Dash-like characters of fingerprints.text.DASH_CHARS other than ASCII '-'. */
static int is_dash(Py_UCS4 c) { return is_wide_dash(c); }

/* What SPEC 3.2's steps (invisible characters dropped, twins unified, NFKC) make of
 * one character, for the characters whose result needs no context: 0 to drop it,
 * (Py_UCS4)-1 when it is not one of them. Every kept or produced character is
 * NFKC-stable, of combining class 0 and composes with nothing, so a string of them
 * is NFKC-normalized as it stands (tests check every code point of these ranges). */
static Py_UCS4 fold_char(Py_UCS4 c) {
    if (c < 0x80) return c;
    if (c >= 0x4E00 && c <= 0x9FFF) return c;                 /* CJK ideographs */
    if (c >= 0x3041 && c <= 0x3096) return c;                 /* hiragana */
    if (c >= 0x30A1 && c <= 0x30FA) return c;                 /* katakana */
    if (c >= 0xFF01 && c <= 0xFF5E) return c - 0xFEE0;        /* full-width ASCII */
    switch (c) {
    case 0x3000: return 0x20;                                 /* ideographic space */
    case 0x301C: return 0x7E;                                 /* 〜 twin of ～ */
    case 0x2212: return 0x2D;                                 /* − twin of － */
    case 0x2015: return 0x2014;                               /* ― twin of — */
    case 0x2225: return 0x2016;                               /* ∥ twin of ‖ */
    case 0x200B: case 0x200C: case 0x200D: case 0x2060: case 0xFEFF:
        return 0;                                             /* invisible */
    case 0x3001: case 0x3002: case 0x3005: case 0x3006: case 0x3007:
    case 0x3008: case 0x3009: case 0x300A: case 0x300B: case 0x300C: case 0x300D:
    case 0x300E: case 0x300F: case 0x3010: case 0x3011: case 0x3012: case 0x3014:
    case 0x3015: case 0x309D: case 0x309E: case 0x30FB: case 0x30FC: case 0x30FD:
    case 0x30FE: case 0x2010: case 0x2013: case 0x2014: case 0x2016: case 0x2500:
    case 0x2501: case 0x00B7: case 0x00D7: case 0x00F7: case 0x203B:
    case 0x25A0: case 0x25A1: case 0x25B2: case 0x25B3: case 0x25C6: case 0x25C7:
    case 0x25CB: case 0x25CE: case 0x25CF: case 0x2605: case 0x2606: case 0x2192:
    case 0x2190: case 0x2191: case 0x2193:
        return c;
    default:
        if (c >= 0xFE00 && c <= 0xFE0F) return 0;           /* variation selectors */
        if (c >= 0xE0100 && c <= 0xE01EF) return 0;
        return (Py_UCS4)-1;
    }
}

static int is_digit(Py_UCS4 c) { return c >= '0' && c <= '9'; }

/* Characters the SPEC 3.2 steps never look across: starters that are the first
 * or second of no composition and are no digit or dash, so the steps give the same
 * result on the pieces between them as on the whole (tests check it). */
static int is_boundary(Py_UCS4 c) { return c == '\n' || c == 0x3001 || c == 0x3002; }

/* NFKC of the half-width forms U+FF61..U+FF9F (katakana, their marks and punctuation),
 * one code point each: U+FF9E and U+FF9F become the combining voiced and semi-voiced
 * marks, which compose with the kana before them (tests check every code point and
 * every pair). */
static const Py_UCS4 HALF_WIDTH[0x3F] = {
    0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3,
    0x30A5, 0x30A7, 0x30A9, 0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC,
    0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, 0x30AB, 0x30AD, 0x30AF,
    0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF,
    0x30C1, 0x30C4, 0x30C6, 0x30C8, 0x30CA, 0x30CB, 0x30CC, 0x30CD,
    0x30CE, 0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB, 0x30DE, 0x30DF,
    0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8, 0x30E9, 0x30EA,
    0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3, 0x3099, 0x309A,
};

/* The composition of kana ``base`` with the combining mark ``mark`` (U+3099 or
 * U+309A), or 0 when there is none (the text is then the Python steps'). */
static Py_UCS4 with_mark(Py_UCS4 base, Py_UCS4 mark) {
    if (mark == 0x309A) {
        switch (base) {
        case 0x306F: case 0x3072: case 0x3075: case 0x3078: case 0x307B: case 0x30CF:
        case 0x30D2: case 0x30D5: case 0x30D8: case 0x30DB:
            return base + 2;
        default:
            return 0;
        }
    }
    switch (base) {
    case 0x304B: case 0x304D: case 0x304F: case 0x3051: case 0x3053: case 0x3055:
    case 0x3057: case 0x3059: case 0x305B: case 0x305D: case 0x305F: case 0x3061:
    case 0x3064: case 0x3066: case 0x3068: case 0x306F: case 0x3072: case 0x3075:
    case 0x3078: case 0x307B: case 0x309D: case 0x30AB: case 0x30AD: case 0x30AF:
    case 0x30B1: case 0x30B3: case 0x30B5: case 0x30B7: case 0x30B9: case 0x30BB:
    case 0x30BD: case 0x30BF: case 0x30C1: case 0x30C4: case 0x30C6: case 0x30C8:
    case 0x30CF: case 0x30D2: case 0x30D5: case 0x30D8: case 0x30DB: case 0x30FD:
        return base + 1;
    case 0x3046: return 0x3094; /* う ゔ */
    case 0x30A6: return 0x30F4; /* ウ ヴ */
    case 0x30EF: case 0x30F0: case 0x30F1: case 0x30F2:
        return base + 8;        /* ワヰヱヲ ヷヸヹヺ */
    default:
        return 0;
    }
}

/* Prepare text[start:end] of known characters into a new str (or text itself
 * when it is the whole text and nothing changes); NULL with *unknown set when a
 * character is not known. */
static PyObject *prepare_span(PyObject *text, int kind, const void *data, Py_ssize_t start,
                              Py_ssize_t end, Py_UCS4 *buf, int *unknown) {
    Py_ssize_t o = 0;
    int changed = 0;
    *unknown = 0;
    if (PyUnicode_IS_ASCII(text)) {
        /* Every ASCII character folds to itself, and no ASCII dash but '-' (a bare phone
         * number's, an e-mail address): the span as it stands. */
        if (start == 0 && end == PyUnicode_GET_LENGTH(text)) return Py_NewRef(text);
        return PyUnicode_Substring(text, start, end);
    }
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= 0xFF61 && c <= 0xFF9F) {
            /* Half-width: a kana or mark of full width; a mark composes with the kana
             * before it, or the text is the Python steps'. */
            Py_UCS4 h = HALF_WIDTH[c - 0xFF61];
            if (h == 0x3099 || h == 0x309A) {
                Py_UCS4 m = o ? with_mark(buf[o - 1], h) : 0;
                if (!m) {
                    *unknown = 1;
                    return NULL;
                }
                buf[o - 1] = m;
            } else {
                buf[o++] = h;
            }
            changed = 1;
            continue;
        }
        Py_UCS4 f = fold_char(c);
        if (f == (Py_UCS4)-1) {
            *unknown = 1;
            return NULL;
        }
        if (f != c) changed = 1;
        if (f) buf[o++] = f;
    }
    /* Dashes between two ASCII digits of the folded text become '-'. */
    for (Py_ssize_t i = 1; i + 1 < o; i++) {
        if (is_dash(buf[i]) && is_digit(buf[i - 1]) && is_digit(buf[i + 1])) {
            buf[i] = '-';
            changed = 1;
        }
    }
    if (!changed) {
        if (start == 0 && end == PyUnicode_GET_LENGTH(text)) {
            Py_INCREF(text);
            return text;
        }
        return PyUnicode_Substring(text, start, end);
    }
    return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, o);
}

static PyObject *native_prepare(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "prepare() needs a str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    Py_UCS4 *buf = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(n ? n : 1));
    if (buf == NULL) return PyErr_NoMemory();
    int unknown;
    PyObject *res = prepare_span(arg, PyUnicode_KIND(arg), PyUnicode_DATA(arg), 0, n, buf,
                                 &unknown);
    PyMem_Free(buf);
    if (res == NULL && unknown) Py_RETURN_NONE;
    return res;
}

/* The text cut at boundary characters (each kept at the end of its piece): a list
 * of prepared str pieces, and 1-tuples holding the raw pieces with characters not
 * known here, for the Python steps. */
static PyObject *native_prepare_pieces(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "prepare_pieces() needs a str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Py_UCS4 *buf = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(n ? n : 1));
    if (buf == NULL) return PyErr_NoMemory();
    PyObject *out = PyList_New(0);
    if (out == NULL) goto fail;
    Py_ssize_t start = 0;
    while (start < n) {
        Py_ssize_t end = start;
        while (end < n && !is_boundary(PyUnicode_READ(kind, data, end))) end++;
        if (end < n) end++; /* the boundary ends its piece */
        int unknown;
        PyObject *piece = prepare_span(arg, kind, data, start, end, buf, &unknown);
        if (piece == NULL) {
            if (!unknown) goto fail;
            PyObject *raw = PyUnicode_Substring(arg, start, end);
            if (raw == NULL) goto fail;
            piece = PyTuple_Pack(1, raw);
            Py_DECREF(raw);
            if (piece == NULL) goto fail;
        }
        int rc = PyList_Append(out, piece);
        Py_DECREF(piece);
        if (rc < 0) goto fail;
        start = end;
    }
    PyMem_Free(buf);
    return out;
fail:
    PyMem_Free(buf);
    Py_XDECREF(out);
    return NULL;
}

/* -------------------------------------------- column fast path and line shapes */

#include "_ascii.h"
#include "_fill.h"
#include "_pair.h"
#include "_native_cells.h"
#include "_native_phone_runs.h"
#include "_native_address_cells.h"
#include "_native_kind_cells.h"
#include "_native_lines.h"

/* ---------------------------------------------------------------------- module */

PyObject *native_digest_many(PyObject *self, PyObject *args); /* _digest.c */
PyObject *native_digest_packed(PyObject *self, PyObject *args); /* _digest.c */
PyObject *native_packed_strs(PyObject *self, PyObject *args); /* _digest.c */
PyObject *native_bloom_survivors(PyObject *self, PyObject *args); /* _digest.c */
PyObject *native_tie_rows(PyObject *self, PyObject *args); /* _tie.c */
PyObject *native_layer_many(PyObject *self, PyObject *args); /* _layer.c */
PyObject *native_first_rows(PyObject *self, PyObject *args); /* _rows.c */
PyObject *native_rows_with(PyObject *self, PyObject *args); /* _rows.c */
PyObject *native_in_rows(PyObject *self, PyObject *args);   /* _rows.c */
PyObject *native_shaped_hits(PyObject *self, PyObject *args); /* _hits.c */
PyObject *native_slots_objects(PyObject *self, PyObject *args); /* _objects.c */
PyObject *native_index_answers(PyObject *self, PyObject *args); /* _postings.c */
PyObject *native_record_refs(PyObject *self, PyObject *args); /* _refs.c */
PyObject *native_prose_attempts(PyObject *self, PyObject *args); /* _prose.c */
extern PyTypeObject ProseTableType; /* _prose.c */
PyObject *native_prose_shapes(PyObject *self, PyObject *args); /* _snippet.c */
PyObject *native_split_columns(PyObject *self, PyObject *args); /* _columns.c */
PyObject *native_text_columns(PyObject *self, PyObject *args); /* _text_columns.c */
PyObject *native_memo_split(PyObject *self, PyObject *args); /* _memo.c */
PyObject *native_region_spans(PyObject *self, PyObject *args); /* _regions.c */
PyObject *native_blank_holes(PyObject *self, PyObject *args); /* _regions.c */
PyObject *native_region_texts(PyObject *self, PyObject *args); /* _regions.c */
PyObject *native_column_hits(PyObject *self, PyObject *args); /* _hits.c */
PyObject *native_memo_settle(PyObject *self, PyObject *args); /* _memo.c */
PyObject *native_cache_split(PyObject *self, PyObject *args); /* _memo.c */
PyObject *native_sorted_counts(PyObject *self, PyObject *args); /* _summary.c */
PyObject *native_prose_guards(PyObject *self, PyObject *arg); /* _guards.c */
PyObject *native_keep_freed_memory(PyObject *self, PyObject *args); /* _memory.c */
PyObject *native_freed_memory(PyObject *self, PyObject *unused); /* _memory.c */
int canon_register(PyObject *module); /* _canon.c */
int pair_register(PyObject *module); /* _pair.c */
int common_register(PyObject *module); /* _common.c */
int postings_register(PyObject *module); /* _answers.c */

static PyMethodDef methods[] = {
    {"prepare", native_prepare, METH_O,
     "SPEC 3.2 preparation of text made of known characters; None otherwise."},
    {"prepare_pieces", native_prepare_pieces, METH_O,
     "The text cut after newlines and 、。: prepared pieces, 1-tuples of raw ones."},
    {"digest_many", native_digest_many, METH_VARARGS,
     "digest_many(key, person, values[, lanes]) -> 16-byte keyed BLAKE2b digests, "
     "concatenated (lanes=1: one value at a time)."},
    {"digest_packed", native_digest_packed, METH_VARARGS,
     "digest_packed(key, person, blob, ends[, lanes]) -> digest_many of packed values."},
    {"packed_strs", native_packed_strs, METH_VARARGS,
     "packed_strs(blob, ends, positions) -> the packed values at those positions as strs."},
    {"bloom_survivors", native_bloom_survivors, METH_VARARGS,
     "bloom_survivors(digests, words, m, k) -> positions whose k probes all hit."},
    {"shaped_column", native_shaped_column, METH_VARARGS,
     "shaped_column(values, phone, email, fixed, prepare, sample, max_cell) -> None or "
     "(is_phone, shaped, blob, ends, rest) (matchers.shaped)."},
    {"phone_runs", native_phone_runs, METH_VARARGS,
     "phone_runs(text, fixed) -> [(start, end, canonical or None)] "
     "(matchers.primaries.PrimarySearch._phones)."},
    {"weak_cells", native_weak_cells, METH_VARARGS,
     "weak_cells(values, max_cell) -> (weak, others) (matchers.candidates.weak_only)."},
    {"address_cells", native_address_cells, METH_VARARGS,
     "address_cells(values, kind, max_cell) -> (found, rest) (Extractor._hinted, addresses)."},
    {"kind_cells", native_kind_cells, METH_VARARGS,
     "kind_cells(values, kind, max_cell, canon, fold, folded_kind) -> (found, rest) "
     "(Extractor._hinted: names, kana, birth dates, postal codes)."},
    {"may_hold_insert", native_may_hold_insert, METH_O,
     "may_hold_insert(text) -> False when matchers.rows.SQL_INSERT cannot match text."},
    {"utf8_length", native_utf8_length, METH_O,
     "utf8_length(text) -> len(text.encode('utf-8', 'replace'))."},
    {"line_shapes", native_line_shapes, METH_VARARGS,
     "line_shapes(text, names) -> the shape of each line (matchers.lineshapes.line_shape)."},
    {"tie_rows", native_tie_rows, METH_VARARGS,
     "The row loop of matchers.evidence.collect (see fingerprints/_tie.c)."},
    {"prose_attempts", native_prose_attempts, METH_VARARGS,
     "prose_attempts(table, fields, kind, mode, window, lo, lengths, budget, cap, out, starts, "
     "answers) -> budget left (_prose.c)."},
    {"first_rows", native_first_rows, METH_VARARGS,
     "first_rows(columns, cells, strong[, rows]) -> (rows, founds) "
     "(matchers.columnrefs.first_rows)."},
    {"slots_objects", native_slots_objects, METH_VARARGS,
     "slots_objects(cls, names, columns) -> instances with their slots set, no __init__ "
     "called (_objects.c)."},
    {"rows_with", native_rows_with, METH_VARARGS,
     "rows_with(columns, sets[, distinct]) -> rows with a cell in its column's set "
     "(matchers.columnrefs)."},
    {"shaped_hits", native_shaped_hits, METH_VARARGS,
     "shaped_hits(values, at, kind, canons, answers, j, hits) -> {value: [(pair, j)]} "
     "(matchers.columnrefs.shaped_hits)."},
    {"in_rows", native_in_rows, METH_VARARGS,
     "in_rows(values, column, rows, distinct) -> the values that are a cell of those rows, "
     "or None (matchers.columns._in_rows)."},
    {"index_answers", native_index_answers, METH_VARARGS,
     "index_answers(keys, buckets, shift, queries, where, kinds, codes, rows, kcodes, cap, "
     "common) -> ([position], [answer]) (matchers.probe.DigestProber._found)."},
    {"record_refs", native_record_refs, METH_VARARGS,
     "record_refs(blob, offsets, rows) -> the rows' references "
     "(fingerprints.index.RefStore.refs)."},
    {"prose_shapes", native_prose_shapes, METH_VARARGS,
     "prose_shapes(piece, is_known_word) -> the shapes of a prose snippet (_snippet.c)."},
    {"split_columns", native_split_columns, METH_VARARGS,
     "split_columns(texts, delim, width) -> columns, equal cells one str (_columns.c)."},
    {"text_columns", native_text_columns, METH_VARARGS,
     "text_columns(text, delim, first_line, drop) -> (columns, distinct, repeats, lines, "
     "bounds) or None: split_columns of a text's non-blank lines (_text_columns.c)."},
    {"column_hits", native_column_hits, METH_VARARGS,
     "column_hits(found, hit_set, hits, j, weak, memo, known=None) -> (cell_hits, strong_values, "
     "matched_values) (matchers.columnrefs.column_hits, _hits.c)."},
    {"region_spans", native_region_spans, METH_VARARGS,
     "region_spans(shapes, names, join, not_content, interruption) -> (spans, sort) or None "
     "(_regions.c)."},
    {"region_texts", native_region_texts, METH_VARARGS,
     "region_texts(text, spans) -> each span's lines joined, its holes' lines empty "
     "(_regions.c)."},
    {"blank_holes", native_blank_holes, METH_VARARGS,
     "blank_holes(lines, a, b, holes) -> lines[a:b], the holes' lines blank (_regions.c)."},
    {"memo_split", native_memo_split, METH_VARARGS,
     "memo_split(entries, values) -> (fresh, known_values, known_res, unread or None) "
     "(_memo.c)."},
    {"memo_settle", native_memo_settle, METH_VARARGS,
     "memo_settle(entries, fresh, found) -> entries added (_memo.c)."},
    {"cache_split", native_cache_split, METH_VARARGS,
     "cache_split(cache, pairs) -> (each pair's answer or None, {kind: positions of the "
     "pairs the cache lacks}) (_memo.c)."},
    {"prose_guards", native_prose_guards, METH_O,
     "prose_guards(window) -> bits: 1 date, 2 postal code, 4 address guards match "
     "(_guards.c)."},
    {"sorted_counts", native_sorted_counts, METH_VARARGS,
     "sorted_counts(cls, items, keys, counted) -> (items sorted by the two keys, "
     "[Counter dict per counted slot]) or None (_summary.c)."},
    {"keep_freed_memory", native_keep_freed_memory, METH_VARARGS,
     "keep_freed_memory(arenas, mmap_threshold, trim_threshold) -> None: freed memory kept "
     "for the next chunk (_memory.c)."},
    {"freed_memory", native_freed_memory, METH_NOARGS,
     "freed_memory() -> (arenas kept now, their limit, arenas handed out again) (_memory.c)."},
    {"layer_many", native_layer_many, METH_VARARGS,
     "layer_many(secret, person, digests, width) -> layered 16-byte digests (_layer.c)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "fingerprints._native",
                                    "leakprint's native scanning core (issue 15).", -1,
                                    methods};

PyMODINIT_FUNC PyInit__native(void) {
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe != 1) {
        PyErr_SetString(PyExc_ImportError, "fingerprints._native needs a little-endian CPU");
        return NULL;
    }
    if (PyType_Ready(&ProseTableType) < 0) return NULL;
    PyObject *mod = PyModule_Create(&module);
    if (mod == NULL) return NULL;
    Py_INCREF(&ProseTableType);
    if (PyModule_AddObject(mod, "ProseTable", (PyObject *)&ProseTableType) < 0) {
        Py_DECREF(&ProseTableType);
        Py_DECREF(mod);
        return NULL;
    }
    if (canon_register(mod) < 0 || pair_register(mod) < 0 || common_register(mod) < 0 ||
        postings_register(mod) < 0) {
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
