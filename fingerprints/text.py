"""Common text preparation applied before every field normalizer (SPEC 3.2).

``prepare`` runs, in order: drop invisible characters (zero-width characters, BOM,
variation selectors), unify the CP932/JIS twin characters, NFKC, and fold dash-like
characters that sit between two ASCII digits to ``-``. It does not trim: that is
left to the normalizers. ``prepare`` is idempotent.
"""

from __future__ import annotations

import re
import unicodedata

from fingerprints import native

__all__ = ["DASH_CHARS", "fold_digit_dashes", "prepare", "prepare_full"]

#: Dash-like characters (japan.md rule 5). After NFKC the half-width prolonged
#: sound mark ``ｰ`` has become ``ー``; both are listed so the class also works on
#: unprepared text.
DASH_CHARS = "-－﹣−‐⁃‑‒–—﹘―⎯⏤ーｰ─━"

_INVISIBLE = [
    0x200B,
    0x200C,
    0x200D,
    0x2060,
    0xFEFF,
    *range(0xFE00, 0xFE10),
    *range(0xE0100, 0xE01F0),
]

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

_REPLACE: dict[str, str] = {chr(cp): "" for cp in _INVISIBLE}
_REPLACE.update(_TWINS)

# Only the characters NFKC leaves alone need a pass of their own: NFKC already
# maps the full-width twins (～ － ￠ ￡ ￢) to the same targets, and text that is
# NFKC-normalized cannot contain them. A regex substitution is several times
# faster than str.translate over long non-ASCII text when matches are sparse.
_SPECIAL = re.compile(
    "[\u200b-\u200d\u2060\ufeff\ufe00-\ufe0f\U000e0100-\U000e01ef"
    + re.escape("".join(c for c in _TWINS if unicodedata.normalize("NFKC", c) == c))
    + "]"
)

# The dash class comes first so the regex engine can skip ahead to candidates
# (about 3x faster than leading with a look-behind); ASCII '-' needs no folding.
_DASH_BETWEEN_DIGITS = re.compile(
    "[" + re.escape(DASH_CHARS.replace("-", "")) + "](?<=[0-9].)(?=[0-9])"
)


# Texts at least this long go to the native core piece by piece when not whole.
_PIECEWISE_MIN = 200


def _replace(match: re.Match[str]) -> str:
    return _REPLACE[match.group()]


def _clean(text: str) -> str:
    return _SPECIAL.sub(_replace, text)


def fold_digit_dashes(text: str) -> str:
    """Replace every dash-like character between two ASCII digits with ``-``."""
    return _DASH_BETWEEN_DIGITS.sub("-", text)


def prepare(text: str) -> str:
    """Apply the common normalization steps of SPEC 3.2 to ``text``.

    Idempotent: ``prepare(prepare(s)) == prepare(s)``. Leading and trailing white
    space is kept (normalizers trim).
    """
    if text.isascii():
        # Fast path, same result as the full steps: every character they remove,
        # unify or fold is non-ASCII, and ASCII text is NFKC-normalized already.
        # Most scanned cells (phone numbers, e-mail addresses, dates) are ASCII.
        return text
    core = native.CORE
    if core is not None:
        # The native pass knows the characters of most Japanese text; it answers
        # None for anything else, and the Python steps below run.
        done = core.prepare(text)
        if done is not None:
            return done
        if len(text) >= _PIECEWISE_MIN:
            # A long text (a prose page) with a few such characters: the native pass
            # prepares the pieces between line breaks and 、。 it knows, the Python
            # steps the others (the steps never look across those characters).
            return "".join(
                p if isinstance(p, str) else prepare_full(p[0]) for p in core.prepare_pieces(text)
            )
    return prepare_full(text)


def prepare_full(text: str) -> str:
    """``prepare`` without its ASCII fast path (the tests check both agree)."""
    text = _clean(text)
    if not unicodedata.is_normalized("NFKC", text):
        # NFKC can create characters we remove or unify (e.g. superscript minus
        # becomes U+2212), and removing them can leave text un-normalized again;
        # loop until stable (one extra round at most in practice).
        while True:
            text = unicodedata.normalize("NFKC", text)
            cleaned = _clean(text)
            if cleaned is text:  # re.sub returns its input when nothing matched
                break
            text = cleaned
            if unicodedata.is_normalized("NFKC", text):
                break
    # ASCII text can only hold ASCII hyphens, which need no folding.
    if not text.isascii():
        text = _DASH_BETWEEN_DIGITS.sub("-", text)
    return text
