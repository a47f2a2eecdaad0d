"""Machine-readable output formats of the listing commands: name → writer.

Every command with a ``--format`` option prints its own table for ``table``
and hands the JSON-shaped data (a list of rows, or one object) to the writer of
any other format. A writer takes that data and a text stream. Adding a format
(SARIF, say) is one module in this package declaring ``NAME``, ``ORDER`` (its place
among the choices) and a ``write(data, stream)`` function: the package finds it, and
every command offers it through ``--format``.

A listing names its columns (its JSON keys, in order) so that an empty one still
has them: the data a writer gets is then a :class:`Listing`, a list with a
``columns`` attribute (CSV prints it as the header row; JSON prints ``[]``).

Example::

    emit("csv", [view.as_json() for view in views], columns=FindingView.COLUMNS)
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO

Writer = Callable[[Any, TextIO], None]

TABLE = "table"  # each command's own human-readable rendering


def _discover() -> dict[str, Writer]:
    """The writer of every module of this package that declares a ``NAME``."""
    found: list[tuple[int, str, Writer]] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        name = getattr(module, "NAME", None)
        if isinstance(name, str):
            found.append((getattr(module, "ORDER", 100), name, module.write))
    return {name: write for _, name, write in sorted(found, key=lambda f: (f[0], f[1]))}


WRITERS: dict[str, Writer] = _discover()
NAMES: tuple[str, ...] = (TABLE, *WRITERS)


class Listing(list[Any]):
    """The rows of a listing and the names of its columns (which an empty listing
    cannot show otherwise). It is a list, so a writer that ignores ``columns`` (JSON)
    writes it as one."""

    def __init__(self, rows: Iterable[Any] = (), columns: Sequence[str] = ()) -> None:
        super().__init__(rows)
        self.columns: tuple[str, ...] = tuple(columns)


def emit(name: str, data: Any, stream: TextIO | None = None, *,
         columns: Sequence[str] | None = None) -> None:
    """Write ``data`` (JSON-shaped: dicts, lists, strings, numbers) in format ``name``;
    ``columns`` names a listing's columns (its rows' keys), for when it is empty."""
    if columns is not None:
        data = Listing(data, columns)
    WRITERS[name](data, stream if stream is not None else sys.stdout)


__all__ = ["NAMES", "TABLE", "WRITERS", "Listing", "Writer", "emit"]
