"""Errors raised by the fingerprint layer.

Messages are one line, say what to do, and never contain a key or a customer value.
"""

from __future__ import annotations


class FingerprintError(Exception):
    """Base class of every error raised by ``fingerprints``."""


class FingerprintSetError(FingerprintError):
    """A fingerprint set cannot be built or used as asked.

    Raised for a wrong key, a wrong normalizer version, damaged or missing files.
    """


class KeyFileError(FingerprintError, ValueError):
    """A fingerprint key or key file is unusable (bad format, unsafe permissions)."""
