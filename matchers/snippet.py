"""Shape-only snippets (SPEC 4 step 6).

An example row is rendered with every cell that is, or merely resembles,
personal data replaced by its kind and length: ``⟨name:4⟩,⟨name_kana:6⟩,⟨phone⟩,
⟨email⟩,⟨address:18⟩``. Kept verbatim: delimiters, punctuation-only cells,
a few harmless tokens (``NULL``, ``true``), and header names / JSON keys / SQL
columns that the import's header table knows (``電話番号``, ``email``).
Everything else becomes a shape, so no character of a matched value and no run
of four or more digits can appear; a final pass enforces the digit rule and
removes any matched canonical value should one have slipped through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from fingerprints import native
from fingerprints.normalizers import CONTACT_KINDS
from matchers.headers import known_header
from matchers.rows import Row

MAX_SNIPPET: Final = 300
_KEEP: Final = frozenset({"NULL", "null", "None", "true", "false", "TRUE", "FALSE", "nil"})
_PUNCT_ONLY = re.compile(r"[\s\-_=*#.,:;/|()\[\]{}<>'\"`~!?+]*")
_DIGITS = re.compile(r"[0-9]")
_DIGIT_RUN4 = re.compile(r"[0-9]{4,}")
_CJK = re.compile(
    "[\u3005-\u3007\u3041-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
# Prose tokens: e-mail-like, digit runs with separators, kanji/kana runs, words.
_PROSE_TOKEN = re.compile(
    r"[A-Za-z0-9._%+\-]*@[A-Za-z0-9.\-]*"
    r"|\+?\(?[0-9][0-9()\-. ]*[0-9]|[0-9]"
    r"|[\u3005-\u3007\u3041-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
    r"|[A-Za-z][A-Za-z0-9_]*"
    r"|[^\x00-\x7f\s]+"
)
# Contact kinds are shown without their length (``Normalizer.contact``).
_NO_LENGTH: Final = CONTACT_KINDS


def shape(kind: str, value: str) -> str:
    """``⟨kind:len⟩`` (or ``⟨phone⟩`` / ``⟨email⟩``) for one value."""
    if kind in _NO_LENGTH:
        return f"⟨{kind}⟩"
    n = min(len("".join(value.split())), 999)
    return f"⟨{kind}:{n}⟩"


def shape_unknown(value: str) -> str:
    """The shape of a cell no kind was matched for, by what it resembles."""
    v = value.strip()
    if not v or v in _KEEP or _PUNCT_ONLY.fullmatch(v):
        return v
    if "@" in v:
        return "⟨email⟩"
    digits = len(_DIGITS.findall(v))
    if digits >= 10 and not _CJK.search(v) and digits >= len(v) * 0.6:
        return "⟨phone⟩"
    if digits and digits == len(v.replace("-", "").replace("/", "").replace(".", "")):
        return shape("digits", v)
    return shape("text", v)


def _key(name: str) -> str:
    """A header / key is shown only when the import's header table knows it."""
    n = name.strip()
    if n and len(n) <= 24 and not _DIGITS.search(n) and known_header(n):
        return n
    return shape("key", n) if n else n


def row_snippet(row: Row, kinds: Mapping[int, str], style: str = "table") -> str:
    """Shape of one tabular row; ``kinds`` maps cell index to the kind it holds."""
    parts: list[str] = []
    hints = row.hints
    for i, cell in enumerate(row.cells):
        kind = kinds.get(i) or (hints[i] if hints is not None and i < len(hints) else None)
        parts.append(shape(kind, cell) if kind and cell.strip() else shape_unknown(cell))
    keys = row.keys
    if style == "json" and keys is not None:
        body = ", ".join(f'"{_key(k)}": {v}' for k, v in zip(keys, parts, strict=False))
        text = "{" + body + "}"
    elif style == "sql":
        cols = f"({', '.join(_key(k) for k in keys)}) " if keys else ""
        text = f"{cols}VALUES ({', '.join(parts)})"
    else:
        text = row.joiner.join(parts)
        if keys is not None:
            text = row.joiner.join(_key(k) for k in keys) + "\n" + text
    return _finish(text)


def prose_snippet(window: str, center: int) -> str:
    """Shape of a prose window; ``center`` is the candidate's offset in ``window``."""
    half = MAX_SNIPPET // 2
    lo = max(0, center - half // 2)
    piece = window[lo : lo + half]
    core = native.CORE
    # _prose_shapes is the reference; the native pass gives the same text.
    text = core.prose_shapes(piece, _is_known_word) if core is not None else _prose_shapes(piece)
    return _finish(text)


def _prose_shapes(piece: str) -> str:
    """Every token of ``piece`` replaced by its shape, white space collapsed."""
    out: list[str] = []
    pos = 0
    for m in _PROSE_TOKEN.finditer(piece):
        out.append(piece[pos : m.start()])
        tok = m.group()
        if "@" not in tok and (_CJK.search(tok) or tok[0].isalpha()):
            out.append(tok if _is_known_word(tok) else shape("text", tok))
        else:
            out.append(shape_unknown(tok))
        pos = m.end()
    out.append(piece[pos:])
    return " ".join("".join(out).split())


def _is_known_word(tok: str) -> bool:
    # Only ASCII labels (TEL, mail) are kept in prose: a kanji run may be a name.
    return tok.isascii() and len(tok) <= 12 and known_header(tok)


def _finish(text: str) -> str:
    text = _DIGIT_RUN4.sub("⟨digits⟩", text)
    if len(text) > MAX_SNIPPET:
        cut = text.rfind("⟩", 0, MAX_SNIPPET - 1)
        text = text[: cut + 1 if cut > 0 else MAX_SNIPPET - 1] + "…"
    return text


def scrub(snippet: str, values: Iterable[str]) -> str:
    """Last guard: replace any matched canonical value (2+ characters) found verbatim."""
    for value in sorted(set(values), key=len, reverse=True):
        if len(value) >= 2 and value in snippet:
            snippet = snippet.replace(value, "⟨redacted⟩")
    return snippet


def kinds_of_cells(found: Sequence[tuple[int, str]]) -> dict[int, str]:
    """Cell index -> kind, first kind wins."""
    out: dict[int, str] = {}
    for cell, kind in found:
        out.setdefault(cell, kind)
    return out
