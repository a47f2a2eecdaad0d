"""A PostgreSQL outage during a `serve` scan (issue 18, "a database that goes away").

The test starts its OWN PostgreSQL server (its own data directory and port, never
the machine's shared one), runs `leakprint serve` against it, stops the server
while a scheduled scan is in flight and starts it again: no run is left `running`,
the failure is notified once (real SMTP sink), `incident show` lists it, and the
log has one line per component when the database goes and when it comes back, and
no traceback.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.alerts.smtp_sink import free_port
from tests.leakprint import sites
from tests.leakprint.helpers import run
from tests.leakprint.processes import slow_text
from tests.leakprint.serving import (
    Deployment,
    Serve,
    notice_subjects,
    wait_for,
)

PG_BIN = Path("/usr/lib/postgresql/15/bin")

pytestmark = pytest.mark.slow


class PrivatePostgres:
    """A throw-away PostgreSQL server run as the ``postgres`` user."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="leakprint-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        os.chmod(self.root, 0o755)
        shutil.chown(self.root, "postgres", "postgres")
        self._as_pg(PG_BIN / "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                    "--no-sync", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_pg(self, *cmd: object) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *map(str, cmd)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.root)

    def start(self) -> None:
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                f"-c unix_socket_directories={self.root} -c fsync=off")
        self._as_pg(PG_BIN / "pg_ctl", "-D", self.data, "-o", opts, "-l",
                    self.root / "pg.log", "-w", "start")

    def stop(self) -> None:
        self._as_pg(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    if os.geteuid() != 0 or not (PG_BIN / "initdb").exists():
        pytest.skip("needs root and PostgreSQL 15's server binaries")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no postgres user")
    pg = PrivatePostgres()
    pg.start()
    yield pg
    pg.destroy()


@pytest.fixture
def db_url(private_pg: PrivatePostgres) -> str:
    return private_pg.url


@pytest.fixture
def slow_site() -> Iterator[tuple[sites.Site, sites.Gate]]:
    gate = sites.Gate(free=3)
    site = sites.start_site(sites.slow_routes(12, 0.2, slow_text, gate))
    yield site, gate
    gate.opened.set()
    sites.stop_site(site)


def test_database_outage_during_a_serve_scan(
    deployment: Deployment,
    private_pg: PrivatePostgres,
    slow_site: tuple[sites.Site, sites.Gate],
) -> None:
    d = deployment
    site, gate = slow_site
    with (d.home / "sources.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[[source]]\nname = "slow"\nkind = "paste"\n'
                 f'start_urls = ["{site.url("/list")}"]\n'
                 "follow = ['^/p/\\d+$']\nraw = \"/p/{id}\"\n")
    opened = run(d.home, "incident", "open", "outage", "--dataset", "crm", "--source", "slow",
                 "--every", "30m", "--for", "90d", "--notify", "soc@example.jp", "--json")
    assert opened.exit_code == 0, opened.output
    incident = int(json.loads(opened.output)["id"])
    serve = Serve(d)
    try:
        # The scheduled scan is in flight (pages held back by the gate) ...
        wait_for(lambda: [r[1] for r in d.scan_runs()] == ["running"] and gate.served > 3,
                 "a scan in flight")
        private_pg.stop()  # ... when the database goes away.
        gate.opened.set()
        wait_for(lambda: serve.saw(f"incident {incident}: scan failed: database unreachable"),
                 "the scan to end without its database")
        wait_for(lambda: serve.saw("database unreachable ("), "an outage line")
        private_pg.start()
        wait_for(lambda: [r[1] for r in d.scan_runs()] == ["failed"], "the run to be closed")
        wait_for(lambda: len(notice_subjects(d)) >= 1, "the failed-scan notice", timeout=60)
        wait_for(lambda: serve.saw("database back after"), "a back-again line")
        shown = run(d.home, "incident", "show", str(incident))
    finally:
        gate.opened.set()
        code = serve.terminate() if serve.proc.poll() is None else serve.proc.returncode
    assert code == 0, "\n".join(serve.lines)
    [(inc, status, error, run_id)] = d.scan_runs()
    assert inc == incident and status == "failed"
    assert str(error).startswith(("database unreachable", "crawl exited with status"))
    assert notice_subjects(d) == [
        f"[leakprint] SCAN FAILED: incident {incident}: outage is not being watched"
        f" (scan run {run_id})"
    ]
    assert f"failed (scan run {run_id})" in shown.output, shown.output
    log = "\n".join(serve.lines)
    assert "Traceback" not in log, log
    gone = [line for line in serve.lines if "database unreachable (" in line]
    components = [line.split(": database unreachable")[0].split()[-1] for line in gone]
    assert len(components) == len(set(components)), log  # one line per component
    back = [line for line in serve.lines if "database back after" in line]
    assert back and len(back) <= len(gone), log
