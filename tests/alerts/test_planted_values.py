"""SPEC 10: no raw customer value in an alert e-mail, checked on the bytes the server got.

The renderer is never given these values, so today this is trivially true; it is the
hook that catches a future change that starts passing raw data into alerts.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from alerts import MemoryOutbox, RecordSummary, SmtpNotifier, deliver_pending, render_alert
from tests.alerts.factories import make_context
from tests.alerts.smtp_sink import SmtpSink, body_text

PLANTED_PHONES = ("090-4751-3862", "080-9163-5274", "070 8392 4615")
PLANTED_VALUES = (
    *PLANTED_PHONES,
    "山田太郎",
    "ヤマダタロウ",
    "taro.yamada@example.ne.jp",
    "東京都千代田区永田町1-7-1",
    "1985-04-12",
    "100-8914",
)
NOW = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)


def phone_windows() -> set[str]:
    windows = set()
    for phone in PLANTED_PHONES:
        digits = re.sub(r"\D", "", phone)
        windows |= {digits[i : i + 4] for i in range(len(digits) - 3)}
    return windows


def test_no_planted_value_reaches_the_wire(smtp_plain: SmtpSink) -> None:
    ctx = make_context(
        snippet="⟨name:4⟩,⟨name_kana:6⟩,⟨phone⟩,⟨email⟩,⟨address:13⟩,⟨birthdate⟩",
        fields=("name", "name_kana", "phone", "email", "address", "birthdate"),
        records=(
            RecordSummary("CUST-A", "high", ("phone", "name", "address")),
            RecordSummary("CUST-B", "medium", ("email", "name_kana")),
        ),
        record_counts={"high": 1, "medium": 1},
    )
    outbox = MemoryOutbox()
    outbox.add(render_alert(ctx, ["soc@example.jp"], sender="lp@example.jp"), now=NOW)
    deliver_pending(outbox, SmtpNotifier(smtp_plain.config()), now=NOW)

    [received] = smtp_plain.messages
    email = received.message
    parts = [part.get_content() for part in email.iter_parts()]
    header_text = "\n".join(f"{k}: {v}" for k, v in email.items())
    # The MIME boundaries (of every multipart part) and the Message-ID are random
    # digits, not content: a planted phone's four digits turn up in them by chance
    # (CI saw one in 19 random digits).
    noise = [str(part.get_boundary()) for part in email.walk() if part.is_multipart()]
    noise.append(str(email["Message-ID"]))
    assert all(noise)
    raw = received.content
    for random_part in noise:
        raw = raw.replace(random_part.encode(), b"")
        header_text = header_text.replace(random_part, "")
    haystacks = [raw.decode("utf-8", "replace"), header_text, *parts]

    for value in PLANTED_VALUES:
        for haystack in haystacks:
            assert value not in haystack

    windows = phone_windows()
    for haystack in haystacks:
        for run in re.findall(r"\d{4,}", haystack):
            leaked = [w for w in windows if w in run]
            assert not leaked, f"digits of a planted phone in {run!r}"


def test_redacted_urls_and_paths_reach_the_wire_intact(smtp_plain: SmtpSink) -> None:
    """SPEC 10.2: leakprint hands alerts the redacted URL or path of a document
    (``/u/[email]/…``, see tests/leakprint/test_sealed_urls.py). The e-mail must show
    that form as is — the brackets neither eaten as markup nor re-encoded — so the
    responder sees which part held a customer value."""
    outbox = MemoryOutbox()
    urls = ("https://paste.example/u/[email]/dump-[phone].txt",
            "file:///srv/drops/u/[email]/[phone].csv")
    for i, url in enumerate(urls):
        ctx = make_context(url=url, finding_id=20 + i)
        outbox.add(render_alert(ctx, ["soc@example.jp"], sender="lp@example.jp"), now=NOW)
    deliver_pending(outbox, SmtpNotifier(smtp_plain.config()), now=NOW)
    assert len(smtp_plain.messages) == 2
    for received, url in zip(smtp_plain.messages, urls, strict=True):
        text = body_text(received.message, "plain")
        html = body_text(received.message, "html")
        assert url in text and url in html
        for value in PLANTED_VALUES:
            assert value not in text and value not in html
