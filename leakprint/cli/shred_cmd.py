"""``leakprint fingerprint shred|rekey``: crypto-shredding of fingerprint sets (SPEC 16)."""

from __future__ import annotations

import click

from fingerprints.streambuild import parse_memory
from leakprint.cli.common import (
    AppContext,
    UserError,
    emit,
    format_option,
    pass_app,
    user_errors,
)
from leakprint.cli.fingerprint_cmd import fingerprint
from leakprint.datasets import DatasetError, list_datasets
from leakprint.setsecrets import ShredError, rekey, shred


@fingerprint.command("shred")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
@user_errors(ShredError, DatasetError)
def shred_cmd(app: AppContext, name: str, yes: bool) -> None:
    """Destroy a set's per-set secret and delete its files: every copy matches nothing.

    The set's digests are keyed with a random secret of its own, held in the
    database and never in the set's files. Shredding destroys that secret (and
    those of the set's earlier imports and canary companions), unregisters the
    dataset and deletes its files. Any copy of the set (a backup, a scanning host)
    is from then on refused with one line saying when it was shredded, and
    matches nothing even with the master key. Findings keep their record
    references. A backup of the database taken before the shred still holds the
    secret: see docs/threat-model.md. The shred is in the audit log.

    \b
    Example:
      leakprint fingerprint shred crm-2019
      leakprint fingerprint shred crm-2019 --yes     # no question (scripts)
    """
    if not yes:
        try:
            confirmed = click.confirm(
                f"shred dataset {name!r}: destroy its secret so that no copy of it can ever "
                "match again, and delete its files?", err=True)
        except (click.Abort, RuntimeError):  # no answer: stdin at its end or closed, Ctrl-C
            confirmed = False
        if not confirmed:
            raise UserError(f"dataset {name!r} not shredded: answer y, or pass --yes")
    report = shred(app.settings, app.db, name)
    day = report.at.date().isoformat()
    click.echo(f"shredded {report.dataset} on {day}: {report.secrets} per-set secret(s) "
               f"destroyed, {len(report.deleted)} set folder(s) deleted "
               f"({report.records} records)")
    click.echo("every copy of this set now matches nothing, with or without the master key "
               "(database backups from before now still hold the secret)")


@fingerprint.command("rekey")
@click.argument("names", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every registered set not yet sealed.")
@click.option("--memory", default="1G", show_default=True, metavar="SIZE",
              help="Memory budget of the rewrite (e.g. 512M, 4G).")
@format_option
@pass_app
@user_errors(ShredError, DatasetError)
def rekey_cmd(app: AppContext, names: tuple[str, ...], every: bool, memory: str,
              output: str) -> None:
    """Seal sets built before per-set secrets, from their own files (once, after upgrading).

    Each set gets a random secret of its own (in the database) and is rewritten:
    every stored digest re-keyed with it, the index sorted again, the Bloom filter
    filled again, the manifest MAC'd again. No customer file is needed; scans find
    exactly what they found before. Sets already sealed are left alone. Copies of a
    set made before its rewrite stay unsealed: copy it again to scanning hosts.

    \b
    Example:
      leakprint fingerprint rekey --all
      leakprint fingerprint rekey crm-2026 --memory 4G
    """
    if bool(names) == every:
        raise UserError("name the datasets to seal, or pass --all")
    try:
        budget = parse_memory(memory)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--memory") from None
    key = app.settings.load_key()
    targets = list(names) or [info.name for info in list_datasets(app.db)]
    sealed: dict[str, list[str]] = {}
    for name in targets:
        sealed[name] = rekey(app.settings, app.db, name, key, memory=budget)
        if output == "table":
            made = len(sealed[name])
            click.echo(f"{name}: sealed {made} set(s)" if made else f"{name}: already sealed")
    if output != "table":
        emit(output, {"sealed": sealed})
