"""The per-set keyed layer that makes a fingerprint set shreddable (SPEC 16, issue 16.3).

Every digest a set stores is re-keyed with a random 32-byte secret of that set::

    layered(d) = blake2b(d[:8], key=secret, person=b"lp-set-layer", digest_size=16)

where ``d`` is the field's keyed digest (``fingerprints.keyed``). Only the first 8
bytes of ``d`` go in: they are what a set keeps of each digest (the exact index's
key), so an existing set can be re-keyed from its own files, without the customer
file, and comes out exactly as a fresh build with the same secret would. The scanner
applies the same function to each candidate's digest before the Bloom filter and
the index (``FingerprintSet.layered``), so a hit means what it meant before.

The secret lives in leakprint's database, never in the set's files; this package
stays pure and is handed it (:class:`SecretSource`). Destroying it ("shredding")
leaves every copy of the set (a backup, a scanning host) a table of PRF outputs
under a key nobody holds: the master key alone can no longer test a value against
it. :class:`SetLayer` is the ONE place the function is computed: a compiled core
must call it (or reproduce it bit for bit, checked by the tests' vectors).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as _random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from fingerprints import native
from fingerprints.errors import FingerprintSetError
from fingerprints.keyed import DIGEST_SIZE

SECRET_SIZE = 32
STORED_WIDTH = 8  # bytes of a digest a set keeps (fingerprints.index.digest_keys)
_PERSON = b"lp-set-layer"
_CHECK_PERSON = b"lp-layer-check"


def new_secret() -> bytes:
    """A fresh per-set secret from the OS CSPRNG."""
    return _random.token_bytes(SECRET_SIZE)


def new_layer_id() -> str:
    """A random public identifier naming a set's secret in the database."""
    return _random.token_hex(8)


def secret_check(secret: bytes) -> str:
    """A public check value of ``secret``: a wrong secret is a clear error, not silent
    zero matches. A keyed hash of a constant under the secret: it reveals nothing."""
    return hashlib.blake2b(b"check", key=secret, digest_size=16, person=_CHECK_PERSON).hexdigest()


@dataclass(frozen=True, repr=False)
class SetSecret:
    """A set's secret and the public id that names it (what a build is sealed with)."""

    layer_id: str
    secret: bytes

    def __repr__(self) -> str:
        return f"SetSecret(layer_id={self.layer_id!r})"

    @classmethod
    def generate(cls) -> SetSecret:
        return cls(new_layer_id(), new_secret())

    def info(self) -> dict[str, Any]:
        """The manifest's public ``layer`` entry."""
        return {"id": self.layer_id, "check": secret_check(self.secret)}

    def layer(self) -> SetLayer:
        return SetLayer(self.secret)


class SetLayer:
    """The per-set layer over digests (see module doc). ``repr`` never shows the secret."""

    __slots__ = ("_base", "_secret", "check")

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes) or len(secret) != SECRET_SIZE:
            raise FingerprintSetError(f"a per-set secret must be exactly {SECRET_SIZE} bytes")
        self._base = hashlib.blake2b(key=secret, digest_size=DIGEST_SIZE, person=_PERSON)
        self._secret = secret  # for the native core's batch form (never shown)
        self.check = secret_check(secret)

    def __repr__(self) -> str:
        return f"SetLayer(check={self.check[:8]}…)"

    def one(self, digest: bytes) -> bytes:
        """The layered form of one 16-byte (or 8-byte stored) digest."""
        h = self._base.copy()
        h.update(digest[:STORED_WIDTH])
        return h.digest()

    def blob(self, digests: bytes | bytearray | memoryview, width: int = DIGEST_SIZE) -> bytes:
        """Layered 16-byte digests of a blob of ``width``-byte digests, in order."""
        data = bytes(digests)
        if len(data) % width:
            raise ValueError(f"digests must be {width} bytes each")
        core = native.CORE
        if core is not None and width >= STORED_WIDTH:
            return core.layer_many(self._secret, _PERSON, data, width)
        copy = self._base.copy
        out: list[bytes] = []
        append = out.append
        for i in range(0, len(data), width):
            h = copy()
            h.update(data[i : i + STORED_WIDTH])
            append(h.digest())
        return b"".join(out)

    def digests(self, digests: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """Layered form of an ``(n, 16) uint8`` digest array."""
        arr = np.ascontiguousarray(digests, dtype=np.uint8).reshape(-1, DIGEST_SIZE)
        return np.frombuffer(self.blob(arr.tobytes()), dtype=np.uint8).reshape(-1, DIGEST_SIZE)

    def keys(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint8]:
        """Layered 16-byte digests of stored 64-bit index keys (a set's own digests)."""
        raw = np.ascontiguousarray(keys, dtype="<u8").tobytes()
        return np.frombuffer(self.blob(raw, STORED_WIDTH), dtype=np.uint8).reshape(-1, 16)


class SecretSource(Protocol):
    """Hands a set its secret by the layer id its manifest names (leakprint reads them
    from its database). Raises a one-line FingerprintSetError saying why it cannot."""

    def secret_for(self, layer_id: str, dataset: str) -> bytes: ...


@dataclass(frozen=True, repr=False)
class StaticSecrets:
    """Secrets known up front (picklable: handed to worker processes).

    ``secrets`` maps a layer id to its secret; ``gone`` maps a destroyed one to why
    (e.g. ``"was shredded on 2026-12-04"``).
    """

    secrets: Mapping[str, bytes] = field(default_factory=dict)
    gone: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"StaticSecrets({len(self.secrets)} secrets, {len(self.gone)} shredded)"

    def secret_for(self, layer_id: str, dataset: str) -> bytes:
        secret = self.secrets.get(layer_id)
        if secret is not None:
            return secret
        why = self.gone.get(layer_id)
        if why is not None:
            raise FingerprintSetError(
                f"fingerprint set {dataset!r} {why}: its per-set secret is gone, so this "
                "copy matches nothing; delete it"
            )
        raise FingerprintSetError(
            f"fingerprint set {dataset!r}: its per-set secret (layer {layer_id}) is not in "
            "this deployment's database, so it matches nothing here: open it where it was "
            "imported, or re-fingerprint"
        )


def open_layer(info: Mapping[str, Any], dataset: str, source: SecretSource | None) -> SetLayer:
    """The layer of a set whose manifest carries ``info``, its secret from ``source``."""
    layer_id = str(info.get("id", ""))
    if source is None:
        raise FingerprintSetError(
            f"fingerprint set {dataset!r} is sealed with a per-set secret held in "
            f"leakprint's database (layer {layer_id}), and none was given: open it "
            "through leakprint"
        )
    layer = SetLayer(source.secret_for(layer_id, dataset))
    if not hmac.compare_digest(layer.check, str(info.get("check", ""))):
        raise FingerprintSetError(
            f"fingerprint set {dataset!r}: the per-set secret given is not this set's "
            "(check value differs): the database and the set do not belong together"
        )
    return layer


__all__ = [
    "SECRET_SIZE",
    "STORED_WIDTH",
    "SecretSource",
    "SetLayer",
    "SetSecret",
    "StaticSecrets",
    "new_layer_id",
    "new_secret",
    "open_layer",
    "secret_check",
]
