"""``leakprint fingerprint import|list|verify|drop`` (``shred|rekey``: cli/shred_cmd.py)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from fingerprints.errors import FingerprintSetError
from fingerprints.importer import ColumnPlan
from fingerprints.normalizers import BUILTIN
from fingerprints.streambuild import parse_memory
from leakprint.cli.common import (
    AppContext,
    UserError,
    emit,
    format_option,
    pass_app,
    progress_bar,
    user_errors,
)
from leakprint.datasets import (
    DatasetError,
    DatasetInfo,
    ImportFailed,
    drop_dataset,
    import_dataset,
    list_datasets,
    verify_dataset,
)
from leakprint.setsecrets import layer_of

#: The kinds ``--map`` names: those read from columns (the folded name is derived).
MAPPABLE_KINDS = tuple(kind for kind, cls in BUILTIN.items() if cls.shown_as is None)


@click.group()
def fingerprint() -> None:
    """Build, list, verify, drop and shred fingerprint sets (keyed digests of customer records).

    \b
    Example:
      leakprint fingerprint import customers.csv --dataset crm-2026 --id-column 顧客ID
      leakprint fingerprint list --json
      leakprint fingerprint shred crm-2019     # every copy of the set matches nothing
    """


def _parse_map(values: tuple[str, ...]) -> dict[str, str] | None:
    if not values:
        return None
    mapping: dict[str, str] = {}
    for item in values:
        column, sep, kind = item.partition("=")
        if not sep or not column or not kind:
            raise click.BadParameter(f"{item!r}: expected COLUMN=KIND", param_hint="--map")
        mapping[column.strip()] = kind.strip()
    return mapping


@fingerprint.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dataset", "name", required=True, help="Name of the new fingerprint set.")
@click.option(
    "--id-column",
    required=True,
    help="Column holding your pseudonymous record id (the reference findings show).",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="COL=KIND",
    help=f"Map a column to a kind ({', '.join(MAPPABLE_KINDS)}, or a [[kind]] of "
    "leakprint.toml). Without it, headers are matched.",
)
@click.option(
    "--encoding", default="auto", show_default=True, help="auto, utf-8, utf-8-sig, cp932 or euc-jp."
)
@click.option(
    "--max-bad-rows",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 100),
    help="Fail when more than this percentage of rows is malformed.",
)
@click.option("--replace", is_flag=True, help="Replace an existing set of the same name.")
@click.option(
    "--memory",
    default="1G",
    show_default=True,
    metavar="SIZE",
    help="Memory budget of the whole import, all its processes (e.g. 512M, 4G).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that normalise and digest (default: one per core).",
)
@format_option
@pass_app
@user_errors(ImportFailed, DatasetError)
def import_cmd(
    app: AppContext,
    file: Path,
    name: str,
    id_column: str,
    maps: tuple[str, ...],
    encoding: str,
    max_bad_rows: float,
    replace: bool,
    memory: str,
    workers: int | None,
    output: str,
) -> None:
    """Fingerprint a customer CSV/TSV file (UTF-8, UTF-8-BOM, CP932 or EUC-JP).

    Bad rows are skipped and reported by row number and column, never by value.
    The set is built by streaming within --memory, whatever the number of records.
    The id column must hold pseudonymous ids (customer or contract numbers): a
    column of e-mail addresses or phone numbers is refused.

    \b
    Example:
      leakprint fingerprint import customers.csv --dataset crm-2026 --id-column 顧客ID \\
          --map 氏名=name --map フリガナ=name_kana --map 電話番号=phone
    """
    console = app.console

    def show_plan(plan: ColumnPlan, encoding_used: str) -> None:
        if output != "table":
            return
        console.print(
            f"[bold]{file.name}[/]: encoding {encoding_used}, "
            f"id column {plan.headers[plan.id_index]!r}"
        )
        if not maps:
            console.print("columns matched by their header names (--map COL=KIND overrides):")
        for column, kind in plan.describe().items():
            console.print(f"  {column} → {kind}")

    try:
        budget = parse_memory(memory)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--memory") from None
    total = _data_lines(file) if console.is_terminal else None
    with progress_bar(console, "fingerprinting", total) as advance:
        report = import_dataset(
            app.settings,
            app.db,
            file,
            name=name,
            id_column=id_column,
            mapping=_parse_map(maps),
            encoding=encoding,
            max_bad_share=max_bad_rows / 100,
            replace=replace,
            on_plan=show_plan,
            progress=advance,
            memory=budget,
            workers=workers,
        )
    manifest = report.manifest
    assert manifest is not None
    if output != "table":
        emit(
            output,
            {
                "dataset": name,
                "rows": report.rows,
                "records": report.imported,
                "bad_rows": report.bad_rows,
                "encoding": report.encoding,
                "mapping": report.mapping,
                "problems": [
                    {"row": p.row, "column": p.column, "reason": p.reason} for p in report.problems
                ],
                "key_id": manifest.key_id,
                "source": {"name": report.source_name, "sha256": report.source_sha256},
            },
        )
        return
    for p in report.problems[:50]:
        console.print(f"  skipped {p}")
    if len(report.problems) > 50:
        console.print(f"  … and {report.bad_rows - 50} more skipped rows")
    console.print(
        f"dataset {name!r}: {report.imported} records fingerprinted, "
        f"{report.bad_rows} bad rows skipped, key id {manifest.key_id}"
    )


def _data_lines(path: Path) -> int | None:
    """Lines after the header, for the progress bar's total and time left (rows with a
    quoted line break make it an estimate); one pass in C, about a second per GB."""
    try:
        with path.open("rb") as fh:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    except OSError:
        return None  # the import reports the file problem itself
    return max(lines - 1, 0) or None


@fingerprint.command("list")
@format_option
@pass_app
@user_errors()
def list_cmd(app: AppContext, output: str) -> None:
    """List registered fingerprint sets with their record and field counts.

    \b
    Example:
      leakprint fingerprint list --json
      leakprint fingerprint list --format csv > datasets.csv
    """
    infos = list_datasets(app.db)
    # sealed: the set has a per-set secret, so `fingerprint shred` can make its copies
    # useless (sets built before it: `fingerprint rekey`)
    sealed = {i.name: layer_of(Path(i.path)) is not None for i in infos}
    if output != "table":
        emit(output, [{**i.as_json(), "sealed": sealed[i.name]} for i in infos],
             (*DatasetInfo.COLUMNS, "sealed"))
        return
    table = Table("name", "records", "kinds", "bad rows", "key id", "sealed", "created")
    for i in infos:
        kinds = ", ".join(f"{k}:{v}" for k, v in sorted(i.kinds.items()))
        table.add_row(
            i.name, str(i.record_count), kinds, str(i.bad_rows), i.key_id,
            "yes" if sealed[i.name] else "no: rekey", i.created_at[:19]
        )
    app.out.print(table)


@fingerprint.command("verify")
@click.argument("name")
@format_option
@pass_app
@user_errors(DatasetError)
def verify_cmd(app: AppContext, name: str, output: str) -> None:
    """Check a set in full: its manifest's MAC and every file's SHA-256.

    Exit status 0 when intact; 1 when damaged (one line naming the file); 2 for a
    usage error such as an unknown dataset. Opening a set for a scan checks it
    cheaply (sizes, and the hashes of files changed since they were last checked).

    \b
    Example:
      leakprint fingerprint verify crm-2026 --json
    """
    try:
        info, checked = verify_dataset(app.settings, app.db, name)
    except FingerprintSetError as exc:
        message = str(exc).splitlines()[0]
        if output != "table":
            emit(output, {"dataset": name, "ok": False, "error": message})
        click.echo(f"error: {message}", err=True)
        raise SystemExit(1) from None
    if output != "table":
        emit(output, {"dataset": info.name, "ok": True, "files_checked": checked})
        return
    click.echo(f"{info.name}: intact ({checked} files checked, {info.record_count} records)")


@fingerprint.command("drop")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
@user_errors(DatasetError)
def drop_cmd(app: AppContext, name: str, yes: bool) -> None:
    """Unregister a fingerprint set, destroy its per-set secret and delete its files:
    copies elsewhere match nothing from then on (`fingerprint shred` also takes the
    set's canary companions).

    \b
    Example:
      leakprint fingerprint drop crm-2025 --yes
    """
    if not yes:
        try:
            confirmed = click.confirm(f"drop dataset {name!r} and delete its files?", err=True)
        except (click.Abort, RuntimeError):  # no answer: stdin at its end or closed, Ctrl-C
            confirmed = False
        if not confirmed:
            raise UserError(f"dataset {name!r} not dropped: answer y, or pass --yes")
    info = drop_dataset(app.settings, app.db, name)
    click.echo(f"dropped {info.name} ({info.record_count} records)")
