"""The destination-address classifier and policy (SPEC 10.1), on a table of addresses."""

from __future__ import annotations

import pytest

from crawler.addressguard import AddressPolicy, AddressPolicyError, classify, parse_ip

TABLE = [
    # IPv4
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "private"),  # carrier-grade NAT
    ("169.254.169.254", "cloud metadata"),
    ("169.254.1.1", "link-local"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "private"),  # "this network"
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),  # broadcast
    ("192.0.2.10", "private"),  # TEST-NET-1 (documentation)
    ("198.18.0.1", "private"),  # benchmarking
    ("192.0.0.1", "private"),  # IETF protocol assignments
    ("8.8.8.8", None),
    ("203.0.114.1", None),
    ("172.32.0.1", None),
    # IPv6
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fe80::1%1", "link-local"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("ff02::1", "multicast"),
    ("2001:db8::1", "private"),  # documentation
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ("::ffff:169.254.169.254", "cloud metadata"),
    ("::ffff:10.1.2.3", "private"),
    ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
    ("2002:a9fe:a9fe::1", "cloud metadata"),  # 6to4 of 169.254.169.254
    ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
    ("2606:4700::1111", None),
    ("2a00:1450:4001::1", None),
]


@pytest.mark.parametrize(("address", "kind"), TABLE)
def test_classify(address: str, kind: str | None) -> None:
    assert classify(address) == kind


@pytest.mark.parametrize(("address", "kind"), TABLE)
def test_default_policy_refuses_every_non_public_address(address: str, kind: str | None) -> None:
    reason = AddressPolicy().refusal(address)
    if kind is None:
        assert reason is None
    else:
        assert reason is not None and kind in reason


def test_allow_private_networks_allows_all() -> None:
    policy = AddressPolicy.from_values("1", "")
    assert all(policy.refusal(a) is None for a, _ in TABLE)


def test_allowed_networks_allow_only_those() -> None:
    policy = AddressPolicy.from_values(False, ["127.0.0.1/32", "fd00::/8"])
    assert policy.refusal("127.0.0.1") is None
    assert policy.refusal("::ffff:127.0.0.1") is None  # the same address, mapped
    assert policy.refusal("fd12::1") is None
    assert policy.refusal("127.0.0.2") is not None
    assert policy.refusal("169.254.169.254") is not None
    assert policy.refusal("::1") is not None
    assert policy.refusal("8.8.8.8") is None


def test_comma_separated_networks_and_errors() -> None:
    policy = AddressPolicy.from_values("false", "127.0.0.1/32, 10.0.0.0/8")
    assert policy.refusal("10.9.9.9") is None
    assert policy.as_settings() == {"LEAKPRINT_ALLOW_PRIVATE_NETWORKS": "0",
                                    "LEAKPRINT_ALLOWED_NETWORKS": "127.0.0.1/32,10.0.0.0/8"}
    with pytest.raises(AddressPolicyError, match="not-a-net"):
        AddressPolicy.from_values(False, ["not-a-net"])


@pytest.mark.parametrize(("host", "ip"), [("[::1]", "::1"), ("127.0.0.1", "127.0.0.1"),
                                          ("example.jp", None), ("localhost", None)])
def test_parse_ip(host: str, ip: str | None) -> None:
    parsed = parse_ip(host)
    assert (str(parsed) if parsed else None) == ip
