"""Crawl scans end to end: `leakprint scan --all-sources/--url/--source` against local sites.

The sites (tests/leakprint/sites.py) are a paste site with an archive, item pages and
raw endpoints, and a forum whose post links to a dump on the paste host that is in no
archive listing; one paste shows its text only after JavaScript. Every scan runs the
real CLI, which runs `scrapy crawl` as a child process with the leakprint pipeline.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.leakprint import sites
from tests.leakprint.helpers import PLANTED, all_file_bytes, assert_no_planted, customer_rows, run
from tests.leakprint.processes import (
    children,
    slow_text,
    stop_process,
    wait_for_documents,
    wait_for_log,
    wait_gone,
)
from tests.leakprint.sites import db_rows, import_set, make_deployment, scan_runs, strong_refs

pytestmark = pytest.mark.slow  # real crawls of the local sites, and kills of them

ROWS = customer_rows(300)
CUSTOMERS = PLANTED + ROWS
LEAKPRINT = Path(sys.executable).parent / "leakprint"


def rows(start: int, n: int) -> list[list[str]]:
    return ROWS[start:start + n]


def refs(start: int, n: int) -> set[str]:
    return {r[0] for r in rows(start, n)}


@dataclass
class Web:
    content: sites.PasteContent
    paste: sites.Site
    forum: sites.Site

    def sources_toml(self, *, js: bool = False) -> str:
        p, f = self.paste.base, self.forum.base
        text = f"""
[[source]]
name = "paste"
kind = "paste"
start_urls = ["{p}/archive"]
follow = ['^/[A-Za-z0-9]{{8}}$']
raw = "/raw/{{id}}"
next_page = "a[rel=next]"

[[source]]
name = "forum"
kind = "forum"
start_urls = ["{f}/forum"]
follow = ['^/thread/\\d+']
content = ".post-body"
next_page = "a[rel=next]"
max_depth = 3
allow_offsite = ['^{re.escape(p)}/raw/']
"""
        if js:
            text += f"""
[[source]]
name = "js-paste"
kind = "page"
start_urls = ["{p}/js/{sites.JS_ID}"]
render = true
wait_for = "#out.done"
"""
        return text


EXPECTED = {  # URL path on the paste host → refs at medium or above
    "/raw/AaAa0001": {r[0] for r in PLANTED},
    "/raw/BbBb0002": refs(10, 15),
    "/raw/CcCc0003": refs(30, 2),
    "/raw/EeEe0005": refs(40, 5),
    f"/raw/{sites.HIDDEN_ID}": refs(100, 20),  # reached only through the forum post
}
JS_REFS = refs(150, 5)


@pytest.fixture
def web() -> Iterator[Web]:
    content = sites.PasteContent(
        listed={"AaAa0001": sites.planted_dump(),
                "BbBb0002": sites.csv_dump(rows(10, 15), "b"),
                "CcCc0003": sites.csv_dump(rows(30, 2), "c"),
                "DdDd0004": "nothing here, just chat\n",
                "EeEe0005": sites.csv_dump(rows(40, 5), "e")},
        hidden=sites.csv_dump(rows(100, 20), "hidden"),
        js=sites.csv_dump(rows(150, 5), "js"))
    paste = sites.start_site(sites.paste_routes(content))
    forum = sites.start_site(sites.forum_routes(paste))
    yield Web(content, paste, forum)
    sites.stop_site(forum)
    sites.stop_site(paste)


@pytest.fixture
def deployed(tmp_path: Path, db_url: str) -> tuple[Path, dict[str, str], str]:
    """A deployment with ``CUSTOMERS`` imported: (folder, CLI environment, database URL)."""
    h = tmp_path / "home"
    env = make_deployment(h, db_url, CUSTOMERS)
    return h, env, db_url


def scan(home: Path, env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    result = run(home, "scan", *args, "--json", env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


def paste_path(web: Web, url: object) -> str:
    assert isinstance(url, str)
    return url.removeprefix(web.paste.base)


def assert_no_duplicates(db_url: str) -> None:
    tables = db_rows(db_url, ("documents", "findings", "record_hits"))
    urls = [r[1] for r in tables["documents"]]
    assert len(urls) == len(set(urls))
    pairs = [(r[1], r[2]) for r in tables["findings"]]  # (document_id, dataset)
    assert len(pairs) == len(set(pairs))
    hits = [(r[1], r[2]) for r in tables["record_hits"]]  # (finding_id, record_ref)
    assert len(hits) == len(set(hits))


def test_all_sources_unchanged_full_and_changed(
    deployed: tuple[Path, dict[str, str], str], web: Web
) -> None:
    h, env, db_url = deployed
    (h / "sources.toml").write_text(web.sources_toml(), encoding="utf-8")

    # 1. First scan: every dump is a finding, with exactly its customers.
    found = scan(h, env, "--all-sources")
    by_path = {paste_path(web, f["url"]): f for f in found}
    assert set(by_path) == set(EXPECTED)
    for path, expected in EXPECTED.items():
        assert strong_refs(by_path[path]) == expected, path
    assert by_path[f"/raw/{sites.HIDDEN_ID}"]["source"] == "forum"
    assert by_path["/raw/AaAa0001"]["source"] == "paste"
    assert by_path["/raw/BbBb0002"]["bulk"] is True
    [run1] = scan_runs(db_url)
    assert run1["status"] == "ok" and run1["error"] is None
    assert run1["kind"] == "sources" and run1["finished_at"] >= run1["started_at"]
    # 5 raw pastes + the hidden dump + 18 forum posts (3 threads x 3 pages x 2 posts).
    assert run1["docs_new"] == 24 and run1["docs_changed"] == run1["docs_unchanged"] == 0
    assert run1["findings_new"] == 5 and run1["errors"] == 0
    # archive (3 pages) + 5 raw + forum lists (2) + 9 thread pages + hidden dump
    assert run1["pages"] == 20 and run1["bytes"] > 3000
    log = (h / "logs" / f"scan-{run1['id']}.log").read_text(encoding="utf-8")
    assert "Spider closed (finished)" in log

    # 2. Unchanged sources: nothing matched again, nothing new, no duplicates.
    again = scan(h, env, "--all-sources")
    assert sorted(f["id"] for f in again) == sorted(f["id"] for f in found)
    run2 = scan_runs(db_url)[1]
    assert run2["status"] == "ok"
    assert run2["docs_unchanged"] == 24 and run2["docs_new"] == run2["docs_changed"] == 0
    assert run2["findings_new"] == run2["findings_updated"] == 0
    log2 = (h / "logs" / f"scan-{run2['id']}.log").read_text(encoding="utf-8")
    assert "(304)" in log2  # raw pastes answer If-None-Match with 304
    assert_no_duplicates(db_url)

    # 3. A new fingerprint set: a plain scan skips unchanged documents, --full matches them.
    import_set(h, env, [[f"N{r[0][1:]}", *r[1:]] for r in rows(100, 20)], "crm2")
    scan(h, env, "--all-sources")
    assert not [f for f in json.loads(run(h, "findings", "--json", env=env).stdout)
                if f["dataset"] == "crm2"]
    full = scan(h, env, "--all-sources", "--full")
    # (The synthetic names repeat, so other dumps give crm2 name-only, low findings.)
    crm2 = [f for f in full if f["dataset"] == "crm2" and strong_refs(f)]
    assert [paste_path(web, f["url"]) for f in crm2] == [f"/raw/{sites.HIDDEN_ID}"]
    assert strong_refs(crm2[0]) == {f"N{r[1:]}" for r in refs(100, 20)}
    run4 = scan_runs(db_url)[3]
    crm2_all = [f for f in full if f["dataset"] == "crm2"]
    assert run4["findings_new"] == len(crm2_all) and run4["docs_unchanged"] == 24
    # --dataset lists that set's findings only, though the documents hold crm's too.
    only = scan(h, env, "--all-sources", "--dataset", "crm2")
    assert sorted(f["id"] for f in only) == sorted(f["id"] for f in crm2_all)

    # 4. A paste grows: its finding grows (same id), the rest stays unchanged.
    with web.content.lock:
        web.content.listed["CcCc0003"] = sites.csv_dump(rows(30, 2) + rows(200, 4), "c2")
    grown = {paste_path(web, f["url"]): f for f in scan(h, env, "--all-sources")
             if f["dataset"] == "crm"}
    assert grown["/raw/CcCc0003"]["id"] == by_path["/raw/CcCc0003"]["id"]
    assert strong_refs(grown["/raw/CcCc0003"]) == refs(30, 2) | refs(200, 4)
    run5 = scan_runs(db_url)[5]
    assert run5["docs_changed"] == 1 and run5["docs_unchanged"] == 23
    assert run5["findings_updated"] == 1 and run5["findings_new"] == 0
    assert_no_duplicates(db_url)
    assert len(json.loads(run(h, "findings", "--json", env=env).stdout)) == 5 + len(crm2_all)

    # Privacy: logs, database, deployment files and CLI output hold no planted value,
    # and Scrapy kept no job state (no JOBDIR, no requests.seen).
    for file, blob in all_file_bytes(h).items():
        assert_no_planted(blob, str(file))
    for table, table_rows in db_rows(db_url).items():
        assert_no_planted(repr(table_rows).encode(), f"table {table}")
    assert_no_planted(json.dumps(found, ensure_ascii=False).encode(), "scan --json")
    assert not list(h.rglob("requests.seen")) and not list(h.rglob("requests.queue"))
    state = Path.home() / ".local" / "state" / "scrapy"
    assert not state.exists() or not list(state.rglob("requests.seen"))
    assert not (h / ".scrapy").exists()


def test_scan_url_on_demand(deployed: tuple[Path, dict[str, str], str], web: Web) -> None:
    h, env, db_url = deployed
    [raw] = scan(h, env, "--url", web.paste.url("/raw/BbBb0002"))
    assert raw["url"] == web.paste.url("/raw/BbBb0002") and raw["source"] == "on-demand"
    assert strong_refs(raw) == refs(10, 15)
    [page] = scan(h, env, "--url", web.paste.url("/EeEe0005"))
    assert strong_refs(page) == refs(40, 5)
    # A listing with --depth 1: the items it links to are scanned too.
    listing = scan(h, env, "--url", web.paste.url("/archive"), "--depth", "1")
    assert {paste_path(web, f["url"]) for f in listing} == {"/AaAa0001", "/BbBb0002"}
    assert [r["kind"] for r in scan_runs(db_url)] == ["url", "url", "url"]
    # The listing also links to /about, which is a 404: counted, not fatal.
    assert [(r["status"], r["errors"]) for r in scan_runs(db_url)] == [
        ("ok", 0), ("ok", 0), ("ok", 1)]
    # An unreachable URL: a one-line error naming the scan run, exit status 2.
    gone = run(h, "scan", "--url", web.paste.url("/nothing-here"), env=env)
    assert gone.exit_code == 2
    assert "no page could be fetched (1 fetch error)" in gone.output
    # No sources.toml needed for --url; a source scan without one is a one-line error.
    bad = run(h, "scan", "--all-sources", env=env)
    assert bad.exit_code == 2 and "no sources declared" in bad.output
    # An unknown --dataset is refused before any crawl starts.
    typo = run(h, "scan", "--url", web.paste.url("/AaAa0001"), "--dataset", "nosuch", env=env)
    assert typo.exit_code == 2
    assert typo.output.startswith("error: no dataset named 'nosuch'"), typo.output
    assert "no findings" not in typo.output
    assert len(scan_runs(db_url)) == 4  # the three above and the unreachable one


@pytest.mark.usefixtures("chromium")  # marked browser, skipped without it
def test_javascript_only_paste_is_found_when_rendered(
    deployed: tuple[Path, dict[str, str], str], web: Web
) -> None:
    h, env, db_url = deployed
    (h / "sources.toml").write_text(web.sources_toml(js=True), encoding="utf-8")
    found = scan(h, env, "--source", "js-paste")
    [f] = found
    assert f["url"] == web.paste.url(f"/js/{sites.JS_ID}") and f["source"] == "js-paste"
    assert strong_refs(f) == JS_REFS
    # The same page without the browser shows no customer at all (the query string
    # makes it another document); on demand with --render it does.
    assert scan(h, env, "--url", web.paste.url(f"/js/{sites.JS_ID}?v=plain")) == []
    [on_demand] = scan(h, env, "--url", web.paste.url(f"/js/{sites.JS_ID}?v=js"), "--render",
                       "--wait-for", "#out.done")
    assert on_demand["id"] != f["id"] and strong_refs(on_demand) == JS_REFS
    assert_no_duplicates(db_url)
    for path, blob in all_file_bytes(h / "logs").items():
        assert_no_planted(blob, str(path))


def test_sources_list_and_check(deployed: tuple[Path, dict[str, str], str], web: Web) -> None:
    h, env, _ = deployed
    (h / "sources.toml").write_text(web.sources_toml(js=True), encoding="utf-8")
    listed = json.loads(run(h, "sources", "list", "--json", env=env).stdout)
    assert [(s["name"], s["kind"], s["render"]) for s in listed] == [
        ("paste", "paste", False), ("forum", "forum", False), ("js-paste", "page", True)]
    assert listed[0]["start_urls"] == [web.paste.url("/archive")]

    result = run(h, "sources", "check", "paste", "--json", env=env)
    assert result.exit_code == 0, result.output
    [paste] = json.loads(result.stdout)
    assert paste["status"] == 200 and paste["error"] is None
    assert paste["follow"] == [web.paste.url("/AaAa0001"), web.paste.url("/BbBb0002")]
    assert paste["next_page"] == web.paste.url("/archive?page=2")
    [forum] = json.loads(run(h, "sources", "check", "forum", "--json", env=env).stdout)
    assert forum["follow"] == [web.forum.url("/thread/1?page=1"),
                               web.forum.url("/thread/2?page=1")]
    text = run(h, "sources", "check", env=env)
    assert text.exit_code == 0
    assert "follow   " + web.paste.url("/AaAa0001") in text.output
    assert "rendered source" in text.output
    unknown = run(h, "sources", "check", "nosuch", env=env)
    assert unknown.exit_code == 2 and "unknown source 'nosuch'" in unknown.output

    web.paste.server.shutdown()  # the paste site goes down
    web.paste.server.server_close()
    down = run(h, "sources", "check", "paste", env=env)
    assert down.exit_code == 1 and "cannot fetch" in down.output


# ------------------------------------------------------------- killed crawls

SLOW_PAGES = 24


@pytest.fixture
def slow_site() -> Iterator[tuple[sites.Site, sites.Gate]]:
    # Four pages come at once, the rest only when the test opens the gate: the
    # killed crawl cannot have fetched everything, however loaded the machine.
    gate = sites.Gate(free=4)
    site = sites.start_site(sites.slow_routes(SLOW_PAGES, 0.4, slow_text, gate))
    yield site, gate
    gate.opened.set()
    sites.stop_site(site)


@pytest.mark.parametrize("how", ["cli-sigterm", "cli-sigkill", "crawl-sigkill"])
def test_killed_crawl_then_next_scan_completes_without_duplicates(
    deployed: tuple[Path, dict[str, str], str], slow_site: tuple[sites.Site, sites.Gate],
    how: str
) -> None:
    h, env, db_url = deployed
    site, gate = slow_site
    (h / "sources.toml").write_text(f"""
[[source]]
name = "slow"
kind = "paste"
start_urls = ["{site.url('/list')}"]
follow = ['^/p/\\d+$']
raw = "/p/{{id}}"
""", encoding="utf-8")
    proc = subprocess.Popen([str(LEAKPRINT), "--home", str(h), "scan", "--all-sources"],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        wait_for_documents(db_url, 3, proc)
        crawl = children(proc.pid)
        assert crawl, "no crawl child"
        family = crawl + [c for pid in crawl for c in children(pid)]
        if how == "cli-sigterm":
            proc.send_signal(signal.SIGTERM)
        elif how == "cli-sigkill":
            proc.kill()
        else:  # the crawl and its matcher worker die on the spot
            os.killpg(crawl[0], signal.SIGKILL)
        if how != "crawl-sigkill":
            # A graceful stop waits for the requests in flight: let them finish
            # once the crawl has stopped taking new ones.
            wait_for_log(h, ("shutting down gracefully", "started this crawl is gone"))
        gate.opened.set()
        proc.wait(60)
        wait_gone(family)  # no orphan crawl is left behind
    finally:
        stop_process(proc)
    assert proc.returncode != 0
    [first] = scan_runs(db_url)
    if how == "cli-sigterm":
        assert first["status"] == "killed" and first["error"] == "interrupted"
    elif how == "cli-sigkill":
        # Nobody is left to close the run but the crawl itself, on its way out.
        assert first["status"] == "killed"
        assert first["error"] == "interrupted: the process that started the scan was killed"
        assert first["finished_at"] is not None
    else:
        assert first["status"] == "failed" and "-9" in str(first["error"])
    stored = len(db_rows(db_url, ("documents",))["documents"])
    assert 0 < stored < SLOW_PAGES

    found = scan(h, env, "--all-sources")
    second = scan_runs(db_url)[1]
    assert second["status"] == "ok"
    assert second["docs_new"] + second["docs_unchanged"] + second["docs_changed"] == SLOW_PAGES
    assert second["docs_new"] == SLOW_PAGES - stored
    assert len(found) == SLOW_PAGES
    by_url = {f["url"]: f for f in found}
    for n in range(SLOW_PAGES):
        assert strong_refs(by_url[site.url(f"/p/{n}")]) == refs(2 * n, 2)
    assert_no_duplicates(db_url)
    listed = json.loads(run(h, "findings", "--json", env=env).stdout)
    assert len(listed) == SLOW_PAGES
    for path, blob in all_file_bytes(h).items():
        assert_no_planted(blob, str(path))


def test_value_in_a_url_path_is_redacted_everywhere(
    deployed: tuple[Path, dict[str, str], str]
) -> None:
    """SPEC 10.2 end to end: a dump at ``/raw/u/<planted e-mail>/dump-<phone>.txt``
    and a 404 naming another planted customer. Documents, scan runs, the scan's log
    (Scrapy logs the 404's URL), outputs and files hold the redacted URL only."""
    h, env, db_url = deployed
    kanbee, sakitaro = PLANTED[0], PLANTED[1]
    item = f"u/{kanbee[4]}/dump-{kanbee[3].replace('-', '')}.txt"
    content = sites.PasteContent(listed={item: sites.planted_dump()}, hidden="", js="")
    paste = sites.start_site(sites.paste_routes(content))
    try:
        full = paste.url(f"/raw/{item}")
        gone = paste.url(f"/raw/u/{sakitaro[4]}/gone.txt")
        result = run(h, "scan", "--url", full, "--url", gone, "--json", env=env)
        assert result.exit_code == 0, result.output
        [finding] = json.loads(result.stdout)
        assert finding["url"] == paste.url("/raw/u/[email]/dump-[phone].txt")
        assert strong_refs(finding) == {r[0] for r in PLANTED}
        [scan_run] = scan_runs(db_url)
        assert scan_run["sources"] and "[email]" in str(scan_run["sources"])
        log = h / "logs" / f"scan-{scan_run['id']}.log"
        assert "[email]/gone.txt" in log.read_text(encoding="utf-8")  # the 404, redacted
        shown = run(h, "findings", "show", str(finding["id"]), env=env)
        listing = run(h, "findings", "--json", env=env)
        for text in (result.output, shown.output, listing.stdout):
            assert_no_planted(text.encode(), "CLI output")
        for file, data in all_file_bytes(h).items():
            assert_no_planted(data, str(file))
        for table, table_rows in db_rows(db_url).items():
            assert_no_planted(repr(table_rows).encode(), f"table {table}")
        unsealed = run(h, "findings", "show", str(finding["id"]), "--full-url", "--json",
                       env=env)
        assert json.loads(unsealed.stdout)["full_url"] == full
        # A re-scan finds the same document by its keyed URL: unchanged, no duplicate.
        again = run(h, "scan", "--url", full, "--json", env=env)
        assert again.exit_code == 0, again.output
        assert len(db_rows(db_url, ("documents",))["documents"]) == 1
        assert scan_runs(db_url)[-1]["docs_unchanged"] == 1
        # `sources check` lists the links a listing leads to: redacted too.
        (h / "sources.toml").write_text(
            f'[[source]]\nname = "p"\nkind = "paste"\nstart_urls = ["{paste.url("/archive")}"]'
            "\nfollow = ['^/u/']\n", encoding="utf-8")
        checked = run(h, "sources", "check", "--json", env={**env, "COLUMNS": "300"})
        [check] = json.loads(checked.stdout)
        assert check["follow"] == [paste.url("/u/[email]/dump-[phone].txt")]
        listing = run(h, "sources", "check", env={**env, "COLUMNS": "300"})
        assert "/u/[email]/dump-[phone].txt" in listing.output
        for out in (checked.stdout, listing.output):
            assert_no_planted(out.encode(), "sources check")
    finally:
        sites.stop_site(paste)
