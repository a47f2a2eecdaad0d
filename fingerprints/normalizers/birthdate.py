"""Birth dates → ``YYYY-MM-DD`` (Gregorian and Japanese era forms)."""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

from fingerprints import native
from fingerprints.normalizers.base import Normalizer, Role
from fingerprints.text import prepare

__all__ = ["BirthdateNormalizer"]

MIN_YEAR = 1890
MAX_YEAR = 2100

# (first day, last day) of each era; year N of an era is first.year + N - 1.
_ERAS: dict[str, tuple[dt.date, dt.date]] = {
    "明治": (dt.date(1868, 1, 25), dt.date(1912, 7, 29)),
    "大正": (dt.date(1912, 7, 30), dt.date(1926, 12, 24)),
    "昭和": (dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
    "平成": (dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    "令和": (dt.date(2019, 5, 1), dt.date(MAX_YEAR, 12, 31)),
}
_ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}

_SEP = r"[/\-.]"
_WESTERN = re.compile(
    rf"(?P<y>[0-9]{{4}})(?:{_SEP}(?P<m>[0-9]{{1,2}}){_SEP}(?P<d>[0-9]{{1,2}})"
    rf"|年(?P<m2>[0-9]{{1,2}})月(?P<d2>[0-9]{{1,2}})日?)"
)
_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_ERA = re.compile(
    r"(?P<era>明治|大正|昭和|平成|令和|[MTSHRmtshr])\.?(?P<n>[0-9]{1,2}|元)"
    rf"(?:{_SEP}(?P<m>[0-9]{{1,2}}){_SEP}(?P<d>[0-9]{{1,2}})"
    r"|年(?P<m2>[0-9]{1,2})月(?P<d2>[0-9]{1,2})日?)"
)


def _date(y: int, m: int, d: int) -> dt.date | None:
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


class BirthdateNormalizer(Normalizer):
    """``1985/04/01``, ``19850401``, ``1985年4月1日``, ``昭和60年4月1日``, ``S60.4.1``,
    ``平成元年1月8日`` … → ``1985-04-01``. Calendar dates and era ranges are checked.
    """

    kind: ClassVar[str] = "birthdate"
    builtin: ClassVar[bool] = True
    order: ClassVar[int] = 70
    role: ClassVar[Role] = Role.WEAK
    headers: ClassVar[tuple[str, ...]] = (
        "生年月日",
        "誕生日",
        "birthday",
        "birth date",
        "birthdate",
        "date of birth",
        "dob",
        "birth_date",
    )
    display: ClassVar[str] = "date of birth"
    display_ja: ClassVar[str] = "生年月日"
    prior: ClassVar[float] = 4e-5  # ~1 in 25,000 people share a birth date

    def canonical(self, value: str) -> str | None:
        core = native.CORE
        if core is not None:
            return core.canon_birthdate(prepare(value))
        s = "".join(prepare(value).split())
        date = self._parse(s)
        return None if date is None else date.isoformat()

    @staticmethod
    def _parse(s: str) -> dt.date | None:
        if m := _WESTERN.fullmatch(s):
            month, day = m["m"] or m["m2"], m["d"] or m["d2"]
            return _date(int(m["y"]), int(month), int(day))
        if m := _COMPACT.fullmatch(s):
            return _date(int(m[1]), int(m[2]), int(m[3]))
        if m := _ERA.fullmatch(s):
            era = m["era"]
            first, last = _ERAS[_ERA_LETTERS.get(era.upper(), era)]
            n = 1 if m["n"] == "元" else int(m["n"])
            if n < 1:
                return None
            date = _date(first.year + n - 1, int(m["m"] or m["m2"]), int(m["d"] or m["d2"]))
            if date is None or not first <= date <= last:
                return None
            return date
        return None
