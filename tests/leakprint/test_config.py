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
