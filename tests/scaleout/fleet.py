"""What the scale-out tests run against: a link-graph site that counts every fetch
and the parallel requests it serves, a deployment on a private PostgreSQL schema,
a private Redis key prefix, and `leakprint worker` processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.crawler.sites import Reply, Site, html, start_site, stop_site
from tests.leakprint.helpers import customer_rows
from tests.leakprint.sites import HTML, TEXT, csv_dump

REDIS_URL = os.environ.get("LEAKPRINT_TEST_REDIS_URL")
PG_URL = os.environ.get("LEAKPRINT_TEST_DATABASE_URL")
LEAKPRINT = Path(sys.executable).parent / "leakprint"
CUSTOMERS = customer_rows(200)
#: Every LEAK_EVERY-th page carries two customers' rows.
LEAK_EVERY = 25


def needs_services() -> None:
    if not REDIS_URL or not PG_URL:
        pytest.skip("LEAKPRINT_TEST_REDIS_URL and LEAKPRINT_TEST_DATABASE_URL are needed")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.skip("the test Redis does not answer")


def leak_rows(n: int) -> list[list[str]]:
    i = (n // LEAK_EVERY) * 2 % len(CUSTOMERS)
    return CUSTOMERS[i:i + 2]


@dataclass
class Graph:
    """``/g/<n>`` for n < pages links to 2n+1, 2n+2 and n+7, so most pages are linked
    from several others (the shared duplicate filter has work to do)."""

    pages: int
    delay: float = 0.01
    hits: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    #: Pages served before ``gate`` must be open (None: no gate).
    free: int | None = None
    gate: threading.Event = field(default_factory=threading.Event)
    served: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def page(self, n: int) -> bytes:
        links = " ".join(f'<a href="/g/{m}">{m}</a>' for m in (2 * n + 1, 2 * n + 2, n + 7)
                         if m < self.pages)
        text = f"<p>page {n}</p>"
        if n % LEAK_EVERY == 0:
            text += f"<pre>{csv_dump(leak_rows(n), f'dump {n}')}</pre>"
        return html(text + links)

    def reset(self, free: int | None = None) -> None:
        with self.lock:
            self.hits.clear()
            self.max_in_flight = 0
            self.served = 0
            self.free = free
            self.gate.clear()

    def routes(self, site: Site) -> Callable[..., Reply]:
        def route(path: str, query: dict[str, list[str]]) -> Reply:
            with self.lock:
                self.hits[path] += 1
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                self.served += 1
                held = self.free is not None and self.served > self.free
            try:
                if held:
                    while not self.gate.wait(0.05) and not site.stop.is_set():
                        pass
                site.stop.wait(self.delay)
                if path == "/robots.txt":
                    return 200, TEXT, b"User-agent: *\nDisallow:\n"
                if path.startswith("/g/") and path[3:].isdigit() and int(path[3:]) < self.pages:
                    return 200, HTML, self.page(int(path[3:]))
                return 404, HTML, html("<p>not found</p>")
            finally:
                with self.lock:
                    self.in_flight -= 1

        return route


@contextlib.contextmanager
def graph_site(pages: int) -> Iterator[tuple[Graph, Site]]:
    graph = Graph(pages)
    site = start_site(graph.routes)
    try:
        yield graph, site
    finally:
        graph.gate.set()
        stop_site(site)


def sources_toml(site: Site) -> str:
    return f"""
[[source]]
name = "graph"
kind = "page"
start_urls = ["{site.base}/g/0"]
follow = ['^/g/\\d+$']
max_depth = 30
max_pages = 5000
"""


@contextlib.contextmanager
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own; every key under it deleted afterwards."""
    import redis

    assert REDIS_URL
    prefix = f"lptest-{uuid.uuid4().hex[:10]}"
    try:
        yield prefix
    finally:
        server = redis.Redis.from_url(REDIS_URL)
        keys = list(server.scan_iter(f"{prefix}:*"))
        if keys:
            server.delete(*keys)


def start_worker(home: Path, env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    """`leakprint worker` in its own process group (so the test can SIGKILL it whole)."""
    # The child keeps its own descriptor; the parent's copy is closed at once.
    with (home / f"worker-{name}.out").open("wb") as log:
        return subprocess.Popen([str(LEAKPRINT), "--home", str(home), "worker", "--name",
                                 name], env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # what is left of its group (crawl, matchers)
