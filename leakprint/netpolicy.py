"""The deployment's address policy for crawls and other fetches (SPEC 10.1).

``[crawl]`` in ``leakprint.toml``::

    [crawl]
    allow_private_networks = false      # true: loopback, private, link-local … all allowed
    allowed_networks = ["127.0.0.1/32"] # or only these non-public networks

``LEAKPRINT_ALLOW_PRIVATE_NETWORKS=1`` and ``LEAKPRINT_ALLOWED_NETWORKS`` (CIDRs,
comma-separated) override the file. Without any of them only public addresses are
fetched.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from crawler.addressguard import AddressPolicy, AddressPolicyError
from leakprint.config import ConfigError, Settings

ALLOW_ENV = "LEAKPRINT_ALLOW_PRIVATE_NETWORKS"
NETWORKS_ENV = "LEAKPRINT_ALLOWED_NETWORKS"


def address_policy(settings: Settings, env: Mapping[str, str] | None = None) -> AddressPolicy:
    """The policy of this deployment: environment first, then ``[crawl]``."""
    env = os.environ if env is None else env
    crawl = settings.raw.get("crawl", {})
    if not isinstance(crawl, Mapping):
        raise ConfigError(f"{settings.config_path}: [crawl] must be a table")
    allow: object = env.get(ALLOW_ENV) or crawl.get("allow_private_networks", False)
    if not isinstance(allow, bool | str):
        raise ConfigError(f"{settings.config_path}: crawl.allow_private_networks: "
                          "must be true or false")
    networks = env.get(NETWORKS_ENV)
    raw_networks: object = networks if networks is not None else crawl.get(
        "allowed_networks", [])
    if not isinstance(raw_networks, str) and not (
            isinstance(raw_networks, list) and all(isinstance(n, str) for n in raw_networks)):
        raise ConfigError(f"{settings.config_path}: crawl.allowed_networks: "
                          "must be a list of networks such as \"127.0.0.1/32\"")
    try:
        return AddressPolicy.from_values(allow, raw_networks)
    except AddressPolicyError as exc:
        raise ConfigError(str(exc)) from None
