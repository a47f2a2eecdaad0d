"""The deployment `leakprint serve` tests run against: a local paste site, a real SMTP
server (aiosmtpd, STARTTLS + AUTH), a deployment folder with a fingerprint set, and
`serve` in this process or as a child process; plus the e-mail checks."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent

from alerts import RetryPolicy
from leakprint.config import load_settings
from leakprint.db import Database, open_database
from leakprint.outbox import list_alerts
from leakprint.scheduler import JOBS_TABLE, LeakprintScheduler, serve
from tests.alerts.smtp_sink import Received, SmtpSink, body_text
from tests.crawler.sites import Site, start_site, stop_site
from tests.leakprint.helpers import HEADER, MAP, PLANTED, assert_no_planted, customer_rows, run

LEAK_HEADER = "氏名,フリガナ,電話番号,メールアドレス,生年月日,住所"
CUSTOMERS = customer_rows(30)
FAST = RetryPolicy(max_attempts=5, base_delay=timedelta(seconds=1), max_delay=timedelta(seconds=4))


def leak_rows(rows: list[list[str]]) -> str:
    return LEAK_HEADER + "\n" + "\n".join(",".join(r[1:]) for r in rows) + "\n"


@dataclass
class PasteSite:
    """A paste host whose one document can change between scans."""

    site: Site
    text: str = field(default_factory=lambda: leak_rows([*PLANTED, *CUSTOMERS[:2]]))

    @property
    def url(self) -> str:
        return self.site.url("/raw/AbCd1234")


def planted_digit_runs() -> list[bytes]:
    """Every run of 4 or more digits taken from the planted phone numbers."""
    runs: set[str] = set()
    for row in PLANTED:
        digits = re.sub(r"\D", "", row[3])
        for size in range(4, len(digits) + 1):
            runs.update(digits[i : i + size] for i in range(len(digits) - size + 1))
        runs.update(part for part in row[3].split("-") if len(part) >= 4)
    return [r.encode() for r in runs]


def assert_clean_email(received: Received, site_base: str) -> None:
    """Raw envelope content: no planted value, no run of >= 4 digits of a planted phone.

    Random or environmental numbers that are not content (MIME boundaries, Date and
    Message-ID, the test site's ephemeral port) are masked before the digit check, so
    it cannot fail by chance.
    """
    blob = received.content
    assert_no_planted(blob, "an alert e-mail")
    message = received.message
    decoded = b"\n".join(
        # Ignored below: typeshed's get_payload overloads do not cover decode=True on a part.
        part.get_payload(decode=True) or b""  # type: ignore[misc]
        for part in message.walk()
        if not part.is_multipart()
    )
    assert_no_planted(decoded, "an alert e-mail (decoded)")
    noise = [site_base.encode(), *(str(message[h]).encode() for h in ("Date", "Message-ID"))]
    noise += [str(part.get_boundary()).encode() for part in message.walk() if part.is_multipart()]
    for value in noise:
        blob, decoded = blob.replace(value, b"<masked>"), decoded.replace(value, b"<masked>")
    for digits in planted_digit_runs():
        assert digits not in blob and digits not in decoded, "planted phone digits in e-mail"


@dataclass
class Deployment:
    home: Path
    db_url: str
    paste: PasteSite
    sink: SmtpSink

    @property
    def env(self) -> dict[str, str]:
        """Environment of a `leakprint` child process for this deployment."""
        env = dict(os.environ)
        env.update(smtp_env(self.sink))
        env["LEAKPRINT_DATABASE_URL"] = self.db_url
        return env

    def open_db(self) -> Database:
        return open_database(self.db_url, migrate_schema=False)

    def scalar(self, sql: str, **params: object) -> object:
        engine = sa.create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(sql), params).scalar()
        finally:
            engine.dispose()

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        engine = sa.create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(sa.text(sql))]
        finally:
            engine.dispose()

    def jobs(self) -> list[tuple[object, ...]]:
        return self.rows(f"SELECT id, next_run_time FROM {JOBS_TABLE} ORDER BY id")

    def scan_runs(self) -> list[tuple[object, ...]]:
        return self.rows("SELECT incident_id, status, error, id FROM scan_runs ORDER BY id")


def smtp_env(sink: SmtpSink) -> dict[str, str]:
    assert sink.cert is not None
    return {
        "LEAKPRINT_SMTP_HOST": sink.host,
        "LEAKPRINT_SMTP_PORT": str(sink.port),
        "LEAKPRINT_SMTP_TLS": sink.mode,
        "LEAKPRINT_SMTP_USER": sink.username,
        "LEAKPRINT_SMTP_PASSWORD": sink.password,
        "LEAKPRINT_SMTP_CA_FILE": str(sink.cert.cert_file),
        "LEAKPRINT_SMTP_FROM": "leakprint@soc.example.jp",
    }


@contextmanager
def paste_site() -> Iterator[PasteSite]:
    """A running paste host (the ``paste`` fixture)."""
    holder: list[PasteSite] = []

    def routes(
        site: Site,
    ) -> Callable[[str, dict[str, list[str]]], tuple[int, dict[str, str], bytes]]:
        def route(path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
            if path == "/raw/AbCd1234":
                return 200, {"Content-Type": "text/plain; charset=utf-8"}, holder[0].text.encode()
            return 404, {"Content-Type": "text/plain"}, b"not found"

        return route

    site = start_site(routes)
    holder.append(PasteSite(site))
    try:
        yield holder[0]
    finally:
        stop_site(site)


def make_served_deployment(
    tmp_path: Path,
    db_url: str,
    paste: PasteSite,
    smtp_starttls: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> Deployment:
    """A deployment with the CRM set, two paste sources and SMTP (the ``deployment`` fixture)."""
    home = tmp_path / "deploy"
    home.mkdir()
    monkeypatch.setenv("LEAKPRINT_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    for name, value in smtp_env(smtp_starttls).items():
        monkeypatch.setenv(name, value)
    assert run(home, "init").exit_code == 0
    src = tmp_path / "customers.csv"
    src.write_text(
        ",".join(HEADER) + "\n" + "\n".join(",".join(r) for r in [*PLANTED, *CUSTOMERS]) + "\n",
        encoding="utf-8",
    )
    imported = run(
        home, "fingerprint", "import", str(src), "--dataset", "crm", "--id-column", "顧客ID", *MAP
    )
    assert imported.exit_code == 0, imported.output
    src.unlink()
    (home / "sources.toml").write_text(
        f'[[source]]\nname = "paste"\nkind = "page"\nstart_urls = ["{paste.url}"]\n'
        "obey_robots = false\n"
        '\n[[source]]\nname = "old-paste"\nkind = "page"\n'
        f'start_urls = ["{paste.site.url("/gone")}"]\nobey_robots = false\n',
        encoding="utf-8",
    )
    return Deployment(home, db_url, paste, smtp_starttls)


def open_incident_cli(d: Deployment, name: str = "docomo-2026-11", source: str = "paste") -> int:
    result = run(
        d.home,
        "incident",
        "open",
        name,
        "--dataset",
        "crm",
        "--source",
        source,
        "--every",
        "30m",
        "--for",
        "90d",
        "--notify",
        "soc@example.jp",
        "--json",
    )
    assert result.exit_code == 0, result.output
    return int(json.loads(result.output)["id"])


def drop_source(d: Deployment, name: str) -> None:
    """Remove a source from sources.toml (its incident's scans now fail)."""
    path = d.home / "sources.toml"
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    path.write_text("\n\n".join(b for b in blocks if f'name = "{name}"' not in b), encoding="utf-8")


def wait_for(condition: Callable[[], object], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what}")


@dataclass
class InProcessServe:
    """`leakprint.scheduler.serve` in a thread, with counts of the housekeeping runs."""

    d: Deployment
    stop: threading.Event = field(default_factory=threading.Event)
    ready: threading.Event = field(default_factory=threading.Event)
    executed: dict[str, int] = field(default_factory=dict)
    sched: LeakprintScheduler | None = None
    error: list[BaseException] = field(default_factory=list)

    def __enter__(self) -> InProcessServe:
        db = self.d.open_db()
        settings = load_settings(self.d.home)

        def on_ready(sched: LeakprintScheduler) -> None:
            self.sched = sched

            def count(event: JobExecutionEvent) -> None:
                self.executed[event.job_id] = self.executed.get(event.job_id, 0) + 1

            sched.scheduler.add_listener(count, EVENT_JOB_EXECUTED)
            self.ready.set()

        def main() -> None:
            try:
                serve(
                    settings,
                    db,
                    alert_interval=1,
                    sync_interval=1,
                    stop=self.stop,
                    on_ready=on_ready,
                )
            except BaseException as exc:
                self.error.append(exc)
            finally:
                db.close()

        self.thread = threading.Thread(target=main, daemon=True)
        self.thread.start()
        wait_for(lambda: self.ready.is_set() or self.error, "serve to start", 60)
        assert not self.error, self.error
        return self

    def cycles(self, n: int) -> None:
        """Wait until the sync and alert jobs have each run `n` more times."""
        start = {k: self.executed.get(k, 0) for k in ("sync", "alerts")}
        wait_for(
            lambda: all(self.executed.get(k, 0) >= start[k] + n for k in start),
            f"{n} sync and alert cycles",
            60,
        )

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(180)
        assert not self.thread.is_alive(), "serve did not stop"
        assert not self.error, self.error


PLANTED_REFS = [r[0] for r in PLANTED]


def finding_mails(d: Deployment) -> list[Received]:
    """The alert e-mails about findings (not the notices about failing scans)."""
    return [m for m in d.sink.messages if not is_notice(m)]


def notice_subjects(d: Deployment) -> list[str]:
    return [subject(m) for m in d.sink.messages if is_notice(m)]


def subject(received: Received) -> str:
    """The Subject header unfolded (a long one is folded, maybe right after the name)."""
    return " ".join(str(received.message["Subject"]).split())


def is_notice(received: Received) -> bool:
    return subject(received).startswith(("[leakprint] SCAN FAILED", "[leakprint] SCANS WORK"))


def finding_alerts(d: Deployment) -> list[dict[str, Any]]:
    db = d.open_db()
    try:
        return [a for a in list_alerts(db) if a["kind"] == "finding"]
    finally:
        db.close()


class Serve:
    """`leakprint serve` as a child process; stderr collected line by line."""

    def __init__(self, d: Deployment) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("leakprint")),
                "--home",
                str(d.home),
                "serve",
                "--sync-interval",
                "1",
                "--alert-interval",
                "1",
            ],
            env=d.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def terminate(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(180)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail("serve did not stop after SIGTERM")
        self.reader.join(10)
        self._close()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(10)
        self._close()

    def _close(self) -> None:
        # The pipe's file is ours to close once the reader has seen its end.
        if self.proc.stderr is not None and not self.reader.is_alive():
            self.proc.stderr.close()


def check_alert_email(
    received: Received,
    d: Deployment,
    incident: int,
    finding: int,
    refs: list[str],
    update_from: int | None = None,
) -> None:
    """The alert e-mail of ``finding``: its subject, recipient, AUTH and clean body."""
    email = received.message
    host = "127.0.0.1"
    count = len(refs)
    if update_from is None:
        assert email["Subject"] == (
            f"[leakprint] HIGH: {count} customer records at {host} "
            f"(incident {incident}: docomo-2026-11)"
        )
    else:
        growth = count - update_from
        assert email["Subject"] == (
            f"[leakprint] UPDATE: HIGH: {count} customer records "
            f"(+{growth} record{'s' if growth != 1 else ''}) at {host} "
            f"(incident {incident}: docomo-2026-11)"
        )
    assert received.rcpt_tos == ("soc@example.jp",)
    assert received.authenticated  # STARTTLS, then AUTH
    text = body_text(email, "plain")
    html = body_text(email, "html")
    assert f"Distinct records: {count}" in text
    assert re.search(rf"high\s+{count}\b", text)
    assert "Confidence:   HIGH" in text
    assert d.paste.url in text and d.paste.url in html
    assert "Source:       paste" in text
    assert "name_folded" not in text and "name_folded" not in html  # shown as "name"
    for ref in refs:
        assert ref in text and ref in html
    assert f"leakprint findings show {finding}" in text
    assert f"leakprint findings show {finding}" in html
    # The snippet is shape only: kinds and lengths.
    snippet = text.split("Example row, shape only", 1)[1].split("What to do next", 1)[0]
    assert re.search(r"⟨name:\d+⟩,⟨name_kana:\d+⟩,⟨phone⟩,⟨email⟩", snippet), snippet
    if update_from is not None:
        assert f"It held {update_from} before; it holds {count} now" in text
    assert_clean_email(received, d.paste.site.base)
