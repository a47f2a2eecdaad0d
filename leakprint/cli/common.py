"""Shared CLI plumbing: settings and database per invocation, errors as one line + exit 2."""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from sqlalchemy.exc import OperationalError

from fingerprints.errors import FingerprintSetError
from leakprint import outputs
from leakprint.audit import AuditAnchor
from leakprint.config import ConfigError, Settings, load_settings
from leakprint.db import Database, open_database
from leakprint.db.engine import DatabaseError
from leakprint.inputs import InputError
from leakprint.runs import outage_reason

F = TypeVar("F", bound=Callable[..., Any])

# Failures a responder can fix; anything else is a bug and keeps its traceback.
USER_ERRORS: tuple[type[Exception], ...] = (ConfigError, DatabaseError, FingerprintSetError)


SHORT_WRITE = re.compile(r"\d+ requested and \d+ written")


class UserError(click.ClickException):
    """A one-line error with exit status 2 (usage or input problem)."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class OneLineErrors(click.Group):
    """Usage errors and other click errors as one ``error: …`` line on stderr with exit
    status 2 (SPEC 7), wherever they are raised below this group; a group called
    without a command still shows its help."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            raise _one_line(exc) from None
        except (OperationalError, sqlite3.OperationalError) as exc:
            # Locked, full, or unreachable: the responder's to fix, not a bug report.
            raise UserError(f"database unavailable: {outage_reason(exc)}") from None
        except OSError as exc:
            # numpy's ``tofile`` reports a short write (a full disk) without an errno.
            short_write = exc.errno is None and SHORT_WRITE.fullmatch(str(exc)) is not None
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT) and not short_write:
                raise
            where = f" ({exc.filename})" if exc.filename else ""
            reason = exc.strerror or os.strerror(errno.ENOSPC)
            raise UserError(f"disk full: {reason}{where}") from None


def _one_line(exc: click.ClickException) -> click.ClickException:
    if isinstance(exc, UserError) or type(exc).__name__ == "NoArgsIsHelpError":
        return exc
    message = " ".join(exc.format_message().split())
    if isinstance(exc, click.UsageError) and exc.ctx is not None:
        message += f" (see `{exc.ctx.command_path} --help`)"
    return UserError(message)


@dataclass
class AppContext:
    """What every command gets: lazily loaded settings and database."""

    home: Path | None = None
    _settings: Settings | None = None
    _db: Database | None = None
    console: Console = field(default_factory=lambda: Console(stderr=True))
    out: Console = field(default_factory=lambda: Console(soft_wrap=True))

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.home)
            for line in self._settings.warnings():
                click.echo(f"warning: {line}", err=True)
        return self._settings

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = open_database(self.settings.database_url)
            self._db.audit_anchor = audit_anchor(self.settings)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def audit_anchor(settings: Settings) -> AuditAnchor:
    """The deployment's audit anchor (its key loaded only when it is used)."""
    return AuditAnchor(settings.anchor_path, settings.load_key)


pass_app = click.make_pass_decorator(AppContext)


#: The flag of each input field a domain error may name (leakprint.inputs), where it
#: is not ``--`` and the field's name with dashes.
FLAGS: dict[str, str] = {"period": "--for", "datasets": "--dataset", "sources": "--source",
                         "urls": "--url"}


def flag(field: str) -> str:
    """The CLI flag of a domain input field."""
    return FLAGS.get(field) or "--" + field.replace("_", "-")


def user_errors(*extra: type[Exception]) -> Callable[[F], F]:
    """Turn known failures into ``error: …`` on stderr with exit status 2 (the fields
    an :class:`~leakprint.inputs.InputError` names shown as their flags)."""

    def decorate(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except (*USER_ERRORS, *extra) as exc:
                raise UserError(one_line(exc)) from None

        return wrapper  # type: ignore[return-value]

    return decorate


def one_line(exc: BaseException) -> str:
    """An error's message as the CLI shows it: its first line, fields as flags."""
    text = exc.render(flag) if isinstance(exc, InputError) else str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def format_option(func: F) -> F:
    """``--format table|json|csv`` and its alias ``--json``; the command receives the
    chosen name as ``output`` (``table`` unless asked otherwise) and prints its own
    table for ``table``, ``emit(output, data)`` for the others (``leakprint.outputs``)."""

    @wraps(func)
    def wrapper(*args: Any, output: str | None, as_json: bool, **kwargs: Any) -> Any:
        if as_json and output not in (None, "json"):
            raise click.UsageError(f"--json is --format json: give --format {output} alone")
        return func(*args, output="json" if as_json else output or outputs.TABLE, **kwargs)

    wrapper = click.option("--json", "as_json", is_flag=True,
                           help="Same as --format json.")(wrapper)
    wrapper = click.option(
        "--format", "output", type=click.Choice(outputs.NAMES),
        help="Print a table (the default), JSON, or CSV (the JSON's fields, one row each; "
             "safe to open in a spreadsheet).")(wrapper)
    return wrapper  # type: ignore[return-value]


def emit(output: str, data: Any, columns: Sequence[str] | None = None) -> None:
    """Write JSON-shaped ``data`` to stdout in the machine-readable format ``output``;
    a listing gives its ``columns`` (its rows' keys) so that, empty, it still has them."""
    outputs.emit(output, data, columns=columns)


@contextmanager
def progress_bar(console: Console, description: str, total: int | None) -> Iterator[Any]:
    """A rich progress bar on a terminal, nothing when output is redirected."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if not console.is_terminal:
        yield lambda n: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        *([TimeRemainingColumn()] if total else []),
        console=console,
        transient=True,
    ) as prog:
        task = prog.add_task(description, total=total)
        yield lambda n: prog.update(task, completed=n)
