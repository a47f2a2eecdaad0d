"""Synthetic customers, fingerprint sets and leak dumps in every format, with decoys.

Customers come from Faker ja_JP (consistent kanji/kana name pairs), with unique
phone numbers and e-mail addresses so decoys never collide with real records by
accident. Renderers write the same customers as CSV, TSV, pipe, space-aligned,
JSON lines, JSON array, SQL INSERT and prose; variant formatters write each
field the many ways leaks do (full-width digits, +81, ｰ dashes, era dates,
half-width kana …).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from faker import Faker

from fingerprints.fpset import FingerprintSet, FingerprintSetBuilder
from fingerprints.keyed import FingerprintKey
from fingerprints.normalizers import (
    NORMALIZER_VERSION,
    KindRegistry,
    PhoneNormalizer,
    default_registry,
)
from matchers.candidates import Extractor
from matchers.shapes import KindPlan

KEY = FingerprintKey(bytes(range(32)))

FIELDS = ("name", "name_kana", "phone", "email", "birthdate", "postal_code", "address")
HEADERS_JA = ("氏名", "フリガナ", "電話番号", "メールアドレス", "生年月日", "郵便番号", "住所")
HEADERS_EN = ("name", "kana", "phone", "email", "birthday", "zip", "address")


@dataclass(frozen=True)
class Customer:
    ref: str
    name: str  # 山田 太郎
    kana: str  # ヤマダ タロウ
    phone: str  # 090-1234-5678 / 03-1234-5678
    email: str
    birthdate: dt.date
    postal: str  # 105-0011
    address: str  # 東京都港区芝公園4丁目2番8号 ビル101

    def value(self, field: str) -> str:
        return {
            "name": self.name,
            "name_kana": self.kana,
            "phone": self.phone,
            "email": self.email,
            "birthdate": self.birthdate.isoformat(),
            "postal_code": self.postal,
            "address": self.address,
        }[field]


_LANDLINE_AREAS = ("03", "06", "011", "022", "045", "052", "075", "092", "0466", "0297")


def make_customers(
    n: int,
    seed: int = 0,
    *,
    prefix: str = "C",
    start: int = 0,
    landline_share: float = 0.2,
    avoid: Iterable[Customer] = (),
) -> list[Customer]:
    """``n`` customers; phones and e-mails never repeat, nor clash with ``avoid``."""
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    used_phones = {c.phone for c in avoid}
    used_emails = {c.email for c in avoid}
    out: list[Customer] = []
    while len(out) < n:
        last, last_kana, _ = fake.last_name_pair()
        first, first_kana, _ = fake.first_name_pair()
        if rnd.random() < landline_share:
            area = rnd.choice(_LANDLINE_AREAS)
            rest = 10 - len(area)
            local = f"{rnd.randrange(2, 10)}{rnd.randrange(10 ** (rest - 1)):0{rest - 1}d}"
            split = rest - 4
            phone = f"{area}-{local[:split]}-{local[split:]}"
        else:
            phone = f"0{rnd.choice('789')}0-{rnd.randrange(1000, 10000)}-{rnd.randrange(10000):04d}"
        if PhoneNormalizer().strict(phone) is None or phone in used_phones:
            continue
        email = f"{fake.user_name()}{rnd.randrange(100000)}@{fake.free_email_domain()}"
        if email in used_emails:
            continue
        used_phones.add(phone)
        used_emails.add(email)
        bd = fake.date_of_birth(minimum_age=18, maximum_age=90)
        address = (
            f"{fake.prefecture()}{fake.city()}{fake.town()}{rnd.randrange(1, 30)}丁目"
            f"{rnd.randrange(1, 30)}番{rnd.randrange(1, 20)}号"
        )
        if rnd.random() < 0.5:
            address += f" {fake.building_name()}{rnd.randrange(101, 999)}"
        out.append(
            Customer(
                ref=f"{prefix}{start + len(out):06d}",
                name=f"{last} {first}",
                kana=f"{last_kana} {first_kana}",
                phone=phone,
                email=email,
                birthdate=bd,
                postal=f"{rnd.randrange(1000):03d}-{rnd.randrange(10000):04d}",
                address=address,
            )
        )
    return out


#: Candidate lengths and primary kinds of a set like the customers' (for an
#: :class:`~matchers.candidates.Extractor` built without a set).
PLAN_LENGTHS = {
    "phone": frozenset({12, 13}),
    "email": frozenset(range(5, 60)),
    "name": frozenset({3, 4, 5}),
    "name_kana": frozenset(range(4, 12)),
    "birthdate": frozenset({10}),
    "postal_code": frozenset({7}),
    "address": frozenset(range(8, 40)),
}
PLAN_PRIMARY = frozenset({"phone", "email", "customer_id"})


def plan_extractor() -> Extractor:
    """A fresh extractor for a set like the customers' (empty caches)."""
    return Extractor(default_registry(), KindPlan(PLAN_LENGTHS, PLAN_PRIMARY))


def import_fields(c: Customer, registry: KindRegistry | None = None) -> list[tuple[str, str]]:
    """The import side's ``(kind, canonical)`` pairs; phones validated with phonenumbers."""
    reg = registry or default_registry()
    out: list[tuple[str, str]] = []
    phone = PhoneNormalizer().strict(c.phone)
    assert phone is not None
    out.append(("phone", phone))
    for kind in ("email", "name", "name_kana", "birthdate", "postal_code", "address"):
        pairs = reg.fields_for(kind, c.value(kind))
        assert pairs, (kind, c.ref)
        out.extend(pairs)
    return out


def build_set(
    directory: Path, customers: Sequence[Customer], dataset: str = "customers"
) -> FingerprintSet:
    builder = FingerprintSetBuilder(
        directory,
        dataset,
        KEY,
        normalizer_version=NORMALIZER_VERSION,
        kind_config=default_registry().config(),
    )
    for c in customers:
        builder.add_record(c.ref, import_fields(c))
    builder.finish()
    return FingerprintSet.open(directory, KEY, normalizer_version=NORMALIZER_VERSION)


# ------------------------------------------------------------------ variants

_FW = str.maketrans("0123456789-", "０１２３４５６７８９－")


def full_width(s: str) -> str:
    return s.translate(_FW)


def _half_kana_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for cp in range(0xFF66, 0xFF9E):
        half = chr(cp)
        table[unicodedata.normalize("NFKC", half)] = half
    for cp in range(0x30A1, 0x30FB):
        ch = chr(cp)
        if ch in table:
            continue
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        if base in table and marks:
            table[ch] = table[base] + ("ﾞ" if marks[0] == "\u3099" else "ﾟ")
    return table


_HALF = _half_kana_table()


def half_width_kana(s: str) -> str:
    return "".join(_HALF.get(ch, ch) for ch in s)


def hiragana(s: str) -> str:
    return "".join(chr(ord(c) - 0x60) if 0x30A1 <= ord(c) <= 0x30F6 else c for c in s)


def phone_variants(phone: str) -> list[str]:
    digits = phone.replace("-", "")
    parts = phone.split("-")
    intl = digits[1:]
    return [
        phone,
        digits,
        full_width(phone),
        full_width(digits),
        "+81 " + " ".join([parts[0][1:], *parts[1:]]),
        "+81-" + "-".join([parts[0][1:], *parts[1:]]),
        "+81" + intl,
        f"({parts[0]}){parts[1]}-{parts[2]}",
        "ｰ".join(parts),
        "ー".join(parts),
        " ".join(parts),
        "0081-" + "-".join([parts[0][1:], *parts[1:]]),
    ]


_ERAS = (
    ("令和", "R", dt.date(2019, 5, 1)),
    ("平成", "H", dt.date(1989, 1, 8)),
    ("昭和", "S", dt.date(1926, 12, 25)),
)


def era(d: dt.date) -> tuple[str, str, int]:
    for name, letter, start in _ERAS:
        if d >= start:
            return name, letter, d.year - start.year + 1
    raise ValueError("date before Showa")


def birthdate_variants(d: dt.date) -> list[str]:
    name, letter, year = era(d)
    y = "元" if year == 1 else str(year)
    return [
        d.isoformat(),
        f"{d.year}/{d.month:02d}/{d.day:02d}",
        f"{d.year}-{d.month}-{d.day}",
        f"{d.year}{d.month:02d}{d.day:02d}",
        f"{d.year}年{d.month}月{d.day}日",
        f"{name}{y}年{d.month}月{d.day}日",
        f"{letter}{year}.{d.month}.{d.day}",
        full_width(f"{d.year}/{d.month:02d}/{d.day:02d}"),
    ]


def name_variants(name: str) -> list[str]:
    return [name, name.replace(" ", "　"), name.replace(" ", "")]


def kana_variants(kana: str) -> list[str]:
    return [kana, half_width_kana(kana), hiragana(kana).replace(" ", "　"), kana.replace(" ", "")]


def postal_variants(p: str) -> list[str]:
    return [p, "〒" + p, p.replace("-", ""), "〒" + full_width(p), p.replace("-", "ｰ")]


def address_variants(a: str) -> list[str]:
    dashed = re.sub(r"(?<=[0-9])(?:丁目|番)", "-", a)
    dashed = re.sub(r"(?<=[0-9])号", "", dashed)
    return [a, full_width(a), dashed, full_width(dashed)]


def email_variants(e: str) -> list[str]:
    local, domain = e.split("@")
    return [e, f"{local}@{domain.upper()}", e.replace("@", "＠")]


def vary(c: Customer, i: int) -> dict[str, str]:
    """Field values of ``c`` written in the ``i``-th combination of variants."""
    pv = phone_variants(c.phone)
    bv = birthdate_variants(c.birthdate)
    nv, kv = name_variants(c.name), kana_variants(c.kana)
    zv, av, ev = postal_variants(c.postal), address_variants(c.address), email_variants(c.email)
    return {
        "name": nv[i % len(nv)],
        "name_kana": kv[i % len(kv)],
        "phone": pv[i % len(pv)],
        "email": ev[i % len(ev)],
        "birthdate": bv[i % len(bv)],
        "postal_code": zv[i % len(zv)],
        "address": av[i % len(av)],
    }


def plain(c: Customer, i: int) -> dict[str, str]:
    return {f: c.value(f) for f in FIELDS}


Formatter = Callable[[Customer, int], dict[str, str]]


# ------------------------------------------------------------------ renderers


def _records(
    customers: Sequence[Customer], fmt: Formatter, fields: Sequence[str]
) -> list[list[str]]:
    return [[fmt(c, i)[f] for f in fields] for i, c in enumerate(customers)]


def render_delimited(
    customers: Sequence[Customer],
    delimiter: str = ",",
    *,
    fmt: Formatter = vary,
    fields: Sequence[str] = FIELDS,
    header: Sequence[str] | None = HEADERS_JA,
    quote: bool = False,
) -> str:
    lines = []
    if header is not None:
        lines.append(delimiter.join(header[FIELDS.index(f)] for f in fields))
    for rec in _records(customers, fmt, fields):
        if quote:
            rec = ['"' + v.replace('"', '""') + '"' for v in rec]
        lines.append(delimiter.join(rec))
    return "\n".join(lines) + "\n"


def render_csv(customers: Sequence[Customer], **kw: object) -> str:
    # Ignored below: the renderers' options pass through as a loose **kw.
    return render_delimited(customers, ",", quote=True, **kw)  # type: ignore[arg-type]


def render_tsv(customers: Sequence[Customer], **kw: object) -> str:
    # Ignored below: the renderers' options pass through as a loose **kw.
    return render_delimited(customers, "\t", **kw)  # type: ignore[arg-type]


def render_pipe(customers: Sequence[Customer], **kw: object) -> str:
    # Ignored below: the renderers' options pass through as a loose **kw.
    return render_delimited(customers, "|", **kw)  # type: ignore[arg-type]


def render_aligned(
    customers: Sequence[Customer], *, fmt: Formatter = vary, fields: Sequence[str] = FIELDS
) -> str:
    recs = _records(customers, fmt, fields)
    header = [HEADERS_JA[FIELDS.index(f)] for f in fields]
    widths = [max(len(r[j]) for r in [header, *recs]) + 2 for j in range(len(fields))]
    lines = [
        "".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *recs]
    ]
    return "\n".join(lines) + "\n"


def render_jsonl(
    customers: Sequence[Customer], *, fmt: Formatter = vary, fields: Sequence[str] = FIELDS
) -> str:
    keys = [HEADERS_EN[FIELDS.index(f)] for f in fields]
    return "".join(
        json.dumps(dict(zip(keys, r, strict=True)), ensure_ascii=False) + "\n"
        for r in _records(customers, fmt, fields)
    )


def render_json_array(
    customers: Sequence[Customer], *, fmt: Formatter = vary, fields: Sequence[str] = FIELDS
) -> str:
    keys = [HEADERS_EN[FIELDS.index(f)] for f in fields]
    objs = [dict(zip(keys, r, strict=True)) for r in _records(customers, fmt, fields)]
    return json.dumps(objs, ensure_ascii=False, indent=2) + "\n"


def render_sql(
    customers: Sequence[Customer],
    *,
    fmt: Formatter = vary,
    fields: Sequence[str] = FIELDS,
    per_statement: int = 50,
    multiline: bool = False,
) -> str:
    cols = ", ".join(f"`{HEADERS_EN[FIELDS.index(f)]}`" for f in fields)
    recs = _records(customers, fmt, fields)
    out = [
        "-- MySQL dump\n",
        "CREATE TABLE `customers` (\n  `id` int(11) NOT NULL,\n  `name` varchar(255)\n);\n",
    ]
    for s in range(0, len(recs), per_statement):
        tuples = [
            "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in r) + ")"
            for r in recs[s : s + per_statement]
        ]
        sep = ",\n" if multiline else ","
        out.append(f"INSERT INTO `customers` ({cols}) VALUES {sep.join(tuples)};\n")
    return "".join(out)


_NOISE = (
    "新しい名簿を入手しました。詳細は以下の通りです。",
    "この掲示板のルールを守って投稿してください。",
    "昨日のニュースを見ましたか？とても驚きました。",
    "価格は応相談、まとめて購入の方は割引します。",
    "サンプルを少しだけ載せておきます。",
)


def render_prose(customers: Sequence[Customer], *, fmt: Formatter = vary, seed: int = 0) -> str:
    rnd = random.Random(seed)
    parts = []
    for i, c in enumerate(customers):
        v = fmt(c, i)
        parts.append(rnd.choice(_NOISE))
        parts.append(
            f"{v['name']}さん（{v['name_kana']}）の連絡先は{v['phone']}、メールは{v['email']}です。"
            f"住所は〒{c.postal} {v['address']}、生年月日は{v['birthdate']}。"
        )
        parts.append(rnd.choice(_NOISE) * 3)
    return (
        "<html><body><div class=post><p>" + "</p>\n<p>".join(parts) + "</p></div></body></html>\n"
    )


RENDERERS: dict[str, Callable[..., str]] = {
    "csv": render_csv,
    "tsv": render_tsv,
    "pipe": render_pipe,
    "aligned": render_aligned,
    "jsonl": render_jsonl,
    "json": render_json_array,
    "sql": render_sql,
    "prose": render_prose,
}


def mixed_rows(
    real: Sequence[Customer],
    decoys: Sequence[Customer],
    n: int,
    seed: int = 0,
    *,
    reuse: bool = True,
) -> list[Customer]:
    """Rows mixing fields of different customers: a real name, another real
    customer's kana, address and birth date, and a decoy's phone and e-mail."""
    rnd = random.Random(seed)
    out = []
    pool = list(real)
    for i in range(n):
        d = decoys[i % len(decoys)]
        if not reuse:
            # Prose has no rows: a customer's fields two sentences apart are
            # evidence, so in prose each real customer gives one field only.
            rnd.shuffle(pool)
            a, b, c, e, f = pool[:5]
            del pool[:5]
            out.append(
                replace(
                    d,
                    name=a.name,
                    kana=b.kana,
                    address=c.address,
                    birthdate=e.birthdate,
                    postal=f.postal,
                )
            )
            continue
        while True:
            # Five different people who also share no name, reading or birth date,
            # or two "different" customers would be one record after all.
            a, b, c, e, f = picks = rnd.sample(list(real), 5)
            if all(len({getattr(p, k) for p in picks}) == 5 for k in ("name", "kana", "birthdate")):
                break
        out.append(
            replace(
                d,
                name=a.name,
                kana=b.kana,
                address=c.address,
                birthdate=e.birthdate,
                postal=f.postal,
            )
        )
    return out


# Long lines (test_long_lines, benchmarks/long_lines.py): log-like filler, a record now
# and then.
FILLER = "ログ出力 status=ok user=guest path=/index.html 処理完了 " * 20


def record(c: Customer) -> str:
    """One customer's values in a sentence."""
    return f" 顧客 {c.name} 電話 {c.phone} メール {c.email} 住所 {c.address} 。"


def one_line(customers: list[Customer], size: int, every: int = 20_000) -> Iterator[bytes]:
    """``size`` bytes of one line, a customer record every ~``every`` bytes, in 64 KB reads."""
    out = bytearray()
    made = 0
    i = 0
    while made < size:
        part = (FILLER + record(customers[i % len(customers)])).encode()
        while len(part) < every:
            part += FILLER.encode()
        i += 1
        out += part
        if len(out) >= 1 << 16:
            chunk = bytes(out[: size - made])
            made += len(chunk)
            yield chunk
            out.clear()
    if out and made < size:
        yield bytes(out[: size - made])
