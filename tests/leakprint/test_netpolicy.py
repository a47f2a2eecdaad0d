"""The deployment's address policy: ``[crawl]`` in leakprint.toml, environment overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from leakprint.config import ConfigError, load_settings
from leakprint.netpolicy import address_policy


def test_default_allows_only_public_addresses(tmp_path: Path) -> None:
    policy = address_policy(load_settings(tmp_path, env={"LEAKPRINT_DATABASE_URL": "x"},
                                          require_file=False), env={})
    assert policy.refusal("127.0.0.1") and policy.refusal("10.0.0.1")
    assert policy.refusal("8.8.8.8") is None


def test_toml_and_environment(tmp_path: Path) -> None:
    (tmp_path / "leakprint.toml").write_text(
        '[crawl]\nallowed_networks = ["10.20.0.0/16"]\n', encoding="utf-8")
    settings = load_settings(tmp_path, env={})
    policy = address_policy(settings, env={})
    assert policy.refusal("10.20.1.1") is None and policy.refusal("10.21.0.1")
    env = {"LEAKPRINT_ALLOWED_NETWORKS": "127.0.0.1/32"}
    policy = address_policy(settings, env=env)  # the environment wins over the file
    assert policy.refusal("127.0.0.1") is None and policy.refusal("10.20.1.1")
    policy = address_policy(settings, env={"LEAKPRINT_ALLOW_PRIVATE_NETWORKS": "1"})
    assert policy.refusal("169.254.169.254") is None
    (tmp_path / "leakprint.toml").write_text("[crawl]\nallow_private_networks = true\n",
                                             encoding="utf-8")
    assert address_policy(load_settings(tmp_path, env={}), env={}).refusal("10.0.0.1") is None


@pytest.mark.parametrize(("crawl", "message"), [
    ('allowed_networks = ["nope"]', "allowed_networks: 'nope' is not a network"),
    ("allowed_networks = 3", "crawl.allowed_networks: must be a list of networks"),
    ("allow_private_networks = 1", "crawl.allow_private_networks: must be true or false"),
])
def test_malformed_values_are_one_line_errors(tmp_path: Path, crawl: str, message: str) -> None:
    (tmp_path / "leakprint.toml").write_text(f"[crawl]\n{crawl}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        address_policy(load_settings(tmp_path, env={}), env={})
