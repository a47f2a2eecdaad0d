"""``--format json`` (and ``--json``): the data as indented UTF-8 JSON, one document."""

from __future__ import annotations

import json
from typing import Any, TextIO

NAME = "json"
ORDER = 10  # place among the --format choices


def write(data: Any, stream: TextIO) -> None:
    """Indented JSON; non-ASCII kept as is; anything else JSON lacks (a date) as text."""
    stream.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
