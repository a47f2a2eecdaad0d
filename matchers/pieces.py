"""Pieces of a large document: ~8 MB texts cut on line breaks, long lines in windows.

A large file or standard input is read in pieces that end on a line break; a
line longer than a piece (a dump without line breaks) is cut into windows that
overlap, so that memory stays bounded and time linear whatever the line lengths.
Also the encoding helpers the streaming scan and ``scan_file`` share.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from typing import Final

from fingerprints.decode import decode_bytes

# Text scanned at once. Per chunk, every record that hit is scored and merged, and
# every distinct value that hit is resolved to its records again, so larger chunks
# cost less per byte (benchmarks/scan_throughput.py, 20 MB dump: 5.0 MB/s of CPU
# time at 1 MB, 6.1 at 4 MB, before later speed-ups; hit-dense 9 MB dump against
# 20,000 customers, 2026-12-05: 7.2 MB/s at 2 MB, 7.7 at 4, 8.5 at 8, 9.2 at 16).
# Memory stays bounded: an 8 MB chunk of a CSV dump is a few tens of MB of cells
# (peak RSS of that scan 233 MB at 4 MB, 269 MB at 8 MB).
CHUNK_BYTES: Final = 8 << 20
# Bytes of the first piece the encoding is detected on.
READ_PROBE: Final = 64 * 1024
# A line longer than a chunk is cut into windows that overlap by this much: more
# than a prose window (2 x 300 characters of up to 3 bytes) or a long table row.
LINE_OVERLAP: Final = 8 << 10
# How far back from a window's end a cut looks for a separator.
CUT_SEARCH: Final = 4 << 10

def line_chunks(chunks: Iterable[bytes], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Re-cut arbitrary byte pieces into ~``size`` pieces that end on a line break
    (a line longer than ``size`` is cut into overlapping windows, see :func:`line_pieces`)."""
    for piece, _fresh in line_pieces(chunks, size):
        yield piece


def line_pieces(
    chunks: Iterable[bytes], size: int = CHUNK_BYTES, slack: int = 0
) -> Iterator[tuple[bytes, int]]:
    """``(piece, fresh bytes)``: ~``size`` pieces ending on a line break.

    With ``slack``, a piece is cut only once ``size + slack`` bytes are in, so the
    end of the input leaves one last piece of up to ``size + slack`` bytes, never a
    sliver (a piece costs less per byte the larger it is): for input whose length
    is not known in advance, such as standard input.

    A line longer than ``size`` (a dump without line breaks) is cut into windows
    of ``size`` bytes that overlap by :data:`LINE_OVERLAP` bytes, so that a record
    cut by one window's end is whole in the next; ``fresh`` is the number of bytes
    of the piece that no earlier piece held. Every byte is searched for a line
    break once, and the buffer never holds much more than ``size + slack`` plus one
    read piece: linear time, bounded memory, whatever the line lengths.
    """
    pending: list[bytes] = []  # reads not yet handed on, in order
    have = 0  # their bytes
    carried = 0  # bytes at the start of pending that the previous piece held too
    # Small windows (tests) keep overlap and cut search within a quarter each, so
    # every window moves on by at least a quarter of its size.
    overlap = min(LINE_OVERLAP, size // 4)
    search = min(CUT_SEARCH, size // 4)
    for data in chunks:
        pending.append(data)
        have += len(data)
        if have < size + slack:
            continue
        # The reads are joined once a piece's worth is in (one copy of each byte; a
        # growing buffer cut at the front copied each byte three times), and pieces
        # are slices of the joined bytes: a read that is a whole piece is handed on
        # as it is.
        buf = bytes(pending[0]) if len(pending) == 1 else b"".join(pending)
        pos = 0  # what is left of buf starts here (positions below are in buf)
        while len(buf) - pos >= size + slack:
            cut = buf.rfind(b"\n", pos, pos + size)
            if cut >= 0:
                yield buf[pos : cut + 1], cut + 1 - pos - carried
                pos = cut + 1
                carried = 0
                continue
            # No line break in a whole window: cut the line (at a byte that ends a
            # character in every supported encoding) and keep an overlap.
            end = safe_cut(buf, pos + size, search)
            yield buf[pos:end], end - pos - carried
            start = safe_cut(buf, end - overlap, search)
            carried = end - start
            pos = start
        pending = [buf[pos:]] if pos < len(buf) else []
        have = len(buf) - pos
    if have:
        yield (bytes(pending[0]) if len(pending) == 1 else b"".join(pending)), have - carried


def safe_cut(buf: bytes | bytearray, end: int, search: int = CUT_SEARCH) -> int:
    """A position within ``search`` bytes before ``end`` to cut a byte string at:
    after a separator if there is one close by, else after a byte below 0x40
    (never inside a character in UTF-8, Shift_JIS/CP932 or EUC-JP), else at a
    UTF-8 character boundary."""
    lo = max(0, end - search)
    for sep in (b" ", b",", b"\t", b"|", b";"):
        at = buf.rfind(sep, lo, end)
        if at >= 0:
            return at + 1
    for at in range(end - 1, lo - 1, -1):
        if buf[at] < 0x40:
            return at + 1
    at = end
    while at > lo and at < len(buf) and 0x80 <= buf[at] < 0xC0:
        at -= 1
    return at if at > lo else end


def detect_encoding(head: bytes) -> str:
    """The encoding of a document from its first bytes.

    The probe is cut to a multiple of 4 bytes: a piece cut after a ``\\n`` byte
    has odd length in UTF-16 and would not decode as such.
    """
    probe = head[:READ_PROBE]
    return decode_bytes(probe[: len(probe) - len(probe) % 4]).encoding


def is_wide(encoding: str) -> bool:
    """UTF-16/32: encodings in which a ``\\n`` byte need not be a line break."""
    e = encoding.lower().replace("_", "-")
    return e.startswith(("utf-16", "utf-32"))


def wide_text_chunks(raw: Iterable[bytes], encoding: str) -> Iterator[tuple[str, int, bool]]:
    """Incrementally decode UTF-16/32 bytes into ~1 MB texts ending on a line break.

    Yields ``(text, bytes consumed, lossy)``.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    carry = ""
    size = 0
    window = CHUNK_BYTES // 2
    for data in raw:
        size += len(data)
        carry += decoder.decode(data)
        while len(carry) >= window:
            cut = carry.rfind("\n", 0, window)
            if cut >= 0:
                text, carry = carry[: cut + 1], carry[cut + 1 :]
            else:
                # A line longer than a window: cut it, keeping an overlap (in characters).
                text = carry[:window]
                carry = carry[window - LINE_OVERLAP // 2 :]
            yield text, size, "\ufffd" in text
            size = 0
    carry += decoder.decode(b"", final=True)
    if carry or size:
        yield carry, size, "\ufffd" in carry


def decode_piece(piece: bytes, encoding: str | None) -> tuple[str, str, bool]:
    """Decode one piece of a document with its codec (``None``: detect it).

    Falls back to detection when the piece does not decode (a mixed file).
    """
    if encoding is not None:
        codec = "utf-8" if encoding in ("utf-8-sig", "utf_8_sig") else encoding
        try:
            return piece.decode(codec), encoding, False
        except (UnicodeDecodeError, LookupError):
            pass
    decoded = decode_bytes(piece)
    return decoded.text, encoding or decoded.encoding, decoded.lossy
