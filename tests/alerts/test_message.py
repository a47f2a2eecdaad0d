from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from alerts import (
    ALERT_ID_HEADER,
    AlertMessage,
    render_alert,
    render_test_message,
    to_email,
)
from tests.alerts.factories import SNIPPET, make_context, records

RCPT = ("soc@example.jp",)


def test_subject_names_confidence_count_host_and_incident() -> None:
    message = render_alert(make_context(), RCPT)
    assert message.subject == (
        "[leakprint] HIGH: 37 customer records at paste.example (incident 3: docomo-2026-11)"
    )


def test_subject_singular_and_update_growth() -> None:
    one = make_context(record_counts={"low": 1}, records=records(1, "low"), confidence="low")
    assert "LOW: 1 customer record at" in render_alert(one, RCPT).subject

    update = make_context(is_update=True, previous_record_count=25)
    subject = render_alert(update, RCPT).subject
    assert subject.startswith("[leakprint] UPDATE: HIGH: 37 customer records (+12 records) at")
    message = render_alert(update, RCPT)
    for body in (message.text, message.html):
        assert "UPDATE" in body
        assert "held 25 before" in body
        assert "(+12)" in body


def test_subject_is_one_line_even_with_a_newline_in_the_incident_name() -> None:
    ctx = make_context(incident_name="evil\r\nBcc: someone@example.com")
    assert "\n" not in render_alert(ctx, RCPT).subject
    to_email(render_alert(ctx, RCPT))  # must not raise on the header


def test_body_carries_counts_kinds_source_first_seen_and_command() -> None:
    message = render_alert(make_context(), RCPT)
    for body in (message.text, message.html):
        assert "docomo-2026-11" in body
        assert "HIGH" in body
        assert "Distinct records: 37" in body
        assert "phone, name, name_kana, address" in body
        assert "pastes" in body
        assert "https://paste.example/raw/abc" in body
        assert "2026-11-28T01:02:03Z" in body
        assert "list of our customers" in body  # bulk explained
        assert "leakprint findings show 12" in body
        assert "What to do next" in body
    assert "  high    30" in message.text
    assert "  medium  5" in message.text
    assert "  low     2" in message.text
    assert f"<pre>{SNIPPET}</pre>" in message.html
    assert message.headers["X-Leakprint-Finding-Id"] == "12"


def test_not_bulk_is_said_too() -> None:
    message = render_alert(make_context(bulk=False), RCPT)
    assert "no - a few records" in message.text


def test_custom_see_more_command() -> None:
    ctx = make_context(see_more_command="lp findings show 12 --json")
    assert "lp findings show 12 --json" in render_alert(ctx, RCPT).text


def test_first_seen_is_shown_in_utc() -> None:
    jst = timezone(timedelta(hours=9))
    ctx = make_context(first_seen=datetime(2026, 11, 28, 9, 0, 0, 123, tzinfo=jst))
    assert "2026-11-28T00:00:00Z" in render_alert(ctx, RCPT).text


def test_record_references_capped_at_50() -> None:
    ctx = make_context(record_counts={"high": 60}, records=records(60))
    message = render_alert(ctx, RCPT)
    for body in (message.text, message.html):
        assert "REF-050" in body
        assert "REF-051" not in body
        assert "… and 10 more" in body


def test_more_counts_records_the_caller_did_not_pass() -> None:
    ctx = make_context(record_counts={"high": 400, "medium": 100}, records=records(50))
    assert "… and 450 more" in render_alert(ctx, RCPT).text


def test_html_autoescapes_url_snippet_and_names() -> None:
    ctx = make_context(
        url="https://paste.example/raw/<script>alert(1)</script>",
        snippet="<b>⟨phone⟩</b>",
        incident_name="a<img src=x>",
    )
    message = render_alert(ctx, RCPT)
    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.html
    assert "<b>" not in message.html
    assert "<img" not in message.html
    assert "<script>" in message.text  # plain text is not HTML: shown as is


def test_host_falls_back_to_source_for_a_local_file() -> None:
    assert make_context(url="/tmp/dump.csv").host == "pastes"
    assert make_context(url="https://PASTE.example:8443/x").host == "paste.example"


def test_unknown_confidence_is_refused() -> None:
    with pytest.raises(ValueError, match="confidence"):
        make_context(confidence="critical")


def test_test_message() -> None:
    message = render_test_message(["a@example.jp"], "lp@example.jp")
    assert message.subject == "[leakprint] test message"
    assert message.recipients == ("a@example.jp",)
    assert "test message from leakprint" in message.text
    assert "<p>" in message.html


def test_to_email_is_multipart_alternative_text_then_html() -> None:
    message = render_alert(make_context(), RCPT, sender="leakprint@example.jp")
    email = to_email(message)
    assert email.get_content_type() == "multipart/alternative"
    parts = list(email.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content() == message.text
    assert parts[1].get_content() == message.html
    assert email["From"] == "leakprint@example.jp"
    assert email["To"] == "soc@example.jp"
    assert email["Subject"] == message.subject
    assert email["Date"]
    assert email["Message-ID"].endswith("@example.jp>")
    assert email["X-Leakprint-Finding-Id"] == "12"


def test_message_id_is_stable_for_an_alert_id() -> None:
    base = render_alert(make_context(), RCPT, sender="lp@example.jp")
    with_id = AlertMessage(**{**base.__dict__, "headers": {ALERT_ID_HEADER: "42"}})
    first, second = to_email(with_id), to_email(with_id)
    assert first["Message-ID"] == second["Message-ID"] == "<leakprint-alert.42@example.jp>"
    assert first[ALERT_ID_HEADER] == "42"
    assert to_email(base)["Message-ID"] != to_email(base)["Message-ID"]


def test_header_injection_is_refused() -> None:
    message = AlertMessage("s", "t", "<p>t</p>", RCPT, headers={"X-Note": "a\r\nBcc: x@y"})
    with pytest.raises(ValueError):
        to_email(message)


def test_a_single_address_string_is_one_recipient() -> None:
    assert render_test_message("a@example.jp").recipients == ("a@example.jp",)


def test_heading_and_record_list_use_the_same_levels() -> None:
    """Issue 18: a bulk finding raised to HIGH over medium records says so in the
    subject and the body, and lists each record at its own level with why."""
    from alerts.message import RecordSummary

    listed = tuple(
        RecordSummary(f"C{i:07d}", "medium", ("phone", "name"), "phone + name: chance ≈ 1 in 10⁸")
        for i in range(150)
    )
    ctx = make_context(record_counts={"medium": 150}, records=listed, bulk=True)
    message = render_alert(ctx, RCPT)
    assert message.subject.startswith(
        "[leakprint] HIGH: bulk list of 150 customer records (150 medium) at"
    )
    for body in (message.text, message.html):
        assert "raised from MEDIUM" in body
        assert "phone + name: chance ≈ 1 in 10⁸" in body
    assert "  C0000000  medium  phone, name  (phone + name: chance ≈ 1 in 10⁸)" in message.text
    # When a record is at the finding's level, the heading is unchanged.
    assert "bulk list" not in render_alert(make_context(), RCPT).subject
