"""Shared helpers for application tests: deployment folders and planted customers."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fingerprints.errors import FingerprintSetError
from fingerprints.fpset import FingerprintSet
from fingerprints.keyed import FingerprintKey
from fingerprints.normalizers import NORMALIZER_VERSION
from leakprint.cli import cli
from leakprint.config import Settings, load_settings
from leakprint.db import Database, open_database
from leakprint.incidents import open_incident
from leakprint.setsecrets import snapshot
from matchers.parallel import scan_file
from tests.alerts.smtp_sink import SmtpSink

HEADER = ["顧客ID", "氏名", "フリガナ", "電話番号", "メールアドレス", "生年月日", "住所"]
MAP = [
    "--map",
    "氏名=name",
    "--map",
    "フリガナ=name_kana",
    "--map",
    "電話番号=phone",
    "--map",
    "メールアドレス=email",
    "--map",
    "生年月日=birthdate",
    "--map",
    "住所=address",
]

# Distinctive raw values planted in the customer file; none may appear in any output.
PLANTED = [
    [
        "P0000001",
        "鷲見 勘兵衛",
        "スミ カンベエ",
        "090-8765-4321",
        "kanbee.planted@example.ne.jp",
        "1961/02/03",
        "東京都港区芝公園四丁目2番8号",
    ],
    [
        "P0000002",
        "髙橋 﨑太郎",
        "タカハシ サキタロウ",
        "080-2468-1357",
        "sakitaro.planted@example.jp",
        "昭和55年7月7日",
        "大阪府大阪市北区梅田3丁目1番1号",
    ],
    [
        "P0000003",
        "東海林 ジョージ",
        "ショウジ ジョージ",
        "070-1122-3344",
        "george.planted@example.jp",
        "1990-12-24",
        "北海道札幌市中央区北1条西2丁目1番地",
    ],
]


def planted_needles() -> list[bytes]:
    """Byte strings that must never appear: each value, and runs of its digits."""
    needles: set[str] = set()
    for row in PLANTED:
        for value in row[1:]:
            needles.add(value)
            needles.add(value.replace(" ", ""))
            digits = "".join(ch for ch in value if ch.isdigit())
            if len(digits) >= 7:
                needles.add(digits)
                needles.add(digits[-8:])
    needles.update({"鷲見", "勘兵衛", "スミカンベエ", "kanbee.planted", "sakitaro.planted"})
    out: list[bytes] = []
    for n in needles:
        for enc in ("utf-8", "cp932", "utf-16-le"):
            try:
                out.append(n.encode(enc))
            except UnicodeEncodeError:
                pass
    return out


def assert_no_planted(blob: bytes, where: str) -> None:
    for needle in planted_needles():
        assert needle not in blob, f"a planted value appears in {where}"


def all_file_bytes(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def run(
    home: Path, *args: str, env: dict[str, str] | None = None, input: bytes | None = None
) -> Result:
    return CliRunner().invoke(
        cli, ["--home", str(home), *args], env=env or {}, input=input, catch_exceptions=False
    )


LAST = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
]
FIRST = [
    ("花子", "ハナコ"),
    ("太郎", "タロウ"),
    ("美咲", "ミサキ"),
    ("翔", "ショウ"),
    ("陽菜", "ヒナ"),
]


def customer_rows(n: int, start: int = 0) -> list[list[str]]:
    """Synthetic customers with unique phones and e-mails (refs C0000000…)."""
    rows = []
    for i in range(start, start + n):
        last, first = LAST[i % len(LAST)], FIRST[(i // len(LAST)) % len(FIRST)]
        rows.append(
            [
                f"C{i:07d}",
                f"{last[0]} {first[0]}",
                f"{last[1]} {first[1]}",
                f"080-{5000 + i // 10000:04d}-{i % 10000:04d}",
                f"user{i}@example.jp",
                f"{1950 + i % 50}/{1 + i % 12:02d}/{1 + i % 28:02d}",
                f"東京都新宿区西新宿{1 + i % 9}丁目{1 + i % 20}番{1 + i % 5}号",
            ]
        )
    return rows


def smtp_env(sink: SmtpSink) -> dict[str, str]:
    """The LEAKPRINT_SMTP_* variables that reach `sink` (CA file for its self-signed cert)."""
    env = {
        "LEAKPRINT_SMTP_HOST": sink.host,
        "LEAKPRINT_SMTP_PORT": str(sink.port),
        "LEAKPRINT_SMTP_TLS": "none" if sink.mode == "plain" else sink.mode,
        "LEAKPRINT_SMTP_FROM": "leakprint@soc.example.jp",
    }
    if sink.mode != "plain":
        assert sink.cert is not None
        env |= {
            "LEAKPRINT_SMTP_USER": sink.username,
            "LEAKPRINT_SMTP_PASSWORD": sink.password,
            "LEAKPRINT_SMTP_CA_FILE": str(sink.cert.cert_file),
        }
    return env


def use_sink(monkeypatch: pytest.MonkeyPatch, sink: SmtpSink, home: Path) -> Settings:
    for name, value in smtp_env(sink).items():
        monkeypatch.setenv(name, value)
    return load_settings(home)


def open_one(db: Database, name: str = "watch", **overrides: object) -> int:
    """Open a watch of "crm" on "paste" every 30 minutes; returns its id."""
    values: dict[str, object] = {
        "name": name,
        "datasets": ["crm"],
        "sources": ["paste"],
        "every": "30m",
        "cron": None,
        "period": "90d",
        "notify": ["soc@example.jp"],
    }
    values.update(overrides)
    # The values are typed loosely so that a test may override any of them.
    return open_incident(db, **values).id  # type: ignore[arg-type]


def assert_pg_clean(url: str) -> None:
    """No planted value in the rows of the datasets and audit_log tables."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        for table in ("datasets", "audit_log"):
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                blob = repr(tuple(row)).encode()
                for needle in planted_needles():
                    assert needle not in blob
    engine.dispose()


def refused(copy: Path, home: Path, db_url: str, leak: Path, why: str) -> str:
    """The one-line refusal of opening ``copy`` (a copy of a set whose secret is gone)
    with the master key and the deployment's database; scanning ``leak`` with it is
    refused too, saying ``why``."""
    key = FingerprintKey.load(home / "leakprint.key")
    db = open_database(db_url)
    try:
        with pytest.raises(FingerprintSetError) as exc:
            FingerprintSet.open(copy, key, normalizer_version=NORMALIZER_VERSION,
                                secrets=snapshot(db, key))
        with pytest.raises(FingerprintSetError, match=why):
            scan_file(leak, copy, key, workers=1, secrets=snapshot(db, key))
    finally:
        db.close()
    message = str(exc.value)
    assert "\n" not in message and str(home) not in message
    return message
