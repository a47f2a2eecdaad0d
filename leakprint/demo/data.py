"""Synthetic Japanese customers (Faker ja_JP) and the leaks planted from them."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path

from faker import Faker

FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
HEADER = [
    "顧客ID",
    "氏名",
    "フリガナ",
    "電話番号",
    "メールアドレス",
    "生年月日",
    "郵便番号",
    "住所",
]


@dataclass(frozen=True)
class Customer:
    ref: str
    name: str
    kana: str
    phone: str
    email: str
    birthdate: str
    postal_code: str
    address: str

    def row(self) -> list[str]:
        return [
            self.ref,
            self.name,
            self.kana,
            self.phone,
            self.email,
            self.birthdate,
            self.postal_code,
            self.address,
        ]


def make_customers(count: int, seed: int = 2023) -> list[Customer]:
    """``count`` synthetic customers with unique mobile numbers and e-mail addresses."""
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    customers: list[Customer] = []
    phones: set[str] = set()
    for i in range(count):
        while True:
            phone = f"0{rng.choice('789')}0-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
            if phone not in phones:
                phones.add(phone)
                break
        last, first = fake.last_name_pair(), fake.first_name_pair()
        birth = fake.date_of_birth(minimum_age=18, maximum_age=90)
        customers.append(
            Customer(
                ref=f"C{i + 1:07d}",
                name=f"{last[0]} {first[0]}",
                kana=f"{last[1]} {first[1]}",
                phone=phone,
                email=f"user{i + 1:05d}.{rng.randint(10, 99)}@example.ne.jp",
                birthdate=birth.strftime("%Y/%m/%d"),
                postal_code=fake.postcode(),
                address=f"{fake.prefecture()}{fake.city()}{fake.town()}{rng.randint(1, 9)}丁目"
                f"{rng.randint(1, 30)}番{rng.randint(1, 20)}号",
            )
        )
    return customers


def write_customer_csv(customers: list[Customer], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(c.row() for c in customers)


def csv_dump(customers: list[Customer]) -> bytes:
    """A UTF-8 CSV dump with a header, as a broker would sell it (no record IDs)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER[1:])
    writer.writerows(c.row()[1:] for c in customers)
    return buf.getvalue().encode("utf-8")


def cp932_tsv_dump(customers: list[Customer]) -> bytes:
    """A CP932 TSV export with full-width digits and half-width kana (a Windows export)."""
    lines = ["氏名\tﾌﾘｶﾞﾅ\tTEL\t住所"]
    for c in customers:
        import unicodedata

        kana = "".join(unicodedata.normalize("NFKC", ch) for ch in c.kana)
        half = kana.translate(_HALF_KANA)
        lines.append(f"{c.name}\t{half}\t{c.phone.translate(FULLWIDTH)}\t{c.address}")
    return ("\r\n".join(lines) + "\r\n").encode("cp932", errors="replace")


def prose_post(customers: list[Customer]) -> str:
    """A forum post naming a few customers inline, as people write them."""
    parts = ["例の代理店から抜かれたリストの一部、サンプルです。"]
    for c in customers:
        parts.append(f"{c.name}さん（{c.birthdate}生）、携帯{c.phone}、{c.address}在住。")
    parts.append("続きは連絡ください。")
    return "\n".join(parts)


def decoy_text(seed: int = 7) -> str:
    """Look-alike content of people who are not customers, and toll-free numbers."""
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    rows = [f"{fake.name()},{fake.phone_number()},{fake.address()}" for _ in range(30)]
    return "お問い合わせ 0120-123-456\n" + "\n".join(rows)


_FULL = (
    "アイウエオカキクケコサシスセソタチツテトナニヌネノ"
    "ハヒフヘホマミムメモヤユヨラリルレロワヲンァィゥェォャュョッー"
)
_HALF = "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｧｨｩｪｫｬｭｮｯｰ"
_VOICED = {
    chr(ord(k) + 1): v + "ﾞ"
    for k, v in zip(_FULL[5:30], _HALF[5:30], strict=True)
    if k not in "ナニヌネノマミムメモヤユヨラリルレロ"
}
_VOICED.update({chr(ord(k) + 2): v + "ﾟ" for k, v in zip(_FULL[25:30], _HALF[25:30], strict=True)})
_HALF_KANA = str.maketrans({**dict(zip(_FULL, _HALF, strict=True)), **_VOICED, "　": " "})
