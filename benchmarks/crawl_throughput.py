"""Crawl throughput with and without the matching pipeline (SPEC 9: ratio >= 0.8).

An aiohttp server in a child process serves a paste site on 127.0.0.1: an archive
page linking 2,000 pastes whose raw text (about 20 KB each) is Faker-like Japanese
dump text (CSV rows, prose with phone numbers and e-mail addresses); every tenth
paste holds three fingerprinted customers. The real ``sources`` spider crawls it
twice per round through ``scrapy crawl`` — once with no item pipeline, once with
leakprint's :class:`~leakprint.pipeline.MatchPipeline` (fresh database: every page
is new and is matched) — with the settings of the measurement in perf.md §4:
AutoThrottle and robots.txt off, 16 concurrent requests per domain, no delay.
Pages per second are timed from the first response to ``spider_closed`` (which
comes after the pipeline has matched and stored everything), with the crawl
process's CPU time over the same span (a steadier figure on a machine whose speed
drifts), and the run checks that the pipeline found every planted customer.

    .venv/bin/python -m benchmarks.crawl_throughput [--pages 2000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PAGE_BYTES = 20_000
PLANT_EVERY = 10
PLANTED_PER_PAGE = 3


# ------------------------------------------------------------------ the site

def page_id(n: int) -> str:
    return f"P{n:07d}"


RARE_KANJI = "鑓鐙鶫鰯鱒鯵鰊鴇鵜鶚鸛麒麟鼈鼇鼬龕龜龝凩凪凧凰凱匁匙叡嚢囃塙壷夙孵"
RARE_KANA = "ヴヵヶヰヱヮ"


def unrelated_pools(rng: random.Random) -> dict[str, list[Any]]:
    """Names nobody among the customers has (rare kanji), for the "unrelated" noise."""
    def kanji(n: int) -> str:
        return "".join(rng.choice(RARE_KANJI) for _ in range(n))

    def kana(n: int) -> str:
        return "".join(rng.choice(RARE_KANA) for _ in range(n))

    return {"last": [(kanji(2), kana(3)) for _ in range(300)],
            "first": [(kanji(2), kana(3)) for _ in range(300)],
            "place": [f"架空県{kanji(2)}市{kanji(2)}町" for _ in range(500)]}


def make_pages(n_pages: int, customers: list[list[str]], seed: int = 7,
               prose_share: float = 0.15, noise: str = "common") -> dict[str, bytes]:
    """Raw paste bodies: noise rows and prose, planted customers on every tenth page.

    ``noise="common"`` draws the noise people from the same Faker ja_JP name and place
    pools as the customers (real lists of Japanese people share names and birth dates
    with any large customer base); ``"unrelated"`` uses names, places and birth years
    no customer has, so only the planted customers can match.
    """
    from benchmarks._data import pools

    rng = random.Random(seed)
    p: dict[str, Any] = dict(pools(seed)) if noise == "common" else unrelated_pools(rng)
    years = (1940, 2005) if noise == "common" else (1900, 1930)
    last: Any = p["last"]
    first: Any = p["first"]
    place: Any = p["place"]

    def phone() -> str:
        return f"0{rng.choice('789')}0-{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}"

    pages: dict[str, bytes] = {}
    planted = 0
    for n in range(n_pages):
        lines = [f"# dump {n}", "氏名,フリガナ,電話番号,メール,生年月日,住所"]
        size = 0
        if n % PLANT_EVERY == 0:
            for _ in range(PLANTED_PER_PAGE):
                c = customers[planted % len(customers)]
                planted += 1
                lines.append(",".join([c[1], c[2], c[3], c[4], c[5], c[7]]))
        while size < PAGE_BYTES:
            if rng.random() < prose_share:
                line = (f"{last[rng.randrange(300)][0]}さんから問い合わせ。連絡先は{phone()}"
                        f"、折り返し希望。住所は{place[rng.randrange(500)]}付近とのこと。")
            else:
                ln, fn = last[rng.randrange(300)], first[rng.randrange(300)]
                line = ",".join([
                    f"{ln[0]} {fn[0]}", f"{ln[1]} {fn[1]}", phone(),
                    f"x{rng.randrange(10**8):08d}@example.org",
                    f"{rng.randint(*years)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}",
                    f"{place[rng.randrange(500)]}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番",
                ])
            lines.append(line)
            size += len(line.encode("utf-8")) + 1
        pages[page_id(n)] = ("\n".join(lines) + "\n").encode("utf-8")
    return pages


def serve(port: int, n_pages: int, customers: list[list[str]], ready: Any,
          noise: str = "common", prose_share: float = 0.15) -> None:
    """Child process: the aiohttp paste site."""
    from aiohttp import web

    pages = make_pages(n_pages, customers, noise=noise, prose_share=prose_share)
    links = "".join(f'<a href="/{pid}">{pid}</a>\n' for pid in pages)
    archive = f"<html><body>{links}</body></html>".encode()

    async def handle_archive(request: web.Request) -> web.Response:
        return web.Response(body=archive, content_type="text/html", charset="utf-8")

    async def handle_raw(request: web.Request) -> web.Response:
        body = pages.get(request.match_info["pid"])
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="text/plain", charset="utf-8")

    app = web.Application()
    app.router.add_get("/archive", handle_archive)
    app.router.add_get("/raw/{pid}", handle_raw)
    ready.set()
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------- the timer extension

class BenchTimer:
    """Scrapy extension: first response → spider_closed, written to ``BENCH_TIMER_FILE``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.start: float | None = None
        self.cpu_start: os.times_result | None = None
        self.last = 0.0
        self.pages = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> BenchTimer:
        from scrapy import signals

        ext = cls(crawler.settings.get("BENCH_TIMER_FILE"))
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def response_received(self, **kwargs: Any) -> None:
        self.last = time.perf_counter()
        if self.start is None:
            self.start = self.last
            self.cpu_start = os.times()
        self.pages += 1

    def spider_closed(self, **kwargs: Any) -> None:
        end, cpu = time.perf_counter(), os.times()
        start, cpu_start = self.start or end, self.cpu_start or cpu
        Path(self.path).write_text(json.dumps(
            {"seconds": end - start, "fetch_seconds": self.last - start, "pages": self.pages,
             # The crawl process's CPU (all its threads, not the matcher processes).
             "user_seconds": cpu.user - cpu_start.user,
             "system_seconds": cpu.system - cpu_start.system}))


def store_only(tasks: list[Any], run_id: int, incident_id: int | None) -> list[Any]:
    """Worker task of :class:`StoreOnlyPipeline`: everything but the matching."""
    from leakprint.matchpool import process_batch

    for task in tasks:
        if task.kind == "match":
            task.kind, task.body, task.text = "touch", b"", None
    return process_batch(tasks, run_id, incident_id)


def _store_only_pipeline() -> Any:
    from leakprint.pipeline import MatchPipeline

    class StoreOnlyPipeline(MatchPipeline):
        """The leakprint pipeline with matching left out: its own overhead only."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.batch_fn = store_only

    return StoreOnlyPipeline


def __getattr__(name: str) -> Any:  # lazy, so the server child need not import Scrapy
    if name == "StoreOnlyPipeline":
        return _store_only_pipeline()
    raise AttributeError(name)


# ------------------------------------------------------------------ the crawls

def deployment(root: Path, customers: list[list[str]]) -> Path:
    """A leakprint folder with one fingerprint set of ``customers``."""
    from benchmarks._data import HEADER
    from fingerprints.keyed import FingerprintKey
    from leakprint.config import default_config_text, load_settings
    from leakprint.datasets import import_dataset
    from leakprint.db import open_database

    home = root / "home"
    home.mkdir()
    (home / "leakprint.toml").write_text(default_config_text(), encoding="utf-8")
    FingerprintKey.generate().write(home / "leakprint.key")
    settings = load_settings(home)
    db = open_database(settings.database_url)
    src = root / "customers.csv"
    src.write_text(",".join(HEADER) + "\n" + "\n".join(",".join(r) for r in customers) + "\n",
                   encoding="utf-8")
    mapping = {"氏名": "name", "フリガナ": "name_kana", "電話番号": "phone",
               "メールアドレス": "email", "生年月日": "birthdate", "住所": "address"}
    import_dataset(settings, db, src, name="bench", id_column="顧客ID", mapping=mapping)
    src.unlink()
    db.close()
    return home


def fresh_database(home: Path) -> int:
    """Empty the documents and findings (every page is new again); a new scan run id."""
    from sqlalchemy import delete

    from leakprint.config import load_settings
    from leakprint.db import Document, Finding, open_database
    from leakprint.scanning import start_run

    db = open_database(load_settings(home).database_url)
    with db.session() as session:
        session.execute(delete(Finding))
        session.execute(delete(Document))
    run_id = start_run(db, "sources", sources=["bench"])
    db.close()
    return run_id


def crawl(root: Path, base: str, n_pages: int, *, home: Path | None, label: str,
          pipeline: str = "leakprint.pipeline.MatchPipeline", workers: int = 0
          ) -> dict[str, float]:
    sources = root / "sources.toml"
    sources.write_text(f"""
[[source]]
name = "bench"
kind = "paste"
start_urls = ["{base}/archive"]
follow = ['^/P\\d{{7}}$']
raw = "/raw/{{id}}"
max_depth = 1
max_pages = {n_pages + 10}
obey_robots = false
""", encoding="utf-8")
    timer = root / f"timer-{label}.json"
    settings = {
        "AUTOTHROTTLE_ENABLED": "False", "ROBOTSTXT_OBEY": "False",
        "CONCURRENT_REQUESTS": "16", "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
        "DOWNLOAD_DELAY": "0", "LOG_LEVEL": "WARNING", "RETRY_TIMES": "0",
        "LOG_FILE": str(root / f"crawl-{label}.log"),
        "EXTENSIONS": json.dumps({"crawler.coverage.CoverageStats": 500,
                                  "benchmarks.crawl_throughput.BenchTimer": 600}),
        "BENCH_TIMER_FILE": str(timer),
        # The benchmark's server is on 127.0.0.1: allowed here, nothing else (SPEC 10.1).
        "LEAKPRINT_ALLOWED_NETWORKS": "127.0.0.1/32",
    }
    if home is not None:
        settings.update({
            "LEAKPRINT_PIPELINE": pipeline,
            **({"LEAKPRINT_MATCH_WORKERS": str(workers)} if workers else {}),
            "LEAKPRINT_VALIDATORS": "leakprint.pipeline.DocumentValidators",
            "LEAKPRINT_HOME": str(home), "LEAKPRINT_SCAN_ID": str(fresh_database(home)),
        })
    cmd = [sys.executable, "-m", "scrapy", "crawl", "sources", "-a", f"sources_file={sources}"]
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings",
           "PYTHONPATH": str(REPO)}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{label} crawl failed ({proc.returncode}): {proc.stderr[-2000:]}")
    data: dict[str, float] = json.loads(timer.read_text())
    data["pages_per_s"] = data["pages"] / data["seconds"]
    data["fetch_pages_per_s"] = data["pages"] / data["fetch_seconds"]
    data["cpu_ms_per_page"] = 1000 * (data["user_seconds"] + data["system_seconds"]) / data["pages"]
    return data


def check_findings(home: Path, planted_refs: set[str]) -> tuple[int, int]:
    """Findings stored by the last pipeline crawl, and how many planted refs they hold."""
    from leakprint.config import load_settings
    from leakprint.db import open_database
    from leakprint.findings import query_findings

    db = open_database(load_settings(home).database_url)
    with db.session() as session:
        found = query_findings(session)
        refs = {r.record_ref for f in found for r in f.records if r.confidence != "low"}
    db.close()
    return len(found), len(refs & planted_refs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--noise", choices=("common", "unrelated"), default="common",
                    help="noise people from the customers' name pools, or nobody's names")
    ap.add_argument("--match-workers", type=int, default=0,
                    help="matcher processes (default: the pipeline's, one per CPU)")
    ap.add_argument("--prose-share", type=float, default=0.15,
                    help="share of noise lines that are prose rather than CSV rows")
    args = ap.parse_args(argv)

    from benchmarks._data import customer_rows

    customers = customer_rows(args.customers)
    n_planted = ((args.pages + PLANT_EVERY - 1) // PLANT_EVERY) * PLANTED_PER_PAGE
    planted_refs = {customers[i % len(customers)][0] for i in range(n_planted)}
    root = Path(tempfile.mkdtemp(prefix="crawl-bench-"))
    port = free_port()
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    server = ctx.Process(target=serve, args=(port, args.pages, customers[:n_planted], ready,
                                             args.noise, args.prose_share), daemon=True)
    server.start()
    try:
        ready.wait(120)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):  # the server binds just after `ready`
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        home = deployment(root, customers)
        print(f"{args.pages} pages of ~{PAGE_BYTES // 1000} KB, {args.customers:,} customers "
              f"fingerprinted, {len(planted_refs)} planted; noise {args.noise}, prose share "
              f"{args.prose_share}; {os.cpu_count()} CPUs")
        plain: list[float] = []
        matched: list[float] = []
        stored: list[float] = []
        fetch: list[float] = []
        cpu: dict[str, list[float]] = {"plain": [], "store": [], "match": []}
        for r in range(args.rounds):
            a = crawl(root, base, args.pages, home=None, label=f"plain-{r}")
            c = crawl(root, base, args.pages, home=home, label=f"store-only-{r}",
                      pipeline="benchmarks.crawl_throughput.StoreOnlyPipeline",
                      workers=args.match_workers)
            b = crawl(root, base, args.pages, home=home, label=f"pipeline-{r}",
                      workers=args.match_workers)
            n_findings, n_found = check_findings(home, planted_refs)
            plain.append(a["pages_per_s"])
            stored.append(c["pages_per_s"])
            matched.append(b["pages_per_s"])
            fetch.append(b["fetch_pages_per_s"])
            for name, run in (("plain", a), ("store", c), ("match", b)):
                cpu[name].append(run["cpu_ms_per_page"])
            print(f"round {r + 1}: no pipeline {a['pages_per_s']:.0f} pages/s "
                  f"({a['pages']:.0f} pages, {a['seconds']:.2f} s); pipeline without matching "
                  f"{c['pages_per_s']:.0f} pages/s ({c['seconds']:.2f} s); with pipeline "
                  f"{b['pages_per_s']:.0f} pages/s ({b['seconds']:.2f} s, all pages fetched "
                  f"after {b['fetch_seconds']:.2f} s = {b['fetch_pages_per_s']:.0f} pages/s); "
                  f"{n_findings} findings, {n_found}/{len(planted_refs)} planted records found; "
                  f"the crawl process's CPU a page: {a['cpu_ms_per_page']:.3f}, "
                  f"{c['cpu_ms_per_page']:.3f} and {b['cpu_ms_per_page']:.3f} ms")
            if n_found != len(planted_refs):
                print("  WARNING: the pipeline missed planted records")
        p, m = statistics.median(plain), statistics.median(matched)
        s, f = statistics.median(stored), statistics.median(fetch)
        print(f"median: no pipeline {p:.0f} pages/s; pipeline without matching {s:.0f} pages/s "
              f"(ratio {s / p:.2f}); with pipeline {m:.0f} pages/s, ratio {m / p:.2f} "
              f"(target >= 0.80); fetching while the worker matches: {f:.0f} pages/s "
              f"(ratio {f / p:.2f}); the crawl process's CPU a page (all its threads, not "
              f"the matcher processes): {statistics.median(cpu['plain']):.3f}, "
              f"{statistics.median(cpu['store']):.3f} and {statistics.median(cpu['match']):.3f} ms")
    finally:
        server.terminate()
        server.join(10)
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
