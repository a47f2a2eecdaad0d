"""Contractor ledger, canaries and attribution, through the CLI on SQLite and PostgreSQL.

Real fingerprint sets, real scans of leak files, real SMTP (aiosmtpd) for the alert.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from leakprint.config import load_settings
from leakprint.contractors.ledger import holdings
from leakprint.contractors.membership import SetRefs
from leakprint.db import Contractor, Database
from leakprint.findings import FindingChange
from leakprint.incidents import link_changes, open_incident
from leakprint.outbox import send_pending
from tests.alerts.smtp_sink import SmtpSink, body_text
from tests.leakprint.helpers import (
    HEADER,
    MAP,
    PLANTED,
    all_file_bytes,
    assert_no_planted,
    customer_rows,
    run,
)
from tests.leakprint.sites import db_rows

pytestmark = pytest.mark.slow  # the contractor stories end to end: imports, scans, e-mail

LEAK_HEADER = HEADER[1:]  # a broker's dump has no record IDs
ROWS = customer_rows(200) + PLANTED


def ref(i: int) -> str:
    return f"C{i:07d}"


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def write_refs(path: Path, refs: list[str]) -> Path:
    path.write_text("".join(r + "\n" for r in refs), encoding="utf-8")
    return path


@pytest.fixture
def home(home: Path, tmp_path: Path) -> Path:
    """The shared deployment with the CRM set of ``ROWS``; the customer file stays outside it."""
    customers = write_csv(tmp_path / "customers.csv", HEADER, ROWS)
    result = run(home, "fingerprint", "import", str(customers), "--dataset", "crm",
                 "--id-column", "顧客ID", *MAP)
    assert result.exit_code == 0, result.output
    return home


def ok(home: Path, *args: str) -> str:
    result = run(home, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def ok_json(home: Path, *args: str) -> Any:
    return json.loads(ok(home, *args, "--json"))


def leak_rows(indices: range | list[int]) -> list[list[str]]:
    return [ROWS[i][1:] for i in indices]


def canary_rows(out: Path) -> list[dict[str, str]]:
    with out.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def as_leak_row(canary: dict[str, str]) -> list[str]:
    return [canary.get(col, "") for col in LEAK_HEADER]


def scan(home: Path, tmp: Path, name: str, rows: list[list[str]]) -> dict[str, Any]:
    path = write_csv(tmp / name, LEAK_HEADER, rows)
    result = run(home, "scan", "--file", str(path), "--json")
    assert result.exit_code == 0, result.output
    found = [f for f in json.loads(result.stdout) if f["dataset"] == "crm"]
    assert len(found) == 1, found
    first: dict[str, Any] = found[0]
    return first


def add_three(home: Path, tmp: Path) -> None:
    """east (A: C0..C119 + the planted), west (B: C80..C199), and east's sub-contractor
    dm-print (external-service: C0..C59)."""
    ok(home, "contractor", "add", "east", "--contract", "entrustment", "--note", "shops")
    ok(home, "contractor", "add", "west")
    ok(home, "contractor", "add", "dm-print", "--parent", "east",
       "--contract", "external-service")
    a = write_refs(tmp / "a.txt", [ref(i) for i in range(120)] + [p[0] for p in PLANTED])
    ok(home, "handover", "add", "--contractor", "east", "--dataset", "crm", "--refs", str(a),
       "--date", "2026-04-01", "--purpose", "shop CRM")
    b = write_csv(tmp / "b.csv", ["顧客ID", "店舗"], [[ref(i), "x"] for i in range(80, 200)])
    ok(home, "handover", "add", "--contractor", "west", "--dataset", "crm", "--refs", str(b),
       "--ref-column", "顧客ID")
    s = write_refs(tmp / "s.txt", [ref(i) for i in range(60)])
    ok(home, "handover", "add", "--contractor", "dm-print", "--dataset", "crm", "--refs", str(s),
       "--purpose", "direct mail")


def test_ledger_tree_handovers_subset_rule_and_audit(home: Path, tmp_path: Path,
                                                     db: Database) -> None:
    add_three(home, tmp_path)
    tree = ok_json(home, "contractor", "list")
    assert [(t["name"], t["contract"]) for t in tree] == [("east", "entrustment"),
                                                          ("west", "entrustment")]
    assert [(c["name"], c["contract"], c["chain"]) for c in tree[0]["children"]] == [
        ("dm-print", "external-service", ["east", "dm-print"])]
    text = ok(home, "contractor", "list")
    assert "east [entrustment]" in text and "└ dm-print [external-service]" in text

    listed = ok_json(home, "handover", "list")
    assert [(h["contractor"], h["records"]) for h in listed] == [
        ("east", 123), ("west", 120), ("dm-print", 60)]
    assert ok_json(home, "handover", "list", "--contractor", "west")[0]["records"] == 120
    shown = ok_json(home, "contractor", "show", "east")
    assert shown["subcontractors"] == ["dm-print"]
    assert shown["handovers"][0]["date"] == "2026-04-01"

    # A sub-contractor can only hold what its parent holds: C100..C150 reach past east's.
    outside = write_refs(tmp_path / "o.txt", [ref(i) for i in range(100, 151)])
    bad = run(home, "handover", "add", "--contractor", "dm-print", "--dataset", "crm",
              "--refs", str(outside))
    assert bad.exit_code == 2
    assert bad.stderr.strip().count("\n") == 0
    assert "31 of these records were never handed to 'east'" in bad.stderr
    # Unknown references and unknown contractors: one line, no reference quoted.
    unknown = write_refs(tmp_path / "u.txt", ["NOPE-1", ref(1)])
    bad = run(home, "handover", "add", "--contractor", "east", "--dataset", "crm",
              "--refs", str(unknown))
    assert bad.exit_code == 2 and "1 of the given references" in bad.stderr
    assert "NOPE-1" not in bad.stderr
    assert run(home, "contractor", "add", "x", "--parent", "ghost").exit_code == 2
    assert run(home, "contractor", "add", "east").exit_code == 2

    # Every change is in the audit log, and the chain verifies.
    actions = [r[3] for r in db_rows(load_settings(home).database_url, ("audit_log",))[
        "audit_log"]]
    assert actions.count("contractor.add") == 3 and actions.count("handover.add") == 3
    assert run(home, "audit", "verify").exit_code == 0

    # Bitmaps, not a row per record: one handovers row each.
    with db.session() as session:
        east = session.query(Contractor).filter_by(name="east").one()
        assert len(holdings(session, east.id, "crm")) == 123


def test_membership_survives_a_reimport_by_reference(home: Path, tmp_path: Path,
                                                     db: Database) -> None:
    add_three(home, tmp_path)
    # The new export: another row order, C0 gone, new customers appended.
    again = customer_rows(230)[1:][::-1] + PLANTED
    path = write_csv(tmp_path / "customers2.csv", HEADER, again)
    ok(home, "fingerprint", "import", str(path), "--dataset", "crm", "--id-column", "顧客ID",
       *MAP, "--replace")
    counts = {h["contractor"]: h["records"] for h in ok_json(home, "handover", "list")}
    assert counts == {"east": 122, "west": 120, "dm-print": 59}
    refs = SetRefs.open(load_settings(home).sets_dir / "crm")
    with db.session() as session:
        west = session.query(Contractor).filter_by(name="west").one()
        assert set(refs.refs_of(holdings(session, west.id, "crm"))) == {
            ref(i) for i in range(80, 200)}
    actions = [r[3] for r in db_rows(load_settings(home).database_url, ("audit_log",))[
        "audit_log"]]
    assert "handover.remap" in actions
    # ...and attribution still works on the new rows: C130..C199 only west held.
    found = scan(home, tmp_path, "west.csv", leak_rows(range(130, 200)))
    item = ok_json(home, "attribute", str(found["id"]))
    assert item["candidates"][0]["contractor"] == "west"
    assert item["verdict"] == "likely"


def test_fifty_records_only_one_contractor_held_is_likely(home: Path, tmp_path: Path) -> None:
    add_three(home, tmp_path)
    found = scan(home, tmp_path, "leak.csv", leak_rows(range(130, 190)))
    assert found["record_count"] == 60
    item = ok_json(home, "attribute", str(found["id"]))
    top = item["candidates"][0]
    assert (top["contractor"], top["held"], top["held_share"], top["canaries"]) == (
        "west", 60, 1.0, 0)
    assert top["guilt"] >= 0.9
    assert item["verdict"] == "likely"
    assert [c["contractor"] for c in item["candidates"]] == ["west"]


def test_overlapping_handovers_rank_by_what_each_held(home: Path, tmp_path: Path) -> None:
    add_three(home, tmp_path)
    # C70..C119: east held all 50, west 40 of them (C80..), dm-print none.
    found = scan(home, tmp_path, "leak.csv", leak_rows(range(70, 120)))
    item = ok_json(home, "attribute", str(found["id"]))
    got = {c["contractor"]: (c["held"], c["held_share"]) for c in item["candidates"]}
    assert got == {"east": (50, 1.0), "west": (40, 0.8)}
    assert item["candidates"][0]["contractor"] == "east"
    # 40 shared records push both guilts near 1: the evidence does not separate them.
    assert item["verdict"] == "ambiguous"


def test_every_contractor_held_every_record_is_ambiguous(home: Path, tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        ok(home, "contractor", "add", name)
        ok(home, "handover", "add", "--contractor", name, "--dataset", "crm", "--all")
    found = scan(home, tmp_path, "leak.csv", leak_rows(range(0, 80)))
    item = ok_json(home, "attribute", str(found["id"]))
    assert item["verdict"] == "ambiguous"
    assert {c["contractor"] for c in item["candidates"]} == {"a", "b", "c"}
    assert len({c["guilt"] for c in item["candidates"]}) == 1
    text = ok(home, "findings", "show", str(found["id"]))
    assert "likely source" in text and "ambiguous" in text


def test_canaries_are_certain_count_no_customer_and_stay_fingerprints(
        home: Path, tmp_path: Path, db: Database) -> None:
    add_three(home, tmp_path)
    out = tmp_path / "dm-print-canaries.csv"
    pool = write_refs(tmp_path / "pool.txt", ["070-9999-0001", "070-9999-0002"])
    result = run(home, "canary", "mint", "--contractor", "dm-print", "--dataset", "crm",
                 "--count", "4", "--email-domain", "canary.example.jp", "--phones", str(pool),
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "reminder: hand these canaries over inside dm-print's data" in result.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    canaries = canary_rows(out)
    assert len(canaries) == 4
    assert all(c["メールアドレス"].endswith("@canary.example.jp") for c in canaries)
    assert sorted(c["電話番号"] for c in canaries if c["電話番号"]) == [
        "070-9999-0001", "070-9999-0002"]
    assert sum(1 for c in canaries if not c["電話番号"]) == 2  # no invented numbers
    assert set(canaries[0]) == {"氏名", "フリガナ", "電話番号", "メールアドレス", "生年月日",
                                "住所"}
    # Written once.
    again = run(home, "canary", "mint", "--contractor", "dm-print", "--dataset", "crm",
                "--count", "1", "--email-domain", "canary.example.jp", "--out", str(out))
    assert again.exit_code == 2 and "written once" in again.stderr
    shown = ok_json(home, "contractor", "show", "dm-print")
    assert shown["canaries"] == {"crm": 4}
    assert any(h["canaries"] == 4 for h in shown["handovers"])

    # A leak of dm-print's records (which east holds too) plus one of its canaries.
    found = scan(home, tmp_path, "leak.csv",
                 [*leak_rows(range(0, 30)), as_leak_row(canaries[2])])
    assert found["record_count"] == 30  # the canary is not a customer
    item = ok_json(home, "attribute", str(found["id"]))
    top = item["candidates"][0]
    assert (top["contractor"], top["chain"], top["canaries"]) == (
        "dm-print", ["east", "dm-print"], 1)
    assert item["verdict"] == "certain"
    assert item["records"] == 30

    # Only canaries: high, 0 persons, still certain.
    only = scan(home, tmp_path, "only.csv", [as_leak_row(canaries[0])])
    assert (only["confidence"], only["record_count"]) == ("high", 0)
    item = ok_json(home, "attribute", str(only["id"]))
    assert item["verdict"] == "certain" and item["records"] == 0
    # ...and it still alerts.
    incident = open_incident(db, name="canary-watch", datasets=["crm"], sources=["paste"],
                             every="30m", cron=None, period="90d",
                             notify=["soc@example.jp"]).id
    assert link_changes(db, incident, [FindingChange(only["id"], "new", 0, 0, "high")]) == 1

    # A canary's name alone is no evidence (names come from common pools).
    name_only = write_csv(tmp_path / "names.csv", ["氏名"], [[canaries[1]["氏名"]]])
    listed = json.loads(run(home, "scan", "--file", str(name_only), "--json").stdout)
    assert listed == []

    # Nothing of a canary, nor of a planted customer, in the clear anywhere.
    needles = [v for c in canaries for k, v in c.items() if v and k != "生年月日"]
    needles += [c["住所"] for c in canaries]
    everything = all_file_bytes(home)
    for table, rows in db_rows(load_settings(home).database_url).items():
        everything[Path(f"table:{table}")] = repr(rows).encode()
    everything[Path("attribute")] = json.dumps(item, ensure_ascii=False).encode()
    for where, blob in everything.items():
        assert_no_planted(blob, str(where))
        for needle in needles:
            assert needle.encode() not in blob, f"a canary value in {where}"


def test_done_when_story_with_alert_email(home: Path, tmp_path: Path, db: Database,
                                          monkeypatch: pytest.MonkeyPatch,
                                          smtp_plain: SmtpSink) -> None:
    """Three contractors (one a sub-contractor under external-service), handovers and
    canaries; a leak from the sub-contractor's copy with one of its canaries names it
    first, with certainty, in findings show, attribute --json and the alert e-mail."""
    add_three(home, tmp_path)
    minted: dict[str, list[dict[str, str]]] = {}
    for who in ("east", "west", "dm-print"):
        out = tmp_path / f"{who}.csv"
        ok(home, "canary", "mint", "--contractor", who, "--dataset", "crm", "--count", "3",
           "--email-domain", "canary.example.jp", "--out", str(out))
        minted[who] = canary_rows(out)
    found = scan(home, tmp_path, "dump.csv",
                 [*leak_rows(range(5, 45)), as_leak_row(minted["dm-print"][1])])

    text = ok(home, "findings", "show", str(found["id"]))
    section = text[text.index("likely source"):]
    assert "east > dm-print — certain (1 of its canaries present)" in section
    first_row = next(line for line in section.splitlines() if line.strip().startswith("1 "))
    assert "east > dm-print" in first_row

    item = ok_json(home, "attribute", str(found["id"]))
    assert item["verdict"] == "certain"
    assert item["candidates"][0]["contractor"] == "dm-print"
    assert {c["contractor"] for c in item["candidates"]} == {"dm-print", "east"}

    incident = open_incident(db, name="contractor-leak", datasets=["crm"], sources=["paste"],
                             every="30m", cron=None, period="90d",
                             notify=["soc@example.jp"]).id
    assert link_changes(db, incident, [FindingChange(found["id"], "new",
                                                     found["record_count"], 0, "high")]) == 1
    for name, value in {"LEAKPRINT_SMTP_HOST": smtp_plain.host,
                        "LEAKPRINT_SMTP_PORT": str(smtp_plain.port),
                        "LEAKPRINT_SMTP_TLS": "none"}.items():
        monkeypatch.setenv(name, value)
    assert send_pending(load_settings(home), db).sent == 1
    by_incident = ok_json(home, "attribute", "--incident", str(incident))
    assert [(i["finding"], i["verdict"]) for i in by_incident] == [(found["id"], "certain")]
    email = smtp_plain.messages[0].message
    assert email["Subject"].startswith("[leakprint] HIGH: 40 customer records and 1 canary")
    body = body_text(email, "plain")
    html = body_text(email, "html")
    for part in (body, html):
        assert "verdict: CERTAIN" in part
        assert "1. east &gt; dm-print" in part or "1. east > dm-print" in part
        assert "1 of its canaries present" in part
    assert "Canary records: 1" in body and "Distinct records: 40" in body
    assert "~canary-" not in body  # canaries are counted apart, not listed as customers
    raw = smtp_plain.messages[0].content
    assert_no_planted(raw, "the alert e-mail")
    for rows in minted.values():
        for c in rows:
            for value in (c["メールアドレス"], c["住所"], c["氏名"]):
                assert value.encode() not in raw and value not in body + html


def test_handovers_of_a_dropped_set_are_not_pinned_on_a_new_one(home: Path, tmp_path: Path
                                                                ) -> None:
    add_three(home, tmp_path)
    ok(home, "fingerprint", "drop", "crm", "--yes")
    # Imported anew (not --replace): other rows, no remap; the old bitmaps must not
    # name these records.
    again = customer_rows(200)[::-1] + PLANTED
    path = write_csv(tmp_path / "customers3.csv", HEADER, again)
    ok(home, "fingerprint", "import", str(path), "--dataset", "crm", "--id-column", "顧客ID",
       *MAP)
    found = scan(home, tmp_path, "leak.csv", leak_rows(range(130, 190)))
    item = ok_json(home, "attribute", str(found["id"]))
    assert item["stale_handovers"] == 3
    assert item["candidates"] == [] and item["verdict"] == "ambiguous"
