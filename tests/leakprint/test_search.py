"""`leakprint search`: any format of a value finds the customer's findings; the audit log
records the search by keyed digest only."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.leakprint.helpers import PLANTED, assert_no_planted, customer_rows, run
from tests.leakprint.sites import db_rows, make_deployment

CUSTOMERS = PLANTED + customer_rows(100)
KANBEE = PLANTED[0]  # P0000001, 090-8765-4321
PHONE_FORMS = ["090-8765-4321", "09087654321", "+81 90 8765 4321", "+819087654321",
               "０９０－８７６５－４３２１", "(090)8765-4321", "090ｰ8765ｰ4321", "090 8765 4321"]


@pytest.fixture
def scanned(tmp_path: Path, db_url: str) -> tuple[Path, dict[str, str], str, int]:
    """A deployment that scanned one dump holding P0000001 and C0000000..C0000009."""
    home = tmp_path / "home"
    env = make_deployment(home, db_url, CUSTOMERS)
    dump = tmp_path / "dump.csv"
    rows = [KANBEE, *CUSTOMERS[3:13]]
    dump.write_text("name,tel,mail\n" + "".join(f"{r[1]},{r[3]},{r[4]}\n" for r in rows),
                    encoding="utf-8")
    result = run(home, "scan", "--file", str(dump), "--json", env=env)
    assert result.exit_code == 0, result.output
    [finding] = json.loads(result.stdout)
    dump.unlink()
    return home, env, db_url, int(finding["id"])


def search_json(home: Path, env: dict[str, str], *args: str) -> dict[str, Any]:
    result = run(home, "search", *args, "--json", env=env)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    assert set(data) == {"records", "findings", "invalid"}
    return data


def test_any_phone_format_finds_the_customer_and_the_finding(
    scanned: tuple[Path, dict[str, str], str, int]
) -> None:
    home, env, _, finding_id = scanned
    for form in PHONE_FORMS:
        data = search_json(home, env, "--phone", form)
        assert data["records"] == {"crm": ["P0000001"]}, form
        assert data["invalid"] == []
        [f] = data["findings"]
        assert f["id"] == finding_id
        # Only the searched record is shown, not the rest of the leak.
        assert [r["ref"] for r in f["records"]] == ["P0000001"]
        assert f["records"][0]["confidence"] == "high"
    human = run(home, "search", "--phone", PHONE_FORMS[0], env=env)
    assert human.exit_code == 0
    assert "crm: record P0000001" in human.output and str(finding_id) in human.output


def test_email_name_and_record_searches(scanned: tuple[Path, dict[str, str], str, int]) -> None:
    home, env, _, finding_id = scanned
    assert search_json(home, env, "--email", KANBEE[4])["records"] == {"crm": ["P0000001"]}
    for name in (KANBEE[1], KANBEE[1].replace(" ", ""), KANBEE[1].replace(" ", "　")):
        assert search_json(home, env, "--name", name)["records"] == {"crm": ["P0000001"]}
    both = search_json(home, env, "--phone", KANBEE[3], "--email", KANBEE[4])
    assert both["records"] == {"crm": ["P0000001"]}
    # Two values of two different customers: no record has both.
    mixed = search_json(home, env, "--phone", KANBEE[3], "--email", PLANTED[1][4])
    assert mixed["records"] == {} and mixed["findings"] == []
    by_ref = search_json(home, env, "--record", "C0000005")
    assert by_ref["records"] == {"crm": ["C0000005"]}
    assert [f["id"] for f in by_ref["findings"]] == [finding_id]
    assert search_json(home, env, "--record", "NOPE0001")["records"] == {}
    # A customer who is fingerprinted but was in no scanned dump.
    unseen = search_json(home, env, "--phone", PLANTED[2][3])
    assert unseen["records"] == {"crm": ["P0000003"]} and unseen["findings"] == []
    out = run(home, "search", "--phone", PLANTED[2][3], env=env).output
    assert "not seen in any scanned document" in out
    # Somebody else's number.
    stranger = search_json(home, env, "--phone", "090-1357-2468")
    assert stranger["records"] == {} and stranger["findings"] == []
    assert "not one of the fingerprinted customers" in run(
        home, "search", "--phone", "090-1357-2468", env=env).output
    # Not a phone number at all: nothing searched, so no answer either way; exit 2.
    bad = run(home, "search", "--phone", "12", env=env)
    assert bad.exit_code == 2
    assert bad.output == "error: not a valid value for --phone: nothing was searched\n"
    # With a valid value beside it, the valid one is searched and the other named.
    both = search_json(home, env, "--phone", "12", "--email", "nobody@example.jp")
    assert both["invalid"] == ["phone"] and both["records"] == {}
    assert run(home, "search", env=env).exit_code == 2


def _digit_runs(value: str) -> set[str]:
    runs = {m for m in re.findall(r"\d+", value.translate(str.maketrans(
        "０１２３４５６７８９", "0123456789"))) if len(m) >= 4}
    digits = "".join(re.findall(r"\d", value.translate(str.maketrans(
        "０１２３４５６７８９", "0123456789"))))
    if len(digits) >= 4:
        runs.add(digits)
    return runs


def test_audit_log_holds_searches_by_digest_only(
    scanned: tuple[Path, dict[str, str], str, int]
) -> None:
    home, env, db_url, _ = scanned
    for form in PHONE_FORMS:
        search_json(home, env, "--phone", form)
    search_json(home, env, "--email", KANBEE[4], "--name", KANBEE[1])
    audit = db_rows(db_url, ("audit_log",))["audit_log"]
    searches = [row for row in audit if row[3] == "search"]
    assert len(searches) == len(PHONE_FORMS) + 1
    details = [row[4] if isinstance(row[4], dict) else json.loads(str(row[4]))
               for row in searches]
    # Every format of the number is the same keyed digest.
    phone_digests = {d["digests"]["phone"] for d in details[:-1]}
    assert len(phone_digests) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", phone_digests.pop())
    assert set(details[-1]["digests"]) == {"email", "name"}
    assert all(d["records_found"] == 1 for d in details)

    needles = set(PHONE_FORMS) | {KANBEE[4], KANBEE[1], KANBEE[1].replace(" ", ""),
                                  "+819087654321", "819087654321"}
    runs = set().union(*(_digit_runs(v) for v in PHONE_FORMS))
    assert {"8765", "4321", "09087654321", "819087654321"} <= runs
    for row in audit:
        blob = repr(row)
        for needle in needles | {r for r in runs if len(r) >= 8}:
            assert needle not in blob, "a searched value is in the audit log"
        # Short digit runs: look where text could be (who, what, details), with the
        # hex digests masked; a keyed digest or the chain hash may hold any 4 digits
        # by chance, which says nothing about the value.
        text = re.sub(r"[0-9a-f]{32,}", "<hex>", repr((row[2], row[3], row[4])))
        for short in runs:
            assert short not in text, "a digit run of a searched value is in the audit log"
        assert_no_planted(text.encode(), "audit log")


def test_display_fields_show_a_folded_name_match_as_a_name() -> None:
    from leakprint.findings import display_fields

    assert display_fields(["name", "name_folded", "phone"]) == ("name", "phone")
    # Matched only through variant kanji (髙橋 for 高橋): still a name match.
    assert display_fields(["name_folded", "address"]) == ("name", "address")
    assert display_fields([]) == ()
