"""Log lines name URLs only in their redacted form (SPEC 10.2).

Scrapy, the crawler and leakprint log the URLs they fetch ("Crawled (200) <GET …>",
fetch errors, retries). :func:`install` puts a filter on the handlers of the root
logger that rewrites every URL in a record (message, arguments and a formatted
traceback) through a redactor, normally :meth:`leakprint.urlsafe.UrlGuard.redact`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

#: A URL in a log line: a scheme, then anything up to white space or a closing mark.
URL_RE = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]{1,15}:(?://|/)[^\s<>\"'`]+")


class UrlRedactingFilter(logging.Filter):
    """Rewrites the URLs of every record it sees (never drops a record)."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self.redact = redact

    def redact_text(self, text: str) -> str:
        """``text`` with each URL in it redacted."""
        return URL_RE.sub(lambda m: self.redact(m.group()), text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to the handler to report
            return True
        redacted = self.redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact_text(record.exc_text)
        return True


def install(redact: Callable[[str], str], logger: logging.Logger | None = None
            ) -> UrlRedactingFilter:
    """Put one redacting filter on every handler of ``logger`` (default: the root
    logger), where records of all loggers pass."""
    target = logger or logging.getLogger()
    filt = UrlRedactingFilter(redact)
    for handler in target.handlers:
        handler.addFilter(filt)
    return filt
