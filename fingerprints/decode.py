"""Bytes → text for Japanese documents (SPEC 5.3, japan.md §4).

Cascade: BOM → ISO-2022-JP escapes → strict UTF-8 → CP932 vs EUC-JP scored by
Japanese plausibility → per-line decoding for mixed files → charset-normalizer,
with any ``shift_jis*`` answer read as ``cp932``. Shift_JIS-family bytes are only
ever decoded as ``cp932``: ``shift_jis_2004`` turns ``髙`` (0xFBFC) into ``騠``.
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass

from fingerprints import native

__all__ = ["Decoded", "decode_bytes", "japanese_score", "utf8_length"]


@dataclass(frozen=True)
class Decoded:
    """Decoded text, the codec used, and whether any bytes were replaced/dropped."""

    text: str
    encoding: str
    lossy: bool


_ISO2022_CODECS = ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2004", "iso2022_jp_2")
_LEGACY = ("cp932", "euc_jp")
_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b(J", b"\x1b(B", b"\x1b$(Q", b"\x1b$(O", b"\x1b(I")
# Scoring a sample is enough to tell CP932 from EUC-JP; scoring megabytes is not.
_SAMPLE_CHARS = 200_000
_CUT_PENALTY = 5.0


def _level1_kanji() -> str:
    # JIS X 0208 level-1 kanji (CP932 lead bytes 0x88-0x98) are the common ones;
    # mis-decoded text lands mostly in level 2 or in half-width kana.
    chars = []
    for lead in range(0x88, 0x99):
        for trail in (*range(0x40, 0x7F), *range(0x80, 0xFD)):
            try:
                ch = bytes((lead, trail)).decode("cp932")
            except UnicodeDecodeError:
                continue
            if "\u4e00" <= ch <= "\u9fff":
                chars.append(ch)
    return "".join(chars)


@functools.cache
def _scores() -> tuple[tuple[re.Pattern[str], float], ...]:
    # Built on first use (about 8 ms: thousands of CP932 decodes and a large class):
    # only guessing an encoding scores text, and a spawned scan worker is told it.
    return (
        (re.compile("[\u3041-\u309f]"), 3.0),  # hiragana
        (re.compile("[\u30a1-\u30fe]"), 2.0),  # katakana, ー
        (re.compile("[\u3000-\u3003\u300c\u300d\uff08\uff09\uff0c\uff1a]"), 1.0),  # 、。「」（）
        (re.compile("[" + _level1_kanji() + "]"), 1.5),
        # EUC-JP read as CP932 turns the hiragana row (0xA4) into ､ + half-width kana;
        # real half-width kana (ﾌﾘｶﾞﾅ columns) is common and only lightly penalised.
        (re.compile("[\uff61-\uff65]"), -3.0),
        (re.compile("[\uff66-\uff9f]"), -0.25),
        (re.compile("[\u2500-\u257f]"), -2.0),  # box drawing
        (re.compile("[\u0080-\u009f\x00-\x08\x0b\x0c\x0e-\x1f]"), -4.0),  # controls
        (re.compile("[\ue000-\uf8ff]"), -4.0),  # private use (CP932 user-defined area)
        (re.compile("\ufffd"), -6.0),
    )


def japanese_score(text: str) -> float:
    """Plausibility of ``text`` as Japanese; only comparable for one byte string."""
    sample = text[:_SAMPLE_CHARS]
    return sum(weight * len(pattern.findall(sample)) for pattern, weight in _scores())


_TRUNCATED = frozenset({"unexpected end of data", "incomplete multibyte sequence"})


def _strict(data: bytes, encoding: str, *, allow_cut: bool = True) -> tuple[str, bool] | None:
    """Strict decode; a character cut off at the very end is dropped, nothing else.

    Returns ``(text, dropped_bytes)`` or ``None``.
    """
    try:
        return data.decode(encoding), False
    except UnicodeDecodeError as exc:
        # Paste sites truncate: only an incomplete sequence running into the end
        # of the data may be dropped, never an invalid byte in the middle.
        if not allow_cut or exc.reason not in _TRUNCATED or exc.start < len(data) - 3:
            return None
        cut_at = exc.start
    try:
        return data[:cut_at].decode(encoding), True
    except UnicodeDecodeError:
        return None


def _best_legacy(data: bytes) -> tuple[str, str, bool] | None:
    """Decode with CP932 and EUC-JP; the more Japanese-looking strict result wins."""
    found: list[tuple[float, int, str, str, bool]] = []
    for rank, encoding in enumerate(_LEGACY):
        result = _strict(data, encoding)
        if result is not None:
            text, cut = result
            # Rank breaks ties in favour of CP932, the common Windows/Excel export.
            found.append((japanese_score(text), -rank, text, encoding, cut))
    if not found:
        return None
    # Dropping a cut-off trailing character costs a little, so a clean decode wins
    # unless the other reading is clearly more Japanese.
    _, _, text, encoding, cut = max(found, key=lambda f: (f[0] - _CUT_PENALTY * f[4], f[1]))
    return text, encoding, cut


def _line_is_utf8(line: bytes) -> bool:
    if line.isascii():
        return False
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_line(line: bytes) -> tuple[str, str, bool]:
    """One line: strict UTF-8, CP932 or EUC-JP, else the best replacement decode."""
    if line.isascii():
        return line.decode("ascii"), "ascii", False
    try:
        return line.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    best = _best_legacy(line)
    if best is not None:
        return best
    candidates = [(japanese_score(line.decode(enc, "replace")), enc) for enc in ("utf-8", *_LEGACY)]
    _, encoding = max(candidates)
    return line.decode(encoding, "replace"), encoding, True


def _per_line(data: bytes) -> Decoded:
    parts: list[str] = []
    encodings: set[str] = set()
    lossy = False
    for line in data.splitlines(keepends=True):
        text, encoding, line_lossy = _decode_line(line)
        parts.append(text)
        if encoding != "ascii":
            encodings.add(encoding)
        lossy = lossy or line_lossy
    if len(encodings) > 1:
        label = "mixed:" + "+".join(sorted(encodings))
    else:
        label = encodings.pop() if encodings else "ascii"
    return Decoded("".join(parts), label, lossy)


def _charset_normalizer(data: bytes) -> Decoded | None:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except Exception:  # the detector is a heuristic; it must never fail a decode
        return None
    if best is None or not best.encoding:
        return None
    encoding = best.encoding.lower()
    if encoding.startswith(("shift_jis", "sjis", "shift-jis", "ms932", "windows-31j")):
        encoding = "cp932"
    try:
        codecs.lookup(encoding)
    except LookupError:
        return None
    text = data.decode(encoding, "replace")
    return Decoded(text, encoding, "\ufffd" in text)


def _decode(data: bytes) -> Decoded:
    if not data:
        return Decoded("", "utf-8", False)
    if data.startswith(codecs.BOM_UTF8):
        return _with_fallback(data, "utf-8-sig")
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) and len(data) % 4 == 0:
        try:
            return Decoded(data.decode("utf-32"), "utf-32", False)
        except UnicodeDecodeError:
            pass
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _with_fallback(data, "utf-16")
    if data.isascii() and b"\x1b" in data and any(e in data for e in _ESCAPES):
        for encoding in _ISO2022_CODECS:
            result = _strict(data, encoding, allow_cut=False)
            if result is not None:
                return Decoded(result[0], encoding, False)
        return _with_fallback(data, "iso2022_jp_ext")
    if data.isascii():
        return Decoded(data.decode("ascii"), "utf-8", False)
    utf8 = _strict(data, "utf-8")
    if utf8 is not None:
        return Decoded(utf8[0], "utf-8", utf8[1])
    lines = data.splitlines()
    if len(lines) > 1 and any(_line_is_utf8(line) for line in lines):
        # Some lines are valid UTF-8 and the file as a whole is not: a mixed file
        # (e.g. pastes concatenated from several sources).
        return _per_line(data)
    legacy = _best_legacy(data)
    if legacy is not None:
        text, encoding, cut = legacy
        return Decoded(text, encoding, cut)
    per_line = _per_line(data)
    if not per_line.lossy:
        return per_line
    # Nothing Japanese decodes cleanly: maybe it is not Japanese at all.
    detected = _charset_normalizer(data)
    if detected is not None and japanese_score(detected.text) > japanese_score(per_line.text):
        return detected
    return per_line


def _with_fallback(data: bytes, encoding: str) -> Decoded:
    result = _strict(data, encoding)
    if result is not None:
        return Decoded(result[0], encoding, result[1])
    return Decoded(data.decode(encoding, "replace"), encoding, True)


def decode_bytes(data: bytes | bytearray | memoryview) -> Decoded:
    """Decode a document's bytes; never raises.

    ``lossy`` is true when some bytes could not be decoded and were replaced with
    U+FFFD or, for a character cut off at the very end, dropped.
    """
    try:
        return _decode(bytes(data))
    except Exception:  # last resort: a decoder bug must not lose the document
        return Decoded(bytes(data).decode("utf-8", "replace"), "utf-8", True)


def utf8_length(text: str) -> int:
    """``len(text.encode("utf-8", "replace"))``: the bytes a decoded document stands
    for (counted in C without making them, when the native core is there)."""
    core = native.CORE
    return core.utf8_length(text) if core is not None else len(text.encode("utf-8", "replace"))
