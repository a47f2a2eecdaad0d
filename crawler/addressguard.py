"""Which destination addresses a crawl may connect to (SPEC 10.1).

Pages written by people who steal data must not be able to turn the crawler
against the network it runs in: a source, a followed link, a redirect or a
script of a rendered page pointing at ``127.0.0.1``, a private range or the
cloud metadata address (``169.254.169.254``). Every destination is classified
here; anything that is not a public unicast address is refused unless the
deployment allows it (``allow_private_networks`` or ``allowed_networks``).

Pure: no network, no Scrapy. The crawler's resolver, downloader middleware and
browser interception, and the application's plain HTTP fetches all ask this module.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA = ipaddress.ip_address("169.254.169.254")
# 100.64.0.0/10 (carrier-grade NAT) is neither private nor global in ipaddress's terms.
SHARED = ipaddress.ip_network("100.64.0.0/10")
_TRUE = frozenset({"1", "true", "yes", "on"})


class AddressPolicyError(ValueError):
    """A malformed ``allowed_networks`` entry (one line, names the entry)."""


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def classify(address: str | IPAddress) -> str | None:
    """The kind of a non-public address (``loopback``, ``private``, ``link-local``,
    ``cloud metadata``, ``multicast``, ``reserved``, ``unspecified``), or None for a
    public unicast address. IPv6 addresses that embed an IPv4 one are judged by it too."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "link-local"
        inner = _embedded_v4(ip)
        if inner is not None:
            kind = classify(inner)
            if kind is not None:
                return kind
    if ip == METADATA:
        return "cloud metadata"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in SHARED):
        return "private"
    if not ip.is_global:
        return "reserved"
    return None


def parse_ip(host: str) -> IPAddress | None:
    """``host`` as an IP address (``[::1]`` brackets allowed), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public addresses are allowed: all (``allow_private``) or those in
    ``allowed`` (CIDR networks). Public unicast addresses are always allowed."""

    allow_private: bool = False
    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_values(cls, allow_private: object = False,
                    networks: str | Iterable[str] | None = None) -> AddressPolicy:
        """From configuration values: a boolean (or ``"1"``/``"true"``) and CIDRs
        (a list, or one comma-separated string)."""
        if isinstance(allow_private, str):
            allow_private = allow_private.strip().lower() in _TRUE
        if isinstance(networks, str):
            networks = [n for n in networks.split(",") if n.strip()]
        parsed = []
        for entry in networks or ():
            try:
                parsed.append(ipaddress.ip_network(str(entry).strip(), strict=False))
            except ValueError:
                raise AddressPolicyError(
                    f"allowed_networks: {entry!r} is not a network (e.g. 127.0.0.1/32)"
                ) from None
        return cls(bool(allow_private), tuple(parsed))

    def refusal(self, address: str | IPAddress) -> str | None:
        """Why connecting to ``address`` is refused, or None when it is allowed."""
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        kind = classify(ip)
        if kind is None or self.allow_private:
            return None
        candidates = [ip]
        if isinstance(ip, ipaddress.IPv6Address):
            inner = _embedded_v4(ip)
            if inner is not None:
                candidates.append(inner)
        for net in self.allowed:
            if any(c.version == net.version and c in net for c in candidates):
                return None
        return f"{kind} address {ip} refused (see allow_private_networks / allowed_networks)"

    def as_settings(self) -> dict[str, str]:
        """The crawl settings (``-s``) that carry this policy to a crawl process."""
        return {
            "LEAKPRINT_ALLOW_PRIVATE_NETWORKS": "1" if self.allow_private else "0",
            "LEAKPRINT_ALLOWED_NETWORKS": ",".join(str(n) for n in self.allowed),
        }
