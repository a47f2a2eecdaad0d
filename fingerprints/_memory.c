/* Freed memory kept for the next chunk of a scan (issue 12).
 *
 *   keep_freed_memory(arenas, mmap_threshold, trim_threshold) -> None
 *   freed_memory() -> (arenas kept now, their limit, arenas handed out again)
 *
 * A chunk of a scan makes millions of small objects and frees them all when it is
 * done. CPython's small-object allocator then hands its empty arenas (1 MiB each)
 * back to the system, and glibc trims the top of its heap; the next chunk gets the
 * same amount of memory anew, and the kernel zeroes every page of it on first touch.
 * Scanning the hit-dense dump against ten million records, that was 28,000-50,000
 * page faults a scan and 0.07-0.17 s of system time in 1.1 s (clear_page_erms was
 * the largest single symbol in the profile).
 *
 * Here up to ``arenas`` freed arenas are kept and handed out again before any is
 * asked of the system (an arena allocator, PyObject_SetArenaAllocator, in front of
 * the one in place: what it does not keep it hands back to it), and on glibc the heap
 * is trimmed only past ``trim_threshold`` bytes and blocks of up to
 * ``mmap_threshold`` bytes come from the heap (mallopt). What is kept is what the
 * next chunk asks for again: the process stays near its peak instead of shrinking
 * between chunks, and the peak itself hardly moves (docs/design.md). For the
 * processes that scan (``matchers.stream.keep_freed_memory``). A later call sets new
 * limits; arenas kept past a lower one are handed back as they come and go.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#define MOST_ARENAS 4096

static PyObjectArenaAllocator next; /* the allocator in place before ours */
static int installed;
static void *kept[MOST_ARENAS];
static size_t arena_bytes; /* the size of every arena kept (CPython asks for one size) */
static Py_ssize_t nkept, limit, reused;

/* (called with the GIL held, as every pymalloc call is) */
static void *arena_alloc(void *ctx, size_t size) {
    if (nkept > 0 && size == arena_bytes) {
        reused++;
        return kept[--nkept];
    }
    return next.alloc(next.ctx, size);
}

static void arena_free(void *ctx, void *ptr, size_t size) {
    if (ptr != NULL && nkept < limit && (nkept == 0 || size == arena_bytes)) {
        arena_bytes = size;
        kept[nkept++] = ptr;
        return;
    }
    next.free(next.ctx, ptr, size);
}

PyObject *native_keep_freed_memory(PyObject *self, PyObject *args) {
    Py_ssize_t arenas, mmap_threshold, trim_threshold;
    if (!PyArg_ParseTuple(args, "nnn", &arenas, &mmap_threshold, &trim_threshold)) return NULL;
    if (arenas < 0 || arenas > MOST_ARENAS || mmap_threshold < 0 || trim_threshold < 0 ||
        mmap_threshold > INT_MAX || trim_threshold > INT_MAX) {
        PyErr_Format(PyExc_ValueError,
                     "keep_freed_memory: 0-%d arenas, thresholds of 0-%d bytes", MOST_ARENAS,
                     INT_MAX);
        return NULL;
    }
    if (!installed) {
        PyObjectArenaAllocator ours = {NULL, arena_alloc, arena_free};
        PyObject_GetArenaAllocator(&next);
        PyObject_SetArenaAllocator(&ours);
        installed = 1;
    }
    limit = arenas;
#ifdef __GLIBC__
    /* (0: glibc's own dynamic thresholds stay) */
    if (mmap_threshold) mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold);
    if (trim_threshold) mallopt(M_TRIM_THRESHOLD, (int)trim_threshold);
#endif
    Py_RETURN_NONE;
}

PyObject *native_freed_memory(PyObject *self, PyObject *unused) {
    return Py_BuildValue("(nnn)", nkept, limit, reused);
}
