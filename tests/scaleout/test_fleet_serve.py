"""`leakprint serve` with a Redis URL: an incident's scheduled scan runs through a
`leakprint worker`, and the alert e-mail and the scan notices go out as with one machine."""

from __future__ import annotations

import json

import pytest

from leakprint.scheduler import run_incident_scan
from tests.leakprint.helpers import run
from tests.leakprint.serving import (  # the fixtures too
    CUSTOMERS,
    PLANTED_REFS,
    Deployment,
    InProcessServe,
    assert_clean_email,
    check_alert_email,
    finding_alerts,
    finding_mails,
    notice_subjects,
    open_incident_cli,
    wait_for,
)
from tests.scaleout.fleet import REDIS_URL, needs_services, redis_prefix, start_worker, stop_worker

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _fleet_env(monkeypatch: pytest.MonkeyPatch, prefix: str) -> None:
    """serve and its worker share this Redis (under ``prefix``) and crawl 127.0.0.1."""
    assert REDIS_URL
    for name, value in {"LEAKPRINT_REDIS_URL": REDIS_URL, "LEAKPRINT_REDIS_PREFIX": prefix,
                        "LEAKPRINT_ALLOWED_NETWORKS": "127.0.0.1/32",
                        "LEAKPRINT_MATCH_WORKERS": "1"}.items():
        monkeypatch.setenv(name, value)


def test_serve_runs_scheduled_scans_through_workers(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch,
) -> None:
    needs_services()
    d = deployment
    if not d.db_url.startswith("postgresql"):
        pytest.skip("workers share a PostgreSQL database")
    assert REDIS_URL
    with redis_prefix() as prefix:
        _fleet_env(monkeypatch, prefix)
        incident = open_incident_cli(d)
        worker = start_worker(d.home, d.env, "w1")
        try:
            with InProcessServe(d):
                wait_for(lambda: finding_mails(d), "the alert e-mail")
                wait_for(lambda: [r[1] for r in d.scan_runs()] == ["ok"], "the scan run")
        finally:
            stop_worker(worker)
    # The scan ran in the worker (its share recorded), not in a child crawl of serve.
    (share,) = d.rows("SELECT worker, pages, docs_new FROM scan_run_workers")
    assert str(share[0]).startswith("w1-") and isinstance(share[1], int) and share[1] >= 1
    assert share[2] == 1
    assert [(r[0], r[1]) for r in d.scan_runs()] == [(incident, "ok")]
    refs = sorted([*PLANTED_REFS, *[c[0] for c in CUSTOMERS[:2]]])
    findings = json.loads(run(d.home, "findings", "--incident", str(incident), "--json").output)
    assert len(findings) == 1
    check_alert_email(finding_mails(d)[0], d, incident, findings[0]["id"], refs)
    for received in d.sink.messages:
        assert_clean_email(received, d.paste.site.base)
    (alert,) = finding_alerts(d)
    assert (alert["status"], alert["record_count"]) == ("sent", len(refs))


def test_a_distributed_scan_that_sees_nothing_fails_with_a_notice(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scan notices of SPEC 6 hold for a fleet: a watched page that is gone, crawled
    by a worker, is a failed scan with its "scan failed" notice, as on one machine."""
    needs_services()
    d = deployment
    if not d.db_url.startswith("postgresql"):
        pytest.skip("workers share a PostgreSQL database")
    assert REDIS_URL
    with redis_prefix() as prefix:
        _fleet_env(monkeypatch, prefix)
        incident = open_incident_cli(d, name="gone", source="old-paste")
        worker = start_worker(d.home, d.env, "w1")
        try:
            run_incident_scan(str(d.home), incident)
        finally:
            stop_worker(worker)
    (run_row,) = d.scan_runs()
    assert run_row[:2] == (incident, "failed"), run_row
    assert "no page could be fetched" in str(run_row[2])
    (share,) = d.rows("SELECT worker FROM scan_run_workers")
    assert str(share[0]).startswith("w1-")  # the worker crawled it, not serve
    assert notice_subjects(d) == [
        f"[leakprint] SCAN FAILED: incident {incident}: gone is not being watched"
        f" (scan run {run_row[3]})"
    ]
