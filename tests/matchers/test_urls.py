"""Customer values in URLs and file paths are found and redacted (SPEC 10.2)."""

from __future__ import annotations

from urllib.parse import quote

from matchers.scan import Matcher
from matchers.urls import redact_url, scan_url, url_parts
from tests.matchers.factories import Customer


def test_parts_of_a_url_are_cut_and_decoded() -> None:
    url = "https://us%40r:pw@a.paste.example:8443/u/x%2By/d.txt?q=a+b&k=v#p/f=z"
    parts = [(p.where, p.text) for p in url_parts(url)]
    assert parts == [
        ("userinfo", "us@r"), ("userinfo", "pw"),
        ("host", "a"), ("host", "paste"), ("host", "example"),
        ("path", "u"), ("path", "x+y"), ("path", "d.txt"),
        ("query", "q"), ("query", "a b"), ("query", "k"), ("query", "v"),
        ("fragment", "p"), ("fragment", "f"), ("fragment", "z"),
    ]
    assert [(p.where, p.text) for p in url_parts("/srv/drop/a b.csv")] == [
        ("path", "srv"), ("path", "drop"), ("path", "a b.csv")]
    assert [p.text for p in url_parts("C:\\dumps\\x.txt")] == ["C:", "dumps", "x.txt"]


def test_a_customer_email_in_a_path_segment_becomes_its_shape(
    matcher: Matcher, customers: list[Customer]
) -> None:
    email = customers[0].email
    url = f"https://paste.example/u/{quote(email)}/dump.txt"
    assert redact_url(url, [matcher]) == "https://paste.example/u/[email]/dump.txt"
    raw = f"https://paste.example/u/{email}/dump.txt"
    assert redact_url(raw, [matcher]) == "https://paste.example/u/[email]/dump.txt"


def test_values_in_file_names_queries_and_userinfo(
    matcher: Matcher, customers: list[Customer]
) -> None:
    c = customers[1]
    digits = "".join(ch for ch in c.phone if ch.isdigit())
    shown = redact_url(f"/srv/drops/leak-{digits}.csv", [matcher])
    assert shown == "/srv/drops/leak-[phone].csv"
    shown = redact_url(f"https://h.example/find?mail={quote(c.email)}&page=2", [matcher])
    assert shown == "https://h.example/find?mail=[email]&page=2"
    shown = redact_url(f"ftp://{quote(c.email)}:pw@h.example/x", [matcher])
    assert shown == "ftp://[email]:pw@h.example/x"
    # A name (a supporting kind) that is a whole part is replaced too.
    name = c.name.replace(" ", "")
    shown = redact_url(f"https://h.example/who/{quote(name)}/list", [matcher])
    assert shown == "https://h.example/who/[name]/list"


def test_values_that_are_no_customer_s_stay(
    matcher: Matcher, decoys: list[Customer]
) -> None:
    d = decoys[0]
    url = f"https://paste.example/u/{quote(d.email)}/dump.txt?x=09099998888"
    assert redact_url(url, [matcher]) == url
    assert scan_url(url, [matcher]) == []
    assert redact_url(url, []) == url


def test_a_cache_of_clean_parts_changes_nothing_and_holds_no_value(
    matcher: Matcher, customers: list[Customer], decoys: list[Customer]
) -> None:
    """``clean`` (what a ``UrlGuard`` keeps across URLs) skips parts seen clean before:
    the redacted URLs are those found without it, and a part that held a customer
    value is never kept in it."""
    c = customers[2]
    digits = "".join(ch for ch in c.phone if ch.isdigit())
    urls = [f"https://paste.example/u/{quote(c.email)}/dump.txt",
            f"https://paste.example/u/{quote(decoys[0].email)}/dump.txt",
            f"https://paste.example/raw/leak-{digits}.csv?page=2",
            f"https://paste.example/u/{quote(c.email)}/dump.txt"]
    clean: set[str] = set()
    for _ in range(2):
        assert [redact_url(u, [matcher], clean) for u in urls] == \
            [redact_url(u, [matcher]) for u in urls]
    assert {"paste", "example", "u", "dump.txt", "raw", decoys[0].email} <= clean
    assert not any(c.email in t or digits in t for t in clean)
