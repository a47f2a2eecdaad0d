"""`leakprint scan --file` end to end: dump formats, SPEC 7 JSON, re-scans, --fail-on, stdin.

Each test builds a deployment with `leakprint init` + `fingerprint import` of synthetic
customers (plus the planted ones), on SQLite and on PostgreSQL when configured.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.leakprint.helpers import PLANTED, all_file_bytes, assert_no_planted, customer_rows, run
from tests.leakprint.sites import db_rows, make_deployment, scan_runs, strong_refs

CUSTOMERS = PLANTED + customer_rows(400)
BY_REF = {r[0]: r for r in CUSTOMERS}
FINDING_KEYS = {"id", "dataset", "source", "url", "content_sha256", "first_seen", "last_seen",
                "confidence", "bulk", "record_count", "fields", "records", "snippet"}
FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


@pytest.fixture
def deployed(tmp_path: Path, db_url: str) -> tuple[Path, dict[str, str], str]:
    home = tmp_path / "home"
    env = make_deployment(home, db_url, CUSTOMERS)
    return home, env, db_url


def refs(start: int, n: int) -> list[str]:
    return [f"C{i:07d}" for i in range(start, start + n)]


# ------------------------------------------------------------------- dump makers

def csv_dump(rs: list[str], sep: str = ",") -> str:
    head = sep.join(["name", "kana", "tel", "mail", "birthday"])
    lines = [sep.join([BY_REF[r][1], BY_REF[r][2], BY_REF[r][3], BY_REF[r][4], BY_REF[r][5]])
             for r in rs]
    return head + "\n" + "\n".join(lines) + "\n"


def jsonl_dump(rs: list[str]) -> str:
    return "".join(json.dumps({"name": BY_REF[r][1], "tel": BY_REF[r][3],
                               "mail": BY_REF[r][4]}, ensure_ascii=False) + "\n" for r in rs)


def sql_dump(rs: list[str]) -> str:
    values = ",\n".join(f"({i}, '{BY_REF[r][1]}', '{BY_REF[r][3]}', '{BY_REF[r][4]}')"
                        for i, r in enumerate(rs, 1))
    return ("-- MySQL dump\nCREATE TABLE `members` (`id` int, `name` varchar(64), "
            "`tel` varchar(20), `mail` varchar(128));\n"
            f"INSERT INTO `members` (`id`, `name`, `tel`, `mail`) VALUES\n{values};\n")


def prose_dump(rs: list[str]) -> str:
    parts = ["以下は先月の問い合わせ対応の記録です。"]
    for r in rs:
        row = BY_REF[r]
        parts.append(f"{row[1].replace(' ', '')}様から電話がありました。折り返し先は{row[3]}、"
                     f"メールは{row[4]}とのことです。担当者が対応済み。")
    parts.append("以上、よろしくお願いします。")
    return "\n".join(parts) + "\n"


def cp932_dump(rs: list[str]) -> bytes:
    lines = ["氏名,電話番号,メールアドレス"]
    lines += [f"{BY_REF[r][1]},{BY_REF[r][3].translate(FULLWIDTH)},{BY_REF[r][4]}" for r in rs]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def noise_dump(n: int) -> str:
    """Phone numbers and addresses of nobody we know."""
    return "name,tel,mail\n" + "".join(
        f"テスト{i},090-{1000 + i:04d}-{7000 + i:04d},nobody{i}@example.org\n" for i in range(n))


def check_shape(f: dict[str, Any]) -> None:
    assert set(f) == FINDING_KEYS
    assert isinstance(f["id"], int)
    assert f["dataset"] == "crm"
    assert f["confidence"] in ("low", "medium", "high")
    assert isinstance(f["bulk"], bool)
    records = f["records"]
    assert isinstance(records, list)
    assert f["record_count"] == len(records)
    for rec in records:
        # SPEC 12.1 adds records[].why and records[].chance (was ref/confidence/fields)
        assert set(rec) == {"ref", "confidence", "fields", "why", "chance"}
        assert rec["confidence"] in ("low", "medium", "high")
        assert isinstance(rec["chance"], float) and 0.0 <= rec["chance"] <= 1.0
        assert re.fullmatch(r"[a-z_]+( \+ [a-z_]+)*: (chance ≈ 1 in 10[⁰¹²³⁴⁵⁶⁷⁸⁹]+"
                            r"|a coincidence is likely)", rec["why"]), rec["why"]
        assert rec["fields"] == sorted(rec["fields"]) and rec["fields"]
    fields = f["fields"]
    assert isinstance(fields, list) and fields == sorted(fields)
    assert set().union(*(set(r["fields"]) for r in records)) <= set(fields)
    assert re.fullmatch(r"[0-9a-f]{64}", str(f["content_sha256"]))
    first = datetime.fromisoformat(str(f["first_seen"]))
    last = datetime.fromisoformat(str(f["last_seen"]))
    assert first.tzinfo is not None and first <= last
    snippet = str(f["snippet"])
    assert snippet and not re.search(r"\d{4}", snippet)


def scan_json(home: Path, env: dict[str, str], *args: str, input: bytes | None = None
              ) -> list[dict[str, Any]]:
    result = run(home, "scan", *args, "--json", env=env, input=input)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


# -------------------------------------------------------------------------- tests

def test_every_dump_format_gives_one_finding_in_spec_shape(
    deployed: tuple[Path, dict[str, str], str], tmp_path: Path
) -> None:
    home, env, db_url = deployed
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    planted = [r[0] for r in PLANTED]
    expect: dict[str, list[str]] = {
        "list.csv": planted + refs(0, 20),
        "list.tsv": refs(20, 12),
        "members.jsonl": refs(40, 15),
        "dump.sql": refs(60, 25),
        "chat.txt": refs(100, 3),
        "sjis.csv": refs(120, 11),
    }
    (dumps / "list.csv").write_text(csv_dump(expect["list.csv"]), encoding="utf-8")
    (dumps / "list.tsv").write_text(csv_dump(expect["list.tsv"], "\t"), encoding="utf-8")
    (dumps / "members.jsonl").write_text(jsonl_dump(expect["members.jsonl"]), encoding="utf-8")
    (dumps / "dump.sql").write_text(sql_dump(expect["dump.sql"]), encoding="utf-8")
    (dumps / "chat.txt").write_text(prose_dump(expect["chat.txt"]), encoding="utf-8")
    (dumps / "sjis.csv").write_bytes(cp932_dump(expect["sjis.csv"]))
    (dumps / "noise.csv").write_text(noise_dump(50), encoding="utf-8")

    args = [a for name in [*expect, "noise.csv"] for a in ("--file", str(dumps / name))]
    result = run(home, "scan", *args, "--json", env=env)
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)
    by_url = {f["url"]: f for f in findings}
    assert len(by_url) == len(findings) == len(expect)  # none for the noise file
    for name, expected in expect.items():
        path = dumps / name
        f = by_url[path.resolve().as_uri()]
        check_shape(f)
        assert f["source"] is None
        assert f["content_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        # Exactly the customers of the dump at medium or above (name-only hits are low).
        assert strong_refs(f) == set(expected), name
        assert f["confidence"] in ("medium", "high")
        assert {"phone", "email"} <= set(f["fields"])
        assert f["bulk"] is (len(expected) >= 10), name

    # The table output and the scan run's coverage.
    text = run(home, "scan", *args, env=env)
    assert text.exit_code == 0
    assert "7 documents" in text.output
    runs = scan_runs(db_url)
    assert [r["kind"] for r in runs] == ["file", "file"]
    assert runs[0]["docs_new"] == 7 and runs[0]["findings_new"] == 6
    assert runs[1]["docs_unchanged"] == 7 and runs[1]["findings_new"] == 0
    assert runs[1]["status"] == "ok" and runs[1]["finished_at"] is not None
    sizes = sum((dumps / n).stat().st_size for n in [*expect, "noise.csv"])
    assert runs[0]["bytes"] == sizes and runs[0]["pages"] == 7

    # Privacy: nothing the scan wrote or printed holds a planted value.
    for path, blob in all_file_bytes(home).items():
        assert_no_planted(blob, str(path))
    assert_no_planted(result.stdout.encode(), "scan --json output")
    assert_no_planted(text.output.encode(), "scan output")
    for table, rows in db_rows(db_url).items():
        assert_no_planted(repr(rows).encode(), f"table {table}")


def test_rescan_is_idempotent_and_a_grown_file_grows_the_finding(
    deployed: tuple[Path, dict[str, str], str], tmp_path: Path
) -> None:
    home, env, db_url = deployed
    dump = tmp_path / "leak.csv"
    dump.write_text(csv_dump(refs(0, 8)), encoding="utf-8")
    [first] = scan_json(home, env, "--file", str(dump))
    [again] = scan_json(home, env, "--file", str(dump))
    assert again["id"] == first["id"]
    assert again["records"] == first["records"]
    assert again["first_seen"] == first["first_seen"]
    assert again["last_seen"] >= first["last_seen"]
    listed = json.loads(run(home, "findings", "--json", env=env).stdout)
    assert [f["id"] for f in listed] == [first["id"]]

    dump.write_text(csv_dump(refs(0, 8) + refs(200, 5)), encoding="utf-8")
    [grown] = scan_json(home, env, "--file", str(dump))
    assert grown["id"] == first["id"]
    assert strong_refs(grown) == set(refs(0, 8) + refs(200, 5))
    assert grown["record_count"] > first["record_count"]
    assert grown["content_sha256"] != first["content_sha256"]
    listed = json.loads(run(home, "findings", "--json", env=env).stdout)
    assert len(listed) == 1 and listed[0] == grown
    runs = scan_runs(db_url)
    assert [(r["docs_new"], r["docs_changed"], r["docs_unchanged"]) for r in runs] == [
        (1, 0, 0), (0, 0, 1), (0, 1, 0)]
    assert [(r["findings_new"], r["findings_updated"]) for r in runs] == [(1, 0), (0, 0), (0, 1)]
    rows = db_rows(db_url, ("findings", "record_hits", "documents"))
    assert len(rows["findings"]) == 1 and len(rows["documents"]) == 1
    hit_refs = [r[2] for r in rows["record_hits"]]
    assert len(hit_refs) == len(set(hit_refs)) == grown["record_count"]


def test_fail_on_exits_1_only_with_a_finding_at_the_level(
    deployed: tuple[Path, dict[str, str], str], tmp_path: Path
) -> None:
    home, env, _ = deployed
    leak = tmp_path / "leak.csv"
    leak.write_text(csv_dump(refs(300, 3)), encoding="utf-8")
    noise = tmp_path / "noise.csv"
    noise.write_text(noise_dump(30), encoding="utf-8")
    phone_only = tmp_path / "phones.txt"
    phone_only.write_text(f"call back {BY_REF['C0000350'][3]} tomorrow\n", encoding="utf-8")

    assert run(home, "scan", "--file", str(leak), "--fail-on", "medium",
               env=env).exit_code == 1
    assert run(home, "scan", "--file", str(noise), "--fail-on", "medium",
               env=env).exit_code == 0
    assert run(home, "scan", "--file", str(noise), "--fail-on", "low", env=env).exit_code == 0
    # One phone number alone is a low finding: below medium, at low.
    low = run(home, "scan", "--file", str(phone_only), "--fail-on", "medium", "--json", env=env)
    assert low.exit_code == 0
    [f] = json.loads(low.stdout)
    assert f["confidence"] == "low" and [r["ref"] for r in f["records"]] == ["C0000350"]
    assert run(home, "scan", "--file", str(phone_only), "--fail-on", "low",
               env=env).exit_code == 1
    assert run(home, "scan", "--file", str(leak), "--fail-on", "high", env=env).exit_code == 1


def test_stdin_cp932_and_findings_show(deployed: tuple[Path, dict[str, str], str]) -> None:
    home, env, db_url = deployed
    data = cp932_dump([*refs(250, 4), PLANTED[1][0]])
    [f] = scan_json(home, env, "--file", "-", input=data)
    check_shape(f)
    assert f["url"] == f"stdin:sha256:{hashlib.sha256(data).hexdigest()}"
    assert strong_refs(f) == {*refs(250, 4), PLANTED[1][0]}
    # The same bytes again: the same finding, no duplicate.
    [again] = scan_json(home, env, "--file", "-", input=data)
    assert again["id"] == f["id"]

    shown = run(home, "findings", "show", str(f["id"]), "--json", env=env)
    assert shown.exit_code == 0
    assert json.loads(shown.stdout) == again
    human = run(home, "findings", "show", str(f["id"]), env=env)
    assert human.exit_code == 0 and "P0000002" in human.output
    # SPEC 12.1: each record says what it is tied on and the chance of a coincidence.
    assert "phone + email + name: chance ≈ 1 in 10" in human.output
    assert run(home, "findings", "show", "999", env=env).exit_code != 0
    audit = db_rows(db_url, ("audit_log",))["audit_log"]
    assert sum(1 for row in audit if row[3] == "finding.view") == 2
    assert_no_planted(repr(audit).encode(), "audit log")


def test_large_file_on_several_workers_matches_single_process(
    deployed: tuple[Path, dict[str, str], str], tmp_path: Path
) -> None:
    home, env, _ = deployed
    big = tmp_path / "big.csv"
    padding = noise_dump(40_000)  # about 1.7 MB
    with big.open("w", encoding="utf-8") as fh:
        fh.write(csv_dump(refs(0, 5)))
        for _ in range(4):
            fh.write(padding.split("\n", 1)[1])
        fh.write(csv_dump(refs(380, 5)).split("\n", 1)[1])
    assert big.stat().st_size > 5 * 1024 * 1024
    [multi] = scan_json(home, env, "--file", str(big), "--workers", "2")
    [single] = scan_json(home, env, "--file", str(big), "--workers", "1")
    assert strong_refs(multi) == strong_refs(single) == set(refs(0, 5) + refs(380, 5))
    assert multi["id"] == single["id"]


def test_bad_input_is_one_line_with_status_2(
    deployed: tuple[Path, dict[str, str], str], tmp_path: Path
) -> None:
    home, env, db_url = deployed
    missing = run(home, "scan", "--file", str(tmp_path / "nope.csv"), env=env)
    assert missing.exit_code == 2
    assert missing.output.strip().splitlines() == [f"error: {tmp_path / 'nope.csv'}: no such file"]
    assert run(home, "scan", "--file", str(tmp_path), env=env).exit_code == 2
    assert run(home, "scan", env=env).exit_code == 2
    assert run(home, "scan", "--file", "-", "--dataset", "nosuch", env=env,
               input=b"x").exit_code == 2
    assert scan_runs(db_url) == []
