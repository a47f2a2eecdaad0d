"""User-written regular expressions (``follow``, ``allow_offsite``), compiled with RE2.

A sources file comes from an operator, but its patterns run on links that hostile
pages write. Python's ``re`` backtracks: ``(a+)+$`` against forty ``a``s and a ``b``
takes longer than the universe, and one such link would stop a crawl and the
scheduler behind it. RE2 (``google-re2``) matches in time linear in the input, with
no backtracking; patterns it cannot run (backreferences, look-around) are refused
when the sources file is loaded, with one line naming the field. docs/design.md
records the choice.
"""

from __future__ import annotations

from typing import Protocol

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print to stderr itself; the error is raised instead


class PatternError(ValueError):
    """A pattern RE2 cannot compile (the message says why, in one line)."""


class Pattern(Protocol):
    """What callers use of a compiled pattern."""

    @property
    def pattern(self) -> str: ...

    def search(self, text: str) -> object | None: ...


def compile_pattern(pattern: str) -> Pattern:
    """``pattern`` compiled with RE2 (linear-time matching), or :class:`PatternError`."""
    try:
        compiled: Pattern = re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(f"{reason} (patterns run on RE2, without backtracking: "
                           "no backreferences or look-around)") from None
    return compiled
