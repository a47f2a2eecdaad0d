"""The regulator report (issue 16 points 1 and 4, SPEC 16).

Every item of 規則8条1項 under its heading, in order, in Markdown and HTML; the
persons count leaves out low records; the deadlines (with --wrongful); no planted
value in either file; record references only with --with-refs, and then audited.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from leakprint.db import Database, open_database
from leakprint.db.models import (
    AuditEntry,
    Document,
    Finding,
    IncidentFinding,
    RecordHitRow,
    ScanRun,
)
from leakprint.incidents import open_incident
from leakprint.report import build_report, deadlines, render_html, render_markdown
from leakprint.report.facts import persons_affected
from leakprint.report.model import Lang
from leakprint.report.texts import ITEMS
from tests.leakprint.helpers import PLANTED, assert_no_planted, customer_rows, run
from tests.leakprint.sites import make_deployment

WHEN = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def _finding(db: Database, incident_id: int | None, url: str, records: list[tuple[str, str]],
             dataset: str = "crm", at: datetime = WHEN) -> int:
    """A finding with record hits (ref, level), linked to the incident."""
    with db.session() as session:
        doc = Document(url=url, url_key=url, source="paste", content_sha256="0" * 64,
                       size=100, first_seen=at, last_seen=at, last_changed=at)
        session.add(doc)
        session.flush()
        best = max((lvl for _, lvl in records), key=["low", "medium", "high"].index)
        finding = Finding(document_id=doc.id, dataset=dataset, confidence=best,
                          record_count=len(records), fields=["phone", "name"],
                          snippet="⟨name:4⟩,⟨phone⟩", content_sha256="0" * 64,
                          first_seen=at, last_seen=at, updated_at=at)
        session.add(finding)
        session.flush()
        for ref, level in records:
            fields = ["name", "phone"] if level != "low" else ["name", "birthdate"]
            session.add(RecordHitRow(finding_id=finding.id, record_ref=ref, confidence=level,
                                     fields=fields, first_seen=at))
        if incident_id is not None:
            session.add(IncidentFinding(incident_id=incident_id, finding_id=finding.id))
        return finding.id


def _incident(db: Database, threshold: str = "medium") -> int:
    return open_incident(db, name="contractor-leak", datasets=["crm"], sources=["paste"],
                         every="30m", cron=None, period="90d", notify=["soc@example.jp"],
                         threshold=threshold, now=WHEN).id


def _headings(text: str, pattern: str) -> list[tuple[str, str]]:
    return re.findall(pattern, text, flags=re.M)


def test_every_item_in_order_with_its_heading(db: Database) -> None:
    incident = _incident(db)
    _finding(db, incident, "https://paste.example/raw/a", [("C1", "high"), ("C2", "medium")])
    with db.session() as session:
        session.add(ScanRun(kind="sources", incident_id=incident, status="ok", started_at=WHEN,
                            finished_at=WHEN + timedelta(minutes=2), sources=["paste"],
                            pages=7))
    langs: tuple[Lang, ...] = ("ja", "en")
    for lang in langs:
        with db.session() as session:
            report = build_report(session, incident, lang=lang, aware_on=date(2026, 11, 21))
        md, html = render_markdown(report), render_html(report)
        md_items = _headings(md, r"^## (\d)\. (.+)$")
        html_items = re.findall(r"<h2>(\d)\. ([^<]+)</h2>", html)
        for found in (md_items, html_items):
            assert [int(n) for n, _ in found] == list(range(1, 10))
            for (_, heading), (ja, en) in zip(found, ITEMS, strict=True):
                assert heading.startswith(ja)
                assert (f"({en})" in heading) == (lang == "en")
        # What leakprint cannot know is marked for the operator: items 4 to 8 at least.
        marker = "【事業者が記入】" if lang == "ja" else "[to be filled by the operator]"
        sections = re.split(r"^## \d\. ", md, flags=re.M)[1:]
        for number in (4, 5, 6, 7, 8):
            assert marker in sections[number - 1]
        # The data items in the report's words, the run in the appendix.
        assert ("氏名" if lang == "ja" else "name, phone number") in sections[1]
        assert "https://paste.example/raw/a" in md and "⟨name:4⟩" in html


def test_persons_count_excludes_low_records_and_counts_each_record_once(db: Database) -> None:
    incident = _incident(db)
    _finding(db, incident, "https://paste.example/1",
             [("C1", "high"), ("C2", "medium"), ("C3", "low"), ("C4", "low")])
    # C1 again (another document), C3 now at medium: counted once each.
    _finding(db, incident, "https://paste.example/2", [("C1", "medium"), ("C3", "medium")])
    # The same reference in another dataset is another customer record.
    _finding(db, incident, "https://paste.example/3", [("C1", "high")], dataset="crm-old")
    # A finding not linked to the incident does not count.
    _finding(db, None, "https://paste.example/4", [("C9", "high")])
    with db.session() as session:
        assert persons_affected(session, incident, "medium") == 4  # C1, C2, C3, crm-old/C1
        assert persons_affected(session, incident, "high") == 2
        assert persons_affected(session, incident, "low") == 5  # and C4
        report = build_report(session, incident, lang="en")
    assert report.persons == 4
    md = render_markdown(report)
    assert "4 persons (distinct customer records matched at confidence medium or above; " \
           "1 below medium not counted)" in md
    assert "More than 1,000 persons (Rule 7 item 4): not met" in md


def test_more_than_1000_persons_looks_reportable(db: Database) -> None:
    incident = _incident(db)
    _finding(db, incident, "https://paste.example/big",
             [(f"C{i}", "medium") for i in range(1001)])
    with db.session() as session:
        report = build_report(session, incident, lang="en")
    assert report.persons == 1001 and report.looks_reportable
    assert "More than 1,000 persons (Rule 7 item 4): met (1,001)" in render_markdown(report)


def test_deadlines_from_aware_on() -> None:
    plain = deadlines(date(2026, 12, 1), wrongful=False)
    assert (plain.preliminary_from, plain.preliminary_latest, plain.final_due) == (
        date(2026, 12, 4), date(2026, 12, 6), date(2026, 12, 31))
    wrongful = deadlines(date(2026, 12, 1), wrongful=True)
    assert wrongful.final_due == date(2027, 1, 30) and wrongful.final_days == 60
    assert wrongful.preliminary_latest == date(2026, 12, 6)


def test_deadlines_in_the_report(db: Database) -> None:
    incident = _incident(db)
    with db.session() as session:
        ja = render_markdown(build_report(session, incident, aware_on=date(2026, 12, 1)))
        en = render_markdown(build_report(session, incident, lang="en", stage="final",
                                          aware_on=date(2026, 12, 1), wrongful=True))
        none = render_markdown(build_report(session, incident))
    assert "速やかに（目安 3〜5 日：2026-12-04 〜 遅くとも 2026-12-06）" in ja
    assert "30 日以内：2026-12-31 まで" in ja
    assert "within 60 days: by 2027-01-30 (suspected wrongful intent: 60 days)" in en
    assert "Personal data leak report (final)" in en
    assert "Suspected wrongful intent (item 3): met, as the operator says (--wrongful)" in en
    assert "未指定（`--aware-on YYYY-MM-DD`" in none


# ------------------------------------------------------------------ CLI, planted values


@pytest.fixture
def leaked(tmp_path: Path, db_url: str) -> tuple[Path, dict[str, str], str]:
    """A deployment whose planted customers were found by a real file scan, the
    findings linked to incident 1."""
    home = tmp_path / "home"
    env = make_deployment(home, db_url, PLANTED + customer_rows(40))
    dump = tmp_path / "dump.csv"
    rows = PLANTED + customer_rows(5)
    dump.write_text("氏名,電話番号,メールアドレス,生年月日\n" + "".join(
        f"{r[1]},{r[3]},{r[4]},{r[5]}\n" for r in rows), encoding="utf-8")
    assert run(home, "scan", "--file", str(dump), env=env).exit_code == 0
    dump.unlink()
    db = open_database(db_url)
    try:
        incident = _incident(db)
        with db.session() as session:
            for (fid,) in session.execute(sa.select(Finding.id)):
                session.add(IncidentFinding(incident_id=incident, finding_id=fid))
    finally:
        db.close()
    return home, env, db_url


def _audit_actions(db_url: str) -> list[tuple[str, dict[str, object]]]:
    db = open_database(db_url)
    try:
        with db.session() as session:
            return [(e.action, e.details) for e in
                    session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]
    finally:
        db.close()


def test_no_planted_value_and_refs_only_with_with_refs(
        leaked: tuple[Path, dict[str, str], str], tmp_path: Path) -> None:
    home, env, db_url = leaked
    out = tmp_path / "out" / "draft.txt"
    result = run(home, "report", "--incident", "1", "--aware-on", "2026-12-01", "--out",
                 str(out), env=env)
    assert result.exit_code == 0, result.output
    assert "8 persons at medium or above" in result.output
    md, html = out.with_suffix(".md"), out.with_suffix(".html")
    assert not out.exists()
    for path in (md, html):
        blob = path.read_bytes()
        assert_no_planted(blob, path.name)
        assert b"P0000001" not in blob and b"C0000001" not in blob
        assert path.stat().st_mode & 0o077 == 0
    assert "8 人" in md.read_text(encoding="utf-8")
    assert ("report.write", {"incident": 1, "stage": "preliminary", "lang": "ja",
                             "with_refs": False, "refs": 0,
                             "files": ["draft.md", "draft.html"]}) in _audit_actions(db_url)

    with_refs = run(home, "report", "--incident", "1", "--with-refs", "--lang", "en",
                    "--out", str(tmp_path / "refs"), env=env)
    assert with_refs.exit_code == 0, with_refs.output
    for name in ("refs.md", "refs.html"):
        blob = (tmp_path / name).read_bytes()
        assert_no_planted(blob, name)
        for ref in ("P0000001", "P0000002", "P0000003", "C0000000", "C0000004"):
            assert ref.encode() in blob
    entry = _audit_actions(db_url)[-1]
    assert entry[0] == "report.write" and entry[1]["with_refs"] is True
    assert entry[1]["refs"] == 8
    assert run(home, "audit", "verify", env=env).exit_code == 0


def test_default_name_in_the_current_folder(leaked: tuple[Path, dict[str, str], str],
                                            tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    home, env, _ = leaked
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    assert run(home, "report", "--incident", "1", env=env).exit_code == 0
    names = sorted(p.name for p in work.iterdir())
    assert len(names) == 2
    assert re.fullmatch(r"leak-report-incident-1-\d{4}-\d{2}-\d{2}\.html", names[0])
    assert names[1] == names[0].replace(".html", ".md")


def test_unknown_incident_is_one_line(leaked: tuple[Path, dict[str, str], str]) -> None:
    home, env, _ = leaked
    result = run(home, "report", "--incident", "9", env=env)
    assert result.exit_code == 2
    assert result.output.strip() == "error: no incident 9 (see `leakprint incident list`)"


@pytest.mark.slow  # the whole demo
def test_the_demo_incident_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Done when: `report --incident 1 --aware-on DATE` on the demo's incident — the
    nine items, the persons count and data items as `findings --json` has them, both
    deadlines."""
    import json
    import shutil

    from rich.console import Console

    from leakprint.demo.run import run_demo
    from leakprint.report.texts import KIND_WORDS

    console = Console(record=True, width=200)
    monkeypatch.delenv("LEAKPRINT_ALLOWED_NETWORKS", raising=False)
    assert run_demo(console, customers=300, keep=True) == 0
    kept = re.search(r"kept (\S+)", console.export_text())
    assert kept is not None
    home = Path(kept.group(1))
    try:
        listed = run(home, "findings", "--incident", "1", "--json")
        assert listed.exit_code == 0, listed.output
        findings = json.loads(listed.output)
        medium_up = {(f["dataset"], r["ref"]) for f in findings for r in f["records"]
                     if r["confidence"] in ("medium", "high")}
        # The demo's leak carries one of dm-print's canaries: not a person (SPEC 14).
        canaries = {ref for ds, ref in medium_up if ref.startswith("~canary-")}
        assert canaries
        medium_up -= {(ds, ref) for ds, ref in medium_up if ref in canaries}
        kinds = {k for f in findings for k in f["fields"]}
        assert medium_up and kinds
        out = tmp_path / "demo-report"
        made = run(home, "report", "--incident", "1", "--aware-on", "2026-12-04",
                   "--out", str(out))
        assert made.exit_code == 0, made.output
        md = out.with_suffix(".md").read_text(encoding="utf-8")
        html = out.with_suffix(".html").read_text(encoding="utf-8")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert [int(n) for n, _ in _headings(md, r"^## (\d)\. (.+)$")] == list(range(1, 10))
    assert len(re.findall(r"<h2>\d\. ", html)) == 9
    assert f"{len(medium_up):,} 人（確度「中」以上" in md
    # Item 4 names the contractor whose canary is in the leak, with certainty.
    cause = md.split("## 4. ")[1].split("## 5. ")[0]
    assert "dm-print — certain (1 of its canaries present)" in cause
    assert "~canary-" not in md and "~canary-" not in html
    items = md.split("## 2. ")[1].split("## 3. ")[0]
    for kind in kinds:
        assert KIND_WORDS["ja"].get(kind, kind) in items
    assert "遅くとも 2026-12-09" in md and "30 日以内：2027-01-03 まで" in md


def test_many_scan_runs_are_summed_but_the_appendix_lists_the_latest(db: Database) -> None:
    from leakprint.report.model import MAX_LISTED_RUNS

    incident = _incident(db)
    total = MAX_LISTED_RUNS + 5
    with db.session() as session:
        for n in range(total):
            at = WHEN + timedelta(minutes=n)
            session.add(ScanRun(kind="sources", incident_id=incident,
                                status="failed" if n % 50 == 0 else "ok", started_at=at,
                                finished_at=at, sources=["paste"], pages=2))
    with db.session() as session:
        report = build_report(session, incident, lang="en")
    md = render_markdown(report)
    assert f"{total} scans (200 ok, 5 failed, 0 other), {2 * total} pages fetched" in md
    assert "5 earlier scans are not listed (they are counted in item 9)." in md
    appendix = md.split("### Scan runs")[1]
    assert len(re.findall(r"^\| \d+ \| (ok|failed) \|", appendix, flags=re.M)) == MAX_LISTED_RUNS
