"""Issue 19 point 17 (a full disk, a locked database: one line) and point 18's small
items: a private database file, `search --stdin`, `--notify` lists, `--since` far
back, unknown keys in leakprint.toml, the search table's column name."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from leakprint.config import KNOWN_KEYS, load_settings, unknown_keys
from tests.leakprint.helpers import PLANTED, assert_no_planted, customer_rows, run
from tests.leakprint.sites import make_deployment, scan_runs

KANBEE = PLANTED[0]
LEAKPRINT = Path(sys.executable).with_name("leakprint")


@pytest.fixture
def sqlite_home(tmp_path: Path) -> tuple[Path, dict[str, str], str]:
    home = tmp_path / "home"
    db_url = f"sqlite:///{tmp_path}/lp.db"
    env = make_deployment(home, db_url, [*PLANTED, *customer_rows(20)])
    return home, env, db_url


def test_sqlite_database_file_is_private(sqlite_home: tuple[Path, dict[str, str], str],
                                         tmp_path: Path) -> None:
    home, env, _ = sqlite_home
    dump = tmp_path / "d.txt"
    dump.write_text(f"{KANBEE[1]} {KANBEE[3]} {KANBEE[4]}\n", encoding="utf-8")
    assert run(home, "scan", "--file", str(dump), env=env).exit_code == 0
    files = [p for p in tmp_path.glob("lp.db*") if not p.name.endswith("serve-lock")]
    assert tmp_path / "lp.db" in files
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def test_search_reads_values_from_stdin(sqlite_home: tuple[Path, dict[str, str], str],
                                        tmp_path: Path) -> None:
    home, env, _ = sqlite_home
    dump = tmp_path / "d.csv"
    dump.write_text(f"name,tel,mail\n{KANBEE[1]},{KANBEE[3]},{KANBEE[4]}\n", encoding="utf-8")
    assert run(home, "scan", "--file", str(dump), env=env).exit_code == 0
    stdin = f"# one value a line\nphone={KANBEE[3]}\n\nemail = {KANBEE[4]}\n".encode()
    result = run(home, "search", "--stdin", "--json", env=env, input=stdin)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["records"] == {"crm": ["P0000001"]} and len(data["findings"]) == 1
    # The table says whose records it counts.
    human = run(home, "search", "--stdin", env={**env, "COLUMNS": "200"},
                input=f"record={KANBEE[0]}\n".encode())
    assert human.exit_code == 0 and "searched records" in human.output, human.output
    # A bad line is named by number, never quoted.
    bad = run(home, "search", "--stdin", env=env, input=f"{KANBEE[3]}\n".encode())
    assert bad.exit_code == 2
    assert bad.output.strip() == ("error: standard input line 1: expected KIND=VALUE, KIND one "
                                  "of phone, email, name, record")
    twice = run(home, "search", "--phone", KANBEE[3], "--stdin", env=env,
                input=f"phone={KANBEE[3]}\n".encode())
    assert twice.exit_code == 2 and "phone given twice" in twice.output
    assert_no_planted((bad.output + twice.output).encode(), "search --stdin errors")


def test_search_stdin_keeps_the_value_out_of_the_process_list(
    sqlite_home: tuple[Path, dict[str, str], str]
) -> None:
    home, env, _ = sqlite_home
    proc = subprocess.Popen([str(LEAKPRINT), "--home", str(home), "search", "--stdin"],
                            env={**os.environ, **env}, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        cmdline = b""
        while b"search" not in cmdline:  # until the command has started
            assert proc.poll() is None
            cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        out, err = proc.communicate(f"phone={KANBEE[3]}\n".encode(), timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert b"--stdin" in cmdline
    assert_no_planted(cmdline, "/proc/PID/cmdline")
    assert b"crm: record P0000001" in out


def test_notify_with_several_addresses_in_one_option_is_refused(
    sqlite_home: tuple[Path, dict[str, str], str]
) -> None:
    home, env, _ = sqlite_home
    (home / "sources.toml").write_text(
        '[[source]]\nname = "s"\nkind = "page"\nstart_urls = ["http://127.0.0.1:9/x"]\n',
        encoding="utf-8")
    for notify in ("a@b.example,c@d.example", "a@b.example;c", "soc@example.jp c@d.example"):
        result = run(home, "incident", "open", "x", "--dataset", "crm", "--source", "s",
                     "--every", "1h", "--notify", notify, env=env)
        assert result.exit_code == 2, result.output
        assert "holds several addresses: give one per --notify" in result.output
    ok = run(home, "incident", "open", "x", "--dataset", "crm", "--source", "s", "--every", "1h",
             "--notify", "a@b.example", "--notify", "c@d.example", "--json", env=env)
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["notify"] == ["a@b.example", "c@d.example"]


def test_since_far_back_is_a_one_line_error(sqlite_home: tuple[Path, dict[str, str], str]
                                            ) -> None:
    home, env, _ = sqlite_home
    for since in ("99999999999d", "999999999999h"):
        result = run(home, "findings", "--since", since, env=env)
        assert result.exit_code == 2
        assert result.output.startswith("error: ") and len(result.output.splitlines()) == 1
        assert "reaches back before the year 1" in result.output
    assert run(home, "findings", "--since", "3650d", env=env).exit_code == 0


def test_unknown_config_keys_are_warned_by_name(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert run(home, "init", env={"LEAKPRINT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
               ).exit_code == 0
    path = home / "leakprint.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("scan_timeout = 3600", "scan_timeuot = 60")
    # ``init`` writes an [audit] table (its key commented out): the key goes there.
    assert "\n[audit]\n" in text
    text = text.replace("\n[audit]\n", '\n[audit]\nanchor_file = "audit.anchor"\n', 1)
    text += ('\n[crawl]\nallow_private_networks = true\nallowed_networks = ["127.0.0.1/32"]\n'
             'follow_redirects = 3\n[extras]\nx = 1\n'
             '[[source]]\nname = "s"\nkind = "page"\nstart_urls = ["http://127.0.0.1:9/"]\n')
    path.write_text(text, encoding="utf-8")
    settings = load_settings(home, env={})
    assert settings.unknown == ("leakprint.scan_timeuot", "crawl.follow_redirects", "extras")
    result = run(home, "findings", env={})
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warned == [f"warning: {path}: unknown key {k!r} ignored (a typo?)"
                      for k in settings.unknown]
    # Every key that `leakprint init` writes is known.
    assert run(home, "init", "--help").exit_code == 0
    assert {"allow_private_networks", "allowed_networks"} <= KNOWN_KEYS["crawl"]
    assert unknown_keys({"smtp": {"from": "a@b", "ca_file": "x"}}) == []


def test_default_config_has_no_unknown_keys(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    text = (run(home, "init", env={"LEAKPRINT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}),
            (home / "leakprint.toml").read_text(encoding="utf-8"))[1]
    # Uncomment every commented-out setting and table of the default file: still all known.
    lines = [line[2:] if line.startswith("# ") and ("=" in line.split("#")[1]
                                                    or line.startswith("# [")) else line
             for line in text.splitlines()]
    (home / "leakprint.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert load_settings(home, env={}).unknown == ()


# ------------------------------------------------------- a locked database, a full disk

def test_locked_database_is_one_line_and_the_next_scan_works(
    tmp_path: Path, sqlite_home: tuple[Path, dict[str, str], str]
) -> None:
    home, env, db_url = sqlite_home
    dump = tmp_path / "d.txt"
    dump.write_text("nothing here\n", encoding="utf-8")
    locked_env = {**env, "LEAKPRINT_DATABASE_URL": db_url + "?timeout=0.5"}
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        result = run(home, "scan", "--file", str(dump), env=locked_env)
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 2
    assert result.output == "error: database unavailable: database is locked\n"
    again = run(home, "scan", "--file", str(dump), env=locked_env)
    assert again.exit_code == 0, again.output


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=768k", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_is_one_line(small_disk: Path, tmp_path: Path) -> None:
    home = small_disk / "home"
    home.mkdir()
    env = {"LEAKPRINT_DATABASE_URL": f"sqlite:///{small_disk}/lp.db"}
    assert run(home, "init", env=env).exit_code == 0
    src = tmp_path / "customers.csv"
    from tests.leakprint.helpers import HEADER, MAP

    src.write_text(",".join(HEADER) + "\n" + "\n".join(
        ",".join(r) for r in [*PLANTED, *customer_rows(20000)]) + "\n", encoding="utf-8")
    result = run(home, "fingerprint", "import", str(src), "--dataset", "crm",
                 "--id-column", "顧客ID", *MAP, env=env)
    assert result.exit_code == 2, result.output
    [line] = [x for x in result.output.splitlines() if x.startswith("error:")]
    assert "Traceback" not in result.output
    assert line.startswith(("error: disk full: No space left on device",
                            "error: database unavailable: database or disk is full")), line
    assert_no_planted(result.output.encode(), "full-disk error")


def test_full_disk_during_a_scan_is_one_line_and_closes_the_run(
    small_disk: Path, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{small_disk}/lp.db"
    home = tmp_path / "home"
    env = make_deployment(home, db_url, [*PLANTED, *customer_rows(20)])
    # Fill the disk the database lives on, then scan: the run's writes fail.
    filler = small_disk / "filler"
    with filler.open("wb") as fh, pytest.raises(OSError):
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
    dump = tmp_path / "d.csv"
    dump.write_text("name,tel\n" + "".join(f"{r[1]},{r[3]}\n" for r in customer_rows(20)),
                    encoding="utf-8")
    result = run(home, "scan", "--file", str(dump), env=env)
    assert result.exit_code == 2, result.output
    assert len(result.output.splitlines()) == 1, result.output
    # SQLite says "disk I/O error" when it cannot even grow its shared-memory file.
    assert any(s in result.output for s in ("disk is full", "No space left", "disk I/O error"))
    filler.unlink()
    again = run(home, "scan", "--file", str(dump), env=env)
    assert again.exit_code == 0, again.output
    assert [r["status"] for r in scan_runs(db_url)].count("running") == 0
