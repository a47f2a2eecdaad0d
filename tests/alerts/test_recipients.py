"""Recipients by scheme: parsing, the mailto check, and routing to each channel."""

from __future__ import annotations

import pytest

from alerts import (
    AlertMessage,
    DeliveryError,
    RecordingNotifier,
    RoutingNotifier,
    SmtpNotifier,
    render_alert,
    scheme_of,
    target_of,
)
from alerts.recipients import RecipientError, SeveralRecipients, shown
from alerts.smtp import check_mailbox
from tests.alerts.factories import make_context
from tests.alerts.smtp_sink import SmtpSink


def message(*recipients: str) -> AlertMessage:
    return render_alert(make_context(), recipients, sender="lp@example.jp")


@pytest.mark.parametrize(
    ("recipient", "scheme", "target"),
    [
        ("soc@example.jp", "mailto", "soc@example.jp"),
        ("mailto:soc@example.jp", "mailto", "soc@example.jp"),
        (" MailTo:soc@example.jp ", "mailto", "soc@example.jp"),
        # A colon in a bare address's local part is no scheme.
        ("x:y@example.jp", "mailto", "x:y@example.jp"),
        ("https://hooks.example.jp/T1", "https", "https://hooks.example.jp/T1"),
        ("HTTPS://hooks.example.jp/T1", "https", "HTTPS://hooks.example.jp/T1"),
    ],
)
def test_scheme_and_target(recipient: str, scheme: str, target: str) -> None:
    assert scheme_of(recipient) == scheme
    assert target_of(recipient) == target


def test_check_mailbox_stores_bare_addresses_and_refuses_in_one_line() -> None:
    assert check_mailbox("mailto:soc@example.jp") == "soc@example.jp"
    assert check_mailbox("soc@example.jp") == "soc@example.jp"
    with pytest.raises(SeveralRecipients, match="holds several addresses"):
        check_mailbox("a@example.jp,b@example.jp")
    with pytest.raises(RecipientError, match=r"^not an e-mail address: 'mailto:nobody'$"):
        check_mailbox("mailto:nobody")
    with pytest.raises(RecipientError, match="parameters"):
        check_mailbox("mailto:soc@example.jp?subject=hi")


def test_routing_gives_each_channel_its_own_recipients() -> None:
    mail, hook = RecordingNotifier(), RecordingNotifier()
    router = RoutingNotifier({"mailto": mail, "https": hook})
    sent = message("soc@example.jp", "mailto:cert@example.jp", "https://hooks.example.jp/T1")
    router.send(sent)
    assert [m.recipients for m in mail.messages] == [("soc@example.jp", "cert@example.jp")]
    assert [m.recipients for m in hook.messages] == [("https://hooks.example.jp/T1",)]
    # Everything else of the message is what was rendered.
    assert mail.messages[0].subject == sent.subject and mail.messages[0].text == sent.text


def test_routing_retries_on_any_transient_failure() -> None:
    mail, hook = RecordingNotifier(), RecordingNotifier()
    hook.fail_next(reason="hook 503")
    router = RoutingNotifier({"mailto": mail, "https": hook})
    with pytest.raises(DeliveryError) as raised:
        router.send(message("soc@example.jp", "https://hooks.example.jp/T1"))
    assert not raised.value.permanent and raised.value.reason == "hook 503"


def test_routing_a_permanent_refusal_beside_a_delivery_is_not_retried() -> None:
    mail, hook = RecordingNotifier(), RecordingNotifier()
    hook.fail_next(permanent=True, reason="hook 410")
    router = RoutingNotifier({"mailto": mail, "https": hook})
    router.send(message("soc@example.jp", "https://hooks.example.jp/T1"))  # no raise
    assert len(mail.messages) == 1


def test_routing_without_a_notifier_for_the_scheme_is_permanent() -> None:
    router = RoutingNotifier({"mailto": RecordingNotifier()})
    with pytest.raises(DeliveryError) as raised:
        router.send(message("https://hooks.example.jp/T1"))
    assert raised.value.permanent and "no notifier for https" in raised.value.reason


def test_routing_to_a_real_smtp_server_sends_bare_addresses(smtp_plain: SmtpSink) -> None:
    notifier = SmtpNotifier(smtp_plain.config())
    RoutingNotifier({"mailto": notifier}).send(
        message("mailto:soc@example.jp", "cert@example.jp"))
    (received,) = smtp_plain.messages
    assert received.rcpt_tos == ("soc@example.jp", "cert@example.jp")
    assert received.message["To"] == "soc@example.jp, cert@example.jp"


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        ("soc@example.jp", "soc@example.jp"),
        ("mailto:soc@example.jp", "mailto:soc@example.jp"),
        ("x:y@example.jp", "x:y@example.jp"),
        ("https://hooks.example.jp/services/T0/B1/secret", "https://hooks.example.jp/…"),
        ("https://hooks.example.jp:8443/?token=secret", "https://hooks.example.jp/…"),
        ("https://hooks.example.jp", "https://hooks.example.jp"),
        ("https://hooks.example.jp/", "https://hooks.example.jp"),
    ],
)
def test_a_recipient_is_shown_without_a_webhook_path(recipient: str, expected: str) -> None:
    assert shown(recipient) == expected
