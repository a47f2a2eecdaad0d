"""Canary companion sets: small fingerprint sets probed together with a dataset's set.

Canary records (SPEC 14) are fingerprinted into their own small sets beside the
dataset's set rather than into it, so the (large, streamed, MAC'd) main set is
never rewritten when canaries are minted::

    <sets_dir>/<dataset>/                      the dataset's set
    <sets_dir>/.canaries/<dataset>/<batch>/    one companion set per minting

:class:`CompanionProber` answers for the main set and its companions as one set:
the companions' rows follow the main set's (row ``main.record_count + i``), their
references carry :data:`CANARY_PREFIX`, and the record count the chance model
uses stays the main set's (canaries are not customers).
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from pathlib import Path

from fingerprints.keyed import FingerprintKey
from fingerprints.manifest import MANIFEST_FILE
from fingerprints.reader import FingerprintSet
from matchers.probe import NO_HITS, Common, DigestProber, Hits
from matchers.scan import Matcher

#: Every canary reference starts with this (minted by leakprint, never imported).
CANARY_PREFIX = "~canary-"
COMPANION_ROOT = ".canaries"


def is_canary_ref(ref: str) -> bool:
    """Whether a record reference names a canary rather than a customer."""
    return ref.startswith(CANARY_PREFIX)


def companion_root(set_dir: Path) -> Path:
    """The folder holding the canary companion sets of the set in ``set_dir``."""
    return set_dir.parent / COMPANION_ROOT / set_dir.name


def companion_dirs(set_dir: Path) -> list[Path]:
    """The companion sets of ``set_dir`` (oldest batch first; none when no canaries)."""
    root = companion_root(Path(set_dir))
    if not root.is_dir():
        return []
    return sorted(d for d in root.iterdir() if (d / MANIFEST_FILE).is_file())


class CompanionProber:
    """A dataset's set and its canary companions, probed as one (see module doc)."""

    def __init__(self, main: DigestProber, extras: Sequence[DigestProber]) -> None:
        self.main = main
        self.extras = list(extras)
        self._starts: list[int] = []
        start = main.record_count
        for extra in self.extras:
            self._starts.append(start)
            start += extra.record_count

    @property
    def dataset(self) -> str:
        return self.main.dataset

    @property
    def record_count(self) -> int:
        return self.main.record_count

    def _where(self, row: int) -> tuple[DigestProber, int]:
        if row < self.main.record_count:
            return self.main, row
        for extra, start in zip(reversed(self.extras), reversed(self._starts), strict=True):
            if row >= start:
                return extra, row - start
        raise IndexError(f"row {row} is outside the set")

    def record_ref(self, row: int) -> str:
        prober, local = self._where(row)
        return prober.record_ref(local)

    def record_keys(self, row: int) -> Container[object]:
        prober, local = self._where(row)
        return prober.record_keys(local)

    def kind_lengths(self, kind: str) -> list[int]:
        lengths = set(self.main.kind_lengths(kind))
        for extra in self.extras:
            lengths.update(extra.kind_lengths(kind))
        return sorted(lengths)

    def _join(self, answers: list[Hits], extra: list[Hits], start: int) -> None:
        for i, hits in enumerate(extra):
            if not hits or isinstance(hits, Common):
                # A canary value shared by more than the postings cap is no canary
                # evidence; the main set's answer stands.
                continue
            shifted = tuple((row + start, kind) for row, kind in hits)
            mine = answers[i]
            if isinstance(mine, Common):
                continue
            answers[i] = mine + shifted

    def probe(self, pairs: Sequence[tuple[str, str]]) -> list[Hits]:
        answers = self.main.probe(pairs)
        for extra, start in zip(self.extras, self._starts, strict=True):
            self._join(answers, extra.probe(pairs), start)
        return answers

    def hits_of_kind(self, kind: str, values: Sequence[str]) -> tuple[list[int], list[Hits]]:
        at, got = self.main.hits_of_kind(kind, values)
        if not self.extras:
            return at, got
        answers = _spread(len(values), at, got)
        for extra, start in zip(self.extras, self._starts, strict=True):
            self._join(answers, _spread(len(values), *extra.hits_of_kind(kind, values)), start)
        at = [i for i, hits in enumerate(answers) if hits]
        return at, [answers[i] for i in at]


def _spread(n: int, at: list[int], got: list[Hits]) -> list[Hits]:
    """The answers of ``n`` values from those of the ones that hit (``at``)."""
    answers: list[Hits] = [NO_HITS] * n
    for i, hits in zip(at, got, strict=True):
        answers[i] = hits
    return answers


def open_companions(fpset: FingerprintSet, key: FingerprintKey) -> list[FingerprintSet]:
    """The canary companion sets of an opened set (same key and normalizer version, their
    per-set secrets from the source the set was opened with)."""
    return [
        FingerprintSet.open(d, key, normalizer_version=fpset.manifest.normalizer_version,
                            secrets=fpset.secrets)
        for d in companion_dirs(fpset.directory)
    ]


def prober_for(fpset: FingerprintSet, key: FingerprintKey) -> DigestProber | CompanionProber:
    """The prober of ``fpset``: with its canary companions when it has any."""
    main = DigestProber(fpset)
    extras = open_companions(fpset, key)
    if not extras:
        return main
    return CompanionProber(main, [DigestProber(s) for s in extras])


__all__ = [
    "CANARY_PREFIX",
    "CompanionProber",
    "companion_dirs",
    "companion_root",
    "is_canary_ref",
    "matcher_for",
    "open_companions",
    "prober_for",
]


def matcher_for(fpset: FingerprintSet, key: FingerprintKey) -> Matcher:
    """A matcher over ``fpset`` and its canary companions (the production entry point)."""
    return Matcher(fpset, prober=prober_for(fpset, key))
