"""Domain errors name their fields; the CLI shows each as its flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from leakprint.cli.common import flag, one_line
from leakprint.crawl import CrawlError, check_urls
from leakprint.inputs import InputError, lit
from tests.leakprint.helpers import HEADER, customer_rows, run
from tests.leakprint.sites import MAP_ARGS, make_deployment


def test_fields_are_named_and_shown_as_flags() -> None:
    err = InputError.about(f"give exactly one of {{every}} or {{cron}} (not {lit('{x}')})")
    assert str(err) == "give exactly one of every or cron (not '{x}')"
    assert err.fields == ["every", "cron"]
    assert one_line(err) == "give exactly one of --every or --cron (not '{x}')"


def test_flags_of_fields() -> None:
    assert [flag(f) for f in ("period", "datasets", "all_sources", "wait_for")] == [
        "--for", "--dataset", "--all-sources", "--wait-for"]


def test_plain_errors_keep_their_text() -> None:
    err = CrawlError("scan run 3: crawl exited with status 1: {odd} (log: logs/scan-3.log)")
    assert err.fields == [] and one_line(err) == str(err)


def test_crawl_inputs_name_the_field() -> None:
    try:
        check_urls(["https://ok.example/", "ftp://x{y}.example/"])
    except CrawlError as exc:
        assert exc.fields == ["urls"]
        assert str(exc).startswith("urls number 2 (ftp:)")
        assert one_line(exc).startswith("--url number 2 (ftp:)")
    else:
        raise AssertionError("not refused")


@pytest.mark.slow  # init and two imports through the CLI
def test_import_over_a_dataset_names_the_replace_flag(tmp_path: Path, db_url: str) -> None:
    home = tmp_path / "home"
    env = make_deployment(home, db_url, customer_rows(5))
    src = tmp_path / "again.csv"
    src.write_text(",".join(HEADER) + "\n" + "\n".join(",".join(r) for r in customer_rows(5))
                   + "\n", encoding="utf-8")
    again = run(home, "fingerprint", "import", str(src), "--dataset", "crm", *MAP_ARGS, env=env)
    assert again.exit_code == 2
    assert "error: dataset 'crm' exists: drop it first or pass --replace" in again.output
