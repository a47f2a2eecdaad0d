"""Every command has --help with an example (sqlite-utils' test_docs idea)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from leakprint.cli import cli
from tests.leakprint.helpers import run


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
        "fingerprint verify",
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
        "contractor add",
        "contractor list",
        "contractor show",
        "handover add",
        "handover list",
        "canary mint",
        "attribute",
    ):
        assert expected in names


@pytest.mark.parametrize("path", ALL, ids=[" ".join(p) for p in ALL])
def test_help_has_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    cmd: click.Command = cli
    for part in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[part]
    assert "Example" in result.output, f"{' '.join(path)} --help has no example"


def test_the_top_level_help_has_an_example() -> None:
    assert "Example" in CliRunner().invoke(cli, ["--help"]).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan"], "give exactly one of --file, --url, or --source/--all-sources"),
        (["scan", "--file", "a", "b"], "unexpected extra argument"),
        (["no-such-command"], "No such command"),
        (["findings", "--min-confidence", "huge"], "Invalid value for '--min-confidence'"),
        (["fingerprint", "drop"], "Missing argument 'NAME'"),
    ],
)
def test_usage_errors_are_one_line_with_status_2(args: list[str], message: str) -> None:
    """SPEC 7: exit status 2 with a one-line reason (not click's usage block)."""
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1, result.output
    assert result.output.startswith("error: ") and message in result.output
    assert "--help`)" in result.output  # where to look next


@pytest.mark.parametrize(
    "path", [p for p in ALL if p[-1] == "list"] + [("findings",)], ids=lambda p: " ".join(p)
)
def test_listings_have_json(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert "--json" in result.output


@pytest.mark.parametrize("path", ALL, ids=[" ".join(p) for p in ALL])
def test_every_json_command_has_the_shared_format_option(path: tuple[str, ...]) -> None:
    """``--json`` is the alias of ``--format json`` wherever it is offered."""
    cmd: click.Command = cli
    for part in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[part]
    names = {opt: p for p in cmd.params for opt in getattr(p, "opts", [])}
    if "--json" not in names:
        return
    fmt = names.get("--format")
    assert isinstance(fmt, click.Option) and isinstance(fmt.type, click.Choice)
    assert list(fmt.type.choices) == ["table", "json", "csv"]


def test_input_errors_are_one_line_with_status_2(tmp_path: Path) -> None:
    env = {"LEAKPRINT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    assert run(tmp_path, "init", env=env).exit_code == 0
    for args, message in (
        (["findings", "show", "12"], "error: no finding 12 (see `leakprint findings`)\n"),
        (["findings", "--since", "bogus"], None),
        (["alerts", "test", "not-an-address"], "error: not an e-mail address: 'not-an-address'\n"),
        (["incident", "show", "99"], None),
    ):
        result = run(tmp_path, *args, env=env)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("error: ") and result.output.count("\n") == 1, args
        if message:
            assert result.output == message
