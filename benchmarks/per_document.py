"""Per-document cost of ``Matcher.scan_text``, native core against the Python reference
(issue 15, SPEC 13: a 0.5 KB document in at most 0.2 ms).

Builds a set of ``--customers`` Faker customers, then three pools of distinct
documents: 0.5 KB forum posts of five names and phones (some of them customers),
5 KB and 20 KB pages of Japanese prose with a few records inline. Each pool is
scanned once to warm up, then ``--calls`` times in all (cycling through the pool),
with the native core and with ``LEAKPRINT_PURE_PYTHON``'s reference, in one run,
alternating so both see the same machine; mean CPU milliseconds per document.
The findings of both cores are compared on every document.

Usage::

    .venv/bin/python benchmarks/per_document.py --customers 20000
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fingerprints import native  # noqa: E402
from matchers.scan import Matcher  # noqa: E402
from matchers.stream import keep_freed_memory  # noqa: E402
from tests.matchers.factories import Customer, build_set, make_customers, vary  # noqa: E402

CHATTER = (
    "昨日のニュースを見ましたか？とても驚きました。",
    "この掲示板のルールを守って投稿してください。荒らしは削除します。",
    "価格は応相談、まとめて購入の方は割引します。",
    "東京の天気は晴れのち曇り、週末は雨になるそうです。",
    "新しいお店ができたので行ってみました。料理はおいしかったです。",
)


def post(people: list[Customer], rnd: random.Random, size: int) -> str:
    """Lines of ``name さん phone`` between chatter, about ``size`` UTF-8 bytes."""
    lines = [rnd.choice(CHATTER)]
    for i, c in enumerate(people):
        v = vary(c, i)
        lines.append(f"{v['name']}さん 電話 {v['phone']} よろしく")
    text = "\n".join(lines)
    while len(text.encode()) < size:
        text += "\n" + rnd.choice(CHATTER)
    return text


def page(people: list[Customer], rnd: random.Random, size: int) -> str:
    """Japanese prose of about ``size`` bytes with the records of ``people`` inline."""
    parts: list[str] = []
    for i, c in enumerate(people):
        v = vary(c, i)
        parts.append(rnd.choice(CHATTER) * 3)
        parts.append(f"{v['name']}さん（{v['name_kana']}）の連絡先は{v['phone']}、"
                     f"メールは{v['email']}です。住所は〒{c.postal} {v['address']}。")
    text = "".join(parts)
    while len(text.encode()) < size:
        text += rnd.choice(CHATTER)
    return text


def timed(matcher: Matcher, docs: list[str], calls: int) -> float:
    """Mean CPU milliseconds per ``scan_text`` over ``calls`` calls (after a warm pass)."""
    for d in docs:
        matcher.scan_text(d)
    t = time.process_time()
    for i in range(calls):
        matcher.scan_text(docs[i % len(docs)])
    return (time.process_time() - t) / calls * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--calls", type=int, default=2000, help="0.5 KB calls; 1/5 and 1/20 larger")
    ap.add_argument("--rounds", type=int, default=3, help="alternations; the fastest is kept")
    args = ap.parse_args(argv)
    keep_freed_memory()  # (as a matcher process of a crawl does: what each scan frees is kept)
    if not native.available():
        print("the native core is not built: setup.py build_ext --inplace")
        return 2
    rnd = random.Random(4)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="leakprint-perdoc-") as tmp:
        return _run(args, rnd, t0, Path(tmp))


def _run(args: argparse.Namespace, rnd: random.Random, t0: float, work: Path) -> int:
    """Build the set in ``work`` (removed afterwards), then time every pool."""
    people = make_customers(args.customers + 5000, seed=11)
    customers, others = people[: args.customers], people[args.customers :]
    fpset = build_set(work / "set", customers)
    print(f"set of {len(customers):,} customers ({time.perf_counter() - t0:.1f} s setup)")

    def pick(n: int) -> list[Customer]:
        return [rnd.choice(customers if rnd.random() < 0.5 else others) for _ in range(n)]

    sizes: list[tuple[str, Callable[[], str], int]] = [
        ("0.5 KB post (5 names + phones)", lambda: post(pick(5), rnd, 500), args.calls),
        ("5 KB prose page (5 records)", lambda: page(pick(5), rnd, 5000), args.calls // 5),
        ("20 KB prose page (10 records)", lambda: page(pick(10), rnd, 20000), args.calls // 20),
    ]
    print(f"{'document':34} {'native ms':>10} {'reference ms':>13} {'speed-up':>9}  findings")
    for label, make, calls in sizes:
        docs = [make() for _ in range(min(calls, 200))]
        nat: list[float] = []
        ref: list[float] = []
        same = True
        for _ in range(args.rounds):
            for core, out in ((True, nat), (False, ref)):
                with native.use(core):
                    out.append(timed(Matcher(fpset), docs, calls))
        for d in docs[:50]:
            with native.use(True):
                a = Matcher(fpset).scan_text(d)
            with native.use(False):
                b = Matcher(fpset).scan_text(d)
            same = same and a == b
        mean_kb = sum(len(d.encode()) for d in docs) / len(docs) / 1000
        print(f"{label:34} {min(nat):10.3f} {min(ref):13.3f} {min(ref) / min(nat):8.2f}x"
              f"  {'identical' if same else 'DIFFER'} ({mean_kb:.2f} KB mean, {calls} calls)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
