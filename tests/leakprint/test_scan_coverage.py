"""No silent "no findings" (issue 19 points 6-10, SPEC 10): through the real CLI and crawl.

A dump served as ``application/octet-stream`` and one nested 2,100 levels deep are
scanned; a compression bomb, a redirect loop and a redirect to a refused address are
coverage errors, listed on stderr (also with ``--json``, with the documents line) and
by ``incident show``; ``scan`` exits 3 for them, 1 when a finding reaches ``--fail-on``
(which wins), 2 when nothing could be scanned; a run's findings stay its own after
another scan of the same URL (concurrent scans both report).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.crawler.sites import Reply, html
from tests.leakprint import sites
from tests.leakprint.helpers import PLANTED, assert_no_planted, customer_rows, run
from tests.leakprint.sites import csv_dump, make_deployment, planted_dump, scan_runs

pytestmark = pytest.mark.slow  # real crawls of hostile pages

ROWS = customer_rows(40)
DEEP = 2100


def _routes(site: sites.Site) -> Callable[..., Reply]:
    def route(path: str, query: dict[str, list[str]]) -> Reply:
        if path == "/dump.bin":
            return 200, {"Content-Type": "application/octet-stream"}, planted_dump().encode()
        if path == "/deep":
            body = "<div>" * DEEP + f"<pre>{csv_dump(ROWS[:20], 'deep')}</pre>" + "</div>" * DEEP
            return 200, {"Content-Type": "text/html; charset=utf-8"}, html(body)
        if path == "/bomb":
            return 200, {"Content-Type": "text/plain", "Content-Encoding": "gzip"}, \
                gzip.compress(b"\0" * (48 * 1024 * 1024))
        if path == "/loop":
            return 302, {"Location": "/loop"}, b""
        if path == "/to-internal":
            return 302, {"Location": "http://127.0.0.2:9/x"}, b""
        return 404, {"Content-Type": "text/plain"}, b"no"
    return route


@pytest.fixture(scope="module")
def site() -> Iterator[sites.Site]:
    s = sites.start_site(_routes)
    yield s
    sites.stop_site(s)


@pytest.fixture
def deployed(tmp_path: Path, db_url: str) -> tuple[Path, dict[str, str]]:
    """A deployment with ``PLANTED + ROWS`` imported: (folder, CLI environment)."""
    h = tmp_path / "home"
    env = make_deployment(h, db_url, PLANTED + ROWS)  # SQLite, and PostgreSQL when set
    return h, env


def test_octet_stream_and_deep_html_are_scanned(deployed: tuple[Path, dict[str, str]],
                                                site: sites.Site) -> None:
    h, env = deployed
    dump = run(h, "scan", "--url", site.url("/dump.bin"), "--json", env=env)
    assert dump.exit_code == 0, dump.output
    [finding] = json.loads(dump.stdout)
    assert {r["ref"] for r in finding["records"]} == {r[0] for r in PLANTED}
    # Point 9: with --json, stderr still says how much was read.
    assert "1 document, " in dump.stderr and "bytes scanned (scan run 1)" in dump.stderr
    deep = run(h, "scan", "--url", site.url("/deep"), "--json", env=env)
    assert deep.exit_code == 0, deep.output
    [finding] = json.loads(deep.stdout)
    assert {r["ref"] for r in finding["records"]} >= {r[0] for r in ROWS[:20]}
    assert_no_planted((dump.stdout + dump.stderr).encode(), "scan output")


def test_refusals_are_coverage_errors_with_exit_3(deployed: tuple[Path, dict[str, str]],
                                                   site: sites.Site) -> None:
    h, env = deployed
    urls = [site.url(p) for p in ("/dump.bin", "/bomb", "/loop", "/to-internal")]
    args = [a for u in urls for a in ("--url", u)]
    result = run(h, "scan", *args, "--json", env=env)
    assert result.exit_code == 3, result.output
    assert len(json.loads(result.stdout)) == 1  # the dump's finding is still reported
    err = result.stderr
    assert "coverage: 3 documents could not be read in full (not a clean result):" in err
    assert f"{site.url('/bomb')}: refused: larger than the size bound" in err
    assert f"{site.url('/loop')}: redirect loop" in err
    # On demand, links and redirects stay on the given sites: a hop elsewhere is refused
    # by the host rules before the address guard is even asked (tests/crawler has both).
    assert f"{site.url('/to-internal')}: redirect to a host the source does not allow " \
        "(to 127.0.0.2:9)" in err
    # A finding at or above --fail-on wins over the coverage status.
    failed = run(h, "scan", *args, "--fail-on", "low", env=env)
    assert failed.exit_code == 1, failed.output
    assert "coverage: 3 documents" in failed.stderr
    assert "no findings" not in failed.output
    assert_no_planted((result.stdout + result.stderr + failed.output).encode(), "output")


def test_nothing_scanned_is_exit_2_and_says_why(deployed: tuple[Path, dict[str, str]],
                                                 site: sites.Site) -> None:
    h, env = deployed
    result = run(h, "scan", "--url", site.url("/loop"), env=env)
    assert result.exit_code == 2, result.output
    assert "no findings" not in result.output
    assert f"{site.url('/loop')}: redirect loop" in result.stderr
    assert "no page could be fetched (1 coverage error)" in result.stderr


def test_a_runs_findings_stay_its_own(deployed: tuple[Path, dict[str, str]],
                                      site: sites.Site) -> None:
    """Two scans of one URL: the first run's result is not taken by the second (the
    race of two ``scan --url`` at once, made deterministic: results read afterwards)."""
    from leakprint.config import load_settings
    from leakprint.crawl import run_findings
    from leakprint.db import open_database

    h, env = deployed
    first = run(h, "scan", "--url", site.url("/dump.bin"), "--json", env=env)
    second = run(h, "scan", "--url", site.url("/dump.bin"), "--json", env=env)
    assert first.exit_code == second.exit_code == 0
    ids = [f["id"] for f in json.loads(first.stdout)]
    assert ids == [f["id"] for f in json.loads(second.stdout)] and ids
    db = open_database(load_settings(h, env=env).database_url)
    try:
        # Each run reports its finding and its document (not "0 documents").
        assert run_findings(db, 1)[:2] == (ids, 1)
        assert run_findings(db, 2)[:2] == (ids, 1)
    finally:
        db.close()


def test_incident_show_lists_the_last_scans_coverage_errors(
        deployed: tuple[Path, dict[str, str]], site: sites.Site,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from leakprint.scheduler import run_incident_scan

    h, env = deployed
    (h / "sources.toml").write_text(f"""
[[source]]
name = "gaps"
kind = "page"
start_urls = ["{site.url('/dump.bin')}", "{site.url('/loop')}"]
obey_robots = false
""", encoding="utf-8")
    opened = run(h, "incident", "open", "leak", "--dataset", "crm", "--source", "gaps",
                 "--every", "30m", "--for", "7d", "--notify", "soc@example.jp", env=env)
    assert opened.exit_code == 0, opened.output
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LEAKPRINT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LEAKPRINT_SMTP_PORT", "9")  # nothing listens: alerts stay queued
    run_incident_scan(str(h), 1)
    shown = run(h, "incident", "show", "1", env=env)
    assert shown.exit_code == 0, shown.output
    assert "coverage errors of the last scan (1): not read in full" in shown.stdout
    assert f"{site.url('/loop')}: redirect loop" in shown.stdout
    data = json.loads(run(h, "incident", "show", "1", "--json", env=env).stdout)
    assert [(g["kind"], g["url"]) for g in data["coverage_errors"]] == [
        ("redirect_loop", site.url("/loop"))]


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/dump.txt", "file:///etc/passwd",
                                 "javascript:alert(1)", "http:///no-host"])
def test_bad_url_scheme_is_refused_before_any_crawl(deployed: tuple[Path, dict[str, str]],
                                                    url: str) -> None:
    h, env = deployed
    result = run(h, "scan", "--url", url, env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --url number 1 (")
    assert "only http:// and https:// URLs" in result.stderr
    assert url not in result.stderr  # a URL may name a customer: never quoted (SPEC 10.2)
    assert scan_runs(env["LEAKPRINT_DATABASE_URL"]) == []  # no run, no crawl started
