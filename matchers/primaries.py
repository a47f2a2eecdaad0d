"""Primary candidates in prepared text (SPEC 4 step 2): phone numbers, e-mail
addresses, customer IDs and custom kinds, found by cheap patterns and handed to
the import side's normalizers (:mod:`matchers.candidates` tries the supporting
kinds around them)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from fingerprints import native
from fingerprints.normalizers.phone import FIXED_PREFIXES
from matchers.shapes import (
    CUSTOMER_ID,
    DIGIT_RE,
    DIGIT_RUN_RE,
    EMAIL,
    EMAIL_DOMAIN_RE,
    EMAIL_LOCAL_RE,
    ID_TOKEN_RE,
    NON_DIGITS,
    PHONE,
    Pair,
)

__all__ = ["PrimarySearch"]


class PrimarySearch:
    """Finds the primary kinds a fingerprint set holds in prepared text."""

    def __init__(
        self,
        fields: Callable[[str, str], list[Pair]],
        *,
        phone: bool,
        email: bool,
        customer_id: frozenset[int] | None,
        custom: Mapping[str, re.Pattern[str]],
        native_phone: bool = False,
    ) -> None:
        """``fields`` is ``KindRegistry.fields_for``; ``customer_id`` the lengths of
        the set's customer IDs (None when it holds none), ``custom`` each custom
        kind's search pattern. ``native_phone``: the phone kind is the built-in
        :class:`~fingerprints.normalizers.phone.PhoneNormalizer` (one pair per
        value), whose domestic rules the native core may apply to the runs it finds."""
        self.fields = fields
        self._phone = phone
        self._native_phone = native_phone
        self._email = email
        self._cid_lengths = customer_id
        self._custom = custom

    def find(self, text: str) -> list[tuple[str, str, int, int]]:
        """Primary candidates of prepared ``text`` as ``(kind, canonical, start, end)``."""
        out: list[tuple[str, str, int, int]] = []
        if self._phone:
            self._phones(text, out)
        if self._email and "@" in text:
            self._emails(text, out)
        if self._cid_lengths is not None:
            self._customer_ids(text, out)
        for kind, pattern in self._custom.items():
            for m in pattern.finditer(text):
                for k, canon in self.fields(kind, m.group()):
                    out.append((k, canon, m.start(), m.end()))
        return out

    def _phones(self, text: str, out: list[tuple[str, str, int, int]]) -> None:
        core = native.CORE
        if core is None or not self._native_phone:
            for m in DIGIT_RUN_RE.finditer(text):
                self._phone_run(text, m.start(), m.end(), out)
            return
        # The same runs found in C (DIGIT_RUN_RE's every step: _native_phone_runs.h),
        # the domestic numbers among them canonical already; the rest as below.
        for start, end, canon in core.phone_runs(text, FIXED_PREFIXES):
            if canon is None:
                self._phone_run(text, start, end, out)
            else:
                out.append((PHONE, canon, start, end))

    def _phone_run(self, text: str, start: int, end: int,
                   out: list[tuple[str, str, int, int]]) -> None:
        """The phone candidates of one DIGIT_RUN_RE match ``text[start:end]``."""
        fields = self.fields
        run = text[start:end]
        n = len(run.translate(NON_DIGITS))
        if n < 10:
            return
        if text.startswith("@", end):
            return  # the local part of an e-mail address (090…@docomo.ne.jp)
        got = fields(PHONE, run) if n <= 15 else []
        if got:
            for kind, canon in got:
                out.append((kind, canon, start, end))
        elif " " in run or "." in run:
            # Space-separated neighbours ("0312345678 19850401") merge into one run.
            pos = start
            for piece in re.split(r"[ .]", run):
                if len(piece.translate(NON_DIGITS)) >= 10:
                    for kind, canon in fields(PHONE, piece):
                        out.append((kind, canon, pos, pos + len(piece)))
                pos += len(piece) + 1

    def _emails(self, text: str, out: list[tuple[str, str, int, int]]) -> None:
        fields = self.fields
        at = text.find("@")
        while at != -1:
            local = EMAIL_LOCAL_RE.search(text, max(0, at - 64), at)
            domain = EMAIL_DOMAIN_RE.match(text, at + 1)
            if local is not None and domain is not None:
                start, end = local.start(), domain.end()
                for kind, canon in fields(EMAIL, text[start:end]):
                    out.append((kind, canon, start, end))
                at = text.find("@", end)
            else:
                at = text.find("@", at + 1)

    def _customer_ids(self, text: str, out: list[tuple[str, str, int, int]]) -> None:
        lengths = self._cid_lengths or frozenset()
        fields = self.fields
        for m in ID_TOKEN_RE.finditer(text):
            tok = m.group()
            if len(tok) - tok.count("-") not in lengths or DIGIT_RE.search(tok) is None:
                continue
            for kind, canon in fields(CUSTOMER_ID, tok):
                out.append((kind, canon, m.start(), m.end()))
