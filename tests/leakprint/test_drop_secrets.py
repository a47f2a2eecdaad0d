"""`fingerprint drop` and `fingerprint import --replace` destroy the old set's per-set
secret (SPEC 16), on SQLite and on PostgreSQL when configured.

A copy of the old set (a backup, a scanning host) opened with the master key and the
deployment's database is refused in one line saying why, and matches nothing; the
database keeps a tombstone (layer id, dataset, date, why), never the secret.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from leakprint.setsecrets import layer_of
from tests.leakprint.helpers import PLANTED, customer_rows, refused, run
from tests.leakprint.sites import db_rows, import_set, make_deployment, strong_refs

CUSTOMERS = PLANTED + customer_rows(40)
BY_REF = {r[0]: r for r in CUSTOMERS}
LEAKED = [f"C{i:07d}" for i in range(5, 17)]


def dump(path: Path) -> Path:
    path.write_text("name,kana,tel,mail,birthday\n" + "".join(
        ",".join(BY_REF[r][1:6]) + "\n" for r in LEAKED), encoding="utf-8")
    return path


def secrets_by_layer(db_url: str) -> dict[str, tuple[object, ...]]:
    """``set_secrets`` rows by layer id."""
    return {str(row[1]): row for row in db_rows(db_url, ("set_secrets",))["set_secrets"]}


def test_drop_destroys_the_sets_secret(tmp_path: Path, db_url: str) -> None:
    home = tmp_path / "home"
    env = make_deployment(home, db_url, CUSTOMERS, dataset="crm")
    set_dir = home / "fingerprint-sets" / "crm"
    layer = layer_of(set_dir)
    assert layer is not None and secrets_by_layer(db_url)[layer][3] is not None
    copy = shutil.copytree(set_dir, tmp_path / "backup" / "crm")

    dropped = run(home, "fingerprint", "drop", "crm", "--yes", env=env)
    assert dropped.exit_code == 0, dropped.output
    assert not set_dir.exists()
    tomb = secrets_by_layer(db_url)[layer]
    assert tomb[3] is None and tomb[5] is not None  # no secret, a date
    message = refused(copy, home, db_url, dump(tmp_path / "leak.csv"), "secret is gone")
    assert "'crm' was dropped on " in message and "secret is gone" in message
    # The name is free again, and says it was dropped, not shredded.
    gone = run(home, "scan", "--file", str(tmp_path / "leak.csv"), "--dataset", "crm", env=env)
    assert gone.exit_code == 2 and "no dataset named 'crm'" in gone.output
    assert "shredded" not in gone.output
    assert run(home, "audit", "verify", env=env).exit_code == 0


def test_import_replace_gives_a_fresh_secret_and_destroys_the_old(
        tmp_path: Path, db_url: str) -> None:
    home = tmp_path / "home"
    env = make_deployment(home, db_url, CUSTOMERS, dataset="crm")
    set_dir = home / "fingerprint-sets" / "crm"
    old = layer_of(set_dir)
    copy = shutil.copytree(set_dir, tmp_path / "scanning-host" / "crm")

    import_set(home, env, CUSTOMERS, "crm", "--replace")
    new = layer_of(set_dir)
    assert new is not None and new != old
    rows = secrets_by_layer(db_url)
    assert rows[str(old)][3] is None and rows[str(old)][5] is not None
    assert rows[new][3] is not None and rows[new][5] is None
    leak = dump(tmp_path / "leak.csv")
    message = refused(copy, home, db_url, leak, "secret is gone")
    assert "'crm' was replaced by a new import on " in message
    # The new set finds what the old one did.
    result = run(home, "scan", "--file", str(leak), "--json", env=env)
    assert result.exit_code == 0, result.output
    assert {ref for f in json.loads(result.stdout) for ref in strong_refs(f)} == set(LEAKED)
