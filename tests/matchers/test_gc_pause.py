"""The scan's pause of the cyclic garbage collector (matchers.stream.no_cyclic_gc)."""

from __future__ import annotations

import gc
import threading

import pytest

from matchers.stream import freeze_heap, no_cyclic_gc, thaw_heap


def test_the_collector_comes_back_on_only_when_the_last_pause_ends() -> None:
    assert gc.isenabled()
    with no_cyclic_gc():
        assert not gc.isenabled()
        with no_cyclic_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with no_cyclic_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("made", [50_000, 100])
def test_what_the_pause_made_is_not_left_in_the_youngest_generation(made: int) -> None:
    """Objects made and kept during the pause go to the oldest generation without a
    walk: the youngest holds none of them, so the next allocation does not walk the
    scan's caches (and they are still collected: a cycle made then is found by a
    full collection). A crawled page's few hundred too, not only a large scan's."""
    _Finalized.done.clear()
    kept: list[object] = []
    with no_cyclic_gc():
        kept.extend([i, str(i)] for i in range(made))
        cycle: list[object] = []
        cycle.append(cycle)
        probe = _Finalized(cycle)
        del cycle
    young = gc.get_objects(generation=0)
    assert not any(o is kept[0] or o is kept[-1] for o in young)
    assert len(young) < 10_000
    assert any(o is kept[-1] for o in gc.get_objects(generation=2))
    del probe
    gc.collect()
    assert _Finalized.done.is_set()


def test_objects_frozen_by_someone_else_stay_frozen() -> None:
    """Asked of objects the test holds: the whole freeze count is not steady (a
    frozen object elsewhere in the process may be freed meanwhile, and was, in CI)."""
    held = [[i] for i in range(100)]
    gc.freeze()
    try:
        assert gc.get_freeze_count() > 0
        assert not _in_generations(held)
        with no_cyclic_gc():
            [[i] for i in range(1000)]
        assert not _in_generations(held)
    finally:
        gc.unfreeze()
    assert _in_generations(held)  # the check sees an unfrozen object


def _in_generations(held: list[list[int]]) -> bool:
    """Whether any of ``held`` is in the collector's generations (not frozen)."""
    ids = {id(o) for o in held}
    return any(id(o) in ids for o in gc.get_objects())


class _Finalized:
    """Sets ``done`` when the cycle it is part of is collected."""

    done = threading.Event()

    def __init__(self, cycle: list[object]) -> None:
        cycle.append(self)

    def __del__(self) -> None:
        type(self).done.set()


def test_a_frozen_heap_stays_frozen_and_is_never_counted(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """After freeze_heap (the crawl process), a scan's pause neither releases the
    frozen objects nor asks how many there are (get_freeze_count walks them all)."""
    held = [[i] for i in range(100)]
    freeze_heap()
    try:
        assert not _in_generations(held)

        def walks_them_all() -> int:
            raise AssertionError("get_freeze_count called")

        monkeypatch.setattr(gc, "get_freeze_count", walks_them_all)
        with no_cyclic_gc():
            [[i] for i in range(1000)]
        assert gc.isenabled()
        assert not _in_generations(held)
    finally:
        monkeypatch.undo()
        thaw_heap()
    assert _in_generations(held)
    with no_cyclic_gc():  # thawed: the pause ages what it makes again
        kept = [[i] for i in range(1000)]
    assert not any(o is kept[-1] for o in gc.get_objects(generation=0))
