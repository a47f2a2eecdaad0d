"""Errors in a caller's input that name the fields they are about.

A domain function checks its own inputs and says which parameter is wrong by its
name (``every``, ``period``, ``urls``); a front end shows that name its own way —
the CLI as its flag (``--every``, ``--for``, ``--url``), see
``leakprint.cli.common.user_errors``. Written with :meth:`InputError.about`, a
message is a template whose ``{field}`` placeholders are the fields; values quoted
into it go through :func:`lit`.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Self


class InputError(Exception):
    """A one-line input problem; ``fields`` are the inputs it names (maybe none)."""

    template: str | None = None

    @classmethod
    def about(cls, template: str) -> Self:
        """An error whose message names fields as ``{field}`` placeholders."""
        err = cls(_render(template, lambda f: f))
        err.template = template
        return err

    @property
    def fields(self) -> list[str]:
        if self.template is None:
            return []
        return [f for _, f, _, _ in string.Formatter().parse(self.template) if f]

    def render(self, name: Callable[[str], str]) -> str:
        """The message, each field shown as ``name(field)``."""
        if self.template is None:
            return str(self)
        return _render(self.template, name)


def _render(template: str, name: Callable[[str], str]) -> str:
    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    return template.format_map({f: name(f) for f in fields})


def lit(value: object) -> str:
    """``repr(value)`` to quote into a template (its braces are not placeholders)."""
    return esc(repr(value))


def esc(text: str) -> str:
    """``text`` as it is, inside a template (its braces are not placeholders)."""
    return text.replace("{", "{{").replace("}", "}}")
