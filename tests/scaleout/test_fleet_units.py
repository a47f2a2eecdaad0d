"""The fleet's parts on their own: the request serializer, ``[scale]`` settings, and
(with LEAKPRINT_TEST_REDIS_URL) the hand-off reaper and the per-host leases on a
real Redis under a private key prefix."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.utils.request import request_from_dict

from crawler.fleet import serializer
from crawler.fleet.frontier import reap_dead_workers
from crawler.fleet.keys import FleetKeys
from crawler.fleet.politeness import FleetPolitenessMiddleware, host_of
from leakprint.config import ConfigError, load_settings
from tests.scaleout.fleet import REDIS_URL, redis_prefix


def test_serializer_round_trips_a_request_dict_without_pickle() -> None:
    req = Request("http://127.0.0.1:8080/p/1?q=%E3%81%82", method="POST", body=b"\x00\xffx",
                  headers={"X-Test": "v"}, meta={"leakprint_source": "paste", "depth": 2},
                  priority=3, dont_filter=True)
    data = req.to_dict()
    encoded = serializer.dumps(data)
    assert b"pickle" not in encoded and encoded.startswith(b"{")
    back = serializer.loads(encoded)
    assert back == data
    again = request_from_dict(back)
    assert (again.url, again.method, again.body, again.meta, again.priority) == \
        (req.url, "POST", b"\x00\xffx", req.meta, 3)
    assert again.headers.get("X-Test") == b"v"


@pytest.mark.parametrize(("text", "env", "expected"), [
    ("", {}, (None, "leakprint", 4, 0.0)),
    ('[scale]\nredis_url = "redis://10.0.0.5:6379/1"\ndomain_concurrency = 8\n'
     "domain_delay = 0.5\nkey_prefix = \"lp-prod\"\n", {},
     ("redis://10.0.0.5:6379/1", "lp-prod", 8, 0.5)),
    ('[scale]\nredis_url = "redis://a:6379/0"\n', {"LEAKPRINT_REDIS_URL": "redis://b:6379/2",
                                                   "LEAKPRINT_DOMAIN_CONCURRENCY": "2"},
     ("redis://b:6379/2", "leakprint", 2, 0.0)),
])
def test_scale_settings(tmp_path: Path, text: str, env: dict[str, str],
                        expected: tuple[object, ...]) -> None:
    (tmp_path / "leakprint.toml").write_text(text, encoding="utf-8")
    settings = load_settings(tmp_path, env=env)
    scale = settings.scale
    assert (scale.redis_url, scale.key_prefix, scale.domain_concurrency,
            scale.domain_delay) == expected
    assert settings.warnings() == []
    assert "redis" not in repr(settings)  # the URL may hold a password


@pytest.mark.parametrize("text", ["[scale]\ndomain_delay = -1\n",
                                  "[scale]\ndomain_concurrency = 0\n",
                                  '[scale]\nkey_prefix = "a b"\n'])
def test_bad_scale_settings_are_one_line_errors(tmp_path: Path, text: str) -> None:
    (tmp_path / "leakprint.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="scale"):
        load_settings(tmp_path, env={})


@pytest.fixture
def keys() -> Iterator[FleetKeys]:
    if not REDIS_URL:
        pytest.skip("LEAKPRINT_TEST_REDIS_URL is not set")
    with redis_prefix() as prefix:
        yield FleetKeys(prefix, 7)


def test_a_dead_workers_held_requests_go_back_a_live_ones_stay(keys: FleetKeys) -> None:
    import redis

    assert REDIS_URL
    server = redis.Redis.from_url(REDIS_URL)
    server.sadd(keys.workers, "alive", "dead")
    server.set(keys.worker("alive"), b"1", px=60_000)
    server.rpush(keys.processing("alive"), b"a1")
    server.rpush(keys.processing("dead"), b"d1", b"d2")
    server.rpush(keys.requests, b"q1")
    assert reap_dead_workers(server, keys) == 2
    assert sorted(server.lrange(keys.requests, 0, -1)) == [b"d1", b"d2", b"q1"]
    assert server.lrange(keys.processing("alive"), 0, -1) == [b"a1"]
    assert not server.exists(keys.processing("dead"))
    assert server.smembers(keys.workers) == {b"alive"}
    assert reap_dead_workers(server, keys) == 0  # each entry moves once


def test_host_leases_hold_for_all_workers_and_expire(keys: FleetKeys) -> None:
    asyncio.run(_leases(keys))


async def _leases(keys: FleetKeys) -> None:
    import redis

    assert REDIS_URL
    server = redis.Redis.from_url(REDIS_URL)
    # Two "workers" (two middlewares, own connections) share a limit of 2 per host.
    a = FleetPolitenessMiddleware(server, keys, 2, 0, lease_ms=300)
    b = FleetPolitenessMiddleware(redis.Redis.from_url(REDIS_URL), keys, 2, 0, lease_ms=300)
    url = "http://127.0.0.1:9/x"
    leases, _ = keys.domain(host_of(url))
    r1, r2, r3 = Request(url), Request(url), Request("http://127.0.0.1:9/y")
    await a.process_request(r1)
    await b.process_request(r2)
    assert server.zcard(leases) == 2
    # A third request waits until one is given back...
    assert not a.acquire(keys=list(keys.domain(host_of(url))), args=[2, "probe", 300, 0])
    b.process_exception(r2, OSError())
    await a.process_request(r3)
    assert server.zcard(leases) == 2
    # ...or until a lease of a worker that died (never given back) expires.
    time.sleep(0.4)
    assert a.acquire(keys=list(keys.domain(host_of(url))), args=[2, "late", 300, 0])
    assert server.zscore(leases, "late") is not None
    assert host_of("https://Example.JP/a") == "example.jp:443"
