"""Which contractor's copy a leak came from: the guilty-agent model (SPEC 14).

Pure arithmetic, no database: the caller gives the leaked records (set rows), each
contractor's holdings and the canaries present. Following Papadimitriou and
Garcia-Molina, "Data Leakage Detection" (IEEE TKDE 23(1), 2011), the chance that
agent *i* leaked, given the leaked set *S*, is::

    Pr{G_i | S} = 1 − ∏_{t ∈ S ∩ R_i} (1 − (1 − p) / |V_t|)

where ``R_i`` is what agent *i* holds, ``V_t`` the agents holding record *t* and
``p`` the chance that a leaked record was obtained some other way (0.5 by
default). A canary is held by one agent only, so it is certain evidence: a
canary of agent *i* in the leak makes the verdict ``certain``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

DEFAULT_P = 0.5


class Rows(Protocol):
    """A set of record rows: a ``set``/``frozenset`` of ints or a Roaring ``BitMap``."""

    def __and__(self, other: Any, /) -> Any: ...

    def __iter__(self) -> Iterator[int]: ...

    def __len__(self) -> int: ...
LIKELY_GUILT = 0.8
LIKELY_MARGIN = 0.2


@dataclass(frozen=True)
class Candidate:
    """One contractor's share of a leak."""

    contractor: str
    held: int  # leaked customer records it held
    held_share: float  # held / leaked customer records
    canaries: int  # its canaries in the leak
    guilt: float  # Pr{G_i | S}


@dataclass(frozen=True)
class Attribution:
    candidates: tuple[Candidate, ...]  # ranked, most likely source first
    verdict: str  # certain | likely | ambiguous
    records: int  # leaked customer records considered


def guilt(holder_counts: Collection[int], p: float = DEFAULT_P) -> float:
    """``Pr{G_i|S}`` from ``|V_t|`` of each leaked record the agent held."""
    if not 0.0 <= p < 1.0:
        raise ValueError("p must be at least 0 and below 1")
    # log-sum keeps thousands of factors exact enough and never underflows to 0
    shares = [(1.0 - p) / v for v in holder_counts if v > 0]
    if any(s >= 1.0 for s in shares):
        return 1.0  # p = 0 and a record only this agent held
    log_innocent = sum(math.log1p(-s) for s in shares)
    return -math.expm1(log_innocent)


def attribute(leaked: Rows, holdings: Mapping[str, Rows],
              canaries: Mapping[str, int] | None = None, p: float = DEFAULT_P) -> Attribution:
    """Rank the contractors for one finding.

    ``leaked``: the set rows of the finding's customer records (medium or above);
    ``holdings``: each contractor's rows; ``canaries``: its canaries in the finding.
    A canary counts as one more leaked record held by that contractor alone.
    """
    canaries = {k: v for k, v in (canaries or {}).items() if v > 0}
    holders: dict[int, int] = {}
    for held in holdings.values():
        for t in _iter(leaked & held):
            holders[t] = holders.get(t, 0) + 1
    n = len(leaked)
    found: list[Candidate] = []
    for name in sorted(set(holdings) | set(canaries)):
        own = holdings.get(name)
        mine = list(_iter(leaked & own)) if own is not None else []
        counts = [holders[t] for t in mine] + [1] * canaries.get(name, 0)
        if not counts:
            continue
        found.append(Candidate(name, len(mine), len(mine) / n if n else 0.0,
                               canaries.get(name, 0), guilt(counts, p)))
    found.sort(key=lambda c: (-c.canaries, -c.guilt, -c.held_share, c.contractor))
    return Attribution(tuple(found), verdict_of(found), n)


def _iter(rows: Any) -> Iterable[int]:
    return (int(t) for t in rows)


def verdict_of(ranked: list[Candidate]) -> str:
    """``certain`` with a canary; ``likely`` when the top guilt is ≥ 0.8 and no other
    candidate's is within 0.2 of it; else ``ambiguous``."""
    if not ranked:
        return "ambiguous"
    if ranked[0].canaries:
        return "certain"
    top = ranked[0].guilt
    runner_up = max((c.guilt for c in ranked[1:]), default=0.0)
    if top >= LIKELY_GUILT and top - runner_up > LIKELY_MARGIN:
        return "likely"
    return "ambiguous"


__all__ = ["DEFAULT_P", "Attribution", "Candidate", "attribute", "guilt", "verdict_of"]
