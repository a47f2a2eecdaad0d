"""What a notification channel declares (see :mod:`leakprint.channels`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alerts import Notifier
from leakprint.config import Settings


@dataclass(frozen=True)
class Channel:
    """One scheme: how its recipients are checked and how its notifier is built."""

    scheme: str
    # The stored form of a recipient, or RecipientError with a one-line reason.
    check: Callable[[str], str]
    build: Callable[[Settings], Notifier]
