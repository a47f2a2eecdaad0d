"""``--format table|json|csv``: the writers of ``leakprint.outputs`` and the shared option."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from leakprint.db import Database, open_database
from leakprint.incidents import open_incident
from leakprint.outputs import NAMES, WRITERS, csvout, emit
from tests.leakprint.helpers import PLANTED, assert_no_planted, customer_rows, open_one, run
from tests.leakprint.sites import make_deployment

CUSTOMERS = PLANTED + customer_rows(60)
FINDING_COLUMNS = ["id", "dataset", "source", "url", "content_sha256", "first_seen",
                   "last_seen", "confidence", "bulk", "record_count", "fields", "records",
                   "snippet"]


def test_the_registry_names_table_first() -> None:
    assert NAMES == ("table", "json", "csv")
    assert set(WRITERS) == {"json", "csv"}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+81 90", "'+81 90"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (None, ""),
        (True, "true"),
        (False, "false"),
        (-3, "-3"),  # a number is no formula
        (0.25, "0.25"),
        (["email", "phone"], '["email","phone"]'),
        ({"ref": "C1"}, '{"ref":"C1"}'),
        (["=1+1"], '["=1+1"]'),  # nested: starts with "[", a spreadsheet reads it as text
    ],
)
def test_csv_cells(value: object, text: str) -> None:
    assert csvout.cell(value) == text


def test_csv_writes_a_header_and_one_row_per_item() -> None:
    out = io.StringIO()
    emit("csv", [{"id": 1, "name": "=cmd", "tags": ["a"]}, {"id": 2, "extra": None}], out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["id", "name", "tags", "extra"], ["1", "'=cmd", '["a"]', ""],
                    ["2", "", "", ""]]
    one = io.StringIO()
    emit("csv", {"dataset": "crm", "ok": True}, one)
    assert one.getvalue() == "dataset,ok\ncrm,true\n"
    empty = io.StringIO()
    emit("csv", [], empty)
    assert empty.getvalue() == ""  # no columns named: nothing to head
    named = io.StringIO()
    emit("csv", [], named, columns=["id", "=name"])
    assert named.getvalue() == "id,'=name\n"
    extra = io.StringIO()  # the named columns first, then any a row adds
    emit("csv", [{"b": 1, "c": 2}], extra, columns=["a", "b"])
    assert extra.getvalue() == "a,b,c\n,1,2\n"
    as_json = io.StringIO()
    emit("json", [], as_json, columns=["id"])
    assert as_json.getvalue() == "[]\n"


def test_json_writer_is_the_json_of_before() -> None:
    out = io.StringIO()
    emit("json", [{"名前": "値", "n": 1}], out)
    assert out.getvalue() == '[\n  {\n    "名前": "値",\n    "n": 1\n  }\n]\n'


@pytest.fixture
def scanned(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A SQLite deployment with one finding (a dump of 12 customers)."""
    home = tmp_path / "home"
    env = make_deployment(home, f"sqlite:///{tmp_path}/lp.db", CUSTOMERS)
    dump = tmp_path / "leak.csv"
    dump.write_text("name,tel,mail\n" + "".join(
        f"{r[1]},{r[3]},{r[4]}\n" for r in CUSTOMERS[:12]), encoding="utf-8")
    assert run(home, "scan", "--file", str(dump), "--json", env=env).exit_code == 0
    return home, env


def test_findings_in_every_format(scanned: tuple[Path, dict[str, str]]) -> None:
    home, env = scanned
    as_json = run(home, "findings", "--json", env=env)
    assert as_json.exit_code == 0, as_json.output
    # --json is an alias: the very same bytes.
    assert run(home, "findings", "--format", "json", env=env).stdout == as_json.stdout
    listed = json.loads(as_json.stdout)
    assert len(listed) == 1 and list(listed[0]) == FINDING_COLUMNS

    result = run(home, "findings", "--format", "csv", env=env)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == FINDING_COLUMNS  # the JSON's fields, and no other
    [row] = rows
    [finding] = listed
    assert row["id"] == str(finding["id"]) and row["confidence"] == finding["confidence"]
    assert row["bulk"] == ("true" if finding["bulk"] else "false")
    assert json.loads(row["records"]) == finding["records"]
    assert json.loads(row["fields"]) == finding["fields"]
    assert_no_planted(result.stdout.encode(), "findings --format csv")

    table = run(home, "findings", env=env)
    assert table.exit_code == 0 and str(finding["id"]) in table.stdout
    assert run(home, "findings", "--format", "table", env=env).stdout == table.stdout


def test_json_and_another_format_together_is_a_usage_error(
        scanned: tuple[Path, dict[str, str]]) -> None:
    home, env = scanned
    result = run(home, "findings", "--json", "--format", "csv", env=env)
    assert result.exit_code == 2
    assert result.output.startswith("error: --json is --format json")
    assert result.output.count("\n") == 1
    assert run(home, "findings", "--json", "--format", "json", env=env).exit_code == 0


def test_a_formula_in_a_listed_name_is_defused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/lp.db"
    home = tmp_path / "home"
    home.mkdir()
    env = {"LEAKPRINT_DATABASE_URL": url}
    assert run(home, "init", env=env).exit_code == 0
    db = open_database(url)
    try:
        open_incident(db, name="=cmd|' /C calc'!A0", datasets=["crm"], sources=["paste"],
                      every="1h", cron=None, period="7d", notify=["mailto:soc@example.jp"])
    finally:
        db.close()
    result = run(home, "incident", "list", "--format", "csv", env=env)
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["name"] == "'=cmd|' /C calc'!A0"
    assert row["notify"] == '["soc@example.jp"]'  # mailto: stored as the bare address
    assert list(row) == list(json.loads(run(home, "incident", "list", "--json",
                                            env=env).stdout)[0])


# An empty listing still names its columns in CSV (a script reading it sees them) and
# is `[]` in JSON. The columns are each listing's JSON keys, in their order.
EMPTY_LISTINGS: list[tuple[tuple[str, ...], list[str]]] = [
    (("findings",), FINDING_COLUMNS),
    (("incident", "list"), ["id", "name", "datasets", "sources", "every_seconds", "cron",
                            "threshold", "notify", "state", "created_at", "ends_at",
                            "closed_at", "last_scan_at", "last_scan_status", "last_scan_error",
                            "last_scan_run", "next_scan_at", "findings"]),
    (("alerts", "list"), ["id", "incident", "kind", "finding", "scan_run", "record_count",
                          "previous_record_count", "update", "status", "attempts",
                          "last_error", "created_at", "next_attempt_at", "sent_at"]),
    (("fingerprint", "list"), ["id", "name", "path", "key_id", "normalizer_version",
                               "record_count", "kinds", "bad_rows", "created_at", "source",
                               "sealed"]),
    (("sources", "list"), ["name", "kind", "start_urls", "render", "max_depth", "max_pages",
                           "obey_robots"]),
    (("sources", "check"), ["name", "url", "status", "error", "follow", "offsite", "dropped",
                            "next_page", "note"]),
    (("contractor", "list"), ["id", "name", "parent", "contract", "note", "chain",
                              "created_at", "depth", "children"]),
    (("handover", "list"), ["id", "contractor", "dataset", "date", "purpose", "records",
                            "canaries", "created_at"]),
]


@pytest.mark.parametrize(("command", "columns"), EMPTY_LISTINGS,
                         ids=[" ".join(c) for c, _ in EMPTY_LISTINGS])
def test_an_empty_listing_has_its_header_in_csv_and_is_empty_in_json(
        home: Path, command: tuple[str, ...], columns: list[str]) -> None:
    if command[0] == "sources":
        (home / "sources.toml").write_text("", encoding="utf-8")
    as_csv = run(home, *command, "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [columns]
    as_json = run(home, *command, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == []


def test_an_empty_scan_has_its_header_in_csv(crm_home: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean.txt"
    clean.write_text("nothing of ours here\n", encoding="utf-8")
    result = run(crm_home, "scan", "--file", str(clean), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.stdout))) == [FINDING_COLUMNS]


def test_a_listing_names_the_columns_its_rows_have(crm_home: Path, db: Database) -> None:
    """The declared columns are the rows' JSON keys, in order (no drift between them)."""
    home = crm_home
    open_one(db)
    assert run(home, "contractor", "add", "east", "--contract", "entrustment").exit_code == 0
    (home / "refs.txt").write_text("C0000000\nC0000001\n", encoding="utf-8")
    added = run(home, "handover", "add", "--contractor", "east", "--dataset", "crm",
                "--refs", str(home / "refs.txt"))
    assert added.exit_code == 0, added.output
    for command, columns in EMPTY_LISTINGS:
        if command in (("findings",), ("alerts", "list")):
            continue  # populated by the scan and outbox tests
        listed = json.loads(run(home, *command, "--json").stdout)
        assert listed and list(listed[0]) == columns, command
        header = next(csv.reader(io.StringIO(run(home, *command, "--format", "csv").stdout)))
        assert header == columns, command
