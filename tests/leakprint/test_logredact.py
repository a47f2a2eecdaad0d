"""The log filter rewrites every URL of a record: message, arguments and traceback."""

from __future__ import annotations

import io
import logging

from leakprint.logredact import install


def redact(url: str) -> str:
    return url.replace("taro@example.jp", "[email]")


def test_urls_in_messages_arguments_and_tracebacks_are_redacted() -> None:
    logger = logging.getLogger("test.logredact")
    logger.propagate = False
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        install(redact, logger)
        logger.warning("Ignoring response <404 %s>: HTTP status code is not handled",
                       "https://paste.example/u/taro@example.jp/gone.txt")
        logger.error("Crawled (200) <GET file:///srv/u/taro@example.jp/x.csv> (referer: None)")
        try:
            raise ValueError("could not open https://h.example/?m=taro@example.jp")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "https://paste.example/u/[email]/gone.txt" in out
    assert "<GET file:///srv/u/[email]/x.csv>" in out
    assert "https://h.example/?m=[email]" in out and "Traceback" in out
    assert out.count("taro@example.jp") == 0
