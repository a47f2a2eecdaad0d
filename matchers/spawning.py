"""Starting *spawned* worker processes without paying for what they do not use.

Both process pools spawn their workers (``matchers.parallel`` for ``scan --file``,
``leakprint.matchpool`` for the crawl's matchers): a fresh interpreter that imports
the matcher and opens the sets. Two costs of that start-up come from the parent's
circumstances rather than from the work, and :func:`worker_start` removes both for
the processes started inside it:

* spawn runs the parent's ``__main__`` script again in each child
  (:func:`main_not_imported`);
* numpy's OpenBLAS starts a thread per core as numpy is imported, and those threads
  spin for a while: about 0.06 s of wall and 0.1 s of CPU per worker on our 2-core
  machine (measured: ``import matchers.parallel`` 0.24 s and 0.33 CPU-s, with one
  BLAS thread 0.18 s and 0.18 CPU-s). A worker does no linear algebra, and the
  workers already fill every core (:func:`single_threaded_math`).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["ONE_THREAD_VARS", "main_not_imported", "single_threaded_math", "worker_start"]

# Read by the math libraries once, as they load: in a child, before any of our code.
ONE_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# os.environ is the process's: two threads starting workers at once (two scan jobs
# in ``serve``) must not restore each other's values.
_ENV_LOCK = threading.Lock()


@contextmanager
def worker_start() -> Iterator[None]:
    """Processes spawned inside start cheaply: no ``__main__`` re-run, one math thread."""
    with main_not_imported(), single_threaded_math():
        yield


@contextmanager
def single_threaded_math() -> Iterator[None]:
    """Processes started inside load numpy's BLAS (and OpenMP, MKL) with one thread.

    A child inherits the environment as it is when it is started; a variable the
    operator set is left as it is. Restored afterwards: this process and what it
    starts later are not affected.
    """
    with _ENV_LOCK:
        saved = {name: os.environ.get(name) for name in ONE_THREAD_VARS}
        for name, value in saved.items():
            if value is None:
                os.environ[name] = "1"
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)


@contextmanager
def main_not_imported() -> Iterator[None]:
    """Processes spawned inside do not import this program's ``__main__`` script.

    Spawn runs the parent's main script again in each child (as ``__mp_main__``); for
    the ``leakprint`` console script that is the whole CLI (click, rich, SQLAlchemy:
    about 1.2 s of CPU per worker) although a worker needs only the matcher, which it
    imports by module name. Without a spec or a ``__file__`` nothing is re-run.
    """
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    # multiprocessing.spawn.get_preparation_data reads both: a spec (``python -m``)
    # names the module to run again, a file (a script) its path.
    spec, path = getattr(main, "__spec__", None), getattr(main, "__file__", None)
    main.__spec__ = None
    if path is not None:
        del main.__file__
    try:
        yield
    finally:
        main.__spec__ = spec
        if path is not None:
            main.__file__ = path
