from __future__ import annotations

import stat
from pathlib import Path

import pytest

from leakprint.config import ConfigError, default_config_text, load_settings


def _home(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "leakprint.toml").write_text(default_config_text() + extra, encoding="utf-8")
    return tmp_path


def test_defaults_are_relative_to_the_config_folder(tmp_path: Path) -> None:
    s = load_settings(_home(tmp_path), env={})
    assert s.database_url == f"sqlite:///{tmp_path.resolve()}/leakprint.db"
    assert s.key_file == tmp_path.resolve() / "leakprint.key"
    assert s.threshold == "medium"
    assert s.smtp.tls == "none"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    env = {
        "LEAKPRINT_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "LEAKPRINT_SMTP_HOST": "mx",
        "LEAKPRINT_SMTP_PORT": "2525",
        "LEAKPRINT_SMTP_TLS": "starttls",
        "LEAKPRINT_SMTP_USER": "alerts",
        "LEAKPRINT_SMTP_PASSWORD": "pw",
        "LEAKPRINT_SMTP_FROM": "lp@example.jp",
        "LEAKPRINT_KEY": "ab" * 32,
    }
    s = load_settings(_home(tmp_path), env=env)
    assert s.database_url == "postgresql+psycopg://u@h/db"
    assert (s.smtp.host, s.smtp.port, s.smtp.tls, s.smtp.user) == ("mx", 2525, "starttls", "alerts")
    assert s.smtp.sender == "lp@example.jp"
    assert s.load_key().raw == bytes.fromhex("ab" * 32)
    assert "pw" not in repr(s) and "ab" * 32 not in repr(s)


def test_matcher_processes_from_file_or_environment(tmp_path: Path) -> None:
    from leakprint.crawl import crawl_command

    home = _home(tmp_path)
    default = load_settings(home, env={})
    assert (default.match_workers, default.match_nice) == (None, None)
    cmd = crawl_command(default, 1, urls=["http://x/"])
    # An on-demand scan of links: one matcher; no niceness given (the pipeline's own).
    assert [a for a in cmd if a.startswith("LEAKPRINT_MATCH")] == ["LEAKPRINT_MATCH_WORKERS=1"]
    # A crawl of declared sources: the pipeline's default (one per core).
    (home / "sources.toml").write_text(
        '[[source]]\nname = "s"\nkind = "page"\nstart_urls = ["http://x/"]\n', encoding="utf-8"
    )
    assert not [a for a in crawl_command(default, 1) if a.startswith("LEAKPRINT_MATCH")]
    text = (home / "leakprint.toml").read_text(encoding="utf-8")
    (home / "leakprint.toml").write_text(
        text.replace("# match_workers = 2", "match_workers = 3"), encoding="utf-8"
    )
    s = load_settings(home, env={"LEAKPRINT_MATCH_NICE": "0"})
    assert (s.match_workers, s.match_nice) == (3, 0)
    cmd = crawl_command(s, 1, urls=["http://x/"])
    assert "LEAKPRINT_MATCH_WORKERS=3" in cmd and "LEAKPRINT_MATCH_NICE=0" in cmd
    for env, message in [({"LEAKPRINT_MATCH_WORKERS": "0"}, "match_workers: expected a whole"
                          " number from 1 to 256"),
                         ({"LEAKPRINT_MATCH_NICE": "-5"}, "match_nice: expected"),
                         ({"LEAKPRINT_MATCH_NICE": "low"}, "match_nice: expected a whole number")]:
        with pytest.raises(ConfigError, match=message):
            load_settings(home, env=env)


def test_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="run `leakprint init`"):
        load_settings(tmp_path, env={})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("\n[extra\n", "not valid TOML"),
    ],
)
def test_bad_files(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(_home(tmp_path, extra), env={})


def test_bad_tls_mode(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="tls must be one of"):
        load_settings(_home(tmp_path), env={"LEAKPRINT_SMTP_TLS": "ssl"})


def test_bad_key_hex_does_not_echo_it(tmp_path: Path) -> None:
    s = load_settings(_home(tmp_path), env={"LEAKPRINT_KEY": "zz-secret-zz"})
    with pytest.raises(ConfigError) as err:
        s.load_key()
    assert "zz-secret-zz" not in str(err.value)


def test_init_writes_key_0600_and_database(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from leakprint.cli import cli

    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "init"], env={"LEAKPRINT_KEY": ""})
    assert result.exit_code == 0, result.output
    key = tmp_path / "leakprint.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (tmp_path / "leakprint.db").exists()
    before = key.read_bytes()
    again = CliRunner().invoke(cli, ["--home", str(tmp_path), "init"], env={"LEAKPRINT_KEY": ""})
    assert again.exit_code == 0
    assert key.read_bytes() == before  # kept, not replaced
