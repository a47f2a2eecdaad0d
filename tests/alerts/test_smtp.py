from __future__ import annotations

import pytest

from alerts import DeliveryError, SmtpConfig, SmtpNotifier, render_alert, render_test_message
from tests.alerts.factories import make_context
from tests.alerts.smtp_sink import SmtpSink

RCPT = ("soc@example.jp", "cso@example.jp")


def test_plain_delivery(smtp_plain: SmtpSink) -> None:
    SmtpNotifier(smtp_plain.config(sender="lp@example.jp")).send(render_alert(make_context(), RCPT))
    [got] = smtp_plain.messages
    assert got.mail_from == "lp@example.jp"
    assert got.rcpt_tos == RCPT
    assert got.message["Subject"].startswith("[leakprint] HIGH: 37 customer records")
    assert got.message["From"] == "lp@example.jp"
    assert got.message.get_content_type() == "multipart/alternative"
    assert not got.authenticated


def test_message_sender_wins_over_config_sender(smtp_plain: SmtpSink) -> None:
    SmtpNotifier(smtp_plain.config()).send(render_test_message(RCPT, "other@example.jp"))
    assert smtp_plain.messages[0].mail_from == "other@example.jp"


def test_starttls_auth_delivery(smtp_starttls: SmtpSink) -> None:
    SmtpNotifier(smtp_starttls.config()).send(render_alert(make_context(), RCPT))
    [got] = smtp_starttls.messages
    assert got.authenticated
    assert got.message["Subject"].startswith("[leakprint] HIGH")


def test_starttls_wrong_password(smtp_starttls: SmtpSink) -> None:
    notifier = SmtpNotifier(smtp_starttls.config(password="wrong"))
    with pytest.raises(DeliveryError) as info:
        notifier.send(render_test_message(RCPT))
    assert "535" in info.value.reason
    assert not info.value.permanent  # configuration: retried until max attempts
    assert smtp_starttls.messages == []


def test_auth_without_tls_is_refused(smtp_starttls: SmtpSink) -> None:
    notifier = SmtpNotifier(smtp_starttls.config(tls="none"))
    with pytest.raises(DeliveryError, match="AUTH extension not supported"):
        notifier.send(render_test_message(RCPT))
    assert smtp_starttls.messages == []


def test_starttls_without_credentials_is_refused(smtp_starttls: SmtpSink) -> None:
    notifier = SmtpNotifier(smtp_starttls.config(username=None, password=None))
    with pytest.raises(DeliveryError, match="530"):
        notifier.send(render_test_message(RCPT))


def test_implicit_tls_auth_delivery(smtp_tls: SmtpSink) -> None:
    SmtpNotifier(smtp_tls.config()).send(render_test_message(RCPT))
    [got] = smtp_tls.messages
    assert got.authenticated


def test_implicit_tls_wrong_password(smtp_tls: SmtpSink) -> None:
    with pytest.raises(DeliveryError, match="535"):
        SmtpNotifier(smtp_tls.config(password="nope")).send(render_test_message(RCPT))


def test_untrusted_certificate_fails_unless_verify_is_off(smtp_tls: SmtpSink) -> None:
    with pytest.raises(DeliveryError, match=r"(?i)certificate"):
        SmtpNotifier(smtp_tls.config(ca_file=None)).send(render_test_message(RCPT))
    SmtpNotifier(smtp_tls.config(ca_file=None, verify=False)).send(render_test_message(RCPT))
    assert len(smtp_tls.messages) == 1


def test_plain_client_against_implicit_tls_server_fails_cleanly(smtp_tls: SmtpSink) -> None:
    config = smtp_tls.config(tls="none", username=None, timeout=2.0)
    with pytest.raises(DeliveryError):
        SmtpNotifier(config).send(render_test_message(RCPT))


def test_server_down_is_a_transient_one_line_error(smtp_plain: SmtpSink) -> None:
    smtp_plain.stop()
    message = render_alert(make_context(), RCPT)
    with pytest.raises(DeliveryError) as info:
        SmtpNotifier(smtp_plain.config()).send(message)
    reason = info.value.reason
    assert not info.value.permanent
    assert "\n" not in reason
    assert f"127.0.0.1:{smtp_plain.port}" in reason
    assert "refused" in reason.lower()
    assert message.subject not in reason


def test_all_recipients_refused_is_permanent(smtp_port: int) -> None:
    with SmtpSink(port=smtp_port, reject_recipients=frozenset(RCPT)) as sink:
        with pytest.raises(DeliveryError) as info:
            SmtpNotifier(sink.config()).send(render_test_message(RCPT))
        assert info.value.permanent
        assert "550" in info.value.reason
        assert sink.messages == []


def test_some_recipients_refused_still_delivers(smtp_port: int) -> None:
    with SmtpSink(port=smtp_port, reject_recipients=frozenset(RCPT[:1])) as sink:
        SmtpNotifier(sink.config()).send(render_test_message(RCPT))
        assert sink.messages[0].rcpt_tos == RCPT[1:]


def test_no_recipients_is_permanent() -> None:
    with pytest.raises(DeliveryError) as info:
        SmtpNotifier(SmtpConfig("127.0.0.1")).send(render_test_message(()))
    assert info.value.permanent


def test_config_repr_hides_password_and_checks_tls() -> None:
    config = SmtpConfig("mail.example", 587, "starttls", "alerts", "hunter2")
    assert "hunter2" not in repr(config)
    assert "alerts" in repr(config)
    with pytest.raises(ValueError, match="tls"):
        # Ignored below: deliberately not one of the allowed values.
        SmtpConfig("mail.example", tls="ssl")  # type: ignore[arg-type]


def test_sink_restarts_on_the_same_port(smtp_plain: SmtpSink) -> None:
    port = smtp_plain.port
    smtp_plain.stop()
    smtp_plain.start()
    assert smtp_plain.port == port
    SmtpNotifier(smtp_plain.config()).send(render_test_message(RCPT))
    assert len(smtp_plain.messages) == 1


def test_implicit_tls_without_credentials_is_refused(smtp_tls: SmtpSink) -> None:
    with pytest.raises(DeliveryError, match="530"):
        SmtpNotifier(smtp_tls.config(username=None)).send(render_test_message(RCPT))


def test_non_ascii_password_is_a_delivery_error_that_does_not_quote_it(
    smtp_starttls: SmtpSink,
) -> None:
    with pytest.raises(DeliveryError) as info:
        SmtpNotifier(smtp_starttls.config(password="pässwörd")).send(render_test_message(RCPT))
    assert "ä" not in info.value.reason and "not ASCII" in info.value.reason
