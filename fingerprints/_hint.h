/* Helpers that only ask for memory ahead of reading it (__builtin_prefetch). */
#ifndef LEAKPRINT_HINT_H
#define LEAKPRINT_HINT_H

/* Such a helper must be inlined where it is called. GCC counts a prefetch as no side
 * effect, so it finds the helper pure; a call it did not inline early (a body with a
 * multiply or two) is then a pure call whose result nobody reads, and it deletes the
 * call, hints and all. gcc 12 -O2 did so, without a word, to prefetch_search
 * (_postings.c), prefetch_rows (_tie.c) and the cut's look-ahead (_columns.c): the
 * compiled code asked for nothing ahead. */
#define PREFETCH_HELPER static inline __attribute__((always_inline))

#endif
