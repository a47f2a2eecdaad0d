"""A new output format or notification channel is one module (issue 13): dropped into
its package, it is found with nothing else edited."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import leakprint.channels as channels
import leakprint.outputs as outputs


def test_a_format_module_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tsvout.py").write_text(
        'NAME = "tsv"\nORDER = 30\n\n'
        "def write(data, stream):\n"
        '    stream.write("\\t".join(sorted(data[0])) + "\\n")\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(outputs, "__path__", [*outputs.__path__, str(tmp_path)])
    writers = outputs._discover()
    assert list(writers) == ["json", "csv", "tsv"]
    out = io.StringIO()
    writers["tsv"]([{"b": 1, "a": 2}], out)
    assert out.getvalue() == "a\tb\n"


def test_a_channel_module_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "chat.py").write_text(
        "from leakprint.channels.base import Channel\n\n"
        "def check(recipient):\n"
        "    return recipient.strip()\n\n"
        'CHANNEL = Channel("chat", check, lambda settings: None)\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(channels, "__path__", [*channels.__path__, str(tmp_path)])
    found = channels._discover()
    assert set(found) == {"mailto", "https", "chat"}
    assert found["chat"].check(" chat://room ") == "chat://room"
