"""`init` + `fingerprint import` end to end: CP932 with bad rows, JSON listing, no raw values."""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.leakprint.helpers import (
    HEADER,
    MAP,
    PLANTED,
    all_file_bytes,
    assert_no_planted,
    assert_pg_clean,
    customer_rows,
    run,
)

pytestmark = pytest.mark.slow  # imports through the CLI and its process


def write_cp932(path: Path, rows: list[list[str]], bad_lines: dict[int, bytes]) -> None:
    """Rows as CP932 CSV; ``bad_lines`` inserts raw lines after the given data row index."""
    with path.open("wb") as fh:
        fh.write((",".join(HEADER) + "\r\n").encode("cp932"))
        for i, row in enumerate(rows):
            fh.write((",".join(row) + "\r\n").encode("cp932"))
            if i in bad_lines:
                fh.write(bad_lines[i])


LEAKPRINT = Path(sys.executable).with_name("leakprint")


def test_cp932_import_reports_bad_rows_by_number_only(
    home: Path, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rows = PLANTED + customer_rows(1500)
    bad = {
        10: "B0000001,山田 太郎,ヤマダ タロウ,not-a-phone,x@example.jp,1980/01/01,"
        "東京都港区1-1-1\r\n".encode("cp932"),
        20: "B0000002,只有三列,x\r\n".encode("cp932"),
        30: b"B0000003,\xff\xfe\xfd,\x81\r\n",
        40: "B0000004,鈴木 一郎,スズキ イチロウ,090-1111-2222,y@example.jp,2001/02/30,"
        "東京都港区1-1-1\r\n".encode("cp932"),
    }
    src = home / "customers.csv"
    write_cp932(src, rows, bad)
    env = {"LEAKPRINT_DATABASE_URL": db_url}
    result = run(
        home,
        "fingerprint",
        "import",
        str(src),
        "--dataset",
        "d1",
        "--id-column",
        "顧客ID",
        *MAP,
        env=env,
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "1503 records fingerprinted, 4 bad rows skipped" in out
    # Rows are reported by their line number in the file (header = line 1).
    assert "row 13, column '電話番号': not a valid phone" in out
    assert "row 24: 3 cells where the header has 7" in out
    assert "row 35: bytes that are not valid cp932" in out
    assert "row 46, column '生年月日': not a valid birthdate" in out

    listed = run(home, "fingerprint", "list", "--json", env=env)
    data = json.loads(listed.output)
    assert data[0]["name"] == "d1"
    assert data[0]["record_count"] == 1503
    assert data[0]["bad_rows"] == 4
    assert data[0]["kinds"]["phone"] == 1503

    # Privacy: no planted value anywhere the import wrote.
    src.unlink()
    for path, blob in all_file_bytes(home).items():
        assert_no_planted(blob, str(path))
    assert_no_planted(out.encode(), "CLI output")
    assert_no_planted(listed.output.encode(), "JSON listing")
    assert_no_planted("\n".join(r.getMessage() for r in caplog.records).encode(), "logs")
    if db_url.startswith("postgresql"):
        assert_pg_clean(db_url)


def test_too_many_bad_rows_fails_and_writes_nothing(home: Path, db_url: str) -> None:
    rows = customer_rows(50)
    for row in rows[:5]:
        row[3] = "0120-000-000"  # toll-free: not a customer number
    src = home / "c.csv"
    write_cp932(src, rows, {})
    env = {"LEAKPRINT_DATABASE_URL": db_url}
    result = run(
        home,
        "fingerprint",
        "import",
        str(src),
        "--dataset",
        "d2",
        "--id-column",
        "顧客ID",
        *MAP,
        env=env,
    )
    assert result.exit_code == 2
    assert "5 of 50 rows are bad" in result.output
    # The one-line refusal still says where to look: by column and row, no value.
    assert "most: 5 × column '電話番号': not a valid phone (first at row 2)" in result.output
    assert "0120" not in result.output
    assert not (home / "fingerprint-sets" / "d2").exists()
    assert json.loads(run(home, "fingerprint", "list", "--json", env=env).output) == []


def test_headers_are_matched_and_shown_without_map(home: Path, db_url: str) -> None:
    src = home / "c.csv"
    header = "お客様番号,お名前,ﾌﾘｶﾞﾅ,携帯電話,E-mail,誕生日,ご住所\n"
    body = "\n".join(",".join(r) for r in customer_rows(20))
    src.write_text(header + body + "\n", encoding="utf-8-sig")
    env = {"LEAKPRINT_DATABASE_URL": db_url}
    result = run(
        home,
        "fingerprint",
        "import",
        str(src),
        "--dataset",
        "d3",
        "--id-column",
        "お客様番号",
        env=env,
    )
    assert result.exit_code == 0, result.output
    for line in (
        "columns matched by their header names (--map COL=KIND overrides):",
        "お名前 → name",
        "ﾌﾘｶﾞﾅ → name_kana",
        "携帯電話 → phone",
        "E-mail → email",
        "誕生日 → birthdate",
        "ご住所 → address",
    ):
        assert line in result.output


def test_ambiguous_headers_are_refused(home: Path, db_url: str) -> None:
    src = home / "c.csv"
    src.write_text("id,電話番号,TEL\nC1,090-1234-5678,03-1234-5678\n", encoding="utf-8")
    env = {"LEAKPRINT_DATABASE_URL": db_url}
    result = run(
        home, "fingerprint", "import", str(src), "--dataset", "d4", "--id-column", "id", env=env
    )
    assert result.exit_code == 2
    assert "ambiguous" in result.output


def test_drop_removes_set_and_registration(home: Path, db_url: str) -> None:
    src = home / "c.csv"
    src.write_text(
        ",".join(HEADER) + "\n" + "\n".join(",".join(r) for r in customer_rows(5)), encoding="utf-8"
    )
    env = {"LEAKPRINT_DATABASE_URL": db_url}

    def import_d5(*extra: str) -> None:
        result = run(
            home,
            "fingerprint",
            "import",
            str(src),
            "--dataset",
            "d5",
            "--id-column",
            "顧客ID",
            *extra,
            *MAP,
            env=env,
        )
        assert result.exit_code == 0, result.output

    import_d5()
    assert (home / "fingerprint-sets" / "d5").is_dir()
    # Without --yes: no answer (a script's closed stdin) or "n" keeps the set, exit 2.
    for answer in (None, b"n\n"):
        kept = run(home, "fingerprint", "drop", "d5", env=env, input=answer)
        assert kept.exit_code == 2, kept.output
        assert "error: dataset 'd5' not dropped: answer y, or pass --yes" in kept.output
        assert (home / "fingerprint-sets" / "d5").is_dir()
    # A script with stdin closed altogether: the same one line, no traceback.
    closed = subprocess.run(
        f"{shlex.quote(str(LEAKPRINT))} --home {shlex.quote(str(home))} fingerprint drop d5 <&-",
        shell=True,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    assert closed.returncode == 2, closed.stderr
    assert closed.stderr.splitlines()[-1] == (
        "error: dataset 'd5' not dropped: answer y, or pass --yes"
    )
    assert "Traceback" not in closed.stderr and (home / "fingerprint-sets" / "d5").is_dir()
    before = json.loads(run(home, "fingerprint", "list", "--json", env=env).output)[0]
    import_d5("--replace")
    after = json.loads(run(home, "fingerprint", "list", "--json", env=env).output)[0]
    assert after["created_at"] > before["created_at"]  # the replaced set is a new build
    assert run(home, "fingerprint", "drop", "d5", env=env, input=b"y\n").exit_code == 0
    assert not (home / "fingerprint-sets" / "d5").exists()
    import_d5()
    assert run(home, "fingerprint", "drop", "d5", "--yes", env=env).exit_code == 0
    assert not (home / "fingerprint-sets" / "d5").exists()
    assert run(home, "fingerprint", "drop", "d5", "--yes", env=env).exit_code == 2


def test_progress_total_counts_the_data_lines(tmp_path: Path) -> None:
    from leakprint.cli.fingerprint_cmd import _data_lines

    src = tmp_path / "c.csv"
    src.write_bytes(b"id,name\nC1,a\nC2,b\nC3,c\n")
    assert _data_lines(src) == 3
    src.write_bytes(b"id,name\n")
    assert _data_lines(src) is None  # no rows: no total, the bar just counts
    assert _data_lines(tmp_path / "missing.csv") is None
