"""``leakprint alerts send|test|list`` and ``leakprint serve``."""

from __future__ import annotations

import logging

import click
from rich.table import Table

from alerts import DeliveryError, render_test_message
from alerts.recipients import RecipientError, RoutingNotifier, scheme_of, shown
from leakprint.channels import CHANNELS, check_recipient
from leakprint.cli.common import (
    AppContext,
    UserError,
    emit,
    format_option,
    pass_app,
    user_errors,
)
from leakprint.outbox import ALERT_COLUMNS, list_alerts, send_pending
from leakprint.scheduler import ServeError


@click.group("alerts")
def alerts_group() -> None:
    """The alert outbox: deliver, test the SMTP set-up, list.

    \b
    Example:
      leakprint alerts test soc@example.jp
      leakprint alerts list --json
    """


@alerts_group.command("send")
@click.option("--retry-failed", is_flag=True, help="Queue alerts that gave up again first.")
@pass_app
@user_errors()
def send_cmd(app: AppContext, retry_failed: bool) -> None:
    """Deliver pending alerts now (retries wait for their back-off time).

    \b
    Example:
      leakprint alerts send
    """
    from leakprint.outbox import requeue_failed

    if retry_failed:
        click.echo(f"{requeue_failed(app.db)} failed alerts queued again")
    report = send_pending(app.settings, app.db)
    line = f"{report.sent} sent, {report.retried} to retry later, {report.failed} failed"
    waiting = sorted(
        r["next_attempt_at"] for r in list_alerts(app.db) if r["status"] == "pending"
    )
    if waiting and not report.retried:
        line += f"; {len(waiting)} pending, the next retry at {waiting[0][:19]} UTC"
    click.echo(line)


@alerts_group.command("test")
@click.argument("address")
@pass_app
@user_errors()
def test_cmd(app: AppContext, address: str) -> None:
    """Send a test message to ADDRESS through its channel (SMTP for e-mail).

    ADDRESS is a recipient as ``incident open --notify`` takes it: an e-mail
    address (bare or ``mailto:``) or an ``https://`` webhook.

    \b
    Example:
      LEAKPRINT_SMTP_HOST=mail.example.jp leakprint alerts test soc@example.jp
      leakprint alerts test https://hooks.example.jp/services/T0/B1/xyz
    """
    try:
        address = check_recipient(address)
    except RecipientError as exc:
        raise UserError(str(exc)) from None
    scheme = scheme_of(address)
    what = "test e-mail" if scheme == "mailto" else "test message"
    message = render_test_message([address], app.settings.smtp.sender)
    notifier = RoutingNotifier({scheme: CHANNELS[scheme].build(app.settings)})
    try:
        notifier.send(message)
    except DeliveryError as exc:
        raise UserError(f"{what} not delivered: {exc}") from None
    if scheme != "mailto":
        click.echo(f"{what} sent to {shown(address)}")
        return
    click.echo(
        f"test e-mail sent to {address} via {app.settings.smtp.host}:{app.settings.smtp.port}"
    )


@alerts_group.command("list")
@format_option
@pass_app
@user_errors()
def list_cmd(app: AppContext, output: str) -> None:
    """List the outbox: status pending, sent or failed, attempts and last error.

    \b
    Example:
      leakprint alerts list --json
      leakprint alerts list --format csv > outbox.csv
    """
    rows = list_alerts(app.db)
    if output != "table":
        emit(output, rows, ALERT_COLUMNS)
        return
    table = Table("id", "incident", "about", "records", "status", "attempts", "last error")
    for r in rows:
        finding = r["kind"] == "finding"
        table.add_row(
            str(r["id"]),
            str(r["incident"]),
            f"finding {r['finding']}" if finding else f"{r['kind']} (scan run {r['scan_run']})",
            (str(r["record_count"]) + (" (update)" if r["update"] else "")) if finding else "",
            r["status"],
            str(r["attempts"]),
            r["last_error"] or "",
        )
    app.out.print(table)


@click.command("serve")
@click.option(
    "--alert-interval",
    default=30,
    show_default=True,
    type=click.IntRange(1, 3600),
    help="Seconds between outbox deliveries.",
)
@click.option(
    "--sync-interval",
    default=15,
    show_default=True,
    type=click.IntRange(1, 3600),
    help="Seconds between checks for new or closed incidents.",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Scans that may run at the same time.",
)
@pass_app
@user_errors(ServeError)
def serve_cmd(app: AppContext, alert_interval: int, sync_interval: int, workers: int) -> None:
    """Run the scheduler and the alert sender until Ctrl-C or SIGTERM.

    Schedules live in the leakprint database, so a restart neither loses nor
    duplicates them. Stopping waits for running scans to finish. Run one `serve`
    per database. Once a day (first at start) it purges what is past its
    `[retention]`, as `leakprint purge` does.

    \b
    Example:
      LEAKPRINT_SMTP_HOST=mail.example.jp LEAKPRINT_SMTP_TLS=starttls leakprint serve
    """
    from leakprint.scheduler import LeakprintScheduler, serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app.settings.load_key()  # fail now, not in every scan, when the key is missing

    def ready(sched: LeakprintScheduler) -> None:
        jobs = sched.jobs()
        click.echo(f"serving: {len(jobs)} incident scans scheduled; Ctrl-C to stop", err=True)
        for job in jobs:
            click.echo(f"  {job['id']} ({job['name']}): next scan {job['next_run']}", err=True)

    serve(
        app.settings,
        app.db,
        alert_interval=alert_interval,
        sync_interval=sync_interval,
        workers=workers,
        on_ready=ready,
    )
    click.echo("stopped", err=True)
