"""The demo story: customers → fingerprints → leaks on local sites → incident scan → alert."""

from __future__ import annotations

import email
import html
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from rich.console import Console
from rich.panel import Panel

from leakprint.config import load_settings
from leakprint.demo.data import (
    cp932_tsv_dump,
    csv_dump,
    decoy_text,
    make_customers,
    prose_post,
    write_customer_csv,
)
from leakprint.demo.site import Site, serving


class _Capture:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(bytes(envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_sink() -> Iterator[tuple[Controller, _Capture]]:
    capture = _Capture()
    controller = Controller(capture, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, capture
    finally:
        controller.stop()


def _plant(paste: Site, forum: Site, customers: list[Any], canary: Any | None = None) -> None:
    # Paste site: an archive listing two pages of pastes.
    paste.raw("/robots.txt", b"User-agent: *\nAllow: /\n")
    csv_ids = ["Lk7Qm2Xa", "Tsv0Cp93", "Dc0yN0t3", "Dc0yN0t4"]
    bodies = {
        # The sub-contractor's copy, with one of the canaries minted for it.
        "Lk7Qm2Xa": (csv_dump(customers[0:40] + ([canary] if canary else [])), "utf-8"),
        "Tsv0Cp93": (cp932_tsv_dump(customers[40:65]), "shift_jis"),
        "Dc0yN0t3": (decoy_text(3).encode(), "utf-8"),
        "Dc0yN0t4": (b"just some notes\nnothing here\n", "utf-8"),
        # Only reachable through the forum post's link (not in the archive).
        "Fr0mF0rm": (csv_dump(customers[65:95]), "utf-8"),
    }
    for pid, (body, charset) in bodies.items():
        paste.raw(f"/raw/{pid}", body, charset)
        paste.page(
            f"/{pid}",
            f"paste {pid}",
            f"<pre class='paste'>{html.escape(body.decode(_codec(charset)))}</pre>",
        )
    links = "".join(f"<li><a href='/{pid}'>{pid}</a></li>" for pid in csv_ids[:2])
    paste.page("/archive", "archive", f"<ul>{links}</ul><a rel='next' href='/archive/2'>next</a>")
    links2 = "".join(f"<li><a href='/{pid}'>{pid}</a></li>" for pid in csv_ids[2:])
    paste.page("/archive/2", "archive 2", f"<ul>{links2}</ul>")
    # A paste whose text only exists after JavaScript runs.
    js_rows = "\\n".join(f"{c.name},{c.phone},{c.email}" for c in customers[95:110])
    paste.page(
        "/js/Rndr9Js1",
        "rendered paste",
        "<div id='paste'>loading…</div><script>setTimeout(function(){"
        "var d=document.getElementById('paste');"
        f"d.textContent='{js_rows}'.split('\\\\n').join('\\n');"
        "d.className='ready';},300);</script>",
    )
    # Forum: a thread list, a prose post, and a post linking to the dump.
    forum.raw("/robots.txt", b"User-agent: *\nAllow: /\n")
    forum.page(
        "/forum",
        "forum",
        "<ul><li><a href='/thread/1'>顧客リスト売ります</a></li>"
        "<li><a href='/thread/2'>雑談</a></li></ul>",
    )
    forum.page(
        "/thread/1",
        "thread 1",
        f"<div class='post'><div class='post-body'>{html.escape(prose_post(customers[110:113]))}"
        "</div></div><a rel='next' href='/thread/1/2'>次へ</a>",
    )
    forum.page(
        "/thread/1/2",
        "thread 1 page 2",
        "<div class='post'><div class='post-body'>全件はこちら "
        f"<a href='{paste.base}/raw/Fr0mF0rm'>{paste.base}/raw/Fr0mF0rm</a></div></div>",
    )
    forum.page(
        "/thread/2",
        "thread 2",
        "<div class='post'><div class='post-body'>今日は晴れ。0120-000-000 に電話した。"
        "</div></div>",
    )


def _codec(charset: str) -> str:
    # Shift_JIS-family bytes are always decoded as cp932 (SPEC 3.2).
    return "cp932" if charset == "shift_jis" else charset


def sources_toml(paste: Site, forum: Site) -> str:
    p = paste.base.replace(".", r"\.")
    return f"""\
[[source]]
name = "demo-paste"
kind = "paste"
start_urls = ["{paste.base}/archive"]
follow = ['^/[A-Za-z0-9]{{8}}$']
raw = "/raw/{{id}}"
next_page = "a[rel=next]"

[[source]]
name = "demo-paste-js"
kind = "page"
start_urls = ["{paste.base}/js/Rndr9Js1"]
render = true
wait_for = "#paste.ready"

[[source]]
name = "demo-forum"
kind = "forum"
start_urls = ["{forum.base}/forum"]
follow = ['^/thread/\\d+$']
content = ".post-body"
next_page = "a[rel=next]"
allow_offsite = ['^{p}/raw/']
"""


def _print_message(console: Console, raw: bytes) -> None:
    msg: Message = email.message_from_bytes(raw)
    text = ""
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                text = payload.decode(part.get_content_charset() or "utf-8", "replace")
    head = "\n".join(f"{k}: {msg[k]}" for k in ("From", "To", "Subject", "Date") if msg[k])
    console.print(
        Panel(
            f"{head}\n\n{text}", title="alert e-mail caught by the local SMTP sink", expand=False
        ),
        markup=False,
    )


def _contractors(console: Console, settings: Any, db: Any, people: list[Any],
                 home: Path) -> Any:
    """Two contractors, one with a sub-contractor under an external-service contract,
    their handovers and canaries; returns one of the sub-contractor's canaries, which
    the planted leak carries (SPEC 14)."""
    import csv

    from leakprint.contractors.canaries import mint_canaries
    from leakprint.contractors.ledger import add_contractor, add_handover
    from leakprint.demo.data import Customer

    n = len(people)
    add_contractor(db, "shop-east", contract="entrustment", note="shops, east Japan")
    add_contractor(db, "callcenter-west", contract="entrustment", note="renewal calls")
    add_contractor(db, "dm-print", parent="shop-east", contract="external-service",
                   note="direct mail printing")
    add_handover(db, contractor="shop-east", dataset="demo-crm",
                 refs=[c.ref for c in people[: n * 2 // 3]], purpose="shop CRM")
    add_handover(db, contractor="callcenter-west", dataset="demo-crm",
                 refs=[c.ref for c in people[n // 3:]], purpose="renewal calls")
    add_handover(db, contractor="dm-print", dataset="demo-crm",
                 refs=[c.ref for c in people[:120]], purpose="direct mail")
    key = settings.load_key()
    minted: list[dict[str, str]] = []
    for who in ("shop-east", "callcenter-west", "dm-print"):
        out = home / f"canaries-{who}.csv"
        mint_canaries(db, key, contractor=who, dataset="demo-crm", count=3,
                      email_domain="canary.example.jp", out=out)
        with out.open(encoding="utf-8", newline="") as fh:
            minted = list(csv.DictReader(fh))
        out.unlink()  # handed over (here: planted below), then deleted
    console.print(
        "   contractors: shop-east (entrustment) > dm-print (external-service), "
        "callcenter-west (entrustment); handovers recorded as bitmaps, 3 canaries each"
    )
    c = minted[0]  # the last minted: dm-print's
    return Customer("", c["氏名"], c["フリガナ"], c.get("電話番号", ""), c["メールアドレス"],
                    c["生年月日"], c.get("郵便番号", ""), c["住所"])


def _show_attribution(console: Console, db: Any, settings: Any, incident: int) -> None:
    from leakprint.cli.attribute_view import print_attribution
    from leakprint.contractors.attribute import attribute_findings
    from leakprint.findings import query_findings

    with db.session() as session:
        found = query_findings(session, incident=incident)
        items = attribute_findings(session, found, settings.attribution_p)
    if not items:
        return
    best = max(items, key=lambda i: (bool(i["candidates"] and i["candidates"][0]["canaries"]),
                                     i["records"]))
    console.print(f"5b. attribution of finding {best['finding']} "
                  "(`leakprint attribute` does this for any finding):")
    print_attribution(console, best)


def run_demo(console: Console, *, customers: int = 3000, keep: bool = False) -> int:
    """Run the whole story in a temporary folder; returns an exit status."""
    from fingerprints.keyed import FingerprintKey
    from leakprint.cli.render import findings_table
    from leakprint.config import default_config_text
    from leakprint.datasets import import_dataset
    from leakprint.db import open_database
    from leakprint.findings import query_findings
    from leakprint.findingview import finding_views
    from leakprint.incidents import open_incident
    from leakprint.scheduler import run_incident_scan

    started = time.monotonic()
    home = Path(tempfile.mkdtemp(prefix="leakprint-demo-"))
    try:
        with smtp_sink() as (smtp, capture), serving(Site(), Site()) as (paste, forum):
            console.rule("[bold]leakprint demo")
            console.print(f"working folder {home} (SQLite, removed at the end)")
            port = smtp.port
            config = (
                default_config_text()
                .replace("port = 25", f"port = {port}")
                .replace('host = "localhost"', 'host = "127.0.0.1"')
                # The demo's sites run on 127.0.0.1: allowed here, and only that address.
                + '\n[crawl]\nallowed_networks = ["127.0.0.1/32"]\n'
            )
            (home / "leakprint.toml").write_text(config, encoding="utf-8")
            FingerprintKey.generate().write(home / "leakprint.key")
            settings = load_settings(home, env={})
            db = open_database(settings.database_url)

            people = make_customers(customers)
            csv_path = home / "customers.csv"
            write_customer_csv(people, csv_path)
            console.print(f"1. generated {len(people):,} synthetic customers (Faker ja_JP)")
            report = import_dataset(
                settings, db, csv_path, name="demo-crm", id_column="顧客ID", mapping=None
            )
            csv_path.unlink()  # the raw customer file never goes further than this step
            kinds = ", ".join(report.mapping.values())
            console.print(
                f"2. fingerprinted them into set 'demo-crm' ({report.imported:,} "
                f"records; columns matched by header: {kinds}); raw file deleted"
            )

            canary = _contractors(console, settings, db, people, home)
            _plant(paste, forum, people, canary)
            (home / "sources.toml").write_text(sources_toml(paste, forum), encoding="utf-8")
            console.print(
                f"3. planted leaks: a CSV paste, a CP932 TSV paste with full-width "
                f"digits, a paste shown only by JavaScript, a forum prose post, and a "
                f"dump linked from a forum post\n   paste site {paste.base}, forum "
                f"{forum.base}"
            )

            incident = open_incident(
                db,
                name="demo-contractor-leak",
                datasets=["demo-crm"],
                sources=["demo-paste", "demo-paste-js", "demo-forum"],
                every="30m",
                cron=None,
                period="90d",
                notify=["soc@example.jp"],
                threshold="medium",
            )
            console.print(
                f"4. opened incident {incident.id} ({incident.cadence}, 90 days, "
                "alerts to soc@example.jp); running its first scan now…"
            )
            run_incident_scan(str(home), incident.id)

            with db.session() as session:
                views = finding_views(query_findings(session, incident=incident.id))
            findings_table(console, views, title="5. findings of the incident")
            _show_attribution(console, db, settings, incident.id)
            if not capture.messages:
                deadline = time.monotonic() + 10
                while not capture.messages and time.monotonic() < deadline:
                    time.sleep(0.2)
            console.print(f"6. {len(capture.messages)} alert e-mail(s) delivered; the first:")
            if capture.messages:
                _print_message(console, capture.messages[0])
            db.close()
            ok = bool(views) and bool(capture.messages)
            console.print(
                f"demo finished in {time.monotonic() - started:.0f} s "
                f"({'ok' if ok else 'something is missing: see above'})"
            )
            return 0 if ok else 1
    finally:
        if keep:
            console.print(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
        os.environ.pop("LEAKPRINT_HOME", None)
