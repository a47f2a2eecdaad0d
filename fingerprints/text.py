"""Common text preparation applied before every field normalizer (SPEC 3.2).

``prepare`` runs, in order: drop invisible characters (zero-width characters, BOM,
variation selectors), unify the CP932/JIS twin characters, NFKC, and fold dash-like
characters that sit between two ASCII digits to ``-``. It does not trim: that is
left to the normalizers. ``prepare`` is idempotent.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["DASH_CHARS", "prepare"]

#: Dash-like characters (japan.md rule 5). After NFKC the half-width prolonged
#: sound mark ``ｰ`` has become ``ー``; both are listed so the class also works on
#: unprepared text.
DASH_CHARS = "-－﹣−‐⁃‑‒–—﹘―⎯⏤ーｰ─━"

_INVISIBLE = (
    [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]
    + list(range(0xFE00, 0xFE10))
    + list(range(0xE0100, 0xE01F0))
)

# Both members of each pair come from one JIS byte sequence; which one a file holds
# depends only on the converter that wrote it, so they must hash alike. Targets are
# NFKC-stable, so a second pass leaves them alone.
_TWINS = {
    "〜": "~",
    "～": "~",
    "−": "-",
    "－": "-",
    "―": "—",
    "∥": "‖",
    "￠": "¢",
    "￡": "£",
    "￢": "¬",
}

_TABLE: dict[int, str | None] = {cp: None for cp in _INVISIBLE}
_TABLE.update({ord(k): v for k, v in _TWINS.items()})

# A regex search is far cheaper than str.translate over long non-ASCII text, so
# translate only when one of the characters is actually present.
_SPECIAL = re.compile(
    "[\u200b-\u200d\u2060\ufeff\ufe00-\ufe0f\U000e0100-\U000e01ef"
    + re.escape("".join(_TWINS))
    + "]"
)

_DASH_BETWEEN_DIGITS = re.compile(
    "(?<=[0-9])[" + re.escape(DASH_CHARS) + "](?=[0-9])"
)


def _clean(text: str) -> str:
    if _SPECIAL.search(text) is not None:
        return text.translate(_TABLE)
    return text


def prepare(text: str) -> str:
    """Apply the common normalization steps of SPEC 3.2 to ``text``.

    Idempotent: ``prepare(prepare(s)) == prepare(s)``. Leading and trailing white
    space is kept (normalizers trim).
    """
    text = _clean(text)
    if not unicodedata.is_normalized("NFKC", text):
        # NFKC can create characters we remove or unify (e.g. superscript minus
        # becomes U+2212), and removing them can leave text un-normalized again;
        # loop until stable (one extra round at most in practice).
        while True:
            text = unicodedata.normalize("NFKC", text)
            cleaned = _clean(text)
            if cleaned == text:
                break
            text = cleaned
            if unicodedata.is_normalized("NFKC", text):
                break
    if "-" in text or not text.isascii():
        text = _DASH_BETWEEN_DIGITS.sub("-", text)
    return text
