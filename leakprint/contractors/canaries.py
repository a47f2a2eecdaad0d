"""Canary records (SPEC 14): synthetic customers minted for one contractor.

A canary has the shape of the dataset's columns (name, kana, address, birth date,
postal code from Faker's ja_JP pools; an e-mail address on a domain the operator
controls; a phone number only from the operator's own pool, never an invented one
that could be a real person's). Its values are written once, to the ``--out``
file (mode 0600), and fingerprinted into a small companion set beside the
dataset's set (``matchers.companion``); the database keeps only the canary's
pseudonymous reference and its contractor. Nothing of a canary is stored in the
clear.
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from faker import Faker
from pyroaring import BitMap

from fingerprints.fpset import FingerprintSet, FingerprintSetBuilder
from fingerprints.keyed import FingerprintKey
from fingerprints.kindconfig import import_fields, registry_from_config
from fingerprints.normalizers import BUILTIN, NORMALIZER_VERSION, CustomerIdNormalizer
from leakprint import audit
from leakprint.contractors.ledger import LedgerError, contractor_by_name
from leakprint.contractors.membership import to_bytes
from leakprint.datasets import DatasetError, get_dataset
from leakprint.db import Canary, Database, Handover
from leakprint.setsecrets import create_secret, forget_secret, snapshot
from matchers.companion import CANARY_PREFIX, companion_root

#: The column each kind is written under in the ``--out`` file: its first header
#: synonym (the id column is the dataset's own; a kind ``_values`` cannot fake is
#: left empty).
HEADERS = {
    kind: cls.headers[0]
    for kind, cls in BUILTIN.items()
    if cls.headers and kind != CustomerIdNormalizer.kind
}
DOMAIN_RE = re.compile(r"^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_COUNT = 10_000
REMINDER = ("hand these canaries over inside {who}'s data, then delete {out} "
            "(leakprint keeps only their fingerprints)")


@dataclass(frozen=True)
class MintResult:
    contractor: str
    dataset: str
    count: int
    batch: str
    columns: list[str]
    out: Path
    with_phones: int

    @property
    def reminder(self) -> str:
        return REMINDER.format(who=self.contractor, out=self.out)


def read_phone_pool(path: Path) -> list[str]:
    """The operator's phone numbers, one a line; a bad line is named by number only."""
    registry = registry_from_config(None)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read {path}: {type(exc).__name__}") from None
    pool: list[str] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if not import_fields(registry, "phone", line.strip()):
            raise LedgerError(f"{path} line {n} is not a valid Japanese phone number")
        pool.append(line.strip())
    return pool


def _values(fake: Faker, rng: random.Random, kinds: list[str], domain: str,
            phone: str | None) -> dict[str, str]:
    last, first = fake.last_name_pair(), fake.first_name_pair()
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    values = {
        "name": f"{last[0]} {first[0]}",
        "name_kana": f"{last[1]} {first[1]}",
        "email": f"{fake.user_name()}.{secrets.token_hex(3)}@{domain}",
        "birthdate": born.strftime("%Y/%m/%d"),
        "postal_code": fake.postcode(),
        "address": f"{fake.prefecture()}{fake.city()}{fake.town()}{rng.randint(1, 9)}丁目"
                   f"{rng.randint(1, 30)}番{rng.randint(1, 20)}号",
    }
    if phone is not None:
        values["phone"] = phone
    return {k: v for k, v in values.items() if k in kinds}


def mint_canaries(db: Database, key: FingerprintKey, *, contractor: str, dataset: str,
                  count: int, email_domain: str, out: Path,
                  phones: list[str] | None = None) -> MintResult:
    """Mint ``count`` canaries for ``contractor`` in ``dataset`` (see module doc)."""
    domain = email_domain.strip().lower()
    if not DOMAIN_RE.match(domain):
        raise LedgerError("--email-domain must be a domain name the operator controls")
    if not 1 <= count <= MAX_COUNT:
        raise LedgerError(f"--count must be between 1 and {MAX_COUNT}")
    if out.exists():
        raise LedgerError(f"{out} exists: canaries are written once, to a new file")
    try:
        info = get_dataset(db, dataset)
    except DatasetError as exc:
        raise LedgerError(str(exc)) from None
    with db.session() as session:
        who = contractor_by_name(session, contractor).name
    fpset = FingerprintSet.open(Path(info.path), key, normalizer_version=NORMALIZER_VERSION,
                                secrets=snapshot(db, key))
    kinds = [k for k in fpset.kinds if k in HEADERS]
    if "email" not in kinds:
        raise LedgerError(f"dataset {dataset!r} has no e-mail column: a canary needs one "
                          "to be told apart from a real person")
    pool = list(phones or [])
    if "phone" not in kinds:
        pool = []
    rng = random.Random(secrets.randbits(64))
    rng.shuffle(pool)
    fake = Faker("ja_JP")
    fake.seed_instance(rng.randrange(2**32))
    registry = registry_from_config(fpset.manifest.kind_config)
    batch = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    root = companion_root(Path(info.path))
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = root / batch
    # The companion has a secret of its own: `fingerprint shred` destroys it with the
    # dataset's (SPEC 16).
    secret = create_secret(db, key, dataset)
    builder = FingerprintSetBuilder(target, dataset, key, kind_config=fpset.manifest.kind_config,
                                    normalizer_version=fpset.manifest.normalizer_version,
                                    secret=secret)
    columns = [HEADERS[k] for k in kinds]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(columns)
    refs: list[str] = []
    with_phones = 0
    for i in range(count):
        phone = pool[i] if i < len(pool) else None
        values = _values(fake, rng, kinds, domain, phone)
        with_phones += phone is not None
        fields = [pair for kind, value in values.items()
                  for pair in import_fields(registry, kind, value)]
        ref = f"{CANARY_PREFIX}{secrets.token_hex(8)}"
        builder.add_record(ref, fields)
        refs.append(ref)
        writer.writerow([values.get(k, "") for k in kinds])
    del fake
    try:
        builder.finish()
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text.getvalue())
        text.close()
        with db.session() as session:
            holder = contractor_by_name(session, who)
            for ref in refs:
                session.add(Canary(contractor_id=holder.id, dataset=dataset, ref=ref,
                                   batch=batch))
            session.add(Handover(contractor_id=holder.id, dataset=dataset,
                                 handed_on=datetime.now(UTC).date(), purpose="canaries",
                                 members=to_bytes(BitMap()), record_count=0,
                                 set_digest="", canaries=count))
            audit.append(session, "canary.mint", {
                "contractor": who, "dataset": dataset, "count": count, "batch": batch,
                "phones": with_phones, "email_domain": domain})
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        forget_secret(db, secret)
        if out.exists():
            out.unlink()
        raise
    return MintResult(who, dataset, count, batch, columns, out, with_phones)


__all__ = ["HEADERS", "MintResult", "mint_canaries", "read_phone_pool"]
