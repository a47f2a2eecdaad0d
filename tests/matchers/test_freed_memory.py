"""A scanning process keeps what a chunk frees for the next (``keep_freed_memory``).

Each case runs in a fresh interpreter: the policy is process-wide, and the page
faults it saves are counted from that process's start.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fingerprints import native
from matchers import stream

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

ROOT = Path(__file__).resolve().parents[2]

# A chunk's worth of small objects (tuples and strs, as a scan's candidates and
# pairs), made and freed twice; the page faults of each round and the kept arenas.
_ROUNDS = """
import json, resource, sys
from fingerprints import native
from matchers.stream import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else None
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
out = []
for _ in range(2):
    before = faults()
    chunk = [(str(i), i) for i in range(400_000)]
    big = bytearray(16 << 20)  # (a decoded piece: from glibc's heap)
    big[::4096] = b"x" * len(big[::4096])
    del chunk, big
    out.append(faults() - before)
print(json.dumps([out, kept, native.built().freed_memory()]))
"""


def _run(mode: str) -> tuple[list[int], bool | None, list[int]]:
    done = subprocess.run([sys.executable, "-c", _ROUNDS, mode], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    rounds, kept, stats = json.loads(done.stdout)
    return rounds, kept, stats


def test_a_second_chunk_reuses_what_the_first_freed() -> None:
    (first, second), kept, (arenas, limit, reused) = _run("keep")
    assert kept is True
    assert limit == stream.KEPT_ARENAS
    assert 0 < arenas <= limit  # freed arenas kept, never more than the limit
    assert reused > 0  # and handed out again to the second round
    (_first, control), _none, (_arenas, no_limit, no_reuse) = _run("plain")
    assert (no_limit, no_reuse) == (0, 0)
    # Without the policy the second round faults its memory in again; with it,
    # hardly at all.
    assert control > 4_000
    assert second * 10 < control, (first, second, control)


def test_the_limit_is_checked() -> None:
    core = native.built()
    assert core is not None
    with pytest.raises(ValueError, match="arenas"):
        core.keep_freed_memory(-1, 0, 0)
    with pytest.raises(ValueError, match="arenas"):
        core.keep_freed_memory(8, -1, 0)
