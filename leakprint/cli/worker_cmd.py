"""``leakprint worker``: a crawl worker of a scale-out deployment (SPEC 15)."""

from __future__ import annotations

import logging
import signal
from typing import Any

import click

from leakprint.cli.common import AppContext, UserError, pass_app


@click.command("worker")
@click.option("--name", metavar="NAME",
              help="This worker's name in logs and coverage (default: host-pid).")
@pass_app
def worker_cmd(app: AppContext, name: str | None) -> None:
    """Crawl the scan runs that `serve` or `scan --distributed` hand out, until stopped.

    Needs the shared Redis ([scale] redis_url or LEAKPRINT_REDIS_URL), the shared
    database (PostgreSQL), the key (LEAKPRINT_KEY_FILE) and copies of the
    fingerprint sets and sources.toml. See docs/scale-out.md.

    \b
    Example:
      LEAKPRINT_REDIS_URL=redis://10.0.0.5:6379/0 LEAKPRINT_KEY_FILE=/etc/leakprint/key \\
        leakprint worker --name crawl-2
    """
    from leakprint.scaleout.coordinator import FleetError
    from leakprint.scaleout.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app.settings.load_key()  # fail now, not in every crawl, when the key is missing
    try:
        worker = Worker(app.settings, app.db, name=name)
    except FleetError as exc:
        raise UserError(str(exc)) from None

    def _stop(signum: int, _frame: Any) -> None:
        worker.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"worker {worker.name}: waiting for scan runs; Ctrl-C to stop", err=True)
    worker.run()
