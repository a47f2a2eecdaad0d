"""Machine-readable output formats of the listing commands: name → writer.

Every command with a ``--format`` option prints its own table for ``table``
and hands the JSON-shaped data (a list of rows, or one object) to the writer of
any other format. A writer takes that data and a text stream. Adding a format
(SARIF, say) is one module here with a ``write(data, stream)`` function, plus
its entry in `WRITERS`; the commands pick it up through ``--format``.

Example::

    emit("csv", [view.as_json() for view in views])
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO

from leakprint.outputs import csvout, jsonout

Writer = Callable[[Any, TextIO], None]

TABLE = "table"  # each command's own human-readable rendering
WRITERS: dict[str, Writer] = {
    "json": jsonout.write,
    "csv": csvout.write,
}
NAMES: tuple[str, ...] = (TABLE, *WRITERS)


def emit(name: str, data: Any, stream: TextIO | None = None) -> None:
    """Write ``data`` (JSON-shaped: dicts, lists, strings, numbers) in format ``name``."""
    WRITERS[name](data, stream if stream is not None else sys.stdout)


__all__ = ["NAMES", "TABLE", "WRITERS", "Writer", "emit"]
