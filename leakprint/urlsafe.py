"""URLs and file paths at rest and on screen (SPEC 10.2).

A :class:`UrlGuard` is built from the deployment key and the matchers of the sets
in use. For every document URL (or file path) it gives:

- ``redact(url)``: the form stored in ``documents.url`` and shown everywhere
  (tables, ``--json``, e-mail, logs): a part holding a customer value becomes its
  kind's shape (``/u/[email]/dump.txt``);
- ``url_key(url)``: a keyed digest of the full URL, which identifies the document
  (two URLs that redact alike stay two documents; one URL stays one document);
- ``seal(url)``: the full URL encrypted (AES-256-GCM, key derived from the master
  key), opened only by ``findings show ID --full-url`` (audited).

The derived keys are separate (HKDF-SHA256 with one label per purpose), so a
sealed URL, a URL key and an audit anchor's MAC never share key material.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fingerprints.keyed import FingerprintKey
from matchers.companion import matcher_for
from matchers.scan import Matcher
from matchers.urls import redact_url

if TYPE_CHECKING:
    from leakprint.config import Settings
    from leakprint.db import Database

#: The labels of the keys derived from the master key (one per purpose).
URL_SEAL = b"leakprint/url-seal/v1"
URL_KEY = b"leakprint/url-key/v1"
AUDIT_ANCHOR = b"leakprint/audit-anchor/v1"
_SEALED_PREFIX = "v1:"


class SealError(Exception):
    """A sealed URL that this key cannot open (another key, or damaged)."""


def derive_key(master: FingerprintKey, purpose: bytes) -> bytes:
    """A 32-byte key for one ``purpose``, derived from the deployment key (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master.raw)


@dataclass(frozen=True)
class ProtectedUrl:
    """What is stored of one URL: the redacted form, its keyed digest, the sealed full URL."""

    shown: str
    key: str
    sealed: str


class UrlGuard:
    """Redacts, identifies and seals document URLs (see the module docstring).

    ``matchers``: one per fingerprint set in use (none: nothing is redacted, the URL
    is still keyed and sealed).
    """

    def __init__(self, master: FingerprintKey, matchers: Sequence[Matcher] = ()) -> None:
        self._seal = AESGCM(derive_key(master, URL_SEAL))
        self._digest_key = derive_key(master, URL_KEY)
        self.matchers = list(matchers)
        # URL parts found to hold no customer value (matchers.urls.scan_url).
        self._clean: set[str] = set()

    def redact(self, url: str) -> str:
        """``url`` with each part that holds a customer value replaced by its kind."""
        return redact_url(url, self.matchers, self._clean)

    def url_key(self, url: str) -> str:
        """The keyed digest identifying the document at ``url`` (64 hex digits)."""
        return hashlib.blake2b(url.encode("utf-8", "surrogatepass"), key=self._digest_key,
                               digest_size=32).hexdigest()

    def seal(self, url: str) -> str:
        """The full URL, encrypted and authenticated (bound to its URL key)."""
        nonce = os.urandom(12)
        blob = self._seal.encrypt(nonce, url.encode("utf-8", "surrogatepass"), b"url")
        return _SEALED_PREFIX + base64.urlsafe_b64encode(nonce + blob).decode("ascii")

    def unseal(self, sealed: str) -> str:
        """The full URL of a :meth:`seal` result (raises :class:`SealError`)."""
        if not sealed.startswith(_SEALED_PREFIX):
            raise SealError("not a sealed URL")
        try:
            raw = base64.urlsafe_b64decode(sealed[len(_SEALED_PREFIX):].encode("ascii"))
            plain = self._seal.decrypt(raw[:12], raw[12:], b"url")
        except (InvalidTag, ValueError):
            raise SealError("the sealed URL cannot be opened with this key") from None
        return plain.decode("utf-8", "surrogatepass")

    def protect(self, url: str) -> ProtectedUrl:
        """All three forms of ``url`` at once (what storing a document needs)."""
        return ProtectedUrl(self.redact(url), self.url_key(url), self.seal(url))


def same_digest(a: str, b: str) -> bool:
    """Constant-time comparison of two hex digests or MACs."""
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))


def guard_for(settings: Settings, db: Database, datasets: Sequence[str] | None = None
              ) -> UrlGuard:
    """The guard of a deployment: its key, and a matcher per named (default: every)
    registered set; with no set registered yet, one that only keys and seals."""
    from leakprint.datasets import list_datasets, open_sets

    key = settings.load_key()
    names = list(datasets or [])
    if not names and not list_datasets(db):
        return UrlGuard(key)
    return UrlGuard(key, [matcher_for(s, key) for s in open_sets(settings, db, names or None, key)])
