"""Local "sites we did not write" for crawl-scan tests: a paste site and a forum.

Both run on 127.0.0.1 (stdlib ``ThreadingHTTPServer``, see ``tests/crawler/sites.py``).

Paste site (``paste``):
  ``/archive?page=N``   listing, 2 items per page, ``a[rel=next]`` pagination
  ``/<id>``             item page (HTML, text in ``pre.paste``)
  ``/raw/<id>``         raw text, with an ETag (for conditional requests)
  ``/raw/HIDDEN_ID``    a dump that is in no listing: only a forum post links to it
  ``/js/<id>``          a paste whose text is written by JavaScript after a delay
  ``/robots.txt``       allows everything
Forum (``forum``):
  ``/forum?page=N``     thread list with pagination
  ``/thread/<n>?page=M`` thread pages (3 pages), posts in ``.post-body``; one post of
                        thread 2 links to ``/raw/HIDDEN_ID`` on the paste host
Slow site (``slow``): ``/list`` links to ``/p/<n>`` pages, each answered after a delay
(and, with a ``Gate``, only a few of them until the test opens it).

Every dump holds synthetic customers from ``tests.leakprint.helpers`` in CSV form;
the first paste also holds the planted customers.
"""

from __future__ import annotations

import html as html_lib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.crawler.sites import Reply, Site, html, start_site, stop_site
from tests.leakprint.helpers import PLANTED

__all__ = ["Site", "start_site", "stop_site"]

HIDDEN_ID = "HdNx4242"
JS_ID = "JsOnly77"
TEXT = {"Content-Type": "text/plain; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def csv_dump(rows: list[list[str]], title: str) -> str:
    lines = [f"# {title}", "氏名,電話番号,メール,生年月日"]
    lines += [f"{r[1]},{r[3]},{r[4]},{r[5]}" for r in rows]
    return "\n".join(lines) + "\n"


@dataclass
class PasteContent:
    """What the paste site serves; tests may change it between scans."""

    listed: dict[str, str] = field(default_factory=dict)   # id → text (in the archive)
    hidden: str = ""                                        # /raw/HIDDEN_ID
    js: str = ""                                            # /js/JS_ID (rendered)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def etag(self, text: str) -> str:
        import hashlib

        return '"' + hashlib.sha1(text.encode()).hexdigest()[:16] + '"'


def paste_routes(content: PasteContent) -> Callable[[Site], Callable[..., Reply]]:
    def make(site: Site) -> Callable[..., Reply]:
        def route(path: str, query: dict[str, list[str]]) -> Reply:
            with content.lock:
                listed = dict(content.listed)
                hidden, js = content.hidden, content.js
            ids = sorted(listed)
            if path == "/robots.txt":
                return 200, TEXT, b"User-agent: *\nDisallow:\n"
            if path == "/archive":
                page = int(query.get("page", ["1"])[0])
                chunk = ids[(page - 1) * 2: page * 2]
                links = "".join(f'<li><a href="/{i}">{i}</a></li>' for i in chunk)
                nxt = (f'<a rel="next" href="/archive?page={page + 1}">older</a>'
                       if page * 2 < len(ids) else "")
                return 200, HTML, html(f'<ul>{links}</ul><a href="/about">about</a>{nxt}')
            if path == f"/raw/{HIDDEN_ID}" and hidden:
                return 200, {**TEXT, "ETag": content.etag(hidden)}, hidden.encode()
            if path == f"/js/{JS_ID}" and js:
                script = ("setTimeout(function(){var e=document.getElementById('out');"
                          f"e.textContent={json.dumps(js)};e.className='paste done';}},300);")
                return 200, HTML, html(f'<pre id="out" class="paste">loading…</pre>'
                                       f'<script>{script}</script>')
            item = path.removeprefix("/raw/").lstrip("/")
            if item in listed:
                text = listed[item]
                if path.startswith("/raw/"):
                    return 200, {**TEXT, "ETag": content.etag(text)}, text.encode()
                body = f'<pre class="paste">{html_lib.escape(text)}</pre>'
                return 200, HTML, html(body)
            return 404, HTML, html("<p>not found</p>")

        return route

    return make


def forum_routes(paste: Site, hidden_id: str = HIDDEN_ID) -> Callable[[Site], Callable[..., Reply]]:
    def make(site: Site) -> Callable[..., Reply]:
        def route(path: str, query: dict[str, list[str]]) -> Reply:
            if path == "/robots.txt":
                return 200, TEXT, b"User-agent: *\nDisallow: /admin/\n"
            if path == "/forum":
                page = int(query.get("page", ["1"])[0])
                threads = (1, 2) if page == 1 else (3,)
                links = " ".join(f'<a href="/thread/{t}?page=1">thread {t}</a>' for t in threads)
                nxt = '<a rel="next" href="/forum?page=2">more</a>' if page == 1 else ""
                return 200, HTML, html(links + nxt)
            if path.startswith("/thread/"):
                thread = int(path.rsplit("/", 1)[1])
                page = int(query.get("page", ["1"])[0])
                posts = []
                for n in (1, 2):
                    text = f"thread {thread} page {page} post {n}: 情報交換スレです"
                    if (thread, page, n) == (2, 2, 1):
                        text += (f' 新しいリストはこちら <a href="{paste.base}/raw/{hidden_id}">'
                                 "dump</a>")
                    posts.append(f'<div class="post"><div class="post-body">{text}</div></div>')
                nxt = (f'<a rel="next" href="/thread/{thread}?page={page + 1}">next</a>'
                       if page < 3 else "")
                return 200, HTML, html("".join(posts) + nxt)
            return 404, HTML, html("<p>not found</p>")

        return route

    return make


@dataclass
class Gate:
    """Holds back the slow site: the first ``free`` item requests are answered,
    later ones wait until ``opened`` is set, so a test knows that most pages are
    still unfetched when it kills a crawl, however fast or loaded the machine."""

    free: int
    opened: threading.Event = field(default_factory=threading.Event)
    served: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, stop: threading.Event) -> None:
        with self.lock:
            self.served += 1
            if self.served <= self.free:
                return
        while not self.opened.wait(0.1) and not stop.is_set():
            pass


def slow_routes(pages: int, delay: float, texts: Callable[[int], str],
                gate: Gate | None = None) -> Callable[[Site], Callable[..., Reply]]:
    def make(site: Site) -> Callable[..., Reply]:
        def route(path: str, query: dict[str, list[str]]) -> Reply:
            if path == "/robots.txt":
                return 200, TEXT, b"User-agent: *\nDisallow:\n"
            if path == "/list":
                links = "".join(f'<a href="/p/{n}">{n}</a> ' for n in range(pages))
                return 200, HTML, html(links)
            if path.startswith("/p/"):
                if gate is not None:
                    gate.wait(site.stop)
                site.stop.wait(delay)
                n = int(path.rsplit("/", 1)[1])
                return 200, TEXT, texts(n).encode()
            return 404, HTML, html("<p>not found</p>")

        return route

    return make


def planted_dump() -> str:
    return csv_dump(PLANTED, "planted")


# --------------------------------------------------------------- deployment helpers

MAP_ARGS = ["--id-column", "顧客ID", "--map", "氏名=name", "--map", "フリガナ=name_kana",
            "--map", "電話番号=phone", "--map", "メールアドレス=email",
            "--map", "生年月日=birthdate", "--map", "住所=address"]


def make_deployment(home: Path, db_url: str, customers: list[list[str]],
                    dataset: str = "crm") -> dict[str, str]:
    """``leakprint init`` + ``fingerprint import`` in ``home``; returns the CLI env.

    The customer file is written outside ``home`` and deleted after the import.
    """
    from tests.leakprint.helpers import run

    home.mkdir(parents=True, exist_ok=True)
    env = {"LEAKPRINT_DATABASE_URL": db_url}
    result = run(home, "init", env=env)
    assert result.exit_code == 0, result.output
    import_set(home, env, customers, dataset)
    return env


def import_set(home: Path, env: dict[str, str], customers: list[list[str]],
               dataset: str, *extra: str) -> None:
    """``fingerprint import`` of ``customers`` as ``dataset`` (``extra``: more options)."""
    from tests.leakprint.helpers import HEADER, run

    src = home.parent / f"customers-{dataset}.csv"
    src.write_text(",".join(HEADER) + "\n" + "\n".join(",".join(r) for r in customers) + "\n",
                   encoding="utf-8")
    result = run(home, "fingerprint", "import", str(src), "--dataset", dataset, *MAP_ARGS,
                 *extra, env=env)
    src.unlink()
    assert result.exit_code == 0, result.output


def db_rows(db_url: str, tables: tuple[str, ...] | None = None
            ) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the leakprint tables (SQLite or PostgreSQL), for greps."""
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            names = tables or tuple(sa.inspect(conn).get_table_names())
            return {t: [tuple(r) for r in conn.execute(sa.text(f'SELECT * FROM "{t}"'))]
                    for t in names}
    finally:
        engine.dispose()


def scan_runs(db_url: str) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT * FROM scan_runs ORDER BY id"))
            return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()


def strong_refs(finding: dict[str, Any]) -> set[str]:
    """Record refs of a finding at medium or above (name-only hits are low)."""
    records = finding["records"]
    assert isinstance(records, list)
    return {r["ref"] for r in records if r["confidence"] != "low"}
