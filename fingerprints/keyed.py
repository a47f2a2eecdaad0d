"""THE keyed hash of leakprint: the deployment key and the per-kind keyed BLAKE2b.

A digest is ``blake2b(canonical.encode(), key=K, person=kind, digest_size=16)``. The
kind is the personalization, so equal strings of different kinds never collide. The
key never leaves this module in any readable form: ``repr`` shows only the key id.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fingerprints import native
from fingerprints.errors import KeyFileError
from fingerprints.packed import PackedStrs

KEY_SIZE = 32
DIGEST_SIZE = 16
MAX_KIND_BYTES = 16  # BLAKE2b's personalization field is 16 bytes
_KEY_ID_PERSON = b"lp-key-id"
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True, repr=False, eq=False)
class FingerprintKey:
    """The deployment's 32-byte secret. ``key_id`` is public; ``raw`` is not."""

    raw: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != KEY_SIZE:
            raise KeyFileError(f"a fingerprint key must be exactly {KEY_SIZE} bytes")

    @property
    def key_id(self) -> str:
        """16 hex digits identifying the key; a digest, so it reveals nothing of the key."""
        return hashlib.blake2b(self.raw, digest_size=8, person=_KEY_ID_PERSON).hexdigest()

    def __repr__(self) -> str:
        return f"FingerprintKey(key_id={self.key_id!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FingerprintKey):
            return NotImplemented
        return hmac.compare_digest(self.raw, other.raw)

    def __hash__(self) -> int:
        return hash(self.key_id)

    @classmethod
    def generate(cls) -> FingerprintKey:
        """A new random key from the OS CSPRNG."""
        return cls(secrets.token_bytes(KEY_SIZE))

    @classmethod
    def from_hex(cls, text: str) -> FingerprintKey:
        """Parse 64 hex digits (surrounding white space allowed). Errors never echo input."""
        s = text.strip()
        if len(s) != 2 * KEY_SIZE or not _HEX_DIGITS.issuperset(s):
            raise KeyFileError(
                f"a fingerprint key must be {2 * KEY_SIZE} hex digits "
                "(generate one with `leakprint init`)"
            )
        return cls(bytes.fromhex(s))

    @classmethod
    def load(cls, path: Path | str) -> FingerprintKey:
        """Read a key file holding 64 hex digits or 32 raw bytes.

        Refuses a file that group or others may access: the key is the only thing that
        makes the fingerprint sets worthless to someone who copies them.
        """
        p = Path(path)
        with p.open("rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise KeyFileError(
                    f"key file {p} is accessible by group or others "
                    f"(mode {stat.S_IMODE(mode):04o}): run `chmod 600 {p}`"
                )
            data = fh.read(4 * KEY_SIZE + 1)
        if len(data) == KEY_SIZE:
            return cls(data)
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            text = ""
        try:
            return cls.from_hex(text)
        except KeyFileError:
            raise KeyFileError(
                f"key file {p} must hold {2 * KEY_SIZE} hex digits or {KEY_SIZE} raw bytes"
            ) from None

    def write(self, path: Path | str) -> None:
        """Create ``path`` with mode 0600 holding the key as hex; never overwrites."""
        p = Path(path)
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise KeyFileError(f"key file {p} already exists: refusing to overwrite it") from None
        try:
            os.fchmod(fd, 0o600)  # the umask can only remove bits; make the mode explicit
            os.write(fd, (self.raw.hex() + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)


def check_kind(kind: str) -> bytes:
    """The personalization bytes of ``kind``; ValueError if it cannot be one."""
    try:
        person = kind.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError("field kind names must be ASCII") from None
    if not person or len(person) > MAX_KIND_BYTES:
        raise ValueError(f"field kind names must be 1 to {MAX_KIND_BYTES} ASCII characters")
    return person


class Hasher:
    """Keyed BLAKE2b-128 digests of canonical values, one pre-keyed state per kind.

    ``.copy()`` of a pre-keyed state skips the key block setup (perf.md: about 0.45 µs
    per token instead of 0.65).
    """

    __slots__ = ("_bases", "_key")

    def __init__(self, key: FingerprintKey) -> None:
        self._key = key
        self._bases: dict[str, hashlib.blake2b] = {}

    @property
    def key_id(self) -> str:
        return self._key.key_id

    @property
    def key(self) -> FingerprintKey:
        """The key (its repr shows only the key id): sets derive their MAC key from it."""
        return self._key

    def __repr__(self) -> str:
        return f"Hasher(key_id={self.key_id!r})"

    def _base(self, kind: str) -> hashlib.blake2b:
        base = self._bases.get(kind)
        if base is None:
            base = hashlib.blake2b(
                key=self._key.raw, digest_size=DIGEST_SIZE, person=check_kind(kind)
            )
            self._bases[kind] = base
        return base

    def digest(self, kind: str, canonical: str) -> bytes:
        """The 16-byte digest of one canonical value of ``kind``."""
        h = self._base(kind).copy()
        h.update(canonical.encode("utf-8"))
        return h.digest()

    def digest_many(self, kind: str, values: Iterable[str]) -> list[bytes]:
        """Digests of many canonical values of one kind, in order."""
        base = self._base(kind)
        out: list[bytes] = []
        append = out.append
        for value in values:
            h = base.copy()
            h.update(value.encode("utf-8"))
            append(h.digest())
        return out

    def digest_blob(self, kind: str, values: Sequence[str]) -> bytes:
        """The digests of ``values`` (of one kind) concatenated, 16 bytes each: the
        scan's batch form, computed by the native core when it runs (packed values,
        :class:`~fingerprints.packed.PackedStrs`, where they lie)."""
        core = native.CORE
        if core is not None:
            if isinstance(values, PackedStrs):
                return core.digest_packed(self._key.raw, check_kind(kind), values.blob,
                                          values.ends)
            return core.digest_many(self._key.raw, check_kind(kind), values)
        return b"".join(self.digest_many(kind, values))
