/* line_shapes(text, names): matchers.lineshapes.line_shape of every line of text
 * (text.split("\n")), as the str objects of ``names`` (a tuple in the order of the
 * SHAPE_* constants below). Included by _native.c.
 *
 * Exact, with no fallback: every character class the reference looks at is one C can
 * test exactly. ``str.strip()`` and the regexes' \s / \S are Py_UNICODE_ISSPACE (the
 * same predicate CPython's str.strip and sre's Unicode \s use); [0-9] is ASCII; the
 * other classes are listed characters. Each regex is matched by a hand-written
 * equivalent whose reasoning (where backtracking cannot change the answer) is in its
 * comment; tests/matchers/test_native_regions.py holds them to the reference.
 */

#ifdef __SSE2__
#include <emmintrin.h> /* may_hold_insert's eight units a step (SSE2: every x86-64) */
#endif

enum { SHAPE_BLANK, SHAPE_RULE, SHAPE_GUTTER, SHAPE_PIPE, SHAPE_TAB, SHAPE_COMMA, SHAPE_SEMI,
       SHAPE_JSON, SHAPE_LIST, SHAPE_KV, SHAPE_ALIGNED, SHAPE_TEXT, SHAPE_COUNT };

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t a, b; /* the stripped line: [a, b) */
} line_t;

#define LC(L, i) PyUnicode_READ((L)->kind, (L)->data, (i))
#define IS_SPACE(c) Py_UNICODE_ISSPACE(c)

/* _RULE_RE = [\s|+:=\-]*[-=]{3}[\s|+:=\-]*\Z (match): every character in the class,
 * and somewhere three '-'/'=' in a row ([-=] is inside the class, so the stars can
 * take everything around any such run). */
static int rule_re(const line_t *L) {
    int run = 0, three = 0;
    for (Py_ssize_t i = L->a; i < L->b; i++) {
        Py_UCS4 c = LC(L, i);
        if (c == '-' || c == '=') {
            if (++run >= 3) three = 1;
            continue;
        }
        run = 0;
        if (!(c == '|' || c == '+' || c == ':' || IS_SPACE(c))) return 0;
    }
    return three;
}

/* _NUMBER_LINE = [0-9]{1,6}\Z (match). */
static int number_line(const line_t *L) {
    Py_ssize_t n = L->b - L->a;
    if (n < 1 || n > 6) return 0;
    for (Py_ssize_t i = L->a; i < L->b; i++)
        if (!is_digit(LC(L, i))) return 0;
    return 1;
}

/* The count of ASCII digits from i on (at most 4 counted: 4 means "more than 3"). */
static Py_ssize_t digit_run(const line_t *L, Py_ssize_t i) {
    Py_ssize_t k = 0;
    while (i + k < L->b && k < 4 && is_digit(LC(L, i + k))) k++;
    return k;
}

/* _LIST_RE (match). For the digit alternatives [0-9]{1,3}: taking fewer digits than
 * the run leaves a digit where the closing mark must be, so only the whole run (of
 * 1-3 digits) can match. */
static int list_re(const line_t *L) {
    Py_ssize_t a = L->a, n = L->b - L->a;
    Py_UCS4 c = LC(L, a);
    switch (c) {
    case 0x30FB: case 0x2022: case 0x25CF: case 0x25CB: case 0x25C6: case 0x25C7:
    case 0x25A0: case 0x25A1: case 0x25AA: case 0x25AB: case 0x25B8: case 0x25BA:
    case 0x25B6: case 0x203B: case 0x2192: case 0x2606: case 0x2605:
        return 1; /* ・•●○◆◇■□▪▫▸►▶※→☆★ */
    case '-': case '*': case '+':
        return n >= 2 && IS_SPACE(LC(L, a + 1)); /* [-*+](?=\s) */
    default:
        break;
    }
    if ((c >= 0x2460 && c <= 0x2473) || (c >= 0x3251 && c <= 0x325F) ||
        (c >= 0x32B1 && c <= 0x32BF))
        return 1; /* circled numbers */
    if (is_digit(c)) { /* [0-9]{1,3}[.)．）](?![0-9]) */
        Py_ssize_t k = digit_run(L, a);
        if (k > 3 || a + k >= L->b) return 0;
        Py_UCS4 p = LC(L, a + k);
        if (!(p == '.' || p == ')' || p == 0xFF0E || p == 0xFF09)) return 0;
        return a + k + 1 >= L->b || !is_digit(LC(L, a + k + 1));
    }
    if (c == '(' || c == 0xFF08) { /* [（(][0-9]{1,3}[)）] */
        Py_ssize_t k = digit_run(L, a + 1);
        if (k < 1 || k > 3 || a + 1 + k >= L->b) return 0;
        Py_UCS4 p = LC(L, a + 1 + k);
        return p == ')' || p == 0xFF09;
    }
    return 0;
}

/* _KV_RE = [^\s:：=|,]{1,24}\s*(?:[:：]|\s=\s?)\s*\S (match). The key must be the whole
 * leading run of key characters (a shorter key leaves a key character where only
 * white space, a colon or '=' can follow), of 1-24 of them; after the white space
 * that follows it comes a colon, or '=' when at least one white space came first; then,
 * after any white space, anything that is not white space. */
static int kv_re(const line_t *L) {
    Py_ssize_t i = L->a;
    while (i < L->b) {
        Py_UCS4 c = LC(L, i);
        if (IS_SPACE(c) || c == ':' || c == 0xFF1A || c == '=' || c == '|' || c == ',') break;
        i++;
    }
    Py_ssize_t r = i - L->a;
    if (r < 1 || r > 24) return 0;
    while (i < L->b && IS_SPACE(LC(L, i))) i++;
    if (i >= L->b) return 0;
    Py_UCS4 c = LC(L, i);
    if (!(c == ':' || c == 0xFF1A || (c == '=' && i > L->a + r))) return 0;
    for (i++; i < L->b; i++)
        if (!IS_SPACE(LC(L, i))) return 1;
    return 0;
}

/* len(_ALIGNED_GAPS.findall(s)) >= 2, _ALIGNED_GAPS = \S(?: {2,}|\t)(?=\S): a match
 * at a non-space is the whole run of 2+ spaces after it (fewer leave a space where
 * \S must be) or one tab, then a non-space, where the next search resumes. */
static int aligned_gaps(const line_t *L) {
    int found = 0;
    Py_ssize_t i = L->a;
    while (i + 2 < L->b) {
        if (IS_SPACE(LC(L, i))) {
            i++;
            continue;
        }
        Py_UCS4 c = LC(L, i + 1);
        Py_ssize_t j;
        if (c == '\t') {
            j = i + 2;
        } else if (c == ' ' && LC(L, i + 2) == ' ') {
            j = i + 3;
            while (j < L->b && LC(L, j) == ' ') j++;
        } else {
            i++;
            continue;
        }
        if (j < L->b && !IS_SPACE(LC(L, j))) {
            if (++found >= 2) return 1;
            i = j;
        } else {
            i++;
        }
    }
    return 0;
}

/* What line_shape counts in a line: ',' and '+' (whether any), '|', ';' and tabs. */
typedef struct {
    int comma, plus;
    Py_ssize_t pipes, semis, tabs;
} marks_t;

static inline void count_mark(Py_UCS4 c, marks_t *m) {
    switch (c) {
    case ',': m->comma = 1; break;
    case '|': m->pipes++; break;
    case '\t': m->tabs++; break;
    case ';': m->semis++; break;
    case '+': m->plus = 1; break;
    default: break;
    }
}

#ifdef __SSE2__
/* The units of a mask of 16 bits, 2 bits a unit of UCS-2 (``per`` 2) or 1 of UCS-1
 * (no popcount instruction is assumed: x86-64's baseline has none). */
static inline Py_ssize_t units(int bits, int per) {
    Py_ssize_t n = 0;
    for (; bits; bits &= bits - 1) n++;
    return n / per;
}

/* The marks of the 8 UCS-2 units (16 of UCS-1 when ``wide`` is 0) of ``v`` whose bits
 * are in ``keep`` (two bits a unit of UCS-2, as _mm_movemask_epi8 gives them). Most
 * steps hold none: one test of all five first. */
static inline void count_marks_simd(__m128i v, int keep, int wide, marks_t *m) {
    __m128i comma, pipe, tab, semi, plus;
    if (wide) {
        comma = _mm_cmpeq_epi16(v, _mm_set1_epi16(','));
        pipe = _mm_cmpeq_epi16(v, _mm_set1_epi16('|'));
        tab = _mm_cmpeq_epi16(v, _mm_set1_epi16('\t'));
        semi = _mm_cmpeq_epi16(v, _mm_set1_epi16(';'));
        plus = _mm_cmpeq_epi16(v, _mm_set1_epi16('+'));
    } else {
        comma = _mm_cmpeq_epi8(v, _mm_set1_epi8(','));
        pipe = _mm_cmpeq_epi8(v, _mm_set1_epi8('|'));
        tab = _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'));
        semi = _mm_cmpeq_epi8(v, _mm_set1_epi8(';'));
        plus = _mm_cmpeq_epi8(v, _mm_set1_epi8('+'));
    }
    __m128i any = _mm_or_si128(_mm_or_si128(comma, pipe),
                               _mm_or_si128(_mm_or_si128(tab, semi), plus));
    if (!(_mm_movemask_epi8(any) & keep)) return;
    int per = wide ? 2 : 1;
    m->comma |= (_mm_movemask_epi8(comma) & keep) != 0;
    m->plus |= (_mm_movemask_epi8(plus) & keep) != 0;
    m->pipes += units(_mm_movemask_epi8(pipe) & keep, per);
    m->semis += units(_mm_movemask_epi8(semi) & keep, per);
    m->tabs += units(_mm_movemask_epi8(tab) & keep, per);
}
#endif

/* The end of the line that starts at ``start`` (its '\n', or ``n``), and the marks in
 * it. Sixteen bytes a step where SSE2 is (every x86-64): one pass over a chunk's
 * text, where the reference's loops read each character twice through the kind. */
static Py_ssize_t scan_line(const line_t *L, Py_ssize_t start, Py_ssize_t n, marks_t *m) {
    Py_ssize_t i = start;
#ifdef __SSE2__
    if (L->kind == PyUnicode_2BYTE_KIND || L->kind == PyUnicode_1BYTE_KIND) {
        int wide = L->kind == PyUnicode_2BYTE_KIND;
        Py_ssize_t step = wide ? 8 : 16;
        const char *base = (const char *)L->data;
        const __m128i nl = wide ? _mm_set1_epi16('\n') : _mm_set1_epi8('\n');
        for (; i + step <= n; i += step) {
            __m128i v = _mm_loadu_si128((const __m128i *)(base + i * (wide ? 2 : 1)));
            int end = _mm_movemask_epi8(wide ? _mm_cmpeq_epi16(v, nl) : _mm_cmpeq_epi8(v, nl));
            /* (the bits below the first newline's, or all 16) */
            int keep = end ? (1 << __builtin_ctz((unsigned)end)) - 1 : 0xFFFF;
            count_marks_simd(v, keep, wide, m);
            if (end) return i + __builtin_ctz((unsigned)end) / (wide ? 2 : 1);
        }
    }
#endif
    for (; i < n; i++) {
        Py_UCS4 c = LC(L, i);
        if (c == '\n') break;
        count_mark(c, m);
    }
    return i;
}

/* matchers.lineshapes.line_shape, step for step: ``m`` holds the marks of the line
 * before it was stripped (the white space stripped holds no mark but tabs). */
static int line_shape_of(line_t *L, marks_t *m) {
    for (; L->a < L->b && IS_SPACE(LC(L, L->a)); L->a++)
        m->tabs -= LC(L, L->a) == '\t';
    for (; L->b > L->a && IS_SPACE(LC(L, L->b - 1)); L->b--)
        m->tabs -= LC(L, L->b - 1) == '\t';
    if (L->a == L->b) return SHAPE_BLANK;
    int comma = m->comma, tab = m->tabs > 0, plus = m->plus;
    Py_ssize_t pipes = m->pipes, semis = m->semis;
    Py_UCS4 first = LC(L, L->a);
    if (comma && !pipes && !tab) {
        /* (The reference's test of the first character only saves a regex call:
         * every _LIST_RE match starts with one of those characters.) */
        if (first == '{') return SHAPE_JSON;
        if (list_re(L)) return SHAPE_LIST;
        return kv_re(L) ? SHAPE_KV : SHAPE_COMMA;
    }
    if (pipes >= 2) return rule_re(L) ? SHAPE_RULE : SHAPE_PIPE;
    if (rule_re(L) && (plus || pipes || L->b - L->a >= 5)) return SHAPE_RULE;
    if (number_line(L)) return SHAPE_GUTTER;
    if (first == '{') return SHAPE_JSON;
    if (tab) return SHAPE_TAB;
    if (list_re(L)) return SHAPE_LIST;
    if (semis >= 2) return SHAPE_SEMI;
    if (kv_re(L)) return SHAPE_KV;
    if (aligned_gaps(L)) return SHAPE_ALIGNED;
    return SHAPE_TEXT;
}

static PyObject *native_line_shapes(PyObject *self, PyObject *args) {
    PyObject *text, *names;
    if (!PyArg_ParseTuple(args, "UO!", &text, &PyTuple_Type, &names)) return NULL;
    if (PyTuple_GET_SIZE(names) != SHAPE_COUNT) {
        PyErr_SetString(PyExc_ValueError, "names must hold the 12 shapes");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    line_t L = {PyUnicode_KIND(text), PyUnicode_DATA(text), 0, 0};
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    Py_ssize_t start = 0;
    for (;;) {
        marks_t m = {0, 0, 0, 0, 0};
        Py_ssize_t end = scan_line(&L, start, n, &m);
        L.a = start;
        L.b = end;
        if (PyList_Append(out, PyTuple_GET_ITEM(names, line_shape_of(&L, &m))) < 0) {
            Py_DECREF(out);
            return NULL;
        }
        if (end >= n) break;
        start = end + 1;
    }
    return out;
}

/* may_hold_insert(text): whether ``text`` holds "insert" in any case, as the
 * IGNORECASE pattern matchers.rows.SQL_INSERT reads it ('i' also matches U+0130 and
 * U+0131, 's' also U+017F). False means that pattern cannot match: the whole-document
 * test then skips its search, which costs a page of Japanese text several times more
 * than this pass. */
static int insert_letter(Py_UCS4 c, char want) {
    if (c < 128) return (char)(c | 0x20) == want; /* only the two cases of a letter */
    return (want == 'i' && (c == 0x130 || c == 0x131)) || (want == 's' && c == 0x17f);
}

/* The positions of 'n' or 'N' are found by a loop on the string's own code units
 * (a page is a few thousand UCS-2 units: no per-character dispatch on the kind). */
#define LP_INSERT_SCAN(T)                                                          \
    do {                                                                           \
        const T *u = (const T *)d;                                                 \
        for (Py_ssize_t i = 1; i + 5 <= n; i++) {                                  \
            if ((u[i] | 0x20) != 'n') continue;                                    \
            int k = 0;                                                             \
            while (k < 6 && insert_letter(u[i - 1 + k], word[k])) k++;             \
            if (k == 6) Py_RETURN_TRUE;                                            \
        }                                                                          \
    } while (0)

static PyObject *native_may_hold_insert(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "text must be str");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    static const char word[] = "insert";
    /* Anchored on the 'n' (never a non-ASCII twin): the second letter. (| 0x20 maps
     * only 'N' and 'n' to 'n': any other unit that gives 'n' differs from it in bit
     * 5, and 'N' is 0x4e.) */
    if (kind == PyUnicode_1BYTE_KIND)
        LP_INSERT_SCAN(Py_UCS1);
    else if (kind == PyUnicode_2BYTE_KIND) {
#ifdef __SSE2__
        /* Japanese text: eight UCS-2 units per step, skipped unless one is an 'n'. */
        const Py_UCS2 *u = (const Py_UCS2 *)d;
        const __m128i lower = _mm_set1_epi16(0x20), letter = _mm_set1_epi16('n');
        Py_ssize_t i = 1;
        for (; i + 8 + 4 <= n; i += 8) {
            __m128i w = _mm_loadu_si128((const __m128i *)(u + i));
            int hit = _mm_movemask_epi8(_mm_cmpeq_epi16(_mm_or_si128(w, lower), letter));
            if (!hit) continue;
            for (int j = 0; j < 8; j++) {
                if (!(hit >> (2 * j) & 1)) continue;
                int k = 0;
                while (k < 6 && insert_letter(u[i + j - 1 + k], word[k])) k++;
                if (k == 6) Py_RETURN_TRUE;
            }
        }
        d = u + i - 1; /* the rest (fewer than 8 + 4 units) the plain way */
        n -= i - 1;
#endif
        LP_INSERT_SCAN(Py_UCS2);
    } else
        LP_INSERT_SCAN(Py_UCS4);
    Py_RETURN_FALSE;
}
#undef LP_INSERT_SCAN

/* utf8_length(text): len(text.encode("utf-8", "replace")) without making the bytes
 * (what a scan reports as the bytes it read; a lone surrogate becomes one "?"). */
static PyObject *native_utf8_length(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "text must be str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), total = n;
    if (PyUnicode_IS_ASCII(text)) return PyLong_FromSsize_t(n);
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *u = (const Py_UCS1 *)d;
        for (Py_ssize_t i = 0; i < n; i++) total += u[i] >> 7;
    } else if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *u = (const Py_UCS2 *)d;
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS2 c = u[i];
            total += (c >= 0x80) + (c >= 0x800) - 2 * (c >= 0xd800 && c <= 0xdfff);
        }
    } else {
        const Py_UCS4 *u = (const Py_UCS4 *)d;
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 c = u[i];
            total += (c >= 0x80) + (c >= 0x800) + (c >= 0x10000)
                     - 2 * (c >= 0xd800 && c <= 0xdfff);
        }
    }
    return PyLong_FromSsize_t(total);
}
