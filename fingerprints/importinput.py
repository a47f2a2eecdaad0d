"""The import's input side: the source file (digest, encoding, lines, delimiter) and
the checks that refuse an import before anything is built (contact values as ids),
plus the duplicate-id set. Messages are one line and never hold a value."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from fingerprints.decode import decode_bytes
from fingerprints.normalizers import KindRegistry

SNIFF_BYTES = 1 << 20
ID_SAMPLE_ROWS = 1000  # rows whose id is checked for contact values before anything is built
_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SEEN_BYTES_PER_RECORD = 16  # SeenRefs: 8 bytes a record, twice while it grows


class ImportFailed(Exception):
    """The import was refused or aborted; the message is one line and value-free."""


def source_digest(path: Path) -> tuple[str, int]:
    """SHA-256 of the file and its number of line feeds, in one pass at C speed."""
    h = hashlib.sha256()
    lines = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
            lines += block.count(b"\n")
    return h.hexdigest(), lines


def sniff_encoding(path: Path) -> str:
    """Detect the file's encoding from its first megabyte (SPEC 5.3 cascade)."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head:
        raise ImportFailed(f"{path.name}: the file is empty")
    return decode_bytes(head).encoding


def _normalise_encoding(name: str) -> str:
    lowered = name.lower().replace("-", "_")
    if lowered.startswith(("shift_jis", "sjis", "shiftjis", "ms932", "windows_31j")):
        return "cp932"  # never decode Shift_JIS-family bytes as anything but cp932
    if lowered in ("utf_8", "utf8"):
        return "utf-8"
    return name


def decoded_lines(path: Path, encoding: str, bad_lines: set[int]) -> Iterator[str]:
    """Yield decoded physical lines; undecodable ones are noted by line number."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError:
                bad_lines.add(number)
                # Decode the content alone so a broken trailing byte cannot eat the newline
                # and glue the next row onto this one.
                content = raw.rstrip(b"\r\n")
                line = content.decode(encoding, errors="replace") + "\n"
            if number == 1 and line.startswith("\ufeff"):
                line = line[1:]
            yield line


def sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", "|", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def resolve_encoding(path: Path, encoding: str) -> str:
    """The codec to read ``path`` with; one-line refusals for what cannot be read."""
    detected = sniff_encoding(path) if encoding == "auto" else encoding
    if detected.startswith("mixed:"):
        parts = " and ".join(detected.removeprefix("mixed:").split("+"))
        raise ImportFailed(
            f"{path.name}: its lines are in more than one encoding ({parts}): convert the "
            "file to one encoding, or give --encoding to read it as one (lines that do not "
            "decode are then skipped as bad rows)"
        )
    enc = _normalise_encoding(detected)
    try:
        "".encode(enc)
    except LookupError:
        raise ImportFailed(
            f"unknown encoding {detected!r} (give --encoding utf-8, utf-8-sig, cp932 or euc-jp)"
        ) from None
    return enc


def check_id_values(column: str, refs: Iterable[str], registry: KindRegistry) -> None:
    """Refuse an id column whose sampled values mostly look like e-mails or phones.

    Record references are stored and shown (SPEC 10.2): they must be opaque ids. The
    message gives counts only, never a value.
    """
    phone = registry.get("phone")
    sampled = emails = phones = 0
    for ref in refs:
        if not ref:
            continue
        sampled += 1
        if _EMAIL_SHAPE.match(ref):
            emails += 1
        elif phone.canonical(ref) is not None:
            phones += 1
    for count, what in ((emails, "e-mail addresses"), (phones, "phone numbers")):
        if sampled and 2 * count > sampled:
            raise ImportFailed(
                f"--id-column {column!r}: {count} of the first {sampled} ids look like "
                f"{what}; record references must be pseudonymous ids (a customer or "
                "contract number): choose another column"
            )


class SeenRefs:
    """Record ids seen so far, as 64-bit hashes: 8 bytes a record, not a str each.

    A hash collision (about n²/2⁶⁵: 3·10⁻⁴ at 100M records) would report one record as
    a duplicate id; it can never merge two records.
    """

    def __init__(self) -> None:
        self._sorted = np.empty(0, dtype=np.int64)
        self._recent: set[int] = set()

    @property
    def recent(self) -> set[int]:
        """Hashes added since the last ``compact()`` (callers add to it)."""
        return self._recent

    def known(self, hashes: list[int]) -> list[bool]:
        """Whether each hash is in the sorted array (one vectorized search)."""
        a = self._sorted
        if not len(a):
            return [False] * len(hashes)
        q = np.array(hashes, dtype=np.int64)
        i = np.minimum(a.searchsorted(q), len(a) - 1)
        found: list[bool] = (a[i] == q).tolist()
        return found

    def compact(self) -> None:
        """Merge the recent hashes into the sorted array once there are enough."""
        if len(self._recent) >= 1 << 16:
            new = np.sort(np.fromiter(self._recent, dtype=np.int64, count=len(self._recent)))
            self._sorted = np.insert(self._sorted, self._sorted.searchsorted(new), new)
            self._recent.clear()
