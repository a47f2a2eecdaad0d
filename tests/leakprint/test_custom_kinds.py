"""``[customer_id]`` and ``[[kind]]`` of leakprint.toml, end to end: the import
normalizes with them, the rule travels in the set's manifest, and a scan finds a
custom kind (issue 13: the library could, no configuration could declare them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fingerprints.normalizers.customer_id import luhn_valid
from leakprint.config import ConfigError, load_settings
from tests.leakprint.helpers import customer_rows, run

# Written into the [customer_id] table that `leakprint init` leaves, and a [[kind]].
CUSTOMER_ID = '[customer_id]\npattern = "[0-9]{8}"\ncheck_digit = "luhn"\n'
KIND = '\n[[kind]]\nname = "flets_id"\npattern = "CAF[0-9]{10}"\n'


def luhn(payload: str) -> str:
    """``payload`` with the Luhn check digit appended."""
    return next(payload + d for d in "0123456789" if luhn_valid(payload + d))


def contract(i: int) -> str:
    return luhn(f"{7000000 + i:07d}")


def flets(i: int) -> str:
    return f"CAF{3000000000 + i:010d}"


BAD = 7  # this customer's contract number fails its check digit


def customers() -> list[list[str]]:
    rows = []
    for i, row in enumerate(customer_rows(120)):
        number = contract(i)
        if i == BAD:
            number = number[:-1] + str((int(number[-1]) + 1) % 10)
        rows.append([row[0], row[1], row[3], number, flets(i)])
    return rows


@pytest.fixture
def home(tmp_path: Path, db_url: str) -> tuple[Path, dict[str, str]]:
    home = tmp_path / "home"
    home.mkdir()
    env = {"LEAKPRINT_DATABASE_URL": db_url}
    assert run(home, "init", env=env).exit_code == 0
    config = home / "leakprint.toml"
    text = config.read_text(encoding="utf-8")
    assert text.count("[customer_id]\n") == 1
    config.write_text(text.replace("[customer_id]\n", CUSTOMER_ID) + KIND, encoding="utf-8")
    src = tmp_path / "customers.csv"
    src.write_text("顧客ID,氏名,電話番号,契約番号,回線ID\n"
                   + "".join(",".join(r) + "\n" for r in customers()), encoding="utf-8")
    result = run(home, "fingerprint", "import", str(src), "--dataset", "crm",
                 "--id-column", "顧客ID", "--map", "氏名=name", "--map", "電話番号=phone",
                 "--map", "契約番号=customer_id", "--map", "回線ID=flets_id", env=env)
    assert result.exit_code == 0, result.output
    return home, env


def scan(home: Path, env: dict[str, str], tmp_path: Path, text: str) -> list[dict[str, Any]]:
    leak = tmp_path / "leak.txt"
    leak.write_text(text, encoding="utf-8")
    result = run(home, "scan", "--file", str(leak), "--json", env=env)
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert isinstance(found, list)
    return found


def test_the_manifest_records_the_configured_rules(home: tuple[Path, dict[str, str]]) -> None:
    path, _env = home
    manifest = json.loads((path / "fingerprint-sets" / "crm" / "manifest.json")
                          .read_text(encoding="utf-8"))
    kinds = manifest["kind_config"]["kinds"]
    assert kinds["flets_id"] == {"kind": "flets_id", "pattern": "CAF[0-9]{10}"}
    assert kinds["customer_id"]["pattern"] == "[0-9]{8}"
    assert kinds["customer_id"]["check_digit"] == "luhn"


def test_a_scan_finds_the_custom_kind_and_the_configured_customer_id(
    home: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    path, env = home
    lines = ["回線ID,契約番号"] + [f"{flets(i)},{contract(i)}" for i in (3, 4)]
    found = scan(path, env, tmp_path, "\n".join(lines) + "\n")
    assert len(found) == 1
    records = {r["ref"]: r for r in found[0]["records"]}
    assert set(records) == {"C0000003", "C0000004"}
    for record in records.values():
        assert {"flets_id", "customer_id"} <= set(record["fields"])


def test_a_number_failing_its_check_digit_was_not_fingerprinted(
    home: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    path, env = home
    bad = customers()[BAD]
    good = customers()[BAD + 1]
    text = "".join(f"{r[1]},{r[4]},{r[3]}\n" for r in (bad, good))
    found = scan(path, env, tmp_path, "氏名,回線ID,契約番号\n" + text)
    assert len(found) == 1
    records = {r["ref"]: set(r["fields"]) for r in found[0]["records"]}
    # A value failing its kind's check makes its row a bad row (reported by the
    # import, never fingerprinted), as any implausible value does.
    assert bad[0] not in records
    assert records[good[0]] >= {"name", "flets_id", "customer_id"}


def test_bad_settings_are_one_line_errors(tmp_path: Path) -> None:
    cases = {
        '[[kind]]\nname = "phone"\npattern = "x"\n': "clashes with a built-in kind",
        '[[kind]]\nname = "Bad-Name"\npattern = "x"\n': "1-16 characters",
        '[[kind]]\nname = "k"\n': "needs a name and a pattern",
        '[[kind]]\nname = "k"\npattern = "("\n': "invalid pattern",
        '[customer_id]\ncheck_digit = "crc"\n': "unknown check digit",
    }
    for text, message in cases.items():
        (tmp_path / "leakprint.toml").write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_settings(tmp_path, env={})


def test_unknown_keys_of_kind_tables_are_warned_about(tmp_path: Path) -> None:
    (tmp_path / "leakprint.toml").write_text(
        '[[kind]]\nname = "k"\npattern = "K[0-9]{6}"\nheader = "K"\n'
        '[customer_id]\npatern = "x"\n', encoding="utf-8")
    settings = load_settings(tmp_path, env={})
    assert set(settings.unknown) == {"kind.header", "customer_id.patern"}
    assert settings.kinds.custom == (("k", "K[0-9]{6}"),)
