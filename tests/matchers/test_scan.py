"""End-to-end matching over generated dumps: recall, confidence, decoys, encodings."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from matchers.result import MatchResult
from matchers.scan import Matcher
from tests.matchers.factories import (
    FIELDS,
    RENDERERS,
    Customer,
    mixed_rows,
    plain,
    render_delimited,
    render_sql,
)

ALL_KINDS = {
    "phone",
    "email",
    "name",
    "name_folded",
    "name_kana",
    "birthdate",
    "postal_code",
    "address",
}


def by_ref(result: MatchResult) -> dict[str, str]:
    return {h.ref: h.confidence for h in result.record_hits}


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_recall_every_format(matcher: Matcher, customers: list[Customer], fmt: str) -> None:
    """>= 99% of planted records found at the right confidence, with all their fields."""
    result = matcher.scan_text(RENDERERS[fmt](customers))
    hits = {h.ref: h for h in result.record_hits}
    high = [c for c in customers if c.ref in hits and hits[c.ref].confidence == "high"]
    assert len(high) >= 0.99 * len(customers)
    complete = [c for c in high if set(hits[c.ref].fields) == ALL_KINDS]
    assert len(complete) >= 0.99 * len(customers)
    assert result.bulk and result.confidence == "high"
    assert result.dataset == "customers"


# (fields rendered, expected confidence) — one row per customer, plain values.
# ``None``: rows of names, kana and birth dates only name nobody (matchers.confidence).
FIELD_TABLE: list[tuple[tuple[str, ...], str | None]] = [
    (("phone",), "low"),
    (("email",), "low"),
    (("name",), None),
    (("name_kana",), None),
    (("address",), "low"),
    (("name", "birthdate"), None),
    (("name", "name_kana", "birthdate"), None),
    (("phone", "email"), "high"),  # SPEC 12.1: two identifiers (was medium)
    (("phone", "name"), "medium"),
    (("email", "birthdate"), "medium"),
    (("address", "postal_code"), "low"),  # SPEC 12.1: one place, weak (was medium)
    (("phone", "name", "birthdate"), "high"),
    (("email", "name_kana", "address"), "high"),
    (("name", "address", "postal_code"), "low"),  # SPEC 12.1: weak only (was high)
    (("postal_code",), None),  # issue 18: a postal code alone is not reported
]


@pytest.mark.parametrize(("fields", "expected"), FIELD_TABLE)
@pytest.mark.parametrize("fmt", ["tsv", "jsonl", "sql"])
def test_confidence_by_fields(
    matcher: Matcher, customers: list[Customer], fields: tuple[str, ...], expected: str | None,
    fmt: str,
) -> None:
    sample = customers[:12]
    text = RENDERERS[fmt](sample, fmt=plain, fields=fields)
    got = by_ref(matcher.scan_text(text))
    for c in sample:
        # A common name or birth date may also hit other records at low; the
        # planted record itself must be there at exactly the expected level.
        assert got.get(c.ref) == expected, (c.ref, fields)
    if expected is None:
        assert got == {}, fields


def test_single_row_tables(matcher: Matcher, customers: list[Customer]) -> None:
    c = customers[0]
    rows = [
        (f"{c.phone}\n", "low"),
        (f"{c.name},{c.phone}\n", "medium"),
        (f"{c.name}\t{c.kana}\t{c.birthdate:%Y/%m/%d}\n", None),
        (f"{c.name}|{c.email}|〒{c.postal}\n", "high"),
    ]
    for text, expected in rows:
        assert by_ref(matcher.scan_text(text)).get(c.ref) == expected, text


def test_prose_post_with_records_inline(matcher: Matcher, customers: list[Customer]) -> None:
    sample = customers[100:103]
    c0 = sample[0]
    post = (
        "<div class='post'>どうも。名簿の一部を載せます。<br>"
        f"一人目は{c0.name.replace(' ', '')}様、電話{c0.phone}、{c0.address}在住。<br>"
        + "".join(
            f"<p>{c.kana}さん 連絡先 {c.email} 生まれは{c.birthdate.year}年{c.birthdate.month}月"
            f"{c.birthdate.day}日</p>"
            for c in sample[1:]
        )
        + "<p>続きは有料です。</p></div>"
    )
    got = by_ref(matcher.scan_text(post, name="post.html"))
    assert got[c0.ref] == "high"
    for c in sample[1:]:
        assert got[c.ref] == "high"


def test_prose_evidence_stays_within_300_characters(
    matcher: Matcher, customers: list[Customer]
) -> None:
    c = customers[5]
    filler = "今日は雨でした。" * 60  # 480 characters
    got = by_ref(matcher.scan_text(f"{c.phone} {filler} {c.address}"))
    assert got[c.ref] == "low"
    got = by_ref(matcher.scan_text(f"{c.phone} {filler[:200]} {c.address}"))
    assert got[c.ref] == "medium"


def test_decoys_in_every_format_stay_low(matcher: Matcher, decoys: list[Customer]) -> None:
    """People who are not our customers: at most name/birth date collisions, all low."""
    for fmt, render in RENDERERS.items():
        result = matcher.scan_text(render(decoys[:300]))
        assert result.confidence in (None, "low"), fmt
        assert not result.bulk, fmt


def test_rows_mixing_different_customers_stay_low(
    matcher: Matcher, customers: list[Customer], decoys: list[Customer]
) -> None:
    rows = mixed_rows(customers, decoys, 300)
    for fmt in ("csv", "tsv", "aligned", "jsonl", "json", "sql"):
        result = matcher.scan_text(RENDERERS[fmt](rows))
        assert result.confidence in (None, "low"), fmt
        assert not result.bulk
    prose_rows = mixed_rows(customers, decoys, len(customers) // 5, reuse=False)
    result = matcher.scan_text(RENDERERS["prose"](prose_rows))
    assert result.confidence in (None, "low")


def test_toll_free_and_service_numbers_are_not_candidates(matcher: Matcher) -> None:
    text = "お問い合わせ 0120-123-456 / 0570-000-111 / 0800-123-4567 / 0990-123-456\n"
    result = matcher.scan_text(text)
    assert result.primary_candidates == 0


def test_thirty_real_records_among_a_thousand_decoys(
    matcher: Matcher, customers: list[Customer], decoys: list[Customer]
) -> None:
    real = random.Random(3).sample(customers, 30)
    rows = list(decoys)
    rnd = random.Random(4)
    for c in real:
        rows.insert(rnd.randrange(len(rows)), c)
    result = matcher.scan_text(render_delimited(rows, ","))
    strong = {h.ref for h in result.record_hits if h.confidence in ("medium", "high")}
    assert strong == {c.ref for c in real}
    assert result.bulk  # 30 records at medium or above
    assert result.primary_candidates == 2 * len(rows)
    assert result.matched_primary_candidates == 60


def test_phone_list_share_decides_bulk(
    matcher: Matcher, customers: list[Customer], decoys: list[Customer]
) -> None:
    ours = "\n".join(c.phone for c in customers[:25]) + "\n"
    result = matcher.scan_text(ours)
    assert result.bulk and result.confidence == "high"
    assert all(h.confidence == "low" for h in result.record_hits)
    random_list = ours + "\n".join(d.phone for d in decoys[:200]) + "\n"
    result = matcher.scan_text(random_list)
    assert not result.bulk and result.confidence == "low"


def test_header_hint_reads_a_hiragana_name_as_a_name(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from dataclasses import replace

    from tests.matchers.factories import build_set, make_customers

    c = replace(make_customers(1, seed=5)[0], name="やまだ はなこ", kana="ヤマダ ハナコ")
    m = Matcher(build_set(tmp_path_factory.mktemp("hint") / "s", [c]))
    with_header = m.scan_text(f"電話番号,氏名\n{c.phone},{c.name}\n")
    without = m.scan_text(f"{c.phone},{c.name}\n{c.phone},{c.name}\n")
    assert "name" in with_header.record_hits[0].fields
    assert "name" not in without.record_hits[0].fields
    assert "name_kana" in without.record_hits[0].fields


@pytest.mark.parametrize("encoding", ["cp932", "euc_jp", "utf-8-sig", "utf-16"])
def test_legacy_encodings(matcher: Matcher, customers: list[Customer], encoding: str) -> None:
    sample = [c for c in customers[:80] if _encodable(c, encoding)][:50]
    text = render_delimited(sample, ",", fmt=plain)
    result = matcher.scan_bytes(text.encode(encoding))
    got = by_ref(result)
    assert sum(got.get(c.ref) == "high" for c in sample) >= 0.99 * len(sample)
    assert not result.lossy
    assert result.bytes_scanned == len(text.encode(encoding))


def _encodable(c: Customer, encoding: str) -> bool:
    try:
        "".join(c.value(f) for f in FIELDS).encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def test_streaming_equals_whole_text(matcher: Matcher, customers: list[Customer]) -> None:
    for text in (render_delimited(customers, "\t"), render_sql(customers, multiline=True)):
        data = text.encode("utf-8")
        whole = matcher.scan_bytes(data)
        pieces = [data[i : i + 997] for i in range(0, len(data), 997)]
        stream = matcher.scan_stream(_small_chunks(pieces))
        assert {(h.ref, h.confidence, h.fields, h.row) for h in stream.record_hits} == {
            (h.ref, h.confidence, h.fields, h.row) for h in whole.record_hits
        }
        assert stream.bytes_scanned == len(data)
        assert stream.primary_candidates == whole.primary_candidates
        assert stream.bulk == whole.bulk and stream.confidence == whole.confidence


def _small_chunks(pieces: list[bytes]) -> Iterator[bytes]:
    yield from pieces


def test_stream_chunking_into_many_pieces(matcher: Matcher, customers: list[Customer]) -> None:
    from matchers.scan import line_chunks

    text = render_delimited(customers, "|").encode()
    pieces = list(line_chunks([text[i : i + 500] for i in range(0, len(text), 500)], size=4096))
    assert len(pieces) > 10
    assert b"".join(pieces) == text
    assert all(p.endswith(b"\n") for p in pieces)
    whole = by_ref(matcher.scan_bytes(text))
    merged = MatchResult("customers")
    for p in pieces:
        merged = merged.merge(matcher.scan_bytes(p))
    assert set(by_ref(merged)) == set(whole)


def test_record_hits_are_distinct_and_merged(matcher: Matcher, customers: list[Customer]) -> None:
    c = customers[9]
    text = f"{c.phone},x\n{c.name},{c.email},{c.address}\n{c.phone},y\n"
    result = matcher.scan_text(text)
    mine = [h for h in result.record_hits if h.ref == c.ref]
    assert len(mine) == 1
    assert mine[0].confidence == "high" and mine[0].row == 2
    assert {"phone", "email", "name", "address"} <= set(mine[0].fields)


def test_empty_and_binary_input(matcher: Matcher) -> None:
    assert matcher.scan_text("").record_hits == []
    result = matcher.scan_bytes(bytes(range(256)) * 20)
    assert result.confidence is None
    assert Counter(h.confidence for h in result.record_hits) == Counter()


def test_variant_name_forms_count_as_folded(tmp_path_factory: pytest.TempPathFactory) -> None:
    from dataclasses import replace

    from tests.matchers.factories import build_set, make_customers

    c = replace(make_customers(1, seed=11)[0], name="髙橋 一郎")
    m = Matcher(build_set(tmp_path_factory.mktemp("fold") / "s", [c]))
    # Written with the standard 高: only the folded form can match.
    folded = m.scan_text(f"高橋 一郎,{c.address}\n高橋 一郎,{c.address}\n")
    assert by_ref(folded)[c.ref] == "low"
    assert "name_folded" in folded.record_hits[0].fields
    assert "name" not in folded.record_hits[0].fields
    # SPEC 12.1 (was high / medium): in a one-record set a name or an address
    # says nothing the phone does not; a phone + more is at least medium, and
    # name + address are weak fields only.
    with_phone = m.scan_text(f"高橋 一郎,{c.phone},{c.address}\n")
    assert by_ref(with_phone)[c.ref] == "medium"
    assert with_phone.record_hits[0].why.startswith("phone + name + address: ")
    exact = m.scan_text(f"髙橋 一郎,{c.address}\n")
    assert by_ref(exact)[c.ref] == "low"


def test_customer_id_and_custom_kinds(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Dataset-specific kinds come from the manifest: a checked customer_id rule and a
    custom regex kind (回線ID), both primary."""
    from fingerprints.fpset import FingerprintSet, FingerprintSetBuilder
    from fingerprints.normalizers import (
        BUILTIN_KINDS,
        NORMALIZER_VERSION,
        CustomerIdNormalizer,
        KindRegistry,
        RegexNormalizer,
    )
    from tests.matchers.factories import KEY, import_fields, make_customers

    reg = KindRegistry(
        CustomerIdNormalizer("K[0-9]{8}"),
        [RegexNormalizer("line_id", "CAF[0-9]{10}", reserved=frozenset(BUILTIN_KINDS))],
    )
    people = make_customers(30, seed=21)
    d = tmp_path_factory.mktemp("cid") / "s"
    b = FingerprintSetBuilder(
        d, "lines", KEY, normalizer_version=NORMALIZER_VERSION, kind_config=reg.config()
    )
    for i, c in enumerate(people):
        fields = import_fields(c, reg)
        fields += reg.fields_for("customer_id", f"k-{i:08d}")
        fields += reg.fields_for("line_id", f"CAF{i:010d}")
        b.add_record(c.ref, fields)
    b.finish()
    m = Matcher(FingerprintSet.open(d, KEY, normalizer_version=NORMALIZER_VERSION))
    assert m.primary >= {"phone", "email", "customer_id", "line_id"}
    c = people[3]
    got = by_ref(m.scan_text(f"ID K-0000-0003 / 回線 CAF0000000003 / {c.name}\n"))
    assert got[c.ref] == "high"  # two primaries and a name
    got = by_ref(m.scan_text(f"顧客ID,氏名\nK00000003,{c.name}\nK00000004,誰か\n"))
    assert got[c.ref] == "medium"
    assert got[people[4].ref] == "low"
    got = by_ref(m.scan_text("CAF0000000005\nCAF0000000006\n"))
    assert got == {people[5].ref: "low", people[6].ref: "low"}


@pytest.mark.parametrize("fmt", ["csv", "tsv", "pipe", "aligned"])
def test_column_wise_scan_equals_row_wise(
    matcher: Matcher,
    customers: list[Customer],
    decoys: list[Customer],
    fmt: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The column-wise fast path is only a faster order of the same work."""
    from matchers import scan as scan_module

    rows = list(decoys[:400]) + customers[:100] + mixed_rows(customers, decoys, 100)
    random.Random(5).shuffle(rows)
    text = RENDERERS[fmt](rows)
    fast = matcher.scan_text(text)
    monkeypatch.setattr(scan_module, "_COLUMNAR", frozenset())
    slow = matcher.scan_text(text)
    assert {(h.ref, h.confidence, h.fields, h.row) for h in fast.record_hits} == {
        (h.ref, h.confidence, h.fields, h.row) for h in slow.record_hits
    }
    assert (fast.primary_candidates, fast.matched_primary_candidates) == (
        slow.primary_candidates,
        slow.matched_primary_candidates,
    )
    assert (fast.bulk, fast.confidence, fast.snippet) == (slow.bulk, slow.confidence, slow.snippet)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "cp932", "euc_jp"])
def test_streaming_wide_and_legacy_encodings(
    matcher: Matcher, customers: list[Customer], encoding: str, tmp_path: Path, set_dir: Path
) -> None:
    """Excel's "Unicode text" (UTF-16) cannot be cut at newline bytes; still streamed."""
    from matchers.parallel import scan_file
    from tests.matchers.factories import KEY

    sample = [c for c in customers if _encodable(c, encoding)][:300]
    data = render_delimited(sample, "\t", fmt=plain).encode(encoding)
    whole = by_ref(matcher.scan_bytes(data))
    assert sum(v == "high" for v in whole.values()) >= 0.99 * len(sample)
    pieces = [data[i : i + 4097] for i in range(0, len(data), 4097)]
    stream = matcher.scan_stream(iter(pieces))
    assert by_ref(stream) == whole
    assert stream.bytes_scanned == len(data)
    path = tmp_path / "dump.txt"
    path.write_bytes(data)
    assert by_ref(scan_file(path, set_dir, KEY, workers=2, range_bytes=8192)) == whole


def test_a_chunk_holds_one_record_hit_per_record_and_one_part_needs_no_merge(
    matcher: Matcher, customers: list[Customer]
) -> None:
    """``Accumulator`` keeps a lone part's record hits as they come (no dict by
    reference): right because a chunk holds one record hit per record, even when a
    customer's rows come back again and again; and a document of one part sums up to
    that part's own summary."""
    from matchers.result import Accumulator

    text = render_delimited(customers[:40] * 3, ",")  # every customer three times
    got, _layout = matcher.chunk_hits(text)
    refs = [h.ref for h in got.record_hits]
    assert len(refs) == len(set(refs)) >= 40
    one = Accumulator(matcher.dataset, matcher.primary)
    as_given = list(got.record_hits)
    one.add(got)
    assert one.result() == got.summarized(matcher.dataset)
    assert got.record_hits == as_given  # (the part's own list, kept, is never reordered)
    two = Accumulator(matcher.dataset, matcher.primary)  # the same part twice: merged
    two.add(got)
    two.add(got)
    assert two.result().record_hits == one.result().record_hits


def test_chunk_hits_accumulate_to_what_summarized_chunks_do(
    matcher: Matcher, customers: list[Customer]
) -> None:
    """A stream accumulates each chunk's unsummarized hits (``chunk_hits``): the merged
    result is exactly the one of merging each chunk's own ``scan_chunk`` result."""
    from matchers.result import Accumulator

    text = render_delimited(customers, ",") + "\n" + render_sql(customers[:20], multiline=True)
    lines = text.splitlines(keepends=True)
    parts = ["".join(lines[i : i + 37]) for i in range(0, len(lines), 37)]
    raw, summarized = (Accumulator(matcher.dataset, matcher.primary) for _ in range(2))
    layout_a = layout_b = None
    line = 1
    for n, part in enumerate(parts):
        got, layout_a = matcher.chunk_hits(part, layout=layout_a, first_line=line,
                                           continues=n > 0)
        res, layout_b = matcher.scan_chunk(part, layout=layout_b, first_line=line,
                                           continues=n > 0)
        assert res == got.summarized(matcher.dataset)
        assert sorted(got.record_hits, key=lambda h: (h.row, h.ref)) == res.record_hits
        raw.add(got)
        summarized.add(res)
        line += part.count("\n")
    assert raw.result() == summarized.result()
    assert len(raw.result().record_hits) >= len(customers)
