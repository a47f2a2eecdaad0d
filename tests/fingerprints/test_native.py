"""The native scanning core against its Python reference (issue 15, SPEC 13).

Each function of ``fingerprints/_native.c`` must give exactly what the reference
gives: ``prepare`` what ``prepare_full`` gives (or None: "not mine"), the digests
what ``hashlib.blake2b`` gives, the Bloom survivors what the numpy probe gives.
Skipped where the extension is not built.
"""

from __future__ import annotations

import hashlib
import mmap
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import bloom, native
from fingerprints.bloom import BloomFilter
from fingerprints.decode import utf8_length
from fingerprints.keyed import FingerprintKey, Hasher
from fingerprints.text import DASH_CHARS, prepare, prepare_full

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

if native.available():
    from fingerprints import _native as N  # type: ignore[attr-defined]

# Japanese text as leaks write it: digits in both widths, every dash, kana in both
# widths, kanji (variant ones too), eras, invisible characters, twins, punctuation.
_ALPHABET = (
    "0123456789０１２３４５６７８９" + DASH_CHARS
    + "山田太郎髙﨑齋邊澤花子東京都港区芝公園丁目番地号"
    "やまだたろうヤマダタロウｱｲｳｶﾞﾊﾟｰﾔﾏﾀﾞ゛゜\u3099\u309a昭和平成令和元年月日㍼㍻"
    "〒＠@.,、。「」（）() 　\t\n\u200b\u200d\ufeff\ufe0f\U000e0100〜～−－―∥‖￠①㈱"
    "abcXYZＡＢＣａｂｃ+＋#＃/／:：·×※…ゟヽヾゝゞ々〆〇・"
)
japanese = st.text(alphabet=_ALPHABET, max_size=60)


def _second_of_compositions() -> set[str]:
    """Characters that can be the second of a canonical composition pair: text
    holding one after some starter may not be NFKC-normalized as it stands."""
    out = set()
    for cp in range(0x110000):
        dec = unicodedata.decomposition(chr(cp))
        if dec and not dec.startswith("<"):
            parts = dec.split()
            if len(parts) == 2:
                out.add(chr(int(parts[1], 16)))
    return out


def test_every_character_the_native_prepare_keeps_is_final() -> None:
    """Per character, the native answer is the reference's, and every character
    it returns is NFKC-stable, of combining class 0 and composes with nothing, so
    strings of them need no context (the property the C code relies on)."""
    seconds = _second_of_compositions()
    known = 0
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        c = chr(cp)
        got = N.prepare(c)
        if got is None:
            continue
        known += 1
        assert got == prepare_full(c), hex(cp)
        for ch in got:
            assert unicodedata.combining(ch) == 0, hex(cp)
            assert unicodedata.is_normalized("NFKC", ch), hex(cp)
            assert ch not in seconds, hex(cp)
    assert known > 20_000  # ASCII, kana, the CJK block, full-width ASCII …


@given(japanese)
@settings(max_examples=2000, deadline=None)
def test_native_prepare_is_the_reference(text: str) -> None:
    got = N.prepare(text)
    if got is not None:
        assert got == prepare_full(text)
    with native.use(True):
        a = prepare(text)
    with native.use(False):
        b = prepare(text)
    assert a == b


@given(st.lists(japanese, max_size=12))
@settings(max_examples=1000, deadline=None)
def test_native_prepare_by_pieces_is_the_reference(parts: list[str]) -> None:
    """Cut after line breaks and 、。, the known pieces prepared natively and the
    others by the Python steps, the text comes out as the reference makes it whole."""
    text = "、".join(parts) + "㍻"  # a character the native pass leaves to Python
    pieces = N.prepare_pieces(text)
    assert any(isinstance(p, tuple) for p in pieces)
    joined = "".join(p if isinstance(p, str) else prepare_full(p[0]) for p in pieces)
    assert joined == prepare_full(text)
    with native.use(True):
        assert prepare(text) == prepare_full(text)


@pytest.mark.parametrize(
    "text",
    ["０９０ー１２３４ー５６７８", "090ｰ1234ｰ5678", "1ーー2", "ー1", "山田\u200b太郎",
     "〒１０５－００１１", "1〜3", "a―b", "", "ジョージ", "4─2━8", "090−1234−5678"],
)
def test_native_prepare_cases(text: str) -> None:
    with native.use(True):
        assert prepare(text) == prepare_full(text)


def test_unknown_characters_are_left_to_the_reference() -> None:
    assert N.prepare("ｱﾞ") is None  # a mark that composes with nothing stays a mark
    assert N.prepare("ﾞ") is None
    assert N.prepare("㍻") is None
    assert N.prepare("か\u3099") is None


def test_half_width_kana_and_their_marks_are_the_reference() -> None:
    """Every half-width form after every kana, and after a few other characters: the
    native pass gives the reference's text, or leaves it to Python (a mark that would
    stay a combining mark); a half-width kana with its marks is always its own."""
    halves = [chr(cp) for cp in range(0xFF61, 0xFFA0)]
    bases = [chr(cp) for cp in range(0x3041, 0x3100)] + halves + list("a1-ー〜 \u200b")
    left = 0
    for base in bases:
        for half in halves:
            for text in (base + half, base + "\u200b" + half, "1" + base + half + "2"):
                got = N.prepare(text)
                if got is None:
                    left += 1
                    assert "\u3099" in prepare_full(text) or "\u309a" in prepare_full(text) \
                        or N.prepare(base) is None, text
                else:
                    assert got == prepare_full(text), text
    for text in ("ﾔﾏﾀﾞ ﾀﾛｳ", "ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ", "ｳﾞｧｲｵﾘﾝ", "ﾜﾞｦﾞ", "ｶﾞｷﾞｸﾞｹﾞｺﾞ", "090ｰ1234ｰ5678"):
        assert N.prepare(text) == prepare_full(text), text
    assert left  # (the marks after a non-kana)


@given(
    st.binary(min_size=32, max_size=32),
    st.sampled_from(["phone", "email", "name", "name_folded", "birthdate", "x" * 16]),
    st.lists(st.text(max_size=300), max_size=20),
)
@settings(max_examples=300, deadline=None)
def test_native_digests_are_hashlib_blake2b(key: bytes, kind: str, values: list[str]) -> None:
    blob = N.digest_many(key, kind.encode(), values)
    want = b"".join(
        hashlib.blake2b(v.encode(), key=key, person=kind.encode(), digest_size=16).digest()
        for v in values
    )
    assert blob == want
    # One value at a time (what a CPU without AVX2 runs) gives the same bytes.
    assert N.digest_many(key, kind.encode(), values, 1) == want


@given(st.text(alphabet=st.characters(), max_size=60)
       | st.text(alphabet="aé\xff", max_size=20) | st.text(alphabet="aあ\ud800\udfff", max_size=20))
@settings(max_examples=500, deadline=None)
def test_native_utf8_length_is_the_length_of_the_encoding(text: str) -> None:
    """What a scan reports as bytes read: ``len(text.encode("utf-8", "replace"))``, a
    lone surrogate counted as the one "?" it becomes."""
    want = len(text.encode("utf-8", "replace"))
    assert N.utf8_length(text) == want
    with native.use(False):
        assert utf8_length(text) == want


@pytest.mark.parametrize("lanes", [1, 4])
def test_native_digests_in_fours_around_long_and_empty_values(lanes: int) -> None:
    """Values of one block wait in fours; empty and multi-block values between them
    are digested at once, and each digest lands at its own value's place."""
    key, person = bytes(range(32)), b"phone"
    sizes = [1, 0, 128, 129, 2, 3, 300, 4, 5, 127, 0, 6, 7, 8, 9, 64]
    values = ["x" * n if i % 2 else "あ" * (n // 3) for i, n in enumerate(sizes)]
    want = b"".join(hashlib.blake2b(v.encode(), key=key, person=person,
                                    digest_size=16).digest() for v in values)
    for end in range(len(values) + 1):
        assert N.digest_many(key, person, values[:end], lanes) == want[: 16 * end]


@pytest.mark.parametrize("size", [0, 1, 2, 63, 64, 127, 128, 129, 255, 256, 257, 1000])
def test_native_digests_at_block_edges(size: int) -> None:
    hasher = Hasher(FingerprintKey(bytes(range(32))))
    values = ["a" * size, "あ" * size, "𠮷" * size]
    with native.use(True):
        blob = hasher.digest_blob("phone", values)
    assert blob == b"".join(hasher.digest_many("phone", values))


def test_native_digests_reject_non_str() -> None:
    with pytest.raises(TypeError):
        N.digest_many(bytes(32), b"phone", [b"bytes"])
    # (after values waiting in a four: nothing is written where the result was)
    for _ in range(100):
        with pytest.raises(TypeError):
            N.digest_many(bytes(32), b"phone", ["a", "b", "c", b"bytes", "d"])


def _filter(members: np.ndarray, fp_rate: float) -> BloomFilter:
    return BloomFilter.build(members, fp_rate, "0123456789abcdef")


@pytest.mark.parametrize("fp_rate", [1e-6, 0.3])
def test_native_bloom_survivors_are_the_numpy_probe(fp_rate: float) -> None:
    rng = np.random.default_rng(5)
    members = rng.integers(0, 256, (5_000, 16), dtype=np.uint8)
    others = rng.integers(0, 256, (20_000, 16), dtype=np.uint8)
    filt = _filter(members, fp_rate)
    queries = np.concatenate([others[:7000], members[:2000], others[7000:]])
    blob = queries.tobytes()
    want = np.flatnonzero(filt.contains(queries))
    with native.use(True):
        got = filt.survivors(blob)
    np.testing.assert_array_equal(got, want)
    with native.use(False):
        np.testing.assert_array_equal(filt.survivors(blob), want)
    assert set(range(7000, 9000)) <= set(got.tolist())


def test_native_bloom_survivors_above_two_to_the_32_bits() -> None:
    """The 64-bit state and modulo of filters of 2**32 bits or more, on a sparse
    anonymous mapping (untouched pages cost no memory): bits set where the numpy
    reference puts a few members' probes."""
    m, k = (1 << 32) + 4093, 7
    nwords = (m + 63) // 64
    buf = mmap.mmap(-1, 8 * nwords)
    words = np.frombuffer(buf, dtype="<u8")
    rng = np.random.default_rng(9)
    members = rng.integers(0, 256, (50, 16), dtype=np.uint8)
    x, y = bloom._state(members, m)
    for i in range(k):
        pos = bloom._positions(x, m)
        np.bitwise_or.at(words, (pos >> np.uint64(6)).astype(np.intp),
                         np.uint64(1) << (pos & np.uint64(63)))
        x, y = bloom._advance(x, y, i)
    filt = BloomFilter(words, m, k, 50, "0123456789abcdef")
    queries = np.concatenate([members, rng.integers(0, 256, (500, 16), dtype=np.uint8)])
    want = np.flatnonzero(filt.contains(queries))
    assert set(range(50)) <= set(want.tolist())
    with native.use(True):
        np.testing.assert_array_equal(filt.survivors(queries.tobytes()), want)
    del filt, words
    buf.close()


def test_pure_python_switch() -> None:
    with native.use(False):
        assert native.CORE is None
    with native.use(True):
        assert native.CORE is not None


def test_the_build_lists_every_native_source_and_header() -> None:
    """setup.py compiles every ``fingerprints/*.c`` and rebuilds when any
    ``fingerprints/*.h`` changes: a file left out fails only on a fresh machine's
    build (an unresolved symbol) or leaves a stale extension after an edit."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    call = next(node for node in ast.walk(ast.parse((root / "setup.py").read_text()))
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Extension")
    sources = {elt.value for elt in call.args[1].elts}  # type: ignore[attr-defined]
    depends = next(kw.value for kw in call.keywords if kw.arg == "depends")
    headers = {elt.value for elt in depends.elts}  # type: ignore[attr-defined]
    here = root / "fingerprints"
    assert sources == {f"fingerprints/{p.name}" for p in here.glob("*.c")}
    assert headers == {f"fingerprints/{p.name}" for p in here.glob("*.h")}


def test_a_helper_that_asks_for_memory_ahead_is_always_inlined() -> None:
    """A ``void`` function holding a ``__builtin_prefetch`` is declared PREFETCH_HELPER
    (_hint.h). gcc counts a prefetch as no side effect: such a helper, when not inlined
    early, is a pure call whose result nobody reads, and gcc 12 -O2 deleted the calls
    of three of them without a word (the compiled code asked for nothing ahead)."""
    import re
    from pathlib import Path

    here = Path(__file__).resolve().parents[2] / "fingerprints"
    helpers, unmarked = [], []
    definition = re.compile(r"^([A-Za-z][^\n;{]*?\b(\w+)\([^;{]*?\)\s*)\{(.*?)^\}", re.S | re.M)
    for path in sorted(here.glob("_*.[ch]")):
        for m in definition.finditer(path.read_text()):
            head, name, body = m.groups()
            if "__builtin_prefetch" not in body or not re.search(r"\bvoid\b", head):
                continue
            helpers.append(name)
            if not head.startswith("PREFETCH_HELPER "):
                unmarked.append(f"{path.name}: {name}")
    assert {"prefetch_search", "prefetch_stage", "keymap_prefetch"} <= set(helpers)
    assert unmarked == []


def test_the_package_data_holds_every_native_header() -> None:
    """A build from the installed package (an sdist, a wheel's source) finds every
    header the C sources include: the list of names it had missed five of them."""
    import tomllib
    from fnmatch import fnmatch
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["fingerprints"]
    headers = [p.name for p in (root / "fingerprints").glob("*.h")]
    assert headers
    assert [h for h in headers if not any(fnmatch(h, pat) for pat in patterns)] == []
