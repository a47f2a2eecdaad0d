"""Every command has --help with an example (sqlite-utils' test_docs idea)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from leakprint.cli import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, cmd in group.commands.items():
        path = (*prefix, name)
        found.append(path)
        if isinstance(cmd, click.Group):
            found.extend(_commands(cmd, path))
    return found


ALL = _commands(cli)


def test_the_spec_commands_exist() -> None:
    names = {" ".join(p) for p in ALL}
    for expected in (
        "init",
        "fingerprint import",
        "fingerprint list",
        "fingerprint drop",
        "scan",
        "search",
        "findings",
        "findings show",
        "incident open",
        "incident list",
        "incident show",
        "incident close",
        "sources list",
        "sources check",
        "serve",
        "alerts send",
        "alerts test",
        "alerts list",
        "demo",
    ):
        assert expected in names


@pytest.mark.parametrize("path", ALL, ids=[" ".join(p) for p in ALL])
def test_help_has_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    cmd = cli
    for part in path:
        cmd = cmd.commands[part]  # type: ignore[attr-defined]
    if not isinstance(cmd, click.Group):
        assert "Example" in result.output, f"{' '.join(path)} --help has no example"


@pytest.mark.parametrize(
    "path", [p for p in ALL if p[-1] == "list"] + [("findings",)], ids=lambda p: " ".join(p)
)
def test_listings_have_json(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert "--json" in result.output
