"""Strs packed end to end as UTF-8 (issue 15): a column's canonical forms as the
native core makes them.

A column of phone numbers has tens of thousands of canonical forms per chunk of a
dump, and only the few that hit a record are ever wanted as strs; the rest are only
digested. :class:`PackedStrs` holds them as one ``blob`` of their UTF-8 forms and the
end of each in ``ends`` (native int64s): ``fingerprints.keyed.Hasher.digest_blob``
digests them where they lie, and :meth:`PackedStrs.take` makes strs of some. It is a
read-only sequence of str like any other (equal to the list of the same strs), so a
caller that does not know it reads it one item at a time.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import overload

from fingerprints import native

__all__ = ["PackedStrs", "take"]


class PackedStrs(Sequence[str]):
    """Strs as one blob of their UTF-8 forms, end to end (see the module doc)."""

    __slots__ = ("_ends", "blob", "ends")

    def __init__(self, blob: bytes, ends: bytes) -> None:
        self.blob = blob
        self.ends = ends  # (int64 per str: where its UTF-8 form ends in blob)
        self._ends = memoryview(ends).cast("q")
        if len(self._ends) and not 0 <= self._ends[-1] <= len(blob):
            raise ValueError("packed ends outside the blob")

    @classmethod
    def of(cls, values: Sequence[str]) -> PackedStrs:
        """The packed form of some strs (for tests and callers without the core)."""
        blob = bytearray()
        ends = bytearray()
        for value in values:
            blob += value.encode("utf-8")
            ends += len(blob).to_bytes(8, sys.byteorder, signed=True)
        return cls(bytes(blob), bytes(ends))

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return self.take(list(range(len(self)))[i])
        n = len(self)
        if not -n <= i < n:
            raise IndexError(i)
        i %= n
        start = self._ends[i - 1] if i else 0
        return self.blob[start : self._ends[i]].decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return iter(self.take(list(range(len(self)))))

    def take(self, positions: list[int]) -> list[str]:
        """The strs at ``positions`` (in one native pass where the core runs)."""
        core = native.CORE
        if core is not None:
            return core.packed_strs(self.blob, self.ends, positions)
        return [self[i] for i in positions]

    def __eq__(self, other: object) -> bool:
        # (Equal to the same strs as a list or another packing, as ShapedCells compare.)
        if isinstance(other, PackedStrs | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # (a list is no key either)

    def __repr__(self) -> str:
        return f"PackedStrs({len(self)} strs)"


def take(values: Sequence[str], positions: list[int]) -> list[str]:
    """``[values[i] for i in positions]``: packed values made strs in one pass."""
    if isinstance(values, PackedStrs):
        return values.take(positions)
    return list(map(values.__getitem__, positions))
